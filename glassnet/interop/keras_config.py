"""Rebuilding a Keras model's architecture from its JSON config, with glassnet's own layers.

A Keras 3 ``config.json`` nests every object as ``{"module", "class_name", "config",
"registered_name"}`` (plus ``build_config`` per layer and ``shared_object_id`` for shared
objects); a legacy HDF5 ``model_config`` has ``class_name``/``config`` without ``module`` for
the layers, and tf.keras 2 writes ``batch_input_shape`` and list-shaped ``inbound_nodes``
(``[[name, node, tensor, kwargs], ...]``) where Keras 3 writes ``batch_shape`` and
``{"args": [...], "kwargs": {...}}`` with ``__keras_tensor__`` references. All of these are read.

Each layer class is looked up in ``custom_objects`` first (by ``registered_name`` or class
name), then in glassnet's layer registry, never imported by a name read from the file; a
``Lambda`` (Python code) or an unknown class raises :class:`FileFormatError` naming the layer.
Keras config keys a glassnet layer does not take are mapped deliberately
(:data:`NEUTRAL_KEYS` are dropped whatever their value: they do not change what the model
computes; :data:`NEUTRAL_DEFAULTS` are dropped only at their default value); any other value
is refused with an error naming the layer, the key and the value, rather than silently giving
different results.

Before any weight is allocated, every ``add_weight`` call of a layer is checked against the
shape of the corresponding array in the file (``expected`` below), so a config with
``units=10**9`` fails with a FileFormatError instead of exhausting memory.

Example:
    >>> from glassnet.interop.keras_config import build_model
    >>> spec = {"class_name": "Sequential", "config": {"name": "tiny", "layers": [
    ...     {"class_name": "InputLayer", "config": {"batch_shape": [None, 3]}},
    ...     {"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": "float32",
    ...                                        "trainable": True}}]}}
    >>> model = build_model(spec, "tiny.h5", expected={"d": [(3, 2), (2,)]})
    >>> model.output_shape
    (None, 2)
"""

import inspect

from glassnet.archive import fail as _fail

MAX_DEPTH = 64  # nesting of config dicts/lists (a hostile file can nest without end)
MAX_LAYERS = 10_000

# Keras config keys that never change what a layer computes (dropped whatever their value).
NEUTRAL_KEYS = {
    "shared_object_id", "build_config", "compile_config", "seed", "unroll", "implementation",
    "synchronized", "lora_alpha", "optional", "zero_output_for_mask", "input_axes",
    "output_axes", "use_cudnn", "autocast",
    "renorm_momentum",  # used only with renorm=True, which is refused
}
# Keys dropped only at these values (any other value changes the results: refused).
NEUTRAL_DEFAULTS = {
    "quantization_config": None, "lora_rank": None, "sparse": False, "ragged": False,
    "stateful": False, "time_major": False, "go_backwards": False, "return_state": False,
    "mask_zero": False, "data_format": "channels_last", "kernel_constraint": None,
    "bias_constraint": None, "recurrent_constraint": None, "embeddings_constraint": None,
    "beta_constraint": None, "gamma_constraint": None, "dropout": 0.0,
    "recurrent_dropout": 0.0, "activity_regularizer": None, "renorm": False,
    "renorm_clipping": None, "virtual_batch_size": None, "adjustment": None,
    "keepdims": False, "groups": 1, "noise_shape": None, "dilation_rate": "ones",
    "use_gate": False, "flash_attention": None, "attention_axes": None, "output_shape": None,
    "sliding_window": None,
}
MODEL_CLASSES = ("Sequential", "Functional", "Model")


def _refuse(path, message):
    return _fail(path, message)


def strip(value, path, depth=0):
    """Keras's nested object dicts without ``module``/``registered_name``/
    ``shared_object_id`` (``__tuple__`` becomes a tuple), checked for depth."""
    if depth > MAX_DEPTH:
        raise _refuse(path, f"the config nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, list):
        return [strip(item, path, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "__tuple__" and isinstance(value.get("config"), dict):
        return tuple(strip(item, path, depth + 1) for item in value["config"].get("value", []))
    if "class_name" in value and "config" in value:
        return {"class_name": value["class_name"],
                "config": strip(value["config"], path, depth + 1)}
    return {key: strip(item, path, depth + 1) for key, item in value.items()
            if key != "shared_object_id"}


def _dtype_name(value, where, path):
    if isinstance(value, dict):
        value = (value.get("config") or {}).get("name")
    if value is None:
        return None
    if value not in ("float32", "float64", "float16"):
        raise _refuse(path, f"{where}: dtype policy {value!r} is not supported (glassnet "
                            "computes in one float dtype: float32 or float64)")
    return value


def _accepted(cls):
    """The keyword arguments ``cls(...)`` takes (its own and the base Layer's)."""
    from glassnet.layers.base import Layer

    names, open_ended = set(), True
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        names.update(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                               p.KEYWORD_ONLY))
        open_ended = any(p.kind == p.VAR_KEYWORD for p in parameters)
        if not open_ended or klass is Layer:
            break
    names.discard("self")
    return names


def _is_default(key, value):
    default = NEUTRAL_DEFAULTS[key]
    if default == "ones":
        values = value if isinstance(value, (list, tuple)) else [value]
        return all(v == 1 for v in values)
    return value == default


def _initializer(value):
    """An initializer argument glassnet accepts (weights are loaded, so only the name of an
    initializer glassnet does not know is lost: it matters only for re-initialization)."""
    from glassnet import initializers

    try:
        initializers.get(value)
        return value
    except (ValueError, TypeError):
        pass
    if isinstance(value, dict):
        name = value.get("class_name")
        try:
            initializers.get(name)
            return name
        except (ValueError, TypeError):
            return None
    return None


def layer_kwargs(cls, config, where, path, custom_objects=None):
    """Keras layer config -> the keyword arguments of glassnet's ``cls`` (see the module).

    A wrapped layer (``Bidirectional``'s and ``TimeDistributed``'s ``layer``) is rebuilt the
    same way, from glassnet's registry.
    """
    from glassnet import regularizers

    accepted = _accepted(cls)
    kwargs = {}
    for key, value in config.items():
        if key == "dtype":
            value = _dtype_name(value, where, path)
        if key in accepted:
            if key in ("layer", "backward_layer") and isinstance(value, dict):
                value = make_layer(value, path, custom_objects)
            elif key.endswith("_initializer"):
                value = _initializer(value)
                if value is None:
                    continue
            elif key.endswith("_regularizer") and value is not None:
                try:
                    value = regularizers.get(value)
                except (ValueError, TypeError) as error:
                    raise _refuse(path, f"{where}: {key}={value!r} cannot be rebuilt "
                                        f"({error})") from None
            elif key in ("activation", "recurrent_activation") and isinstance(value, dict):
                value = value.get("config") if value.get("class_name") == "function" else value
            kwargs[key] = value
        elif key in NEUTRAL_KEYS:
            continue
        elif key in NEUTRAL_DEFAULTS and _is_default(key, value):
            continue
        else:
            shown = repr(value)
            raise _refuse(path, f"{where}: the Keras option {key}={shown[:80]} is not "
                                f"supported by glassnet's {cls.__name__} (loading it anyway "
                                "would change the results)")
    return kwargs


def _layer_class(entry, where, path, custom_objects):
    from glassnet.layers.serialization import REGISTRY
    from glassnet.registry import find_custom_object

    class_name = entry["class_name"]
    for key in (entry.get("registered_name"), class_name):
        if isinstance(key, str) and custom_objects and key in custom_objects:
            return custom_objects[key], True
        found = find_custom_object(key, None, by_short_name=False) if isinstance(key, str) \
            else None
        if found is not None:
            return found, True
    if class_name == "Lambda":
        raise _refuse(path, f"{where} is a Lambda layer: its function is Python code (Keras "
                            "stores it as bytecode), which glassnet never runs; pass "
                            "custom_objects={'Lambda': a layer class} or rebuild that part")
    cls = REGISTRY._find(class_name) if isinstance(class_name, str) else None
    module = getattr(cls, "__module__", "") or ""
    if cls is None or not inspect.isclass(cls) or not module.startswith("glassnet."):
        raise _refuse(path, f"{where}: unknown layer class {class_name!r} (a custom or "
                            "unsupported layer); pass custom_objects={name: class} to load it")
    return cls, False


def make_layer(entry, path, custom_objects=None):
    """A glassnet layer from one Keras layer entry (not built: nothing allocated)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict) or \
            not isinstance(entry.get("class_name"), str):
        raise _refuse(path, f"a layer entry must be an object with 'class_name' and a "
                            f"'config' object, found {str(entry)[:80]!r}")
    config = entry["config"]
    where = f"layer {config.get('name', entry.get('name'))!r} ({entry['class_name']})"
    cls, custom = _layer_class(entry, where, path, custom_objects)
    if custom:
        try:
            return cls.from_config(dict(config))
        except (TypeError, ValueError, KeyError) as error:
            raise _refuse(path, f"{where}: custom class {cls.__name__} cannot be rebuilt "
                                f"({type(error).__name__}: {error})") from None
    kwargs = layer_kwargs(cls, strip(config, path), where, path, custom_objects)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise _refuse(path, f"{where}: invalid config ({type(error).__name__}: {error})") \
            from None


def _input_layer(entry, path):
    from glassnet.layers.core import Input

    config = entry.get("config")
    if not isinstance(config, dict):
        raise _refuse(path, "an InputLayer entry has no 'config' object")
    shape = config.get("batch_shape", config.get("batch_input_shape"))
    if not isinstance(shape, list) or not all(s is None or (isinstance(s, int) and 0 < s < 2**31)
                                              for s in shape):
        raise _refuse(path, f"InputLayer {config.get('name')!r}: batch_shape must be a list of "
                            f"positive integers or null, found {str(shape)[:80]}")
    for key in ("sparse", "ragged"):
        if config.get(key):
            raise _refuse(path, f"InputLayer {config.get('name')!r}: {key} inputs are not "
                                "supported")
    return Input(batch_shape=tuple(shape), dtype=config.get("dtype"), name=config.get("name"))


# --------------------------------------------------------------- weight shape guard
class _Shapes:
    """The file's weight shapes for one top-level layer, consumed in ``add_weight`` order by
    that layer and every layer inside it (a wrapped RNN, a nested model's layers)."""

    def __init__(self, owner, shapes, path):
        self.owner, self.shapes, self.path, self.used = owner, list(shapes), path, 0

    def take(self, layer, probe):
        where = f"layer {self.owner!r}"
        if layer.name != self.owner:
            where += f" (inside it {layer.name!r}, {type(layer).__name__})"
        if self.used >= len(self.shapes):
            raise _refuse(self.path, f"{where}: the config makes weight {self.used} of shape "
                                     f"{probe}, but the file holds only {len(self.shapes)} "
                                     f"weight(s) for it {self.shapes}")
        if probe != tuple(self.shapes[self.used]):
            raise _refuse(self.path, f"{where}: weight {self.used} has shape "
                                     f"{tuple(self.shapes[self.used])} in the file, but the "
                                     f"config makes {probe}")
        self.used += 1

    def finish(self):
        if self.used != len(self.shapes):
            raise _refuse(self.path, f"layer {self.owner!r}: the file holds "
                                     f"{len(self.shapes)} weight(s) {self.shapes}, the config "
                                     f"makes {self.used}")


def _guard(layer, shapes):
    """Make ``layer.add_weight`` check each shape against the file's before allocating."""
    original = layer.add_weight

    def add_weight(name=None, shape=None, *args, **kwargs):
        probe = shape if shape is not None else name
        probe = (int(probe),) if isinstance(probe, int) else tuple(int(s) for s in probe)
        shapes.take(layer, probe)
        return original(name, shape, *args, **kwargs)

    layer.add_weight = add_weight


def _unguard(layer):
    layer.__dict__.pop("add_weight", None)


# ------------------------------------------------------------------ the model
def _model_parts(spec, path):
    if not isinstance(spec, dict):
        raise _refuse(path, f"the model config must be a JSON object, found "
                            f"{type(spec).__name__}")
    class_name, config = spec.get("class_name"), spec.get("config")
    if class_name not in MODEL_CLASSES or not isinstance(config, dict):
        raise _refuse(path, f"the model config must describe a Sequential or functional Model "
                            f"(class_name {class_name!r}, config an object)")
    layers = config.get("layers")
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
        raise _refuse(path, "the model config has no 'layers' list (or an absurd number)")
    return class_name, config, layers


def build_model(spec, path, expected, custom_objects=None):
    """A glassnet Sequential or functional Model from a Keras model config.

    Args:
        spec: ``{"class_name": "Sequential"|"Functional"|"Model", "config": {...}}``.
        path: the file, named in errors.
        expected: ``{layer name: [weight shapes in the file]}``; each layer's weights are
            checked against these before they are allocated.
        custom_objects: ``{name: class}`` for custom layers.
    """
    strip(spec, path)  # depth check of the whole config first
    state = {"expected": expected, "guarded": [], "shapes": [], "shared": None}
    try:
        model = _build(spec, path, custom_objects, state)
        for shapes in state["shapes"]:
            shapes.finish()
    finally:
        for layer in state["guarded"]:
            _unguard(layer)
    return model


def _build(spec, path, custom_objects, state):
    class_name, config, entries = _model_parts(spec, path)
    if class_name == "Sequential":
        return _sequential(config, entries, path, custom_objects, state)
    return _functional(config, entries, path, custom_objects, state)


def _prepared(entry, path, custom_objects, state):
    """One layer (or nested model) of the graph, its weights guarded (see :class:`_Shapes`)."""
    shared = state["shared"]
    name = (entry.get("config") or {}).get("name") if isinstance(entry, dict) else None
    if shared is None:
        shapes = _Shapes(name, state["expected"].get(name, []), path)
        state["shapes"].append(shapes)
    else:
        shapes = shared  # inside a nested model: its layers share the model's weights
    if isinstance(entry, dict) and entry.get("class_name") in MODEL_CLASSES:
        state["shared"] = shapes
        try:
            layer = _build(entry, path, custom_objects, state)
        finally:
            state["shared"] = shared
    else:
        layer = make_layer(entry, path, custom_objects)
        for inner in layer._flatten_layers(include_self=True):
            _guard(inner, shapes)
            state["guarded"].append(inner)
    if shapes.owner is None:
        shapes.owner = layer.name
    return layer


def _sequential(config, entries, path, custom_objects, state):
    from glassnet.layers.core import InputLayer
    from glassnet.models import Sequential

    model = Sequential(name=config.get("name"))
    try:
        for entry in entries:
            if isinstance(entry, dict) and entry.get("class_name") == "InputLayer":
                model.add(_input_layer(entry, path).node.layer)
                continue
            layer = _prepared(entry, path, custom_objects, state)
            shape = (entry.get("config") or {}).get("batch_input_shape")
            if not model.layers and model._input_layer is None and isinstance(shape, list):
                model.add(InputLayer(batch_shape=tuple(shape)))  # tf.keras 2 writes it here
            model.add(layer)
        build = (config.get("build_input_shape")
                 or (config.get("build_config") or {}).get("input_shape"))
        if not model.built and isinstance(build, list):
            model.build(tuple(build))
    except (TypeError, ValueError) as error:
        if type(error).__name__ == "FileFormatError":
            raise
        raise _refuse(path, f"the Sequential model cannot be rebuilt ({type(error).__name__}: "
                            f"{error})") from None
    return model


def _refs(value, path, depth=0):
    """Keras 3 node arguments -> the same structure with (name, node, tensor) tuples."""
    if depth > MAX_DEPTH:
        raise _refuse(path, "inbound_nodes nest too deeply")
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        history = (value.get("config") or {}).get("keras_history")
        if not isinstance(history, list) or len(history) != 3:
            raise _refuse(path, f"a __keras_tensor__ without a keras_history [layer, node, "
                                f"tensor]: {str(value)[:80]}")
        return ("__ref__", *history)
    if isinstance(value, list):
        return [_refs(item, path, depth + 1) for item in value]
    if isinstance(value, dict):
        return {key: _refs(item, path, depth + 1) for key, item in value.items()}
    return value


def _node_call(node, path):
    """(args, kwargs) of one inbound node, in either Keras 3's or tf.keras 2's layout."""
    if isinstance(node, dict):
        args = _refs(node.get("args", []), path)
        kwargs = _refs(node.get("kwargs", {}), path)
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise _refuse(path, "an inbound node's args must be a list and kwargs an object")
        # Keras 3 records call arguments left at their default (mask=None): not passed on
        return args, {key: value for key, value in kwargs.items() if value is not None}
    if isinstance(node, list):  # tf.keras 2: [[name, node, tensor, kwargs], ...]
        refs, kwargs = [], {}
        for item in node:
            if not isinstance(item, list) or len(item) < 3:
                raise _refuse(path, f"an inbound node reference must be [layer, node, "
                                    f"tensor(, kwargs)], found {str(item)[:80]}")
            refs.append(("__ref__", *item[:3]))
            if len(item) > 3 and isinstance(item[3], dict):
                kwargs.update(_refs(item[3], path))
        return [refs[0] if len(refs) == 1 else refs], kwargs
    raise _refuse(path, f"an inbound node must be an object or a list, found "
                        f"{type(node).__name__}")


def _resolve(value, outputs):
    if isinstance(value, tuple) and value and value[0] == "__ref__":
        return outputs[(value[1], value[2])][value[3]] if isinstance(
            outputs[(value[1], value[2])], list) else outputs[(value[1], value[2])]
    if isinstance(value, list):
        return [_resolve(item, outputs) for item in value]
    if isinstance(value, dict):
        return {key: _resolve(item, outputs) for key, item in value.items()}
    return value


def _ready(value, outputs):
    if isinstance(value, tuple) and value and value[0] == "__ref__":
        return (value[1], value[2]) in outputs
    if isinstance(value, list):
        return all(_ready(item, outputs) for item in value)
    if isinstance(value, dict):
        return all(_ready(item, outputs) for item in value.values())
    return True


def _endpoints(value, outputs, path, what):
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        value, single = [value], True
    else:
        single = False
    if not isinstance(value, list) or not value:
        raise _refuse(path, f"the model config's {what} must be a list of [layer, node, "
                            f"tensor]")
    tensors = []
    for ref in value:
        if not isinstance(ref, list) or len(ref) != 3 or (ref[0], ref[1]) not in outputs:
            raise _refuse(path, f"{what} names {str(ref)[:80]}, which is not in the graph")
        tensors.append(_resolve(("__ref__", *ref), outputs))
    return tensors[0] if single else tensors


def _functional(config, entries, path, custom_objects, state):
    from glassnet.models import Model

    outputs, pending, names = {}, [], set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise _refuse(path, f"a layer entry must be an object, found {str(entry)[:80]!r}")
        name = entry.get("name") or (entry.get("config") or {}).get("name")
        if not isinstance(name, str) or name in names:
            raise _refuse(path, f"layer names must be unique strings, found {name!r}")
        names.add(name)
        if entry.get("class_name") == "InputLayer":
            outputs[(name, 0)] = _input_layer(entry, path)
            continue
        layer = _prepared(entry, path, custom_objects, state)
        nodes = entry.get("inbound_nodes", [])
        if not isinstance(nodes, list):
            raise _refuse(path, f"layer {name!r}: inbound_nodes must be a list")
        pending.extend((name, layer, i, *_node_call(node, path)) for i, node in enumerate(nodes))
    try:
        while pending:
            remaining = [item for item in pending if not (
                _ready(item[3], outputs) and _ready(item[4], outputs))]
            if len(remaining) == len(pending):
                raise _refuse(path, f"the layer graph cannot be resolved: layer "
                                    f"{pending[0][0]!r} waits for inputs that no layer makes")
            for name, layer, index, args, kwargs in pending:
                if (name, index) in outputs or not (_ready(args, outputs)
                                                    and _ready(kwargs, outputs)):
                    continue
                result = layer(*_resolve(args, outputs), **_resolve(kwargs, outputs))
                outputs[(name, index)] = list(result) if isinstance(result, (list, tuple)) \
                    else result
            pending = remaining
        inputs = _endpoints(config.get("input_layers"), outputs, path, "input_layers")
        outs = _endpoints(config.get("output_layers"), outputs, path, "output_layers")
        return Model(inputs=inputs, outputs=outs, name=config.get("name"))
    except (TypeError, ValueError, KeyError, IndexError) as error:
        if type(error).__name__ == "FileFormatError":
            raise
        raise _refuse(path, f"the functional model cannot be rebuilt ({type(error).__name__}: "
                            f"{error})") from None
