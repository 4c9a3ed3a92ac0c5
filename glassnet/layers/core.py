"""Core layers: Dense, Activation, Flatten, Reshape, Dropout, InputLayer / Input, Lambda,
Identity, Masking."""

import contextlib
import inspect
import threading

from glassnet import activations
from glassnet.backend import xp
from glassnet.config import config, get_rng, shard_draw
from glassnet.errors import FileFormatError, GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.layers.base import Layer
from glassnet.layers.input_spec import InputSpec, user_shape
from glassnet.layers.serialization import dense_like_config, register_layer, set_dense_like_weights
from glassnet.layers.symbolic import KerasTensor, Node
from glassnet.ops.dense import dense, dense_activation
from glassnet.ops.nn import DropoutFunction
from glassnet.tensor import Tensor

# ------------------------------------------------------------------------ Dense
# activations computed inside the Dense / Conv op (bias + activation in one pass): their
# names in ops.dense.ACTIVATIONS
FUSED_ACTIVATIONS = {activations.sigmoid: "sigmoid", activations.relu: "relu"}


@register_layer
class Dense(Layer):
    """Fully connected layer: a = f(z), z = x @ kernel + bias (on the last axis of x).

    For one sample this is seed 000's neuron y = f(w . x + b) repeated ``units`` times:
    z_j = sum_i x_i W_ij + b_j. The kernel has shape (input features, units) and the bias
    (units,), as in Keras; inputs of rank > 2 are transformed along their last axis.

    Args:
        units: number of outputs.
        activation: name or callable (default: none, i.e. linear).
        use_bias: whether to add a bias.
        kernel_initializer: default ``"glorot_uniform"``.
        bias_initializer: default ``"zeros"``.
        kernel_regularizer: optional regularizer (``"l2"``, ``L2(1e-4)``...).
        bias_regularizer: optional regularizer.
        activity_regularizer: optional regularizer on the output.
        **kwargs: base Layer arguments (``name``, ``input_shape``, ``dtype``...).

    Example:
        >>> import numpy as np
        >>> layer = Dense(4, activation="relu", input_shape=(3,))
        >>> layer(np.ones((2, 3))).shape
        (2, 4)
        >>> [w.shape for w in layer.get_weights()]
        [(3, 4), (4,)]
    """

    supports_masking = True  # the output keeps the input's timestep mask

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, xp.integer)) or units <= 0:
            raise GlassnetValueError(
                f"Layer '{self.name}': units must be a positive integer, got {units!r}"
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        set_dense_like_weights(self, kernel_initializer, bias_initializer, kernel_regularizer,
                               bias_regularizer)
        self.kernel = self.bias = None

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ShapeError(
                f"Layer '{self.name}': Dense needs inputs of rank >= 2 with a known last "
                f"axis, received shape {input_shape}"
            )
        n_in = input_shape[-1]
        self.kernel = self.add_weight(
            "kernel", (n_in, self.units), self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias", (self.units,), self.bias_initializer, regularizer=self.bias_regularizer
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: n_in})

    def call(self, inputs, training=False):
        bias = self.bias if self.use_bias else None
        if self.activation in FUSED_ACTIVATIONS and not self.record:  # bias + f: one op
            return dense_activation(inputs, self.kernel, bias,
                                    FUSED_ACTIVATIONS[self.activation])
        z = dense(inputs, self.kernel, bias)
        if self.record:  # z is a tensor of its own: its gradient is the delta dL/dz
            self._record_z(z)
        return z if self.activation is activations.linear else self.activation(z)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            **dense_like_config(self),
        }


# ------------------------------------------------------------------------ Activation
@register_layer
class Activation(Layer):
    """Applies an activation function: a = f(x).

    Args:
        activation: name (``"relu"``, ``"softmax"``...) or callable.

    Example:
        >>> import numpy as np
        >>> Activation("relu")(np.array([[-1.0, 2.0]])).numpy()
        array([[0., 2.]], dtype=float32)
    """

    supports_masking = True  # the output keeps the input's timestep mask

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        self._record_z(inputs)
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


# ------------------------------------------------------------------------ Flatten / Reshape
@register_layer
class Flatten(Layer):
    """Flattens each sample: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...).

    Example:
        >>> import numpy as np
        >>> Flatten()(np.zeros((2, 28, 28))).shape
        (2, 784)
    """

    def call(self, inputs):
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(xp.prod(rest, dtype=xp.int64))
        return (input_shape[0], size)


@register_layer
class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch dimension is kept).

    Args:
        target_shape: shape of one sample; one entry may be -1 (inferred).

    Example:
        >>> import numpy as np
        >>> Reshape((3, 4))(np.zeros((2, 12))).shape
        (2, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = (target_shape,) if isinstance(target_shape, int) else target_shape
        target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in target_shape) > 1 or any(
            d == 0 or d < -1 for d in target_shape
        ):
            raise GlassnetValueError(
                f"Layer '{self.name}': target_shape must have positive sizes and at most one "
                f"-1, got {target_shape}"
            )
        self.target_shape = target_shape

    def _resolve(self, sample_shape):
        size = int(xp.prod(sample_shape, dtype=xp.int64))
        known = int(xp.prod([d for d in self.target_shape if d != -1], dtype=xp.int64))
        if -1 in self.target_shape:
            if size % known:
                raise ShapeError(self._mismatch(sample_shape))
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            raise ShapeError(self._mismatch(sample_shape))
        return self.target_shape

    def _mismatch(self, sample_shape):
        return (
            f"Layer '{self.name}': cannot reshape samples of shape {tuple(sample_shape)} "
            f"({int(xp.prod(sample_shape, dtype=xp.int64))} values) to {self.target_shape}"
        )

    def call(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self._resolve(inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        if any(d is None for d in input_shape[1:]):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._resolve(input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


# ------------------------------------------------------------------------ Dropout
@register_layer
class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and scale
    the rest by 1 / (1 - rate), so that E[y] = x; at inference y = x.

    Args:
        rate: fraction of the inputs to drop, in [0, 1).
        noise_shape: shape of the keep/drop mask, broadcast over the input (None entries
            take the input's size), e.g. ``(None, 1, features)`` drops whole features.
        seed: optional seed of a generator private to this layer; by default the mask
            comes from glassnet's global generator (``gn.manual_seed``). Data parallel: each
            rank draws the whole global batch's mask and keeps its rows (``shard_draw``).

    Example:
        >>> import numpy as np
        >>> layer = Dropout(0.5)
        >>> y = layer(np.ones((2, 4)), training=True).numpy()
        >>> sorted(set(y.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
        >>> float(layer(np.ones((2, 4))).numpy().sum())  # inference: identity
        8.0
    """

    supports_masking = True  # the output keeps the input's timestep mask

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise GlassnetValueError(
                f"Layer '{self.name}': rate must be a number in [0, 1), got {rate!r}"
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = xp.random.default_rng(seed) if seed is not None else None

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            if len(self.noise_shape) != len(shape):
                raise ShapeError(
                    f"Layer '{self.name}': noise_shape {self.noise_shape} must have the "
                    f"input's rank {len(shape)} (input shape {shape})"
                )
            pairs = zip(self.noise_shape, shape, strict=True)
            shape = tuple(s if d is None else d for d, s in pairs)
        rng = self._rng if self._rng is not None else get_rng()
        dtype = inputs.dtype if inputs.dtype.kind == "f" else self.dtype
        draw_dtype = dtype if dtype in (xp.float32, xp.float64) else None
        keep = shard_draw(lambda s: rng.random(s, dtype=draw_dtype), shape)  # (global batch)
        mask = (keep >= self.rate).astype(dtype)
        mask *= xp.asarray(1.0 / (1.0 - self.rate), dtype=dtype)
        return DropoutFunction(mask)(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
            "seed": self.seed,
        }


# ------------------------------------------------------------------------ Input
@register_layer
class InputLayer(Layer):
    """The entry point of a functional model: holds the input's shape and dtype.

    Usually made by :func:`Input`. Calling it on data returns the data (as a Tensor).

    Args:
        shape: shape of one sample, without the batch dimension (Keras 2: ``input_shape``).
        batch_size: optional fixed batch size.
        dtype: dtype of the input (``"int32"`` for indices; default float32).
        batch_shape: full shape instead of ``shape`` and ``batch_size``.
        name: the layer's name (default ``input_layer``, numbered).
    """

    cast_inputs = False

    def __init__(
        self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None,
        input_shape=None, batch_input_shape=None, sparse=None, **kwargs,
    ):
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if batch_shape is None:
            if shape is None:
                raise GlassnetValueError("InputLayer: give shape= (or batch_shape=)")
            shape = user_shape(shape, "shape", "Input")
            batch_shape = (batch_size,) + shape
        batch_shape = user_shape(batch_shape, "batch_shape", "Input")
        input_dtype = xp.dtype(dtype if dtype is not None else config.default_float)
        super().__init__(
            name=name,
            dtype=input_dtype if input_dtype.kind == "f" else None,
            batch_input_shape=batch_shape,
            **kwargs,
        )
        self.input_dtype = input_dtype
        self.built = True
        self.input_shape = self.output_shape = batch_shape
        node = Node(self, [])
        node.outputs = KerasTensor(batch_shape, input_dtype, node, 0, name=self.name)
        self._inbound_nodes = [node]

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            "name": self.name,
            "batch_shape": list(self._batch_input_shape),
            "dtype": self.input_dtype.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["batch_shape"] = tuple(config["batch_shape"])
        return cls(**config)


def Input(shape=None, batch_size=None, dtype=None, batch_shape=None, name=None, sparse=None,
          tensor=None):
    """A symbolic input for the functional API: ``Input(shape=(784,))``.

    Args:
        shape: shape of one sample, without the batch dimension.
        batch_size: optional fixed batch size.
        dtype: dtype of the input data (default float32).
        batch_shape: full shape instead of ``shape`` and ``batch_size``.
        name: name of the underlying :class:`InputLayer`.
        sparse: accepted for Keras compatibility; must be falsy.
        tensor: accepted for Keras compatibility; must be None.

    Returns:
        A :class:`~glassnet.layers.base.KerasTensor` to call layers on.

    Example:
        >>> from glassnet.layers.core import Dense, Input
        >>> x = Input(shape=(784,))
        >>> Dense(10)(x).shape
        (None, 10)
    """
    if sparse or tensor is not None:
        raise GlassnetTypeError("Input: sparse inputs and tensor= are not supported")
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype,
                       batch_shape=batch_shape, name=name)
    return layer.output


# ------------------------------------------------------------------------ Lambda
_FUNCTION_MARKER = "__python_function__"  # what a config holds in place of code
_LOADING = threading.local()  # set by load_model: whether and from where a file is read


@contextlib.contextmanager
def lambda_deserialization(safe_mode=True, source=None):
    """While rebuilding layers from ``source`` (a file path): whether Lambda layers may take
    their functions from ``custom_objects`` (``safe_mode=False``). Used by ``load_model``."""
    old = getattr(_LOADING, "state", None)
    _LOADING.state = (bool(safe_mode), source)
    try:
        yield
    finally:
        _LOADING.state = old


def _function_marker(value):
    """A config entry that names a Python callable without storing its code."""
    if not callable(value):
        return value
    return {"class_name": _FUNCTION_MARKER,
            "config": {"name": getattr(value, "__name__", type(value).__name__),
                       "module": getattr(value, "__module__", None)}}


def _is_marker(value):
    return isinstance(value, dict) and value.get("class_name") == _FUNCTION_MARKER


def _accepts(function, name):
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


@register_layer
class Lambda(Layer):
    """Wraps an arbitrary function of tensors as a layer: y = function(x, **arguments).

    Works in memory like any layer. Its config names the function but never holds its
    code, and glassnet never runs code read from a file: loading a model with a Lambda
    layer raises a :class:`~glassnet.errors.FileFormatError` unless ``load_model`` is given
    ``safe_mode=False`` and the function itself in ``custom_objects`` under its name. For a
    layer that saves and loads as is, subclass :class:`Layer` instead.

    Args:
        function: the callable; it receives the layer's input (and ``mask=``/``training=``
            if it takes them) and the ``arguments``.
        output_shape: the output shape without the batch axis (a tuple), or a function of
            the input shape; default: found by calling the function.
        mask: a function ``mask(inputs, previous_mask)`` giving the output mask, or a fixed
            mask; default None (no mask).
        arguments: optional dict of keyword arguments passed to ``function``.

    Example:
        >>> import numpy as np
        >>> layer = Lambda(lambda x, power: x ** power, arguments={"power": 2})
        >>> layer(np.array([[1.0, 3.0]])).numpy()
        array([[1., 9.]], dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise GlassnetTypeError(
                f"Layer '{self.name}' (Lambda): function must be callable, got "
                f"{type(function).__name__}")
        if arguments is not None and not isinstance(arguments, dict):
            raise GlassnetTypeError(
                f"Layer '{self.name}' (Lambda): arguments must be a dict of keyword arguments, "
                f"got {type(arguments).__name__}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self._output_shape = (tuple(output_shape) if isinstance(output_shape, (list, tuple))
                              else output_shape)
        self._passes_mask = _accepts(function, "mask")
        self._passes_training = _accepts(function, "training")

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._passes_mask:
            kwargs["mask"] = mask
        if self._passes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        batch = input_shape[0][0] if input_shape and isinstance(input_shape[0], (list, tuple)) \
            else (input_shape[0] if input_shape else None)
        return (batch,) + self._output_shape

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        output_shape = self._output_shape
        output_shape = list(output_shape) if isinstance(output_shape, tuple) else \
            _function_marker(output_shape)
        mask = self.mask
        if isinstance(mask, (xp.ndarray, Tensor)):
            mask = xp.asarray(getattr(mask, "data", mask)).tolist()
        return {**super().get_config(), "function": _function_marker(self.function),
                "output_shape": output_shape, "mask": _function_marker(mask),
                "arguments": self.arguments}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild from a config: the function (and a callable output_shape or mask) must be
        given in ``custom_objects`` under its name, and, when loading a file, only with
        ``safe_mode=False``."""
        config = dict(config)
        safe_mode, source = getattr(_LOADING, "state", None) or (True, None)
        for key in ("function", "output_shape", "mask"):
            value = config.get(key)
            if not _is_marker(value):
                continue
            name = (value.get("config") or {}).get("name")
            found = (custom_objects or {}).get(name)
            if (safe_mode and source is not None) or found is None:
                config[key] = None
                raise _lambda_refusal(config.get("name", "lambda"), key, name, source,
                                      safe_mode)
            config[key] = found
        if isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        return super().from_config(config)


def _lambda_refusal(layer_name, key, function_name, source, safe_mode):
    """The error for a Lambda layer that cannot be rebuilt without running unknown code."""
    what = f"Layer '{layer_name}' (Lambda) cannot be deserialized safely: its {key} " \
           f"({function_name!r}) is Python code, which glassnet never stores in a file nor " \
           f"executes from one."
    if source is None:
        return GlassnetValueError(
            f"{what} Pass the function itself: from_config(config, "
            f"custom_objects={{{function_name!r}: function}}).")
    how = (f"To rebuild it, pass safe_mode=False to load_model and the function itself in "
           f"custom_objects={{{function_name!r}: function}}")
    if not safe_mode:
        how = f"safe_mode=False was given, but custom_objects has no {function_name!r}: " \
              f"{how[0].lower()}{how[1:]}"
    return FileFormatError(f"{source}: {what} {how}.")


# ------------------------------------------------------------------------ Identity
@register_layer
class Identity(Layer):
    """Returns its input unchanged (a placeholder layer); the mask passes through.

    Example:
        >>> import numpy as np
        >>> Identity()(np.array([[1.0, 2.0]])).numpy()
        array([[1., 2.]], dtype=float32)
    """

    supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


# ------------------------------------------------------------------------ Masking
@register_layer
class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value``: the output mask (read by
    recurrent layers and losses) is ``any(x != mask_value, axis=-1)``, and masked
    timesteps are set to 0 in the output (y = x * mask).

    Args:
        mask_value: the padding value (default 0.0).

    Example:
        >>> import numpy as np
        >>> x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
        >>> Masking()(x)._keras_mask
        array([[ True, False,  True]])
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float, xp.number)):
            raise GlassnetValueError(
                f"Layer '{self.name}' (Masking): mask_value must be a number, got "
                f"{mask_value!r}")
        self.mask_value = float(mask_value)

    def _keep(self, inputs):
        data = inputs.data if isinstance(inputs, Tensor) else xp.asarray(inputs)
        return xp.any(data != self.mask_value, axis=-1, keepdims=True)

    def call(self, inputs):
        return inputs * self._keep(inputs).astype(inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs)[..., 0]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
