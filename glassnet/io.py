"""Saving and loading models and weights without pickle: one zip file, JSON plus ``.npz``.

A model file (``model.save('mnist.glassnet')`` or any name; ``.keras`` works too) is a zip
archive holding exactly these members::

    metadata.json       {"format": "glassnet.model", "format_version": 1, ...}
    config.json         the architecture (class names + configs), the build input shape,
                        the compile arguments, the optimizer config and a weight manifest
    model.weights.npz   every weight, in ``model.weights`` order, as plain numeric arrays
    optimizer.npz       (optional) the optimizer state: slots and ``iterations``
    callbacks.json      (optional) the callbacks' states, ``callback_states`` below
    callbacks.npz       (optional) the arrays those states hold (EarlyStopping's best weights)

A checkpoint (``save_model(..., include_rng_state=True)``, what ``ModelCheckpoint`` writes) also
stores the state of ``glassnet.config.rng`` in config.json (plain JSON integers), and
``load_model`` puts it back, so ``fit(..., initial_epoch=k)`` after loading the epoch-k
checkpoint draws the same shuffles and dropout masks as the uninterrupted run: bit-identical.
ModelCheckpoint adds the callbacks' states, which load_model validates and fit(initial_epoch=k)
hands back (:mod:`glassnet.callbacks.states`).

Nothing in the file can run code: NumPy arrays are read with ``allow_pickle=False``, only the
member names above are accepted (once each), sizes are bounded and every ``.npy`` header is
checked against the bytes actually present before anything is allocated, layer classes are
looked up in glassnet's registry (never imported by name), and every problem -- truncated,
corrupted, another format or version, weights whose shapes do not fit the model -- raises
:class:`FileFormatError` saying what was found and what was expected. Writes are atomic: a
temporary file in the same folder is renamed over the target (``os.replace``), so a crash
never leaves half a file.

Keras's own files are read too: a Keras 3 ``.keras`` archive (a zip with ``config.json`` and
``model.weights.h5``) or an HDF5 file (recognised by its first bytes ``\\x89HDF\\r\\n\\x1a\\n``:
a legacy ``.h5`` model, or ``.weights.h5`` for ``load_weights``) goes to
:mod:`glassnet.interop.keras_files` (which needs ``h5py``: ``pip install "glassnet[io]"``).

Weights alone: ``save_weights(model, 'w.weights.npz')`` (a ``.weights.h5`` name also works; the
content is still ``.npz``) and ``load_weights``. With the optional ``safetensors`` package,
``save_model(..., weights_format='safetensors')`` stores ``model.safetensors`` instead.

Example:
    >>> import glassnet as gn, numpy as np, tempfile, os
    >>> model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,))])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.glassnet")
    >>> model.save(path)
    >>> restored = gn.models.load_model(path)
    >>> bool(np.array_equal(restored.predict(np.ones((1, 3)), verbose=0),
    ...                     model.predict(np.ones((1, 3)), verbose=0)))
    True
"""

import io as _io
import json
import os
import zipfile

from glassnet import archive as safe
from glassnet import file_limits as limits
from glassnet import rng_state
from glassnet.archive import fail as _fail
from glassnet.atomic import atomic_write
from glassnet.backend import xp
from glassnet.errors import FileFormatError, GlassnetValueError
from glassnet.model_archive import (  # noqa: F401  (the format's names, re-exported)
    ALLOWED_MEMBERS,
    CALLBACK_MEMBERS,
    CONFIG,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_KEY,
    METADATA,
    OPTIMIZER_NPZ,
    WEIGHTS_FORMAT,
    WEIGHTS_NPZ,
    WEIGHTS_SAFETENSORS,
)
from glassnet.model_archive import read_model_archive as _read_model_archive


# ============================================================================ writing
def _npz_bytes(arrays):
    """``np.savez`` of a dict of arrays into bytes (plain numeric/str arrays, no pickle)."""
    buffer = _io.BytesIO()
    for key, array in arrays.items():
        if array.dtype.kind not in "biufU":
            raise GlassnetValueError(f"save: cannot store {key!r} of dtype {array.dtype}")
    xp.savez(buffer, **arrays)
    return buffer.getvalue()


def _weight_arrays(model):
    weights = list(model.weights)
    # (reshape: ascontiguousarray makes a 0-d weight, like Attention's scale, 1-d)
    arrays = {f"w{i:05d}": xp.ascontiguousarray(w.data).reshape(w.data.shape)
              for i, w in enumerate(weights)}
    manifest = [
        {"key": f"w{i:05d}", "name": str(getattr(w, "path", None) or w.name or f"weight_{i}"),
         "shape": list(w.shape), "dtype": str(w.data.dtype)}
        for i, w in enumerate(weights)
    ]
    return arrays, manifest


def _serialize_object(obj):
    """A loss or metric for the compile config: its name, or {class_name, config}."""
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, (list, tuple)):
        return [_serialize_object(o) for o in obj]
    if isinstance(obj, dict):
        return {str(k): _serialize_object(v) for k, v in obj.items()}
    if hasattr(obj, "get_config"):
        try:
            config = obj.get_config()
            json.dumps(config)
            return {"class_name": type(obj).__name__, "config": config}
        except (TypeError, ValueError, NotImplementedError):
            pass
    return None  # a plain function: not serializable; the model loads uncompiled for it


def _compile_config(model):
    state = getattr(model, "_compiled_state", None)
    if state is None:
        return None
    config = {
        "loss": _serialize_object(state.loss),
        "metrics": _serialize_object(list(state.metric_specs)),
        "weighted_metrics": _serialize_object(list(state.weighted_metric_specs)),
        "loss_weights": state.loss_weights,
    }
    if state.loss is not None and config["loss"] is None:
        return None
    return config


def _build_shape(model):
    for attribute in ("_build_input_shape", "build_input_shape", "input_shape"):
        try:
            shape = getattr(model, attribute, None)
        except (AttributeError, ValueError):
            shape = None
        if shape is not None:
            return _jsonable_shape(shape)
    return None


def _jsonable_shape(shape):
    if isinstance(shape, (list, tuple)):
        return [_jsonable_shape(s) for s in shape]
    return None if shape is None else int(shape)


def _model_config(model):
    try:
        config = model.get_config()
    except NotImplementedError:
        config = None
    if config is None:
        raise GlassnetValueError(
            f"save: the architecture of {type(model).__name__} cannot be serialized (a "
            "subclassed model without get_config); use model.save_weights(path) instead, "
            "or implement get_config()/from_config()"
        )
    return {"class_name": type(model).__name__, "config": config}


def save_model(model, filepath, overwrite=True, include_optimizer=True, weights_format="npz",
               include_rng_state=False, callback_states=None):
    """Save architecture, weights, compile arguments and optimizer state to one zip file.

    Args:
        model: the model (Sequential, functional, or a subclass with ``get_config``).
        filepath: the file to write (any extension; ``.glassnet`` or ``.keras`` suggested).
        overwrite: replace an existing file (False raises if it exists).
        include_optimizer: also store the optimizer's config and state (to resume training).
        weights_format: 'npz' (default) or 'safetensors' (needs the optional package).
        include_rng_state: also store the state of ``glassnet.config.rng`` and of every
            layer's private generator (``Dropout(seed=...)``), as JSON, which
            :func:`load_model` restores: a checkpoint from which training resumes exactly.
        callback_states: ``CallbackList.callback_states()`` (what ModelCheckpoint passes),
            stored as ``callbacks.json`` (arrays in ``callbacks.npz``); None stores none.
    """
    filepath = os.fspath(filepath)
    if not filepath or os.path.isdir(filepath) or filepath[-1:] in ("/", os.sep, b"/"):
        raise GlassnetValueError(  # before any temporary file is written next to it
            f"save: filepath must name a file (e.g. 'model.glassnet'), received {filepath!r}"
            + (" (a folder)" if filepath and os.path.isdir(filepath) else ""))
    if not overwrite and os.path.exists(filepath):
        raise GlassnetValueError(f"save: {filepath!r} exists and overwrite=False")
    if weights_format not in ("npz", "safetensors"):
        raise GlassnetValueError(
            f"save: weights_format must be 'npz' or 'safetensors', received {weights_format!r}"
        )
    arrays, manifest = _weight_arrays(model)
    config = {
        "model": _model_config(model),
        "build_input_shape": _build_shape(model),
        "weights": manifest,
        "compile_config": _compile_config(model),
        "optimizer": None,
    }
    if include_rng_state:
        config["rng_state"], config["layer_rng_states"] = rng_state.capture(model)
    members = {}
    if weights_format == "safetensors":
        try:
            from safetensors.numpy import save as safetensors_save
        except ImportError:
            raise GlassnetValueError(
                "save: weights_format='safetensors' needs the optional package "
                "(pip install 'glassnet[io]')"
            ) from None
        members[WEIGHTS_SAFETENSORS] = safetensors_save(arrays)
    else:
        members[WEIGHTS_NPZ] = _npz_bytes(arrays)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and hasattr(optimizer, "get_state"):
        state = optimizer.get_state()
        keys = sorted(state)
        config["optimizer"] = {
            "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(),
            "state_keys": {f"s{i:05d}": key for i, key in enumerate(keys)},
            "param_order": _optimizer_param_order(model, optimizer),
        }
        members[OPTIMIZER_NPZ] = _npz_bytes(
            {f"s{i:05d}": xp.asarray(state[key]) for i, key in enumerate(keys)})
    if callback_states is not None:
        from glassnet.callbacks.states import states_members

        members.update(states_members(callback_states, _npz_bytes))
    from glassnet import __version__

    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "glassnet_version": __version__, "weights_format": weights_format}
    members = {METADATA: json.dumps(metadata, indent=1).encode(),
               CONFIG: json.dumps(config, indent=1).encode(), **members}

    def write(stream):
        with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)

    atomic_write(filepath, write)


def _optimizer_param_order(model, optimizer):
    """Positions (in model.weights) of the parameters in the optimizer's state order."""
    params = getattr(optimizer, "_params", None)
    if params is None:
        return None
    index = {id(w): i for i, w in enumerate(model.weights)}
    order = [index.get(id(p)) for p in params]
    return None if any(i is None for i in order) else order


# ============================================================================ reading
def _assign_weights(model, arrays, path, manifest_names=None, member=WEIGHTS_NPZ):
    """Set model.weights from arrays, raising FileFormatError on any count/shape/dtype
    mismatch (lossless conversions and NaN/inf values are warned about: file_limits)."""
    params = list(model.weights)
    if len(arrays) != len(params):
        raise _fail(path, f"the file holds {len(arrays)} weight arrays but the model has "
                          f"{len(params)} (expected shapes {[tuple(p.shape) for p in params]}, "
                          f"found {[tuple(a.shape) for a in arrays]})")
    converted = []
    for i, (param, array) in enumerate(zip(params, arrays, strict=True)):
        name = limits.weight_name(param, i)
        if tuple(array.shape) != tuple(param.shape):
            saved = f" (saved as {manifest_names[i]!r})" if manifest_names else ""
            raise _fail(path, f"weight {i} {name!r}{saved} has shape {tuple(array.shape)} in "
                              f"the file, the model expects {tuple(param.shape)}")
        if array.dtype.kind not in "biuf":
            raise _fail(path, f"weight {i} has non-numeric dtype {array.dtype}")
        converted.append(limits.convert(param, array, path, member, name))
    for param, array in zip(params, converted, strict=True):
        param.data[...] = array


def _ensure_built(model, shape):
    if getattr(model, "built", False) and list(model.weights):
        return
    if shape is None:
        return
    shape = tuple(shape)
    if hasattr(model, "build"):
        try:
            model.build(shape)
            if list(model.weights):
                return
        except (TypeError, ValueError, NotImplementedError):
            pass
    if shape and all(isinstance(s, int) for s in shape[1:]):
        from glassnet.config import no_grad

        with no_grad():
            model(xp.zeros((1, *shape[1:]), dtype=xp.float32))


def _deserialize_optional(spec, kind):
    """A loss or metric from its saved form; None where it cannot be rebuilt."""
    if spec is None:
        return None
    if isinstance(spec, list):
        return [_deserialize_optional(s, kind) for s in spec]
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict) and "class_name" in spec:
        if kind == "loss":
            from glassnet import losses

            return losses.get(spec)
        from glassnet import metrics

        cls = metrics.METRICS.get(spec["class_name"])
        if cls is None:
            return None
        return cls.from_config(spec.get("config") or {})
    if isinstance(spec, dict):
        return {k: _deserialize_optional(v, kind) for k, v in spec.items()}
    return None


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, *,
               max_parameters=None, max_layers=None):
    """Load a model written by :func:`save_model` (architecture, weights, optimizer state).

    A Keras file (a ``.keras`` archive or a legacy ``.h5`` model, recognised by its content)
    is read by :func:`glassnet.interop.keras_files.load_keras_model` (which needs ``h5py``).

    Args:
        filepath: the file.
        custom_objects: ``{class name: class}`` for your own layer classes (classes
            registered with ``glassnet.saving.register_keras_serializable`` and those of an
            active ``custom_object_scope`` are found without it).
        compile: re-compile the model with the saved loss/metrics/optimizer (and restore the
            optimizer state) when they were saved.
        safe_mode: loading never executes code read from the file. A ``Lambda`` layer's
            function is Python code and is never stored, so a model with one only loads with
            ``safe_mode=False`` and the function given in ``custom_objects`` under its name
            (otherwise a FileFormatError says so).
        max_parameters: refuse files whose weights hold more elements (default
            ``glassnet.file_limits.MAX_PARAMETERS``, 2**30); checked from the ``.npy`` headers
            and the architecture before anything is built (see :mod:`glassnet.file_limits`).
        max_layers: refuse architectures with more layers (default ``MAX_LAYERS``, 20,000).

    Returns:
        The model, with the saved weights. A checkpoint saved with ``include_rng_state=True``
        also restores ``glassnet.config.rng``, so training resumes bit-identically.

    Raises:
        FileFormatError: the file is truncated, corrupted, of another format or version, or its
            weights do not fit the architecture.
    """
    from glassnet.registry import pop_custom_objects, push_custom_objects

    push_custom_objects(custom_objects or {})  # nested lookups (activations, losses) see them
    try:
        if _keras_kind(filepath) is not None:
            from glassnet.interop.keras_files import load_keras_model

            return load_keras_model(filepath, custom_objects, compile)
        return _load_model(os.fspath(filepath), custom_objects, compile, safe_mode,
                           max_parameters, max_layers)
    finally:
        pop_custom_objects()


def _keras_kind(filepath):
    """'hdf5' or 'keras' for Keras's files (see :func:`glassnet.interop.keras_files.sniff`)."""
    from glassnet.interop.keras_files import sniff

    return sniff(filepath)


def _load_model(path, custom_objects, compile, safe_mode,  # noqa: A002
                max_parameters=None, max_layers=None):
    _, config, keys, headers, read_arrays = _read_model_archive(path, max_parameters,
                                                                max_layers)
    spec = config.get("model")
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise _fail(path, "config.json has no model architecture ('model' entry)")
    with limits.guard(path, CONFIG, f"rebuilding the architecture ({spec['class_name'][:60]})"):
        model = _rebuild(spec, path, custom_objects, safe_mode)
    with limits.guard(path, CONFIG, "building with build_input_shape"):
        _ensure_built(model, config.get("build_input_shape"))
    names = [entry.get("name") for entry in config["weights"]]
    if headers is not None:  # shapes compared before a byte of array data is read
        limits.check_headers_fit(list(model.weights), keys, headers, path, WEIGHTS_NPZ, names)
    arrays, optimizer_arrays, callback_states = read_arrays()
    _assign_weights(model, arrays, path, names)
    compile_config = config.get("compile_config")
    optimizer_spec = config.get("optimizer")
    if compile and compile_config is not None:
        with limits.guard(path, CONFIG, "compiling with the saved compile_config"):
            _compile_saved(model, compile_config, optimizer_spec, path)
        if optimizer_arrays is not None:
            _restore_optimizer(model, optimizer_spec, optimizer_arrays, path)
    with limits.guard(path, CONFIG, "restoring the random-generator states"):
        rng_state.restore_global(config.get("rng_state"), path)
        rng_state.restore_layers(model, config.get("layer_rng_states"), path)
    if callback_states is not None:  # for fit(initial_epoch=k): see glassnet.callbacks.states
        model._callback_states = callback_states
    return model


def _rebuild(spec, path, custom_objects, safe_mode):
    from glassnet.layers.core import lambda_deserialization
    from glassnet.layers.serialization import deserialize

    try:
        try:
            with lambda_deserialization(safe_mode, path):
                return deserialize(spec, custom_objects)
        except TypeError:
            # a subclassed model whose __init__ takes no arguments (as Keras allows)
            from glassnet.registry import find_custom_object

            cls = find_custom_object(spec["class_name"], custom_objects)
            if cls is None:
                raise
            return cls()
    except FileFormatError:
        raise
    except (ValueError, TypeError, KeyError) as error:
        raise _fail(path, f"the architecture in config.json ({spec['class_name'][:60]}) cannot "
                          f"be rebuilt ({type(error).__name__}: {str(error)[:300]}); for your "
                          "own classes pass custom_objects={name: class} and implement "
                          "get_config/from_config, or use save_weights/load_weights") from None


def _compile_saved(model, compile_config, optimizer_spec, path):
    from glassnet import optimizers

    if not isinstance(compile_config, dict):
        raise _fail(path, "config.json compile_config must be an object, found "
                          f"{type(compile_config).__name__}")
    optimizer = "rmsprop"
    if isinstance(optimizer_spec, dict):
        opt_config = optimizer_spec.get("config") or {}
        rate = opt_config.get("learning_rate") if isinstance(opt_config, dict) else None
        if isinstance(rate, (str, list, bool)):
            raise _fail(path, f"config.json optimizer learning_rate is {str(rate)[:40]!r}; "
                              "expected a number or a schedule object")
        try:
            optimizer = optimizers.deserialize(
                {"class_name": optimizer_spec.get("class_name"), "config": opt_config})
        except (ValueError, TypeError) as error:
            raise _fail(path, f"the optimizer cannot be rebuilt ({error})") from None
    model.compile(
        optimizer=optimizer,
        loss=_deserialize_optional(compile_config.get("loss"), "loss"),
        metrics=[m for m in _deserialize_optional(compile_config.get("metrics") or [],
                                                  "metric") if m is not None],
        weighted_metrics=[m for m in _deserialize_optional(
            compile_config.get("weighted_metrics") or [], "metric") if m is not None],
        loss_weights=compile_config.get("loss_weights"),
    )


def _restore_optimizer(model, spec, arrays, path):
    state_keys = spec.get("state_keys") or {}
    optimizer = model.optimizer
    order = spec.get("param_order")
    weights = list(model.weights)
    with limits.guard(path, OPTIMIZER_NPZ, "restoring the optimizer state"):
        snapshot = {state_keys[key]: array for key, array in arrays.items()}
        try:
            if isinstance(order, list) and all(isinstance(i, int) and 0 <= i < len(weights)
                                               for i in order):
                optimizer.build([weights[i] for i in order])
            optimizer.set_state(snapshot)
        except (ValueError, TypeError) as error:
            raise _fail(path, f"{OPTIMIZER_NPZ}: the optimizer state does not fit the model "
                              f"({str(error)[:300]})") from None


# ============================================================================ weights only
def save_weights(model, filepath, overwrite=True):
    """Save the weights only, as an ``.npz`` file (whatever the extension, e.g. .weights.h5).

    The file holds arrays ``w00000, w00001...`` in ``model.weights`` order and a manifest
    (names, shapes, dtypes) as a JSON string array ``__glassnet__``.
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise GlassnetValueError(f"save_weights: {filepath!r} exists and overwrite=False")
    arrays, manifest = _weight_arrays(model)
    header = {"format": WEIGHTS_FORMAT, "format_version": FORMAT_VERSION, "weights": manifest}
    arrays[MANIFEST_KEY] = xp.array(json.dumps(header))
    data = _npz_bytes(arrays)
    atomic_write(filepath, lambda stream: stream.write(data))


def load_weights(model, filepath, skip_mismatch=False, *, max_parameters=None):
    """Load weights saved by :func:`save_weights` (or the weights of a full model file).

    Keras's weight files (``.weights.h5``, a legacy ``.h5``, the weights of a ``.keras``) are
    read by :func:`glassnet.interop.keras_files.load_keras_weights`.

    ``max_parameters`` (default ``glassnet.file_limits.MAX_PARAMETERS``) bounds the elements
    the file's arrays may declare; shapes are compared with the model's from the ``.npy``
    headers before any array data is read.

    Raises:
        FileFormatError: not a glassnet weights file, corrupted, or shapes that do not match.
    """
    path = os.fspath(filepath)
    if _keras_kind(path) is not None:
        from glassnet.interop.keras_files import load_keras_weights

        return load_keras_weights(model, path)
    archive = safe.open_archive(path, "weights")
    with archive:
        names = set(archive.namelist())
    if METADATA in names:
        _, config, keys, headers, read_arrays = _read_model_archive(path, max_parameters)
        manifest_names = [entry.get("name") for entry in config["weights"]]
        if headers is not None and not skip_mismatch and list(model.weights):
            limits.check_headers_fit(list(model.weights), keys, headers, path, WEIGHTS_NPZ,
                                     manifest_names)
        arrays = read_arrays()[0]
    else:
        headers = safe.check_npz(path, "weights file", path)  # headers only: nothing read
        limits.check_totals(headers, 0, path, "weights file", max_parameters)
        order = sorted(k for k in headers if k != MANIFEST_KEY)
        if not skip_mismatch and list(model.weights) and len(order) == len(model.weights):
            limits.check_headers_fit(list(model.weights), order, headers, path, "weights file")
        size = os.path.getsize(path)
        with open(path, "rb") as stream:
            data = stream.read(min(size, safe.MAX_ARRAYS_BYTES) + 1)
        arrays_by_key = safe.read_npz(data, "weights file", path)
        if MANIFEST_KEY not in arrays_by_key:
            raise _fail(path, f"not a glassnet weights file (no {MANIFEST_KEY!r} manifest; "
                              f"arrays: {sorted(arrays_by_key)[:5]})")
        header = safe.read_json(str(arrays_by_key.pop(MANIFEST_KEY)).encode(), "manifest", path)
        if header.get("format") != WEIGHTS_FORMAT:
            raise _fail(path, f"format is {header.get('format')!r}, expected "
                              f"{WEIGHTS_FORMAT!r}")
        version = header.get("format_version")
        if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
            raise _fail(path, f"format_version {version!r} is not supported (this glassnet "
                              f"reads versions 1..{FORMAT_VERSION})")
        manifest = header.get("weights")
        if not isinstance(manifest, list):
            raise _fail(path, "the manifest has no 'weights' list")
        keys = [entry.get("key") if isinstance(entry, dict) else None for entry in manifest]
        if sorted(keys, key=str) != sorted(arrays_by_key):
            raise _fail(path, f"the arrays {sorted(arrays_by_key)} do not match the manifest "
                              f"keys {keys}")
        arrays = [arrays_by_key[k] for k in keys]
        manifest_names = [entry.get("name") for entry in manifest]
    if not list(model.weights):
        raise GlassnetValueError(
            "load_weights: the model has no weights yet; build it first (give the first layer "
            "input_shape=..., call model.build(shape) or call it on data)"
        )
    if skip_mismatch:
        params = list(model.weights)
        pairs = [(p, a) for p, a in zip(params, arrays, strict=False)
                 if tuple(p.shape) == tuple(a.shape)]
        for param, array in pairs:
            param.data[...] = array
        return
    _assign_weights(model, arrays, path, manifest_names)


from glassnet.interop import load_safetensors, load_torch_state_dict, save_safetensors  # noqa: E402, F401, I001  (re-exports)
