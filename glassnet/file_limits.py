"""Ceilings and checks that make a hostile model file fail cleanly, before anything is allocated.

:func:`glassnet.io.load_model` and ``load_weights`` (and the Keras and safetensors readers)
check what a file *declares* before building a layer or decompressing an array:

- the architecture (``config.json``) is walked iteratively: nesting deeper than
  :data:`MAX_CONFIG_DEPTH`, more than ``max_layers`` layers (default :data:`MAX_LAYERS`),
  integers beyond :data:`MAX_CONFIG_INT`, sizes (``units``, ``filters``, ``input_dim``...)
  that are not integers in ``0..MAX_DIMENSION`` and declared input shapes (``input_shape``,
  ``batch_shape``, ``build_input_shape``...) that are not lists of such integers or hold more
  than :data:`MAX_INPUT_ELEMENTS` elements per sample are refused;
- a lower bound on the parameters the architecture will create (Dense ``units``, Embedding
  ``input_dim * output_dim``, a convolution's ``filters * kernel size``, a recurrent layer's
  ``units**2`` ...) must not exceed what the file's weights hold, read from the ``.npy``
  headers alone; that total must stay within ``max_parameters`` elements (default
  :data:`MAX_PARAMETERS`, 2**30: 4 GiB of float32);
- after the model is built, every header's shape is compared with the model's weight before a
  byte of array data is read or decompressed.

Loaded weights whose dtype differs from the model's are converted only where no value can
change -- a narrower float (float16 -> float32), another byte order, float64 whose values are
all exactly representable -- each with a :class:`UserWarning` naming the layer and weight;
anything else (int64 or bool into a float weight, float64 that would round) is refused.
NaN or infinite weights load with a :class:`RuntimeWarning` naming the weight. (Keras converts
silently; glassnet says so, and refuses what would lose information.)

Example:
    >>> from glassnet import file_limits
    >>> spec = {"class_name": "Dense", "config": {"units": 4}}
    >>> file_limits.check_config(spec, "m.glassnet", "config.json")
    4
"""

import contextlib
import warnings

from glassnet.backend import xp
from glassnet.errors import FileFormatError

#: Default ceiling on the elements all weights of a file may hold (``max_parameters=``).
MAX_PARAMETERS = 2**30
#: Default ceiling on the layers an architecture may declare (``max_layers=``).
MAX_LAYERS = 20_000
#: JSON nesting depth (dicts and lists) an architecture may reach.
MAX_CONFIG_DEPTH = 120
#: The largest integer (in absolute value) a config may hold (seeds fit).
MAX_CONFIG_INT = 2**64
#: The largest single size or dimension.
MAX_DIMENSION = 2**31 - 1
#: The most elements one sample of a declared input shape may have.
MAX_INPUT_ELEMENTS = 2**27

SIZE_KEYS = ("units", "filters", "input_dim", "output_dim", "num_heads", "key_dim",
             "value_dim", "depth_multiplier")
SHAPE_KEYS = ("input_shape", "batch_input_shape", "batch_shape", "build_input_shape",
              "target_shape")
RECURRENT = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1, "ConvLSTM2D": 4}
#: What the parameters of a file (or a model) may fail on while being turned into a model.
RAW_ERRORS = (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError,
              OverflowError, MemoryError, NotImplementedError, ZeroDivisionError)


def fail(path, message):
    return FileFormatError(f"{path}: {message}")


@contextlib.contextmanager
def guard(path, member, stage):
    """Turn a raw Python error raised while ``stage`` runs into a FileFormatError naming
    ``path`` and ``member`` (glassnet's own errors pass through unchanged)."""
    from glassnet.errors import GlassnetError

    try:
        yield
    except FileFormatError:
        raise
    except (GlassnetError, *RAW_ERRORS) as error:
        text = str(error)[:300]
        raise fail(path, f"{member}: {stage} failed ({type(error).__name__}: {text}); the "
                         "file is corrupted or hostile") from None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_shape(shape, path, where):
    """Refuse a declared shape that is not a list of sizes in range or is too large."""
    if shape is None:
        return
    if not isinstance(shape, (list, tuple)):
        raise fail(path, f"{where} must be a list of dimensions, found "
                         f"{type(shape).__name__} {str(shape)[:40]}")
    if shape and all(isinstance(s, (list, tuple)) or s is None for s in shape) and any(
            isinstance(s, (list, tuple)) for s in shape):
        for i, inner in enumerate(shape):  # several inputs
            check_shape(inner, path, f"{where}[{i}]")
        return
    elements = 1
    batched = where.endswith(("batch_input_shape", "batch_shape"))  # build shape: all dims
    for i, size in enumerate(shape):
        if size is None:
            continue
        if not _is_int(size) or not 0 <= size <= MAX_DIMENSION:
            raise fail(path, f"{where} has dimension {str(size)[:40]!r}; expected None or an "
                             f"integer in 0..{MAX_DIMENSION}")
        if i > 0 or not batched:
            elements *= size
    if elements > MAX_INPUT_ELEMENTS:
        raise fail(path, f"{where} {list(shape)} declares {elements} elements per sample, "
                         f"more than the limit {MAX_INPUT_ELEMENTS}")


def _size(config, key, path, where):
    value = config.get(key)
    if value is None:
        return 1
    if isinstance(value, (list, tuple)):
        product = 1
        for item in value:
            product *= _size({key: item}, key, path, where)
        return product
    if not _is_int(value) or not 0 <= value <= MAX_DIMENSION:
        raise fail(path, f"{where}: {key} is {str(value)[:40]!r}; expected an integer in "
                         f"0..{MAX_DIMENSION}")
    return value


def _layer_minimum(class_name, config, path, where):
    """A lower bound on the parameters the layer ``class_name`` with ``config`` creates."""
    for key in SIZE_KEYS:
        _size(config, key, path, where)
    if class_name in ("Embedding",):
        return _size(config, "input_dim", path, where) * _size(config, "output_dim", path,
                                                                where)
    if class_name in RECURRENT:
        units = _size(config, "units", path, where)
        return RECURRENT[class_name] * units * units
    if class_name.startswith("Conv") and "filters" in config:  # kernel: filters*k*channels
        return _size(config, "filters", path, where) * _size(config, "kernel_size", path,
                                                              where)
    if class_name == "Dense":  # kernel: input dim * units
        return _size(config, "units", path, where)
    return 0


def check_config(spec, path, member, max_layers=None, extra_shapes=()):
    """Walk an architecture iteratively; return a lower bound on the parameters it declares.

    Args:
        spec: the ``{"class_name", "config"}`` dict (any JSON value is checked).
        path: the file, for messages.
        member: the member holding ``spec`` (``"config.json"``).
        max_layers: ceiling on the layers (default :data:`MAX_LAYERS`).
        extra_shapes: ``(name, shape)`` pairs checked too (the build input shape).

    Returns:
        The lower bound (elements).

    Raises:
        FileFormatError: naming the file, the member and what was wrong.
    """
    max_layers = MAX_LAYERS if max_layers is None else max_layers
    for name, shape in extra_shapes:
        check_shape(shape, path, f"{member} {name}")
    layers = 0
    minimum = 0
    stack = [(spec, 1, "model")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_CONFIG_DEPTH:
            raise fail(path, f"{member} nests deeper than {MAX_CONFIG_DEPTH} levels (at "
                             f"{where[:80]}); refused before building anything")
        if _is_int(value):
            if abs(value) > MAX_CONFIG_INT:
                raise fail(path, f"{member}: {where[:80]} holds an integer of "
                                 f"{value.bit_length()} bits; expected at most "
                                 f"{MAX_CONFIG_INT.bit_length()} bits")
        elif isinstance(value, float) and depth > 1:
            continue
        elif isinstance(value, list):
            stack.extend((item, depth + 1, f"{where}[{i}]") for i, item in enumerate(value))
        elif isinstance(value, dict):
            config = value.get("config")
            class_name = value.get("class_name")
            if isinstance(class_name, str) and isinstance(config, dict):
                if not isinstance(config.get("name", ""), (str, type(None))):
                    raise fail(path, f"{member} {where[:60]} ({class_name}): name must be a "
                                     f"string, found {type(config['name']).__name__}")
                minimum += _layer_minimum(class_name, config, path, f"{member} {where[:60]} "
                                                                    f"({class_name})")
            if isinstance(value.get("layers"), list):
                layers += len(value["layers"])
                if layers > max_layers:
                    raise fail(path, f"{member} declares more than {max_layers} layers "
                                     "(max_layers= raises the limit)")
            for key, item in value.items():
                if key in SHAPE_KEYS and item is not None:
                    check_shape(item, path, f"{member} {where[:60]}.{key}")
                stack.append((item, depth + 1, f"{where}.{key}"))
    return minimum


def check_totals(headers, minimum, path, member, max_parameters=None):
    """Refuse weights whose headers hold more than the ceiling, or fewer elements than the
    architecture needs (``headers``: ``{key: (shape, dtype)}``)."""
    max_parameters = MAX_PARAMETERS if max_parameters is None else max_parameters
    total = sum(_count(shape) for shape, _ in headers.values())
    if total > max_parameters:
        raise fail(path, f"{member} declares {total} weight elements, more than "
                         f"max_parameters={max_parameters} (pass a larger max_parameters= "
                         "to load_model/load_weights for a model this big)")
    if minimum > total:
        raise fail(path, f"config.json declares layers with at least {minimum} parameters, "
                         f"but {member} holds only {total} elements; refused before building")
    return total


def _count(shape):
    count = 1
    for size in shape:
        count *= int(size)
    return count


def check_headers_fit(params, keys, headers, path, member, names=None):
    """Compare the model's weights with the ``.npy`` headers before any data is read."""
    if len(keys) != len(params):
        raise fail(path, f"{member} holds {len(keys)} weight arrays but the model has "
                         f"{len(params)} (expected shapes {[tuple(p.shape) for p in params]})")
    for i, (param, key) in enumerate(zip(params, keys, strict=True)):
        shape = tuple(headers[key][0])
        if shape != tuple(param.shape):
            name = getattr(param, "path", None) or param.name or f"weight {i}"
            saved = f" (saved as {names[i]!r})" if names and i < len(names) else ""
            raise fail(path, f"{member}: weight {i} {name!r}{saved} (array {key!r}) has shape "
                             f"{shape} in the file, the model expects {tuple(param.shape)}")


def _exactly_float(array, target):
    converted = array.astype(target)
    with xp.errstate(all="ignore"):
        same = converted.astype(array.dtype) == array
    return bool(xp.all(same | xp.isnan(array)))


def convert(param, array, path, member, name):
    """The array to store into ``param``: the same dtype, a lossless conversion (warned), or
    a FileFormatError; NaN/inf values are warned about (RuntimeWarning)."""
    target = xp.dtype(param.data.dtype)
    source = array.dtype
    if source != target:
        native = source.newbyteorder("=")
        lossless = None
        if native == target:
            lossless = "another byte order"
        elif target.kind == "f" and source.kind == "f":
            if source.itemsize < target.itemsize:
                lossless = "a narrower float"
            elif _exactly_float(array, target):
                lossless = "values all exactly representable"
        elif target.kind in "iu" and source.kind in "iub" and xp.can_cast(source, target):
            lossless = "a narrower integer"
        if lossless is None:
            raise fail(path, f"{member}: weight {name!r} is stored as {source}, the model "
                             f"holds {target}; converting would change values, so it is "
                             "refused")
        warnings.warn(f"{path}: {member}: weight {name!r} is stored as {source}; converted "
                      f"to the model's {target} ({lossless}: no value changes)", UserWarning,
                      stacklevel=3)
        array = array.astype(target)
    if array.dtype.kind == "f" and not bool(xp.all(xp.isfinite(array))):
        bad = int(array.size - xp.count_nonzero(xp.isfinite(array)))
        warnings.warn(f"{path}: {member}: weight {name!r} holds {bad} NaN or infinite "
                      "value(s); loaded as stored", RuntimeWarning, stacklevel=3)
    return array


def weight_name(param, index):
    return str(getattr(param, "path", None) or getattr(param, "name", None) or
               f"weight {index}")
