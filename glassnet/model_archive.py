"""Reading a glassnet model archive in two steps: everything checked, then the array data.

:func:`read_model_archive` reads and checks ``metadata.json`` and ``config.json``
(:mod:`glassnet.file_limits`: depth, layer count, sizes, declared shapes) and the ``.npy``
headers of the weights, without reading any array data; it returns a function that reads the
arrays, which :mod:`glassnet.io` calls only once the built model's shapes match the headers.
The member names and format constants live here; :mod:`glassnet.io` re-exports them.
"""

import os

from glassnet import archive as safe
from glassnet import file_limits as limits
from glassnet.archive import fail as _fail

FORMAT = "glassnet.model"
WEIGHTS_FORMAT = "glassnet.weights"
FORMAT_VERSION = 1
METADATA = "metadata.json"
CONFIG = "config.json"
WEIGHTS_NPZ = "model.weights.npz"
WEIGHTS_SAFETENSORS = "model.safetensors"
OPTIMIZER_NPZ = "optimizer.npz"
CALLBACK_MEMBERS = {"callbacks.json", "callbacks.npz"}  # see glassnet.callbacks.states
ALLOWED_MEMBERS = {METADATA, CONFIG, WEIGHTS_NPZ, WEIGHTS_SAFETENSORS, OPTIMIZER_NPZ,
                   *CALLBACK_MEMBERS}
MANIFEST_KEY = "__glassnet__"


def read_model_archive(path, max_parameters=None, max_layers=None):
    """Metadata, config, weight keys and ``.npy`` headers, all checked (file_limits), and a
    function reading the arrays once the built model's shapes match the headers."""
    archive = safe.open_archive(path, "model")
    with archive:
        infos = safe.unique_infos(archive, path, "the model file")
        for member in infos:
            if member not in ALLOWED_MEMBERS:
                raise _fail(path, f"unexpected member {member!r}; a glassnet model file "
                                  f"holds only {sorted(ALLOWED_MEMBERS)}")
        for required in (METADATA, CONFIG):
            if required not in infos:
                raise _fail(path, f"missing {required!r}; this is not a glassnet model file "
                                  f"(members: {sorted(infos)})")
        metadata = safe.read_json(
            safe.read_member(archive, infos[METADATA], path, safe.MAX_JSON_BYTES), METADATA, path
        )
        if metadata.get("format") != FORMAT:
            raise _fail(path, f"format is {str(metadata.get('format'))[:80]!r}, expected "
                              f"{FORMAT!r}")
        version = metadata.get("format_version")
        if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
            raise _fail(path, f"format_version {str(version)[:40]} is not supported (this "
                              f"glassnet reads versions 1..{FORMAT_VERSION}; upgrade glassnet)")
        config = safe.read_json(
            safe.read_member(archive, infos[CONFIG], path, safe.MAX_JSON_BYTES), CONFIG, path
        )
        manifest = config.get("weights")
        if not isinstance(manifest, list) or not all(isinstance(e, dict) for e in manifest):
            raise _fail(path, "config.json has no 'weights' manifest list of objects")
        keys = [entry.get("key") for entry in manifest]
        minimum = limits.check_config(
            {k: config.get(k) for k in ("model", "optimizer", "compile_config")}, path, CONFIG,
            max_layers, [("build_input_shape", config.get("build_input_shape"))])
        headers = None
        if WEIGHTS_NPZ in infos:
            info = infos[WEIGHTS_NPZ]
            safe.check_sizes(info, path, safe.MAX_ARRAYS_BYTES, os.path.getsize(path))
            with archive.open(info) as stream:  # the .npy headers only: no array data read
                headers = safe.check_npz(stream, WEIGHTS_NPZ, path, info.file_size)
            if sorted(keys, key=str) != sorted(headers):
                missing = sorted({str(k) for k in keys} - set(headers))[:8]
                extra = sorted(set(headers) - {str(k) for k in keys})[:8]
                raise _fail(path, f"{WEIGHTS_NPZ} does not match its manifest: missing "
                                  f"{missing}, unexpected {extra}")
            limits.check_totals(headers, minimum, path, WEIGHTS_NPZ, max_parameters)
        elif WEIGHTS_SAFETENSORS not in infos:
            raise _fail(path, f"missing the weights member {WEIGHTS_NPZ!r}")

    def read_arrays():
        with safe.open_archive(path, "model") as archive:
            infos = safe.unique_infos(archive, path, "the model file")
            if WEIGHTS_NPZ in infos:
                data = safe.read_member(archive, infos[WEIGHTS_NPZ], path, safe.MAX_ARRAYS_BYTES)
                weights = safe.read_npz(data, WEIGHTS_NPZ, path, keys)
            else:
                weights = _read_safetensors_member(archive, infos, path)
                headers_of = {k: (tuple(a.shape), a.dtype) for k, a in weights.items()}
                limits.check_totals(headers_of, minimum, path, WEIGHTS_SAFETENSORS,
                                    max_parameters)
            optimizer_arrays = None
            if OPTIMIZER_NPZ in infos and isinstance(config.get("optimizer"), dict):
                state_keys = config["optimizer"].get("state_keys") or {}
                if not isinstance(state_keys, dict):
                    raise _fail(path, "config.json optimizer 'state_keys' must be an object, "
                                      f"found {type(state_keys).__name__}")
                optimizer_arrays = safe.read_npz(
                    safe.read_member(archive, infos[OPTIMIZER_NPZ], path,
                                     safe.MAX_ARRAYS_BYTES), OPTIMIZER_NPZ, path,
                    list(state_keys))
            from glassnet.callbacks.states import read_states

            callback_states = read_states(archive, infos, path)
        if any(k not in weights for k in keys):
            raise _fail(path, f"the weights do not match the manifest keys {keys[:8]}")
        return [weights[k] for k in keys], optimizer_arrays, callback_states

    return metadata, config, keys, headers, read_arrays


def _read_safetensors_member(archive, infos, path):
    try:
        from safetensors.numpy import load as safetensors_load
    except ImportError:
        raise _fail(path, "the weights are stored as safetensors; install the optional "
                          "'safetensors' package to read them") from None
    data = safe.read_member(archive, infos[WEIGHTS_SAFETENSORS], path, safe.MAX_ARRAYS_BYTES)
    try:
        return safetensors_load(data)
    except Exception as error:  # the library raises its own error types
        raise _fail(path, f"corrupted safetensors weights ({error})") from None
