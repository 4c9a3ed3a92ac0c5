"""Keras's ``keras.saving``: custom-object registration and the general serialization format.

- :func:`register_keras_serializable` records a class or function under ``"package>name"``;
  every registry (layers, losses, activations, ...) and :func:`glassnet.io.load_model` then
  find it, by that full name or by its short name, without being passed ``custom_objects``.
- :class:`custom_object_scope` (also ``CustomObjectScope``) makes a ``{name: object}`` dict
  visible to every lookup inside a ``with`` block; :func:`get_custom_objects` is the live
  global dict of registered objects (``get_custom_objects().clear()`` forgets them).
- :func:`serialize_keras_object` / :func:`deserialize_keras_object` write and read Keras 3's
  dict: ``{"module", "class_name", "config", "registered_name"}``. ``module`` is Keras's public
  path for glassnet's own objects (``"keras.regularizers"``), the class's ``__module__`` for
  yours; ``registered_name`` is None for glassnet's own objects, ``"package>name"`` (or the
  class name) for yours.
- :func:`save_model` / :func:`load_model` are :func:`glassnet.io.save_model` /
  :func:`glassnet.io.load_model`.

Nothing is ever imported by a name read from a file: classes are looked up only in the
registries and the custom objects.

Example:
    >>> import glassnet as gn
    >>> spec = gn.saving.serialize_keras_object(gn.regularizers.L1(0.5))
    >>> spec["module"], spec["class_name"], spec["config"]
    ('keras.regularizers', 'L1', {'l1': 0.5})
    >>> gn.saving.deserialize_keras_object(spec).l1
    0.5
"""

import inspect

import numpy as np

from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.registry import (
    GLOBAL_CUSTOM_NAMES,
    GLOBAL_CUSTOM_OBJECTS,
    custom_objects_in_effect,
    find_custom_object,
    pop_custom_objects,
    push_custom_objects,
)

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "model_from_json",
    "model_to_json",
    "register_keras_serializable",
    "save_model",
    "serialize_keras_object",
]


def register_keras_serializable(package="Custom", name=None):
    """Decorator: register a class or function as ``"package>name"`` for (de)serialization.

    Args:
        package: the first part of the key (default ``"Custom"``).
        name: the second part; default the object's ``__name__``.

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Raises:
        GlassnetTypeError: a class without ``get_config`` (it could not be serialized).

    Example:
        >>> import glassnet as gn
        >>> @gn.saving.register_keras_serializable(package="Doc")
        ... def doubled(x):
        ...     return 2 * x
        >>> gn.saving.get_registered_name(doubled)
        'Doc>doubled'
        >>> gn.saving.get_registered_object("Doc>doubled") is doubled
        True
    """
    if not isinstance(package, str) or not package:
        raise GlassnetTypeError(
            f"register_keras_serializable: package must be a non-empty string, received "
            f"{package!r}"
        )

    def decorator(obj):
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise GlassnetTypeError(
                f"register_keras_serializable: class {obj.__name__} has no get_config() "
                "method, so it cannot be serialized; define get_config()"
            )
        key = f"{package}>{name if name is not None else obj.__name__}"
        GLOBAL_CUSTOM_OBJECTS[key] = obj
        GLOBAL_CUSTOM_NAMES[obj] = key
        return obj

    return decorator


def get_registered_name(obj):
    """``"package>name"`` for a registered object, else its ``__name__``."""
    if obj in GLOBAL_CUSTOM_NAMES:
        return GLOBAL_CUSTOM_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object for ``name`` (as Keras: the scopes and registered objects, then
    ``custom_objects``, then ``module_objects``), or None."""
    in_effect = custom_objects_in_effect()
    for objects in (in_effect, custom_objects, module_objects):
        if objects and name in objects:
            return objects[name]
    return None


def get_custom_objects():
    """The live global ``{"package>name": object}`` dict of registered custom objects.

    Example:
        >>> import glassnet as gn
        >>> objects = gn.saving.get_custom_objects()
        >>> objects is gn.saving.get_custom_objects()
        True
    """
    return GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """``with custom_object_scope({"Name": cls}): ...`` makes the objects visible to lookups.

    Inside the block, every registry lookup (``layers.deserialize``, ``load_model``,
    ``activations.get``...) on this thread sees the given objects first. Scopes nest; the
    innermost wins.

    Args:
        *custom_objects: dicts ``{name: class or function}`` (None entries are ignored).

    Example:
        >>> import glassnet as gn
        >>> def triple(x):
        ...     return 3 * x
        >>> with gn.saving.custom_object_scope({"triple": triple}):
        ...     gn.activations.get("triple") is triple
        True
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            if objects is None:
                continue
            if not isinstance(objects, dict):
                raise GlassnetTypeError(
                    f"custom_object_scope: expected dicts {{name: object}}, received "
                    f"{type(objects).__name__} {objects!r}"
                )
            self.custom_objects.update(objects)

    def __enter__(self):
        push_custom_objects(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        pop_custom_objects()
        return False


custom_object_scope = CustomObjectScope


# ------------------------------------------------------------------ the families
# Keras's public module of each glassnet family; and, for reading, which registry it names.
_KERAS_MODULES = {
    "schedules": "keras.optimizers.schedules",
}
_FAMILIES = {  # keras module -> (glassnet module holding REGISTRY, attribute)
    "keras.layers": ("glassnet.layers.serialization", "REGISTRY"),
    "keras.models": ("glassnet.layers.serialization", "REGISTRY"),
    "keras.losses": ("glassnet.losses", "REGISTRY"),
    "keras.metrics": ("glassnet.metrics", "REGISTRY"),
    "keras.optimizers": ("glassnet.optimizers.base", "REGISTRY"),
    "keras.optimizers.schedules": ("glassnet.schedules", "REGISTRY"),
    "keras.initializers": ("glassnet.initializers", "REGISTRY"),
    "keras.regularizers": ("glassnet.regularizers", "REGISTRY"),
    "keras.activations": ("glassnet.activations", "REGISTRY"),
    "keras.callbacks": ("glassnet.callbacks.base", "REGISTRY"),
}


def _registry(keras_module):
    import importlib

    module_name, attribute = _FAMILIES[keras_module]
    return getattr(importlib.import_module(module_name), attribute)


def _is_glassnet(obj):
    module = getattr(obj, "__module__", "") or ""
    return module == "glassnet" or module.startswith("glassnet.")


def _keras_module(obj):
    """Keras's public module for a glassnet object, else the object's own module."""
    module = getattr(obj, "__module__", None)
    if not _is_glassnet(obj):
        return module
    parts = module.split(".")
    family = parts[1] if len(parts) > 1 else ""
    return _KERAS_MODULES.get(family, f"keras.{family}" if family else "keras")


def _activation_name(function):
    """The activation registry's name of a glassnet function, or None."""
    if not _is_glassnet(function):
        return None
    from glassnet import activations

    return activations.REGISTRY._primary_names.get(function)


def serialize_keras_object(obj):
    """Keras 3's serialized form of ``obj`` (JSON-able; :func:`deserialize_keras_object`
    reverses it).

    - None, booleans, numbers and strings: themselves; lists: lists; dicts: dicts of
      serialized values; tuples: ``{"class_name": "__tuple__", "config": {"value": [...]}}``;
      arrays and Tensors: ``"__numpy__"`` / ``"__tensor__"`` with ``value`` and ``dtype``;
    - a function: ``{"module", "class_name": "function", "config": its name,
      "registered_name"}``;
    - an object with ``get_config``: ``{"module", "class_name", "config": get_config() with
      nested objects serialized, "registered_name"}``.

    Raises:
        GlassnetTypeError: an object that has none of these forms (a lambda, a class...).
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, list):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, tuple):
        return {"class_name": "__tuple__",
                "config": {"value": [serialize_keras_object(item) for item in obj]}}
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": str(obj.dtype)}}
    from glassnet.tensor import Tensor

    if isinstance(obj, Tensor):
        return {"class_name": "__tensor__",
                "config": {"value": obj.data.tolist(), "dtype": str(obj.data.dtype)}}
    if hasattr(obj, "get_config") and not inspect.isclass(obj):
        cls = type(obj)
        custom = not _is_glassnet(cls)
        return {
            "module": _keras_module(cls),
            "class_name": cls.__name__,
            "config": serialize_keras_object(obj.get_config()),
            "registered_name": get_registered_name(cls) if custom else None,
        }
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        if obj.__name__ == "<lambda>":
            raise GlassnetTypeError(
                "serialize_keras_object: a lambda cannot be serialized; define a named "
                "function and register it with register_keras_serializable"
            )
        activation = _activation_name(obj)
        name = activation or obj.__name__
        registered = name if _is_glassnet(obj) else get_registered_name(obj)
        module = "keras.activations" if activation else _keras_module(obj)
        return {"module": module, "class_name": "function", "config": name,
                "registered_name": registered}
    raise GlassnetTypeError(
        f"serialize_keras_object: cannot serialize {type(obj).__name__} {obj!r}: expected "
        "None, a number, a string, a list, tuple or dict, an array, a function or an object "
        "with get_config()"
    )


def _lookup(name, registered_name, module, custom_objects, function=False):
    """The class or function a serialized dict names (custom objects, then registries)."""
    for key in (registered_name, name):
        if isinstance(key, str):
            found = find_custom_object(key, custom_objects, by_short_name=False)
            if found is not None:
                return found
    families = [module] if module in _FAMILIES else list(_FAMILIES)
    if function and module not in _FAMILIES:
        families = ["keras.activations", "keras.losses", "keras.metrics"]
    for family in families:
        registry = _registry(family)
        found = registry._find(name)
        if found is None and registry._lazy_modules:
            found = registry._find(name) if _import_lazy(registry) else None
        if found is not None and (function or inspect.isclass(found)):
            return found
    for key in (registered_name, name):
        if isinstance(key, str):
            found = find_custom_object(key, custom_objects)
            if found is not None:
                return found
    return None


def _import_lazy(registry):
    import importlib

    for module in registry._lazy_modules:
        importlib.import_module(module)
    return True


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Re-create an object from :func:`serialize_keras_object`'s dict.

    The class (or function) is looked up by ``registered_name`` and ``class_name`` in
    ``custom_objects``, the active scopes and the registered objects, then in the registry of
    the family ``module`` names (every family when ``module`` is not one of Keras's); never
    imported. A class is rebuilt with ``from_config(config)``, inside a
    ``custom_object_scope(custom_objects)`` so that nested objects are found too.

    Args:
        config: the serialized form (a dict, or a plain value, returned as is).
        custom_objects: ``{name: class or function}`` searched first.
        safe_mode: accepted for Keras compatibility (nothing is ever executed from a file).
        **kwargs: ``module_objects`` (a further ``{name: object}`` dict) is honoured; other
            Keras arguments are accepted and ignored.

    Raises:
        GlassnetValueError: a dict naming a class or function that is not found.
    """
    module_objects = kwargs.get("module_objects")
    if module_objects:
        custom_objects = {**module_objects, **(custom_objects or {})}
    if isinstance(config, list):
        return [deserialize_keras_object(item, custom_objects) for item in config]
    if isinstance(config, str) and module_objects and config in module_objects:
        return module_objects[config]
    if not isinstance(config, dict):
        return config
    if "class_name" not in config or "config" not in config:
        return {key: deserialize_keras_object(value, custom_objects)
                for key, value in config.items()}
    class_name, inner = config["class_name"], config["config"]
    if class_name == "__tuple__":
        return tuple(deserialize_keras_object(item, custom_objects) for item in inner["value"])
    if class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner.get("dtype"))
    if class_name == "__tensor__":
        from glassnet.tensor import tensor

        return tensor(np.asarray(inner["value"], dtype=inner.get("dtype")))
    module, registered = config.get("module"), config.get("registered_name")
    if class_name == "function":
        found = _lookup(inner, registered, module, custom_objects, function=True)
        if found is None:
            raise GlassnetValueError(
                f"deserialize_keras_object: unknown function {registered or inner!r} "
                f"(module {module!r}); register it with register_keras_serializable or pass "
                "custom_objects={name: function}"
            )
        return found
    found = _lookup(class_name, registered, module, custom_objects)
    if found is None:
        raise GlassnetValueError(
            f"deserialize_keras_object: unknown class {registered or class_name!r} "
            f"(module {module!r}); register it with register_keras_serializable or pass "
            "custom_objects={name: class}"
        )
    if not inspect.isclass(found):
        return found
    arguments = dict(inner or {})
    with CustomObjectScope(custom_objects):
        from_config = getattr(found, "from_config", None)
        if from_config is None:
            return found(**arguments)
        if custom_objects and _accepts(from_config, "custom_objects"):
            return from_config(arguments, custom_objects=custom_objects)
        return from_config(arguments)


def _accepts(function, keyword):
    try:
        return keyword in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def model_to_json(model, **kwargs):
    """Keras's ``model.to_json()``: the architecture as a JSON string, no weights.

    The layout is Keras's: ``{"module", "class_name", "config", "registered_name"}``, the
    config being ``model.get_config()`` (nested layers in their serialized form).

    Args:
        model: a Sequential or functional model (or a subclass with ``get_config``).
        **kwargs: passed to :func:`json.dumps` (``indent=2``...).
    """
    import json

    from glassnet.layers.serialization import serialize

    spec = serialize(model)
    registered = spec.pop("registered_name", None)
    custom = not _is_glassnet(type(model))
    spec = {"module": _keras_module(type(model)), "class_name": spec["class_name"],
            "config": spec["config"],
            "registered_name": (registered or get_registered_name(type(model))) if custom
            else None}
    return json.dumps(spec, default=_json_default, **kwargs)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"model.to_json: {type(value).__name__} {value!r} is not JSON-serializable")


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model (fresh weights) from :func:`model_to_json`'s string.

    Raises:
        GlassnetValueError: the string is not JSON or not a serialized model.
    """
    import json

    from glassnet.layers.serialization import deserialize

    try:
        spec = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise GlassnetValueError(
            f"model_from_json: expected a JSON string from model.to_json(), received "
            f"{str(json_string)[:80]!r} ({error})"
        ) from None
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise GlassnetValueError(
            "model_from_json: expected a JSON object with 'class_name' and 'config', "
            f"received {str(json_string)[:80]!r}"
        )
    with CustomObjectScope(custom_objects):
        return deserialize(spec, custom_objects)


def save_model(model, filepath, overwrite=True, **kwargs):
    """Save a model to one file: :func:`glassnet.io.save_model` (``model.save`` does the same).
    """
    from glassnet import io

    return io.save_model(model, filepath, overwrite=overwrite, **kwargs)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True,  # noqa: A002
               **limits):
    """Load a model written by :func:`save_model`: :func:`glassnet.io.load_model`.

    Registered custom objects and the active ``custom_object_scope`` are found without
    ``custom_objects``.
    """
    from glassnet import io

    return io.load_model(filepath, custom_objects=custom_objects, compile=compile,
                         safe_mode=safe_mode, **limits)  # max_parameters=, max_layers=
