"""Opening real Keras files: ``.keras`` archives, legacy ``.h5`` models, ``.weights.h5``.

:func:`glassnet.io.load_model` and ``model.load_weights`` come here when the file is one of
Keras's (:func:`sniff`): an HDF5 file (its first bytes are ``\\x89HDF\\r\\n\\x1a\\n``) or a zip
holding ``config.json`` and ``model.weights.h5`` (Keras 3). The architecture is rebuilt with
glassnet's layers (:mod:`glassnet.interop.keras_config`), every weight shape is checked against
it before anything is allocated, the weights are assigned in Keras's order, and the compile
config (optimizer, loss, metrics by name) is restored where Keras saved one.

Every problem raises :class:`~glassnet.errors.FileFormatError` naming the file and what was
wrong; without ``h5py`` an ImportError says ``pip install "glassnet[io]"``.

Example:
    >>> from glassnet.interop.keras_files import sniff
    >>> sniff(__file__) is None  # a Python file is none of Keras's formats
    True
"""

import contextlib
import io as _io
import json
import os
import warnings
import zipfile

import numpy as np

from glassnet import archive as safe
from glassnet.archive import fail as _fail
from glassnet.interop import hdf5
from glassnet.interop.keras_config import MAX_DEPTH, build_model

KERAS_CONFIG = "config.json"
KERAS_WEIGHTS = "model.weights.h5"
KERAS_MEMBERS = {KERAS_CONFIG, KERAS_WEIGHTS, "metadata.json"}


def sniff(path):
    """``"hdf5"``, ``"keras"`` (a Keras 3 zip archive) or None (another format)."""
    path = os.fspath(path)
    if hdf5.is_hdf5(path):
        return "hdf5"
    try:
        if not zipfile.is_zipfile(path):
            return None
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except Exception:  # noqa: BLE001 - unreadable as a zip: glassnet's reader reports it
        return None
    if KERAS_WEIGHTS in names or (KERAS_CONFIG in names and not names & {
            "model.weights.npz", "model.safetensors"} and "metadata.json" not in names):
        return "keras"
    if KERAS_CONFIG in names and "metadata.json" in names:
        try:  # Keras's metadata.json names its version; glassnet's names its format
            with zipfile.ZipFile(path) as archive, archive.open("metadata.json") as member:
                head = member.read(4096)
        except Exception:  # noqa: BLE001 - a broken member: glassnet's reader reports it
            return None
        if b"keras_version" in head and b"glassnet.model" not in head:
            return "keras"
    return None


def _json(text, what, path):
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _fail(path, f"{what} is not UTF-8 text ({error})") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise _fail(path, f"{what} nests deeper than glassnet reads") from None
    except (TypeError, ValueError) as error:
        raise _fail(path, f"{what} is not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise _fail(path, f"{what} must hold a JSON object, found {type(value).__name__}")
    return value


@contextlib.contextmanager
def _reading(path):
    """Turn what a corrupted HDF5 file makes h5py raise (OSError, RuntimeError, KeyError...)
    and what an inconsistent config makes a layer raise into FileFormatError naming the file."""
    from glassnet.errors import FileFormatError

    try:
        yield
    except (FileFormatError, ImportError, MemoryError):
        raise
    except (OSError, RuntimeError, KeyError, ValueError, TypeError, AttributeError,
            IndexError) as error:
        raise _fail(path, f"corrupted or inconsistent content ({type(error).__name__}: "
                          f"{error})") from None


# ------------------------------------------------------------------ reading the parts
def _read_archive(path):
    """(config dict, h5py.File of model.weights.h5) of a Keras 3 archive."""
    archive = safe.open_archive(path, "Keras model")
    with archive:
        infos = safe.unique_infos(archive, path, "the Keras archive")
        if KERAS_CONFIG not in infos:
            raise _fail(path, f"a Keras archive must hold {KERAS_CONFIG!r} (members: "
                              f"{sorted(infos)[:8]})")
        if KERAS_WEIGHTS not in infos:
            raise _fail(path, f"a Keras archive must hold {KERAS_WEIGHTS!r}: the weights are "
                              f"missing (members: {sorted(infos)[:8]})")
        config = _json(safe.read_member(archive, infos[KERAS_CONFIG], path, safe.MAX_JSON_BYTES),
                       KERAS_CONFIG, path)
        data = safe.read_member(archive, infos[KERAS_WEIGHTS], path, safe.MAX_ARRAYS_BYTES)
    return config, hdf5.open_h5(_io.BytesIO(data), path)


def _keras3_table(root, path, spec):
    """``{layer name: [datasets]}`` of a Keras 3 weights file, for the model config spec."""
    table = hdf5.keras3_weights(root, path)
    if all(name is not None for _, name, _ in table):
        by_name = {}
        for _, name, datasets in table:
            if name in by_name:
                raise _fail(path, f"two weight groups name layer {name!r}")
            by_name[name] = datasets
        return by_name
    # older Keras 3 files: the group key is the snake-cased class name, numbered in layer order
    from glassnet.registry import to_snake_case

    keys, by_key = {}, {key: datasets for key, _, datasets in table}
    config = spec.get("config") if isinstance(spec, dict) else None
    sequential = isinstance(spec, dict) and spec.get("class_name") == "Sequential"
    entries = config.get("layers", []) if isinstance(config, dict) else []
    by_name, used = {}, set()
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or (sequential and entry.get("class_name") ==
                                           "InputLayer"):
            continue
        base = to_snake_case(str(entry.get("class_name")))
        count = keys.get(base, 0)
        keys[base] = count + 1
        key = base if count == 0 else f"{base}_{count}"
        name = (entry.get("config") or {}).get("name", entry.get("name"))
        if key in by_key:
            by_name[name] = by_key[key]
            used.add(key)
    return by_name


def _shapes(table):
    return {name: [tuple(int(s) for s in d.shape) for d in datasets]
            for name, datasets in table.items()}


def _assign(model, table, path, by_order=False):
    """Copy the file's arrays into the model's layers (shapes checked first)."""
    layers = [layer for layer in model.layers if list(layer.weights)]
    named = {layer.name: layer for layer in layers}
    with_weights = {name: d for name, d in table.items() if d}
    if by_order and set(with_weights) != set(named):
        if len(with_weights) != len(layers):
            raise _fail(path, f"the file has weights for {len(with_weights)} layers "
                              f"{sorted(with_weights)[:8]}, the model has {len(layers)} "
                              f"layers with weights {[layer.name for layer in layers][:8]}")
        pairs = list(zip(layers, with_weights.values(), strict=True))
    else:
        missing = sorted(set(with_weights) - set(named))
        if missing:
            raise _fail(path, f"the file has weights for layer(s) {missing[:8]} that the model "
                              f"does not have (its layers: {sorted(named)[:8]})")
        absent = sorted(set(named) - set(with_weights))
        if absent:
            raise _fail(path, f"the file has no weights for layer(s) {absent[:8]}")
        pairs = [(named[name], datasets) for name, datasets in with_weights.items()]
    checked = []
    for layer, datasets in pairs:
        params = list(layer.weights)
        shapes = [tuple(int(s) for s in d.shape) for d in datasets]
        if shapes != [tuple(p.shape) for p in params]:
            raise _fail(path, f"layer {layer.name!r} ({type(layer).__name__}): the file's "
                              f"weights have shapes {shapes}, the layer expects "
                              f"{[tuple(p.shape) for p in params]}")
        checked.append((params, datasets))
    from glassnet.file_limits import convert, weight_name

    updates = []
    for params, datasets in checked:  # dtypes: lossless only, warned; NaN/inf warned
        for i, (param, array) in enumerate(zip(params, hdf5.read_arrays(datasets, path),
                                               strict=True)):
            updates.append((param, convert(param, array, path, "HDF5 dataset",
                                           weight_name(param, i))))
    for param, array in updates:  # all checked first: a bad file changes nothing
        param.data[...] = array


# ------------------------------------------------------------------ compile config
def _compile(model, compile_config, path):
    """Compile with the saved optimizer, loss and metrics; warn and stay uncompiled if any of
    them is not one glassnet knows."""
    from glassnet import optimizers
    from glassnet.interop.keras_config import strip

    try:
        spec = strip(compile_config, path)
        optimizer = spec.get("optimizer") or spec.get("optimizer_config") or "rmsprop"
        if isinstance(optimizer, dict):
            name = optimizer.get("class_name")
            settings = {k: v for k, v in (optimizer.get("config") or {}).items()
                        if k in ("learning_rate", "beta_1", "beta_2", "epsilon", "momentum",
                                 "nesterov", "rho", "amsgrad") and v is not None}
            try:
                optimizer = optimizers.get({"class_name": name, "config": settings})
            except (TypeError, ValueError):
                optimizer = optimizers.get(name)
        metrics = spec.get("metrics") or []
        if isinstance(metrics, list) and len(metrics) == 1 and isinstance(metrics[0], list):
            metrics = metrics[0]
        model.compile(optimizer=optimizer, loss=_named(spec.get("loss")),
                      metrics=[_named(m) for m in metrics] if isinstance(metrics, list)
                      else _named(metrics),
                      loss_weights=spec.get("loss_weights"))
    except (TypeError, ValueError, KeyError) as error:
        warnings.warn(f"{path}: the model was loaded uncompiled: its compile config cannot be "
                      f"restored ({type(error).__name__}: {error})", stacklevel=4)


def _named(value):
    """A Keras loss/metric entry as glassnet takes it (a name, or ``{class_name, config}``)."""
    if isinstance(value, dict) and "class_name" in value:
        from glassnet import losses

        try:
            losses.get(value)
            return value
        except (TypeError, ValueError):
            return value["class_name"]
    if isinstance(value, list):
        return [_named(v) for v in value]
    return value


# ------------------------------------------------------------------ public entry points
def load_keras_model(filepath, custom_objects=None, compile=True):  # noqa: A002
    """Load a Keras ``.keras`` archive or legacy ``.h5`` model as a glassnet model.

    Args:
        filepath: the file (its content decides the format, not its extension).
        custom_objects: ``{name: class}`` for custom layers (they need ``from_config``).
        compile: restore the compile config (optimizer, loss, metrics by name) when the file
            has one; otherwise, or if one of them is unknown to glassnet (a warning says so),
            the model is returned uncompiled.

    Returns:
        A glassnet ``Sequential`` or functional ``Model`` with Keras's weights.

    Raises:
        FileFormatError: truncated, corrupted or hostile file, an unsupported or unknown
            layer (a Lambda), or weights that do not fit the architecture.
        ImportError: ``h5py`` is not installed (``pip install "glassnet[io]"``).
    """
    path = os.fspath(filepath)
    kind = sniff(path)
    if kind == "keras":
        config, root = _read_archive(path)
        spec, compile_config = config, config.get("compile_config")
        with root, _reading(path):
            table = _keras3_table(root, path, spec)
            model = _build(spec, path, table, custom_objects)
    elif kind == "hdf5":
        with hdf5.open_h5(path, path) as root, _reading(path):
            raw = root.attrs.get("model_config")
            if raw is None:
                raise _fail(path, "this HDF5 file has no 'model_config' attribute: it holds "
                                  "weights only; build the model and call "
                                  "model.load_weights(path)")
            spec = _json(raw, "model_config", path)
            training = root.attrs.get("training_config")
            compile_config = None if training is None else _json(training, "training_config",
                                                                 path)
            table = hdf5.legacy_weights(root, path)
            model = _build(spec, path, table, custom_objects)
    else:
        raise _fail(path, "not a Keras file (neither HDF5 nor a zip with config.json and "
                          "model.weights.h5)")
    if compile and compile_config:
        _compile(model, compile_config, path)
    return model


def _build(spec, path, table, custom_objects):
    if not isinstance(spec, dict):
        raise _fail(path, f"the model config must be a JSON object, found "
                          f"{type(spec).__name__}")
    shapes = _shapes(table)
    declared = sum(int(np.prod(shape, dtype=object)) for layer in shapes.values()
                   for shape in layer) * 4
    if declared > safe.MAX_ARRAYS_BYTES:  # a tiny HDF5 file can declare petabytes
        raise _fail(path, f"the weights declare {declared} bytes, more than the limit "
                          f"{safe.MAX_ARRAYS_BYTES}")
    from glassnet import file_limits as limits  # depth, sizes, shapes, layer count, total

    limits.check_config(spec, path, "model config")  # (build_model checks layer by layer)
    limits.check_totals({f"{name}/{i}": (shape, None) for name, layer in shapes.items()
                         for i, shape in enumerate(layer)}, 0, path, "the weights")
    try:
        model = build_model(spec, path, shapes, custom_objects)
    except RecursionError:
        raise _fail(path, f"the model config nests deeper than {MAX_DEPTH} levels") from None
    _assign(model, table, path)
    return model


def load_keras_weights(model, filepath):
    """``model.load_weights`` for Keras's weight files (``.weights.h5``, legacy ``.h5``, or
    the weights inside a ``.keras`` archive), matched by layer name, else in layer order.

    Raises:
        FileFormatError: a corrupted file, or weights that do not fit the model.
    """
    path = os.fspath(filepath)
    if not list(model.weights):
        from glassnet.errors import GlassnetValueError

        raise GlassnetValueError(
            "load_weights: the model has no weights yet; build it first (give the first layer "
            "input_shape=..., call model.build(shape) or call it on data)")
    if sniff(path) == "keras":
        _, root = _read_archive(path)
    else:
        root = hdf5.open_h5(path, path)
    with root, _reading(path):
        if "layers" in root:
            table = hdf5.keras3_weights(root, path)
            by_name = {name: datasets for _, name, datasets in table}
            layer_names = {layer.name for layer in model._flatten_layers(include_self=False)}
            if None in by_name or not set(n for n, d in by_name.items() if d) <= layer_names:
                by_name = _by_keras_keys(model, {key: d for key, _, d in table})
            _assign(model, by_name, path)
        else:
            _assign(model, hdf5.legacy_weights(root, path), path, by_order=True)


def _by_keras_keys(model, by_key):
    """Keras 3's own matching: each layer's group key is its snake-cased class name, numbered
    in the model's layer order (``dense``, ``dense_1``...)."""
    from glassnet.layers.core import InputLayer
    from glassnet.registry import to_snake_case

    sequential = type(model).__name__ == "Sequential"
    counts, by_name = {}, {}
    for layer in model.layers:
        if sequential and isinstance(layer, InputLayer):
            continue
        base = to_snake_case(type(layer).__name__)
        count = counts.get(base, 0)
        counts[base] = count + 1
        key = base if count == 0 else f"{base}_{count}"
        if key in by_key:
            by_name[layer.name] = by_key.pop(key)
    leftover = sorted(key for key, datasets in by_key.items() if datasets)
    if leftover:
        by_name.update({key: by_key[key] for key in leftover})  # reported by _assign
    return by_name
