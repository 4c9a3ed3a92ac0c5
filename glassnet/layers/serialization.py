"""Layers by name: the layer registry, ``serialize``/``deserialize``, and the config helpers.

Every layer class registers itself with ``@register_layer`` (a :class:`glassnet.registry.
Registry` keyed by class name), so ``get_config``/``from_config`` round trips and saved files
find it again; ``glassnet.models`` (Sequential, Model) is imported on the first unknown name.
The helpers :func:`serialize_initializer` and :func:`dense_like_config` write the config entries
that Dense and the convolutions share.
"""

from glassnet import initializers
from glassnet.registry import Registry, exact_name

# class name -> layer class; custom_objects passed to deserialize are searched first
REGISTRY = Registry("layer class", module="layers", name_forms=exact_name,
                    lazy_modules=("glassnet.models",))
LAYERS = REGISTRY.entries


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
    return REGISTRY.register(cls, name=name)


def get_layer_class(class_name, custom_objects=None):
    """The layer class registered under ``class_name`` (``custom_objects`` searched first)."""
    return REGISTRY.lookup(class_name, custom_objects)


def serialize(layer):
    """``{"class_name": ..., "config": ...}`` for a layer (JSON-able).

    Objects a custom layer's ``get_config`` returns as they are (a nested layer, an
    initializer or regularizer instance) are serialized too, as Keras does, so that its
    ``from_config`` can ``layers.deserialize`` them.
    """
    spec = REGISTRY.serialize(layer)
    spec["config"] = _serialize_nested(spec["config"])
    return spec


def _serialize_nested(value):
    if isinstance(value, dict):
        return {key: _serialize_nested(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_serialize_nested(item) for item in value]
    if hasattr(value, "get_config") and not isinstance(value, type):
        from glassnet.layers.base import Layer

        if isinstance(value, Layer):
            return serialize(value)
        from glassnet.saving import serialize_keras_object

        return serialize_keras_object(value)
    return value


def deserialize(spec, custom_objects=None):
    """Re-create a layer from :func:`serialize`'s dict."""
    return REGISTRY.deserialize(spec, custom_objects)


def serialize_initializer(initializer):
    """A JSON-able form of an initializer argument (name, Keras dict, or a callable's name)."""
    if isinstance(initializer, initializers.Initializer):
        return initializers.serialize(initializer)
    if isinstance(initializer, (str, dict)) or initializer is None:
        return initializer
    return getattr(initializer, "__name__", repr(initializer))


def set_dense_like_weights(layer, kernel_initializer, bias_initializer, kernel_regularizer,
                           bias_regularizer, kernel_constraint=None, bias_constraint=None):
    """Resolve and set the kernel/bias arguments Dense-like layers share (the counterpart of
    :func:`dense_like_config`; the raw initializer arguments are kept for serialization)."""
    from glassnet import initializers, regularizers

    layer._init_config = (kernel_initializer, bias_initializer)
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    layer.kernel_constraint, layer.bias_constraint = kernel_constraint, bias_constraint


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
