"""Layer: the base class of every glassnet layer (and of :class:`glassnet.models.Model`).

A layer owns weights (Tensors made by :meth:`Layer.add_weight`) and maps inputs to outputs in
:meth:`Layer.call`. Calling a layer (``layer(x)``) converts arrays to Tensors of the layer's
dtype, builds the weights on first use from the input's shape (lazy shape inference), checks
later inputs against that shape, runs ``call`` and, when ``layer.record`` is on, keeps what the
glass box shows (:meth:`Layer.inspect`).

This module owns the Layer class, its call context (the training flag of enclosing calls) and
Keras-style automatic names (``dense``, ``dense_1``...; :func:`clear_session` resets them).
Layer's other concerns live next door: :mod:`glassnet.layers.input_spec` (InputSpec, shapes),
:mod:`glassnet.layers.symbolic` (KerasTensor, Node, calls on symbolic inputs),
:mod:`glassnet.layers.recording` (the glass box, ``recording()``) and
:mod:`glassnet.layers.serialization` (the layer registry, ``serialize``/``deserialize``).
Their public names are importable from here too, as they were before the split. (At about
600 lines this module is one concept: the Layer life cycle of construction, build, weights,
call and structure, which reads best in one place.)
"""

import functools
import inspect as _pyinspect

from glassnet.backend import xp
from glassnet.config import PerThreadList, config
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.layers.input_spec import (  # noqa: F401 - user_shape re-exported
    InputSpec,
    _as_shape,
    _batchless,
    _describe_shapes,
    _is_shape,
    _merge_shapes,
    _normalize_shape,
    _shape_of,
    user_shape,
)
from glassnet.layers.recording import RecordingMixin, recording  # noqa: F401 - re-exported
from glassnet.layers.serialization import (  # noqa: F401 - re-exported
    LAYERS,
    dense_like_config,
    deserialize,
    get_layer_class,
    register_layer,
    serialize,
    serialize_initializer,
)
from glassnet.layers.symbolic import (  # noqa: F401 - KerasTensor, Node re-exported
    KerasTensor,
    Node,
    SymbolicCallMixin,
    _any_symbolic,
    _is_symbolic,
)
from glassnet.registry import to_snake_case
from glassnet.tensor import Tensor

# ------------------------------------------------------------------------ names
_NAME_COUNTS = {}


def unique_name(base):
    """Keras's automatic names: the first ``dense``, then ``dense_1``, ``dense_2``..."""
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def clear_session():
    """Reset the automatic layer-name counters (like ``keras.backend.clear_session()``)."""
    _NAME_COUNTS.clear()



# ------------------------------------------------------------------------ call context
_TRAINING_STACK = PerThreadList()  # this thread's enclosing layer calls' training flags


def _accepts_training(method, name="training"):
    try:
        parameters = _pyinspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(
        p.kind is p.VAR_KEYWORD for p in parameters.values()
    )


def _mask_of(inputs):
    """The Keras mask travelling with ``inputs`` (a Tensor's ``_keras_mask``), or None."""
    return inputs._keras_mask if isinstance(inputs, Tensor) else None


def _custom_init_args(cls):
    """Names of ``cls.__init__``'s parameters that the base Layer does not handle."""
    if cls.__init__ is Layer.__init__:
        return []
    base = set(_pyinspect.signature(Layer.__init__).parameters)
    return [
        name
        for name, p in _pyinspect.signature(cls.__init__).parameters.items()
        if name not in base and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]



class Layer(RecordingMixin, SymbolicCallMixin):
    """Base class of all layers: weights, lazy build, call, glass-box recording.

    Subclasses implement ``build(input_shape)`` (create weights with :meth:`add_weight`),
    ``call(inputs, training=False)`` (forward on Tensors) and ``get_config()``. Input arrays
    are converted to Tensors of the layer's dtype (float32 unless ``dtype="float64"``);
    a layer whose inputs are integer indices sets the class attribute ``cast_inputs = False``.

    A built layer checks each input: against ``self.input_spec`` if build set one, otherwise
    (for a layer with weights of its own) the rank and the last axis must match the shape it
    was built with; a mismatch raises :class:`~glassnet.errors.ShapeError` naming the layer,
    the expected and the received shape.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: the layer's name; default: the snake-case class name, numbered (``dense_1``).
        dtype: dtype of the weights and of the computation (default float32).
        input_shape: shape of one sample (without batch), e.g. ``(784,)``; lets
            ``Sequential`` build eagerly (like Keras).
        batch_input_shape: full input shape with batch dimension (alternative).
        input_dim: ``input_dim=n`` is short for ``input_shape=(n,)``.
        batch_size: fixed batch size to go with ``input_shape``.
        activity_regularizer: a regularizer applied to the layer's output; its value is
            added to :attr:`losses` at each call.

    Example:
        >>> import numpy as np
        >>> from glassnet.layers.base import Layer
        >>> class Scale(Layer):
        ...     def build(self, input_shape):
        ...         self.scale = self.add_weight("scale", (input_shape[-1],), "ones")
        ...     def call(self, inputs):
        ...         return inputs * self.scale
        >>> layer = Scale()
        >>> layer(np.ones((2, 3))).shape
        (2, 3)
        >>> [w.shape for w in layer.get_weights()]
        [(3,)]
    """

    cast_inputs = True
    supports_masking = False  # True: the output keeps the input's Keras mask (see compute_mask)
    _default_name = None  # overrides the snake-case class name as the automatic name's base

    def __init_subclass__(cls, **kwargs):
        """Wrap a subclass's ``build`` so that calling it directly also marks the layer built."""
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is None or getattr(build, "_marks_built", False):
            return

        @functools.wraps(build)
        def wrapped(self, input_shape=None, *args, **kwargs):
            input_shape = _as_shape(input_shape)
            result = build(self, input_shape, *args, **kwargs)
            self.built = True
            if self.input_shape is None:
                self.input_shape = input_shape
            return result

        wrapped._marks_built = True
        cls.build = wrapped

    def __init__(
        self,
        trainable=True,
        name=None,
        dtype=None,
        input_shape=None,
        batch_input_shape=None,
        input_dim=None,
        batch_size=None,
        activity_regularizer=None,
        **kwargs,
    ):
        if kwargs:
            raise GlassnetTypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) "
                f"{', '.join(repr(k) for k in kwargs)}"
            )
        base = self._default_name or to_snake_case(type(self).__name__)
        self.name = str(name) if name is not None else unique_name(base)
        dtype = xp.dtype(dtype if dtype is not None else config.default_float)
        if dtype.kind != "f":
            raise GlassnetTypeError(
                f"Layer '{self.name}': dtype must be a float type (float32, float64...), "
                f"got {dtype}"
            )
        self.dtype = dtype
        self._trainable = bool(trainable)
        self.built = False
        self.record = False
        self.input_spec = None
        self.input_shape = None
        self.output_shape = None
        self._trainable_vars = []
        self._non_trainable_vars = []
        self._weight_regularizers = []
        self._call_losses = []
        self._inspect_data = None
        self._call_has_training = _accepts_training(self.call)
        self._call_has_mask = _accepts_training(self.call, "mask")
        if activity_regularizer is not None:
            from glassnet import regularizers

            activity_regularizer = regularizers.get(activity_regularizer)
        self.activity_regularizer = activity_regularizer
        owner = f"Layer '{self.name}'"
        if input_dim is not None and input_shape is None:
            input_shape = user_shape(input_dim, "input_dim", owner)
        if batch_input_shape is None and input_shape is not None:
            input_shape = user_shape(input_shape, "input_shape", owner)
            batch_input_shape = (batch_size,) + input_shape
        self._batch_input_shape = (
            user_shape(batch_input_shape, "batch_input_shape", owner)
            if batch_input_shape is not None else None
        )

    # ----------------------------------------------------------------- to override
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch dimension first, None)."""

    def call(self, inputs, training=False):
        """The forward computation on Tensors; the default returns the input unchanged."""
        return inputs

    def compute_mask(self, inputs, mask=None):
        """The mask of this layer's output (Keras): the input's mask when the layer
        ``supports_masking`` (it keeps the timesteps), else None. Embedding makes one
        (``mask_zero``); recurrent layers keep it only with ``return_sequences``."""
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (batch dimension first).

        The default runs :meth:`call` on zeros of that shape (None dims set to 1 and to 2, so
        that a dimension which follows an unknown input dimension stays None; to 64 and 128
        when a window does not fit in 1 step, as for ``Conv1D`` on ``Input((None, 10))``).
        """
        if not self.built:
            self._maybe_build(input_shape)
        unknown = self._has_unknown_dims(input_shape, skip_batch=True)
        fills = (1, 2)
        try:
            first = self._dummy_output_shape(input_shape, 1)
        except ShapeError:  # a window larger than 1 step: unknown lengths tried as 64 and 128
            if not unknown:
                raise
            fills = (64, 128)
            first = self._dummy_output_shape(input_shape, 64)
        if not unknown:
            return self._restore_batch(first, input_shape)
        merged = _merge_shapes(first, self._dummy_output_shape(input_shape, fills[1]))
        if fills[0] == 1:
            try:  # 1 and 2 may agree where the length is unknown (strides 2, 'same')
                merged = _merge_shapes(merged, self._dummy_output_shape(input_shape, 64))
            except ShapeError:
                pass
        return self._restore_batch(merged, input_shape)

    def get_config(self):
        """A JSON-able dict of the constructor arguments (``cls(**config)`` rebuilds it).

        Raises:
            NotImplementedError: for a subclass whose ``__init__`` takes arguments of its own
                but which does not override ``get_config`` (as Keras does).
        """
        if type(self).get_config is Layer.get_config and _custom_init_args(type(self)):
            raise NotImplementedError(
                f"Layer {type(self).__name__} has constructor arguments "
                f"{_custom_init_args(type(self))}; implement get_config() (and from_config if "
                f"needed) to serialize it"
            )
        config_ = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self._batch_input_shape is not None:
            config_["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            from glassnet import regularizers

            config_["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config_

    @classmethod
    def from_config(cls, config):
        """Create a layer from :meth:`get_config`'s dict."""
        config = dict(config)
        if config.get("batch_input_shape") is not None:
            config["batch_input_shape"] = tuple(config["batch_input_shape"])
        return cls(**config)

    # ----------------------------------------------------------------- weights
    def add_weight(
        self,
        name=None,
        shape=None,
        initializer="glorot_uniform",
        trainable=True,
        regularizer=None,
        dtype=None,
        constraint=None,
    ):
        """Create a weight Tensor and register it with this layer.

        Args:
            name: short name (``"kernel"``); the tensor's ``path`` is ``"<layer>/<name>"``.
                (Keras 3 order ``add_weight(shape, ...)`` also works: a tuple first argument
                is taken as the shape.)
            shape: the weight's shape.
            initializer: name, initializer object or callable ``init(shape, dtype)``; None
                means ``"glorot_uniform"``.
            trainable: trainable weights get ``requires_grad=True`` and are updated by
                optimizers; others (moving statistics) are updated in place by the layer.
            regularizer: optional penalty on the weight, added to :attr:`losses`.
            dtype: default: the layer's dtype.
            constraint: optional callable applied to the weight's array after each
                optimizer step (stored as ``tensor.constraint``).

        Returns:
            The new :class:`~glassnet.tensor.Tensor`.
        """
        if shape is None and name is not None and not isinstance(name, str):
            name, shape = None, name
        if shape is None:
            raise GlassnetValueError(f"Layer '{self.name}': add_weight needs a shape")
        shape = (int(shape),) if isinstance(shape, int) else _normalize_shape(shape)
        if any(d is None or d < 0 for d in shape):
            raise ShapeError(
                f"Layer '{self.name}': cannot create weight {name!r} with undefined or "
                f"negative dimensions {shape}; the input's feature dimensions must be known"
            )
        name = name or f"variable_{len(self._trainable_vars) + len(self._non_trainable_vars)}"
        dtype = xp.dtype(dtype if dtype is not None else self.dtype)
        if isinstance(initializer, xp.ndarray):
            value = initializer
        else:
            from glassnet import initializers

            init = initializers.get("glorot_uniform" if initializer is None else initializer)
            value = init(shape, dtype)
        # C order whatever the initializer returned (an orthogonal matrix comes transposed out
        # of its QR): the fused kernels (optimizer updates, recurrent GEMMs) take C-contiguous
        # arrays and fall back to NumPy for others
        value = xp.array(value, dtype=dtype, copy=True, order="C")
        if value.shape != shape:
            raise ShapeError(
                f"Layer '{self.name}': initializer for weight {name!r} returned shape "
                f"{value.shape}, expected {shape}"
            )
        weight = Tensor(value, requires_grad=bool(trainable) and self.trainable, name=name)
        weight.path = f"{self.name}/{name}"
        weight.trainable = bool(trainable) and self.trainable
        weight.created_trainable = bool(trainable)
        weight.constraint = constraint
        (self._trainable_vars if trainable else self._non_trainable_vars).append(weight)
        if regularizer is not None:
            from glassnet import regularizers

            self._weight_regularizers.append((regularizers.get(regularizer), weight))
        return weight

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for weight in self._trainable_vars:
            weight.trainable = value
            weight.requires_grad = value
        for layer in self._sublayers():
            layer.trainable = value

    @property
    def weights(self):
        """All weights: this layer's trainable, then non-trainable, then each sublayer's."""
        result, seen = [], set()
        for weight in self._own_weights():
            if id(weight) not in seen:
                seen.add(id(weight))
                result.append(weight)
        for layer in self._sublayers():
            for weight in layer.weights:
                if id(weight) not in seen:
                    seen.add(id(weight))
                    result.append(weight)
        return result

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for w in self.weights if getattr(w, "trainable", w.requires_grad)]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not getattr(w, "trainable", w.requires_grad)]

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def parameters(self):
        """The trainable weights (PyTorch-style name)."""
        return self.trainable_weights

    def get_weights(self):
        """The weights' values as a list of ndarrays (copies), in :attr:`weights` order."""
        return [w.data.copy() for w in self.weights]

    def set_weights(self, weights):
        """Set the weights from a list of arrays (same order and shapes as get_weights).

        Raises:
            GlassnetValueError: wrong number of arrays (the message lists the expected shapes).
            ShapeError: an array of the wrong shape (names the layer and the weight).
        """
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            expected = [tuple(p.shape) for p in params]
            received = [tuple(xp.shape(w)) for w in weights]
            hint = "" if self.built else " (the layer is not built yet: call it or build it)"
            raise GlassnetValueError(
                f"Layer '{self.name}' ({type(self).__name__}): set_weights expected "
                f"{len(params)} arrays with shapes {expected}, received {len(weights)} arrays "
                f"with shapes {received}{hint}"
            )
        arrays = [xp.asarray(w.data if isinstance(w, Tensor) else w) for w in weights]
        for param, array in zip(params, arrays, strict=True):
            if array.shape != param.shape:
                raise ShapeError(
                    f"Layer '{self.name}' ({type(self).__name__}): weight "
                    f"'{getattr(param, 'path', param.name)}' has shape {param.shape}, "
                    f"received an array of shape {array.shape}"
                )
        for param, array in zip(params, arrays, strict=True):
            param.data[...] = array

    def count_params(self):
        """Number of scalars in all weights (the layer must be built)."""
        if not self.built and not self.weights:
            raise GlassnetValueError(
                f"Layer '{self.name}' is not built yet, so its number of parameters is not "
                f"known: call it on data or build it with an input shape first"
            )
        return int(sum(w.size for w in self.weights))

    def zero_grad(self):
        """Forget the gradients of all weights."""
        for weight in self.weights:
            weight.grad = None

    # ----------------------------------------------------------------- losses
    @property
    def losses(self):
        """Regularization penalties (Tensors): weight regularizers (computed now), activity
        regularizers and ``add_loss`` values from the last call, then the sublayers'."""
        result = list(self._call_losses)
        result += [regularizer(weight) for regularizer, weight in self._weight_regularizers]
        for layer in self._sublayers():
            result += layer.losses
        return result

    def add_loss(self, loss):
        """Add a loss Tensor to :attr:`losses` (kept until this layer's next call)."""
        self._call_losses.append(loss)

    # ----------------------------------------------------------------- calling
    def __call__(self, inputs, *args, training=None, **kwargs):
        if _any_symbolic(inputs, args, kwargs):
            return self._call_symbolic(inputs, args, kwargs)
        inputs = self._convert_inputs(inputs)
        if args:  # several positional tensors (``call(self, targets, logits)``): Tensors too
            args = tuple(self._arg_tensor(a) for a in args)
        if not self.built:
            self._maybe_build(_shape_of(inputs))
        self._check_input(inputs)
        if training is None:
            training = _TRAINING_STACK.items[-1] if _TRAINING_STACK.items else False
        if self._call_has_training:
            kwargs["training"] = training
        mask = kwargs.get("mask", _mask_of(inputs))
        if mask is not None and self._call_has_mask and "mask" not in kwargs:
            kwargs["mask"] = mask  # Keras: a mask made upstream reaches the layers that use it
        elif mask is None and self._call_has_mask and isinstance(inputs, list) and any(
                _mask_of(x) is not None for x in inputs):
            kwargs["mask"] = [_mask_of(x) for x in inputs]  # several inputs: one mask each
        self._call_losses = []
        if self.record:
            self._inspect_data = {"input": inputs}
        _TRAINING_STACK.items.append(bool(training))
        try:
            outputs = self.call(inputs, *args, **kwargs)
        except ShapeError as error:  # e.g. a kernel larger than its input: name this layer
            if str(error).startswith("Layer '"):  # already named (this or an inner layer)
                raise
            raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}): {error} "
                             f"(input shape {_describe_shapes(inputs)})") from None
        finally:
            _TRAINING_STACK.items.pop()
        if self.output_shape is None and isinstance(outputs, Tensor):
            self.output_shape = _batchless(outputs.shape)
        # (compute_mask only runs where a mask can come out: one came in, or the layer makes
        # its own, like Embedding)
        out_mask = self.compute_mask(inputs, mask) if (
            mask is not None or type(self).compute_mask is not Layer.compute_mask) else None
        if out_mask is not None:
            several = isinstance(outputs, (list, tuple))
            if several and isinstance(out_mask, (list, tuple)) and len(out_mask) == len(outputs):
                pairs = zip(outputs, out_mask, strict=True)  # one mask per output
            else:
                pairs = [(outputs[0] if several else outputs, out_mask)]
            for output, output_mask in pairs:
                if isinstance(output, Tensor):
                    output._keras_mask = output_mask
        if self.activity_regularizer is not None:
            for output in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
                self._call_losses.append(self.activity_regularizer(output))
        if self.record:
            self._finish_record(outputs)
        return outputs

    def _convert_inputs(self, inputs):
        if isinstance(inputs, dict):  # dict inputs (a functional model's named inputs)
            return {k: self._convert_inputs(v) for k, v in inputs.items()}
        if isinstance(inputs, (list, tuple)) and inputs and any(
                isinstance(x, (list, tuple, dict)) for x in inputs) and all(
                isinstance(x, (list, tuple, dict, Tensor, xp.ndarray)) for x in inputs):
            return [self._convert_inputs(x) for x in inputs]  # nested inputs
        if isinstance(inputs, (list, tuple)) and inputs and all(
            isinstance(x, (Tensor, xp.ndarray)) for x in inputs
        ):
            return [self._to_tensor(x) for x in inputs]
        return self._to_tensor(inputs)

    def _arg_tensor(self, value):
        """A further positional argument: float arrays as the layer's Tensors, other arrays
        (masks, labels) as Tensors of their own dtype, anything else unchanged."""
        if isinstance(value, xp.ndarray):
            return self._to_tensor(value) if value.dtype.kind == "f" else Tensor(value)
        if isinstance(value, Tensor) and value.data.dtype.kind == "f":
            return self._to_tensor(value)
        return value

    def _to_tensor(self, x):
        """A Tensor; numeric data is cast to the layer dtype when ``cast_inputs`` is set."""
        cast = self.cast_inputs
        if isinstance(x, Tensor):
            if cast and x.data.dtype != self.dtype and x.data.dtype.kind in "biuf":
                return x.astype(self.dtype) if x.requires_grad else Tensor(
                    x.data.astype(self.dtype)
                )
            return x
        if not isinstance(x, xp.ndarray):
            x = xp.asarray(x)
        if cast and x.dtype != self.dtype:
            if x.dtype.kind not in "biuf":
                raise GlassnetTypeError(
                    f"Layer '{self.name}': expected numeric input, got dtype {x.dtype}"
                )
            x = x.astype(self.dtype)
        return Tensor(x)

    def _maybe_build(self, input_shape):
        """Build once, from ``input_shape`` (the batch dimension is replaced by None)."""
        if self.built:
            return
        input_shape = _batchless(input_shape)
        self.build(input_shape)
        self.built = True
        self.input_shape = input_shape

    def _check_input(self, inputs):
        """Check a built layer's input(s) (anything with ``.shape``); layers may override."""
        if isinstance(inputs, dict):
            return
        if isinstance(inputs, list):
            specs = self.input_spec if isinstance(self.input_spec, (list, tuple)) else None
            for i, x in enumerate(inputs):
                if specs is not None and i < len(specs) and specs[i] is not None:
                    specs[i].check(self.name, x.shape)
            return
        shape = inputs.shape
        if isinstance(self.input_spec, InputSpec):
            self.input_spec.check(self.name, shape)
        elif self.input_spec is None and self._own_weights() and _is_shape(self.input_shape):
            expected = self.input_shape
            if len(shape) != len(expected):
                raise ShapeError(
                    f"Layer '{self.name}': expected an input of rank {len(expected)} (shape "
                    f"{expected}), received an input of rank {len(shape)} with shape {shape}"
                )
            if expected and expected[-1] is not None and shape[-1] != expected[-1]:
                raise ShapeError(
                    f"Layer '{self.name}': expected input shape {expected} (last axis "
                    f"{expected[-1]}), received an input of shape {shape}"
                )

    # ----------------------------------------------------------------- structure
    def _own_weights(self):
        return self._trainable_vars + self._non_trainable_vars

    def _sublayers(self):
        """Directly tracked sublayers: Layer attributes and lists/tuples/dicts of Layers."""
        found, seen = [], {id(self)}
        for value in list(vars(self).values()):
            if isinstance(value, Layer):
                candidates = [value]
            elif isinstance(value, (list, tuple)):
                candidates = [v for v in value if isinstance(v, Layer)]
            elif isinstance(value, dict):
                candidates = [v for v in value.values() if isinstance(v, Layer)]
            else:
                continue
            for layer in candidates:
                if id(layer) not in seen:
                    seen.add(id(layer))
                    found.append(layer)
        return found

    def _flatten_layers(self, include_self=True):
        """This layer and all layers below it, depth first."""
        result, seen, stack = [], set(), [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if layer is not self or include_self:
                result.append(layer)
            stack.extend(reversed(layer._sublayers()))
        return result

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"

