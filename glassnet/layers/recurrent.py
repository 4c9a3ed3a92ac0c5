"""Recurrent layers: SimpleRNN, LSTM, GRU, Bidirectional and TimeDistributed (Keras API).

The maths lives in :mod:`glassnet.ops.recurrent` (one input GEMM for the whole sequence, one
recurrent GEMM per step, backward through time in one loop). Weights have Keras's names,
order and shapes — kernel (in, k*u), recurrent_kernel (u, k*u), bias — so ``get_weights`` /
``set_weights`` exchange arrays with Keras models directly. Parameter counts:
SimpleRNN u*(in + u) + u, LSTM 4*u*(in + u) + 4u (LSTM(128) on 28 features: 80384),
GRU with reset_after 3*u*(in + u) + 6u (3u more than without).
"""

from glassnet import initializers, regularizers
from glassnet.backend import xp
from glassnet.config import get_rng, shard_draw
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers.base import Layer
from glassnet.layers.conv import positive_int
from glassnet.layers.input_spec import InputSpec
from glassnet.layers.serialization import (
    deserialize,
    register_layer,
    serialize,
    serialize_initializer,
)
from glassnet.ops import recurrent as R
from glassnet.ops.shape import concat
from glassnet.tensor import Tensor


class _RNN(Layer):
    """Shared constructor, build and call of the three recurrent layers."""

    gates = 1
    n_states = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = positive_int(units, "units", self.name)
        self.activation = R.activation_name(activation)
        self.recurrent_activation = R.activation_name(recurrent_activation)
        self.use_bias = bool(use_bias)
        self._init_config = (kernel_initializer, recurrent_initializer, bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._constraints = (kernel_constraint, recurrent_constraint, bias_constraint)
        if not 0.0 <= float(dropout) < 1.0:
            raise GlassnetValueError(f"Layer '{self.name}': dropout must be in [0, 1), got "
                                     f"{dropout!r}")
        if recurrent_dropout:
            raise GlassnetValueError(f"Layer '{self.name}': recurrent_dropout is not supported "
                                     f"(the fused recurrent ops have no per-step mask)")
        if stateful:
            raise GlassnetValueError(f"Layer '{self.name}': stateful=True is not supported; "
                                     f"pass initial_state= instead")
        self.dropout = float(dropout)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.unroll = bool(unroll)
        self.kernel = self.recurrent_kernel = self.bias = None
        self._mask = None
        self.input_spec = InputSpec(ndim=3)

    # ----------------------------------------------------------------- weights
    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return initializers.get(self._init_config[2])

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}): expected an input of rank 3 "
                f"(batch, timesteps, features) with known features, received shape "
                f"{tuple(input_shape)}"
            )
        n_in, width = input_shape[-1], self.gates * self.units
        k_init, r_init = (initializers.get(i) for i in self._init_config[:2])
        k_con, r_con, b_con = self._constraints
        self.kernel = self.add_weight("kernel", (n_in, width), k_init,
                                      regularizer=self.kernel_regularizer, constraint=k_con)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width), r_init,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=r_con)
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), self._bias_initializer(),
                                        regularizer=self.bias_regularizer, constraint=b_con)
        self.input_spec = InputSpec(ndim=3, axes={-1: n_in})

    # ----------------------------------------------------------------- call
    def _run(self, inputs, states):
        raise NotImplementedError

    def call(self, inputs, initial_state=None, training=False, mask=None):
        if training and self.dropout > 0:
            keep = 1.0 - self.dropout
            mask_shape = (inputs.shape[0], 1, inputs.shape[2])  # same mask for every step
            rng = get_rng()  # (data-parallel: drawn for the global batch, this rank's rows)
            drop = (shard_draw(rng.random, mask_shape) < keep).astype(inputs.dtype) / keep
            inputs = inputs * Tensor(drop.astype(inputs.dtype))
        states = R._states_list(initial_state, self.n_states, self.name)
        states = [R._state(s, inputs, self.units, self.name) for s in states]
        self._mask = None if mask is None else R._mask(mask)
        outputs = self._run(inputs, states)
        return list(outputs) if self.return_state else outputs[0]

    def compute_mask(self, inputs, mask=None):
        """The sequence output keeps the timestep mask; a last-step output has none."""
        return mask if self.return_sequences else None

    def _op_kwargs(self):
        return dict(return_sequences=self.return_sequences, go_backwards=self.go_backwards,
                    activation=self.activation, mask=self._mask)

    def _bias_tensor(self, inputs):
        return self.bias if self.use_bias else R._bias(None, self._bias_shape(), inputs)

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [out] + [(batch, self.units)] * self.n_states
        return out

    def get_config(self):
        k_init, r_init, b_init = self._init_config
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "use_bias": self.use_bias,
                "kernel_initializer": serialize_initializer(k_init),
                "recurrent_initializer": serialize_initializer(r_init),
                "bias_initializer": serialize_initializer(b_init),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "dropout": self.dropout, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "unroll": self.unroll}


@register_layer
class SimpleRNN(_RNN):
    """Fully connected RNN: h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias).

    Args:
        units: size of the state/output.
        activation: 'tanh' (default), 'relu', 'sigmoid' or 'linear'.
        use_bias, kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros'), regularizers: as in Keras.
        dropout: fraction of the inputs dropped in training (one mask for all steps).
        return_sequences: output every h_t (N, T, u) instead of h_T (N, u).
        return_state: also return the final state: [output, h_T].
        go_backwards: process the sequence reversed (outputs in processed order).

    Call arguments: ``layer(x, initial_state=h0, training=..., mask=...)``; ``mask`` is a
    boolean (batch, timesteps) array such as ``Embedding(mask_zero=True).compute_mask(tokens)``:
    at masked steps the state and the output stay those of the previous step (Keras).

    Example:
        >>> import numpy as np
        >>> layer = SimpleRNN(4)
        >>> layer(np.zeros((2, 5, 3))).shape
        (2, 4)
        >>> layer.count_params()  # 4*(3+4) + 4
        32
    """

    def __init__(self, units, activation="tanh", **kwargs):
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, **kwargs)

    def _run(self, inputs, states):
        op = R.SimpleRNNFunction(**self._op_kwargs())
        return op(inputs, self.kernel, self.recurrent_kernel, self._bias_tensor(inputs),
                  states[0])


@register_layer
class LSTM(_RNN):
    """Long short-term memory (Hochreiter & Schmidhuber), Keras's layout and formulas.

    z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias = [z_i, z_f, z_c, z_o];
    i = sigma(z_i), f = sigma(z_f), o = sigma(z_o), c_t = f c_{t-1} + i tanh(z_c),
    h_t = o tanh(c_t)   (sigma = recurrent_activation, sigmoid; tanh = activation).

    Args:
        units: state size. activation 'tanh', recurrent_activation 'sigmoid'.
        unit_forget_bias: initialize the forget-gate bias to 1 (Keras default True).
        Other arguments as :class:`SimpleRNN`; return_state gives [output, h_T, c_T] and
        initial_state is [h_0, c_0].

    Example:
        >>> import numpy as np
        >>> layer = LSTM(128)
        >>> layer(np.zeros((1, 28, 28))).shape
        (1, 128)
        >>> layer.count_params()
        80384
    """

    gates = 4
    n_states = 2

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        base = initializers.get(self._init_config[2])
        if not self.unit_forget_bias:
            return base
        u = self.units

        def init(shape, dtype=None):
            return xp.concatenate([base((u,), dtype), xp.ones((u,), dtype=dtype),
                                   base((2 * u,), dtype)])

        return init

    def _op_kwargs(self):
        return {**super()._op_kwargs(), "recurrent_activation": self.recurrent_activation}

    def _run(self, inputs, states):
        op = R.LSTMFunction(**self._op_kwargs())
        return op(inputs, self.kernel, self.recurrent_kernel, self._bias_tensor(inputs),
                  states[0], states[1])

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "unit_forget_bias": self.unit_forget_bias}


@register_layer
class GRU(_RNN):
    """Gated recurrent unit (Cho et al.), Keras's layout (gates z, r, h) and formulas.

    reset_after=True (default): bias (2, 3u) = [input bias; recurrent bias] and
    hh = tanh(x_h + r * (h_{t-1} @ U_h + b_rec_h)); h_t = z h_{t-1} + (1 - z) hh.
    reset_after=False: bias (3u,), hh = tanh(x_h + (r * h_{t-1}) @ U_h).

    Example:
        >>> import numpy as np
        >>> layer = GRU(8)
        >>> layer(np.zeros((2, 5, 3))).shape
        (2, 8)
        >>> layer.count_params()  # 3*8*(3+8) + 6*8
        312
    """

    gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        self.reset_after = bool(reset_after)
        super().__init__(units, **kwargs)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _op_kwargs(self):
        return {**super()._op_kwargs(), "recurrent_activation": self.recurrent_activation}

    def _run(self, inputs, states):
        op = R.GRUFunction(self.reset_after, **self._op_kwargs())
        return op(inputs, self.kernel, self.recurrent_kernel, self._bias_tensor(inputs),
                  states[0])

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "reset_after": self.reset_after}


# ------------------------------------------------------------------------ wrappers
_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


@register_layer
class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    The backward copy has ``go_backwards`` flipped; with return_sequences its outputs are
    reversed back into time order before merging (Keras). Weights: the forward layer's, then
    the backward layer's.

    Args:
        layer: a SimpleRNN, LSTM or GRU instance.
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave' or None (a list of both outputs).
        backward_layer: optional explicit backward layer.

    Example:
        >>> import numpy as np
        >>> Bidirectional(LSTM(4, return_sequences=True))(np.zeros((2, 5, 3))).shape
        (2, 5, 8)
    """

    def __init__(self, layer, merge_mode="concat", backward_layer=None, weights=None, **kwargs):
        if isinstance(layer, dict):
            layer = deserialize(layer)
        if not isinstance(layer, _RNN):
            raise GlassnetValueError(
                f"Bidirectional: expected a SimpleRNN, LSTM or GRU layer, got {layer!r}"
            )
        super().__init__(**kwargs)
        if merge_mode not in _MERGE_MODES:
            raise GlassnetValueError(f"Layer '{self.name}': merge_mode must be one of "
                                     f"{_MERGE_MODES}, got {merge_mode!r}")
        self.merge_mode = merge_mode
        if isinstance(backward_layer, dict):
            backward_layer = deserialize(backward_layer)
        if backward_layer is None:
            config = layer.get_config()
            config.update(name=f"backward_{layer.name}", go_backwards=not layer.go_backwards)
            backward_layer = type(layer).from_config(config)
        self.forward_layer = layer
        self.backward_layer = backward_layer
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self._initial_weights = weights

    def build(self, input_shape):
        self.forward_layer._maybe_build(input_shape)
        self.backward_layer._maybe_build(input_shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)

    def compute_mask(self, inputs, mask=None):
        """As the wrapped layer: the mask stays with return_sequences."""
        return mask if self.return_sequences else None

    def call(self, inputs, initial_state=None, training=False, mask=None):
        states_f = states_b = None
        if initial_state is not None:
            half = len(initial_state) // 2
            states_f, states_b = initial_state[:half], initial_state[half:]
        yf = self.forward_layer(inputs, initial_state=states_f, training=training, mask=mask)
        yb = self.backward_layer(inputs, initial_state=states_b, training=training, mask=mask)
        extra_f = extra_b = []
        if self.return_state:
            yf, extra_f = yf[0], yf[1:]
            yb, extra_b = yb[0], yb[1:]
        if self.return_sequences:
            yb = yb[:, ::-1]
        if self.merge_mode == "concat":
            out = concat([yf, yb], axis=-1)
        elif self.merge_mode == "sum":
            out = yf + yb
        elif self.merge_mode == "mul":
            out = yf * yb
        elif self.merge_mode == "ave":
            out = (yf + yb) * 0.5
        else:
            out = [yf, yb]
        if self.return_state:
            return (out if isinstance(out, list) else [out]) + list(extra_f) + list(extra_b)
        return out

    def get_config(self):
        return {**super().get_config(), "layer": serialize(self.forward_layer),
                "merge_mode": self.merge_mode,
                "backward_layer": serialize(self.backward_layer)}


@register_layer
class TimeDistributed(Layer):
    """Applies a layer to every timestep: (N, T, ...) -> layer on (N*T, ...) -> (N, T, ...).

    Example:
        >>> import numpy as np
        >>> from glassnet.layers.core import Dense
        >>> TimeDistributed(Dense(3))(np.zeros((2, 5, 4))).shape
        (2, 5, 3)
    """

    supports_masking = True  # the output keeps the input's timestep mask

    def __init__(self, layer, **kwargs):
        if isinstance(layer, dict):
            layer = deserialize(layer)
        if not isinstance(layer, Layer):
            raise GlassnetValueError(f"TimeDistributed: expected a layer, got {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.input_spec = InputSpec(min_ndim=3)

    def build(self, input_shape):
        self.layer._maybe_build((None,) + tuple(input_shape[2:]))

    def call(self, inputs, training=False):
        n, t = inputs.shape[0], inputs.shape[1]
        y = self.layer(inputs.reshape((n * t,) + tuple(inputs.shape[2:])), training=training)
        return y.reshape((n, t) + tuple(y.shape[1:]))

    def get_config(self):
        return {**super().get_config(), "layer": serialize(self.layer)}

