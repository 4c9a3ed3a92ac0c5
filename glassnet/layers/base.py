"""Layer: the base class of every glassnet layer (and of :class:`glassnet.models.Model`).

A layer owns weights (Tensors made by :meth:`Layer.add_weight`) and maps inputs to outputs in
:meth:`Layer.call`. Calling a layer (``layer(x)``) converts arrays to Tensors of the layer's
dtype, builds the weights on first use from the input's shape (lazy shape inference), checks
later inputs against that shape, runs ``call`` and, when ``layer.record`` is on, keeps what the
glass box shows: the last input, the pre-activation ``z``, the output and, after
``backward()``, the delta dL/dz and the weight gradients (:meth:`Layer.inspect`).

Also here: the layer registry (``@register_layer``, ``serialize``/``deserialize`` by class
name), Keras-style automatic names (``dense``, ``dense_1``...; :func:`clear_session` resets
them), :class:`InputSpec`, the symbolic :class:`KerasTensor` of the functional API, and the
:func:`recording` context manager.
"""

import contextlib
import functools
import inspect as _pyinspect
import re

from glassnet import initializers
from glassnet.backend import xp
from glassnet.config import config, no_grad
from glassnet.errors import (
    GlassnetTypeError,
    GlassnetValueError,
    ShapeError,
    unknown_identifier,
)
from glassnet.tensor import Tensor

# ------------------------------------------------------------------------ registry
LAYERS = {}


def register_layer(cls=None, *, name=None):
    """Class decorator: make a layer class findable by name for ``from_config`` and loading.

    Args:
        cls: the class (when used as ``@register_layer``).
        name: registry key; defaults to the class name (``"Dense"``).

    Returns:
        The class, unchanged.

    Example:
        >>> from glassnet.layers.base import Layer, register_layer, LAYERS
        >>> @register_layer
        ... class Twice(Layer):
        ...     def call(self, inputs):
        ...         return inputs * 2
        >>> LAYERS["Twice"] is Twice
        True
    """

    def decorate(klass):
        LAYERS[name or klass.__name__] = klass
        return klass

    return decorate(cls) if cls is not None else decorate


def get_layer_class(class_name, custom_objects=None):
    """The layer class registered under ``class_name`` (``custom_objects`` searched first)."""
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    if class_name not in LAYERS:
        import glassnet.models  # noqa: F401 - registers Sequential / Model

        if class_name not in LAYERS:
            raise unknown_identifier("layer class", class_name, LAYERS)
    return LAYERS[class_name]


def serialize(layer):
    """``{"class_name": ..., "config": ...}`` for a layer (JSON-able)."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(spec, custom_objects=None):
    """Re-create a layer from :func:`serialize`'s dict."""
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise GlassnetValueError(
            f"deserialize: expected a dict with 'class_name' and 'config', got {spec!r}"
        )
    cls = get_layer_class(spec["class_name"], custom_objects)
    config_ = dict(spec.get("config", {}))
    if custom_objects and hasattr(cls, "from_config"):
        try:
            return cls.from_config(config_, custom_objects=custom_objects)
        except TypeError:
            pass
    return cls.from_config(config_)


# ------------------------------------------------------------------------ names
_NAME_COUNTS = {}


def serialize_initializer(initializer):
    """A JSON-able form of an initializer argument (name, Keras dict, or a callable's name)."""
    if isinstance(initializer, initializers.Initializer):
        return initializers.serialize(initializer)
    if isinstance(initializer, (str, dict)) or initializer is None:
        return initializer
    return getattr(initializer, "__name__", repr(initializer))


def dense_like_config(layer):
    """The config entries Dense and the convolutions share: activation, bias, initializers and
    regularizers (``layer._init_config`` holds the kernel and bias initializer arguments)."""
    from glassnet import activations, regularizers

    return {
        "activation": activations.serialize(layer.activation),
        "use_bias": layer.use_bias,
        "kernel_initializer": serialize_initializer(layer._init_config[0]),
        "bias_initializer": serialize_initializer(layer._init_config[1]),
        "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
        "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
        "activity_regularizer": regularizers.serialize(layer.activity_regularizer),
    }


def to_snake_case(name):
    """``"BatchNormalization"`` -> ``"batch_normalization"``, ``"Conv2D"`` -> ``"conv2d"``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    """Keras's automatic names: the first ``dense``, then ``dense_1``, ``dense_2``..."""
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def clear_session():
    """Reset the automatic layer-name counters (like ``keras.backend.clear_session()``)."""
    _NAME_COUNTS.clear()


# ------------------------------------------------------------------------ shapes
def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def _normalize_shape(shape):
    """A tuple of ints/None (ndarray dims become Python ints)."""
    return tuple(None if d is None else int(d) for d in shape)


def user_shape(shape, argument, owner):
    """A shape given by the user (``input_shape=``, ``Input(shape=)``, ``build()``), checked:
    a tuple of positive integers and None (unknown size), or a clear error naming the argument.
    """
    if isinstance(shape, (int, xp.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise GlassnetTypeError(
            f"{owner}: {argument} must be a tuple of positive integers (None for an unknown "
            f"size), received {type(shape).__name__} {shape!r}"
        )
    for d in shape:
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, xp.integer))):
            raise GlassnetTypeError(
                f"{owner}: {argument} must be a tuple of positive integers (None for an "
                f"unknown size), received {tuple(shape)!r} (the entry {d!r} is a "
                f"{type(d).__name__})"
            )
        if d is not None and d <= 0:
            raise GlassnetValueError(
                f"{owner}: {argument} must be a tuple of positive integers (None for an "
                f"unknown size), received {tuple(shape)!r}"
            )
    return _normalize_shape(shape)


def _as_shape(shape):
    """A shape tuple, or a list of them for several inputs (lists of ints become tuples)."""
    if shape is None or isinstance(shape, tuple):
        return None if shape is None else _normalize_shape(shape)
    if isinstance(shape, list):
        if all(d is None or isinstance(d, int) for d in shape):
            return _normalize_shape(shape)
        return [_normalize_shape(s) for s in shape]
    return shape


def _batchless(shape):
    """``shape`` with the batch dimension replaced by None (for single or several inputs)."""
    if isinstance(shape, list):
        return [_batchless(s) for s in shape]
    shape = _normalize_shape(shape)
    return (None,) + shape[1:] if shape else shape


def _shape_of(inputs):
    if isinstance(inputs, (list, tuple)):
        return [_normalize_shape(x.shape) for x in inputs]
    return _normalize_shape(inputs.shape)


class InputSpec:
    """What a layer accepts: rank limits and fixed sizes of some axes.

    Args:
        ndim: exact rank, or None.
        min_ndim: smallest rank, or None.
        max_ndim: largest rank, or None.
        axes: ``{axis: size}`` (negative axes count from the end), e.g. ``{-1: 784}``.

    Example:
        >>> from glassnet.layers.base import InputSpec
        >>> InputSpec(min_ndim=2, axes={-1: 3}).check("dense", (None, 3))
    """

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None):
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.axes = dict(axes or {})

    def expected(self):
        """A readable description such as ``(..., 784)`` or ``rank 4``."""
        if self.axes and self.ndim is not None:
            dims = ["None"] * self.ndim
            for axis, size in self.axes.items():
                if -self.ndim <= axis < self.ndim:
                    dims[axis] = str(size)
            return f"({', '.join(dims)})"
        if self.axes:
            tail = sorted(a for a in self.axes if a < 0)
            head = sorted(a for a in self.axes if a >= 0)
            parts = [f"axis {a}: {self.axes[a]}" for a in head]
            dims = ["None"] * (-tail[0]) if tail else []
            for a in tail:
                dims[a] = str(self.axes[a])
            body = ", ".join(["..."] + dims) if dims else "..."
            return f"({body})" + (f" with {', '.join(parts)}" if parts else "")
        return self._rank_text()

    def check(self, layer_name, shape):
        """Raise :class:`ShapeError` naming the layer when ``shape`` does not fit."""
        rank = len(shape)
        bad_rank = (
            (self.ndim is not None and rank != self.ndim)
            or (self.min_ndim is not None and rank < self.min_ndim)
            or (self.max_ndim is not None and rank > self.max_ndim)
        )
        if bad_rank:
            raise ShapeError(
                f"Layer '{layer_name}': expected an input of {self._rank_text()} (shape "
                f"{self.expected()}), received an input of rank {rank} with shape {shape}"
            )
        for axis, size in self.axes.items():
            if size is not None and -rank <= axis < rank and shape[axis] not in (None, size):
                raise ShapeError(
                    f"Layer '{layer_name}': expected axis {axis} of the input to have size "
                    f"{size} (input shape {self.expected()}), received an input of shape "
                    f"{shape}"
                )

    def _rank_text(self):
        if self.ndim is not None:
            return f"rank {self.ndim}"
        parts = []
        if self.min_ndim is not None:
            parts.append(f">= {self.min_ndim}")
        if self.max_ndim is not None:
            parts.append(f"<= {self.max_ndim}")
        return "rank " + " and ".join(parts) if parts else "any rank"

    def __repr__(self):
        return (
            f"InputSpec(ndim={self.ndim}, min_ndim={self.min_ndim}, max_ndim={self.max_ndim}, "
            f"axes={self.axes})"
        )


# ------------------------------------------------------------------------ symbolic tensors
class Node:
    """One call of a layer on symbolic inputs (an edge bundle of the functional graph)."""

    def __init__(self, layer, inputs, args=(), kwargs=None):
        self.layer, self.inputs = layer, inputs
        self.args, self.kwargs = tuple(args), dict(kwargs or {})
        self.outputs = None

    @property
    def flat_inputs(self):
        return list(self.inputs) if isinstance(self.inputs, (list, tuple)) else [self.inputs]


class KerasTensor:
    """A symbolic placeholder for the functional API: a shape and dtype, no values.

    Made by :func:`glassnet.layers.Input`; calling a layer on it records a :class:`Node`
    and returns new KerasTensors, from which ``Model(inputs, outputs)`` builds its graph.

    Args:
        shape: full shape, batch dimension first (None where unknown).
        dtype: the dtype values will have.
        node: the :class:`Node` that produced it (its layer and inputs).
        index: which output of that node it is.
        name: optional label.
    """

    def __init__(self, shape, dtype=None, node=None, index=0, name=None):
        self.shape = _normalize_shape(shape)
        self.dtype = xp.dtype(dtype or config.default_float)
        self.node, self.index, self.name = node, index, name

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        origin = f", created_by={self.node.layer.name}" if self.node is not None else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{origin}>"


def _describe_shapes(inputs):
    if isinstance(inputs, (list, tuple)):
        return ", ".join(_describe_shapes(x) for x in inputs)
    return str(tuple(getattr(inputs, "shape", ())))


def _is_symbolic(inputs):
    if isinstance(inputs, KerasTensor):
        return True
    return (
        isinstance(inputs, (list, tuple))
        and len(inputs) > 0
        and all(isinstance(x, KerasTensor) for x in inputs)
    )


# ------------------------------------------------------------------------ call context
_TRAINING_STACK = []  # the training flag of the enclosing layer calls (innermost last)


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


# ------------------------------------------------------------------------ Layer
class Layer:
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
        that a dimension which follows an unknown input dimension stays None).
        """
        if not self.built:
            self._maybe_build(input_shape)
        first = self._dummy_output_shape(input_shape, 1)
        if not self._has_unknown_dims(input_shape, skip_batch=True):
            return self._restore_batch(first, input_shape)
        second = self._dummy_output_shape(input_shape, 2)
        merged = _merge_shapes(first, second)
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
        value = xp.array(value, dtype=dtype, copy=True)
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
        if _is_symbolic(inputs):
            return self._call_symbolic(inputs, args, kwargs)
        inputs = self._convert_inputs(inputs)
        if not self.built:
            self._maybe_build(_shape_of(inputs))
        self._check_input(inputs)
        if training is None:
            training = _TRAINING_STACK[-1] if _TRAINING_STACK else False
        if self._call_has_training:
            kwargs["training"] = training
        mask = kwargs.get("mask", _mask_of(inputs))
        if mask is not None and self._call_has_mask and "mask" not in kwargs:
            kwargs["mask"] = mask  # Keras: a mask made upstream reaches the layers that use it
        self._call_losses = []
        if self.record:
            self._inspect_data = {"input": inputs}
        _TRAINING_STACK.append(bool(training))
        try:
            outputs = self.call(inputs, *args, **kwargs)
        except ShapeError as error:  # e.g. a kernel larger than its input: name this layer
            if str(error).startswith("Layer '"):  # already named (this or an inner layer)
                raise
            raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}): {error} "
                             f"(input shape {_describe_shapes(inputs)})") from None
        finally:
            _TRAINING_STACK.pop()
        if self.output_shape is None and isinstance(outputs, Tensor):
            self.output_shape = _batchless(outputs.shape)
        # (compute_mask only runs where a mask can come out: one came in, or the layer makes
        # its own, like Embedding)
        out_mask = self.compute_mask(inputs, mask) if (
            mask is not None or type(self).compute_mask is not Layer.compute_mask) else None
        if out_mask is not None:
            first = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
            if isinstance(first, Tensor):
                first._keras_mask = out_mask
        if self.activity_regularizer is not None:
            for output in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
                self._call_losses.append(self.activity_regularizer(output))
        if self.record:
            self._finish_record(outputs)
        return outputs

    def _convert_inputs(self, inputs):
        if isinstance(inputs, (list, tuple)) and inputs and all(
            isinstance(x, (Tensor, xp.ndarray)) for x in inputs
        ):
            return [self._to_tensor(x) for x in inputs]
        return self._to_tensor(inputs)

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

    def _call_symbolic(self, inputs, args, kwargs):
        in_shapes = (
            [x.shape for x in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
        )
        if not self.built:
            self._maybe_build(in_shapes)
        self._check_input(list(inputs) if isinstance(inputs, tuple) else inputs)
        out_shape = self.compute_output_shape(in_shapes)
        node = Node(self, inputs, args, kwargs)
        dtype = self.dtype if self.cast_inputs else None
        if isinstance(out_shape, list):
            outputs = [KerasTensor(s, dtype, node, i) for i, s in enumerate(out_shape)]
        else:
            outputs = KerasTensor(out_shape, dtype, node, 0)
        node.outputs = outputs
        self.__dict__.setdefault("_inbound_nodes", []).append(node)
        if self.output_shape is None:
            self.output_shape = out_shape
        return outputs

    @property
    def output(self):
        """The symbolic output (KerasTensor) of this layer's first call in a graph.

        Available for layers of functional models and of built Sequential models, e.g. to
        make a feature extractor: ``Model(model.input, model.layers[0].output)``.
        """
        return self._first_node("output").outputs

    @property
    def input(self):
        """The symbolic input (KerasTensor) of this layer's first call in a graph."""
        node = self._first_node("input")
        return node.outputs if not node.inputs and node.layer is self else node.inputs

    def _first_node(self, what):
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise GlassnetValueError(
                f"Layer '{self.name}' has no symbolic {what}: it was never called on an "
                f"Input() (build the model with an input shape or use the functional API)"
            )
        return nodes[0]

    # ----------------------------------------------------------------- output shapes
    @staticmethod
    def _has_unknown_dims(shape, skip_batch):
        shapes = shape if isinstance(shape, list) else [shape]
        return any(d is None for s in shapes for d in (s[1:] if skip_batch else s))

    def _dummy_output_shape(self, input_shape, fill):
        dtype = self.dtype if self.cast_inputs else xp.int64

        def zeros(shape):
            return Tensor(xp.zeros(tuple(fill if d is None else d for d in shape), dtype))

        dummy = (
            [zeros(s) for s in input_shape] if isinstance(input_shape, list) else zeros(
                input_shape
            )
        )
        kwargs = {"training": False} if self._call_has_training else {}
        with no_grad():
            outputs = self.call(dummy, **kwargs)
        if isinstance(outputs, (list, tuple)):
            return [_normalize_shape(y.shape) for y in outputs]
        return _normalize_shape(outputs.shape)

    @staticmethod
    def _restore_batch(shape, input_shape):
        batch = (input_shape[0] if not isinstance(input_shape, list) else input_shape[0][0])
        if isinstance(shape, list):
            return [(batch,) + tuple(s[1:]) if s else s for s in shape]
        return (batch,) + tuple(shape[1:]) if shape else shape

    # ----------------------------------------------------------------- glass box
    def _record_z(self, z):
        """Called by a layer's ``call`` with its pre-activation ``z`` (only when recording)."""
        if self.record and self._inspect_data is not None:
            if z.requires_grad and z.creator is not None:
                z.retain_grad()
            self._inspect_data["z"] = z

    def _finish_record(self, outputs):
        if isinstance(outputs, Tensor) and outputs.requires_grad and outputs.creator is not None:
            outputs.retain_grad()
        self._inspect_data["output"] = outputs

    def inspect(self):
        """What the layer recorded at its last call (glass box); needs ``record`` on.

        Sign convention: ``'delta'`` is dL/dz, the derivative of the loss with respect to
        the layer's pre-activation z = W^T x + b (``x @ kernel + bias``), as PyTorch and
        Keras gradients are. Seed 001 writes the delta (残差) of an output unit of a sigmoid
        network trained on L = 1/2 sum (t - y)^2 as delta_i = y_i (1 - y_i) (t_i - y_i),
        which is -dL/dz_i (the direction of descent); glassnet's ``'delta'`` is its negative,
        y (1 - y) (y - t), and the hidden rule delta_j = a_j (1 - a_j) sum_k w_kj delta_k
        holds unchanged in either convention.

        Returns:
            A dict of ndarrays (None where not available):
            ``'input'`` the last input (a list for several inputs);
            ``'z'`` the pre-activation (equal to ``'output'`` for layers without activation);
            ``'output'`` the activation a = f(z);
            ``'delta'`` dL/dz after ``backward()`` (None before);
            ``'output_grad'`` dL/da after ``backward()``;
            ``'weights'`` ``{name: array}`` and ``'grads'`` ``{name: dL/dW or None}``.

        Raises:
            GlassnetValueError: when nothing was recorded (recording off or never called).

        Example:
            >>> import numpy as np
            >>> from glassnet.layers.core import Dense
            >>> layer = Dense(2, activation="sigmoid")
            >>> layer.record = True
            >>> layer(np.ones((1, 3))).sum().backward()
            >>> sorted(layer.inspect())
            ['delta', 'grads', 'input', 'output', 'output_grad', 'weights', 'z']
        """
        data = self._inspect_data
        if data is None:
            raise GlassnetValueError(
                f"Layer '{self.name}' has recorded nothing: set layer.record = True (or use "
                f"`with glassnet.layers.recording(model):`) and call it first"
            )

        def array(t):
            if t is None:
                return None
            if isinstance(t, (list, tuple)):
                return [array(x) for x in t]
            return t.data

        def grad(t):
            if isinstance(t, (list, tuple)):
                return [grad(x) for x in t]
            return None if t is None or t.grad is None else t.grad.data

        output = data.get("output")
        z = data.get("z", output)
        return {
            "input": array(data.get("input")),
            "z": array(z),
            "output": array(output),
            "delta": grad(z),
            "output_grad": grad(output),
            "weights": {w.name: w.data for w in self._own_weights()},
            "grads": {
                w.name: (None if w.grad is None else w.grad.data) for w in self._own_weights()
            },
        }

    def clear_record(self):
        """Drop the recorded tensors (frees the graph they keep alive)."""
        self._inspect_data = None

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


def _merge_shapes(first, second):
    if isinstance(first, list):
        return [_merge_shapes(a, b) for a, b in zip(first, second, strict=True)]
    return tuple(a if a == b else None for a, b in zip(first, second, strict=True))


@contextlib.contextmanager
def recording(*layers):
    """Turn on glass-box recording for the given layers/models and everything inside them.

    On exit the previous ``record`` flags come back; what was recorded stays readable with
    ``layer.inspect()``.

    Args:
        *layers: layers or models (a model records all its layers).

    Example:
        >>> import numpy as np
        >>> from glassnet.layers.core import Dense
        >>> from glassnet.layers.base import recording
        >>> layer = Dense(2)
        >>> with recording(layer):
        ...     _ = layer(np.ones((1, 3)))
        >>> layer.inspect()["output"].shape
        (1, 2)
    """
    targets = []
    for layer in layers:
        if isinstance(layer, (list, tuple)):
            for item in layer:
                targets += item._flatten_layers()
        else:
            targets += layer._flatten_layers()
    saved = [(layer, layer.record) for layer in targets]
    for layer in targets:
        layer.record = True
    try:
        yield targets
    finally:
        for layer, flag in saved:
            layer.record = flag
