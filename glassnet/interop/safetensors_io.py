"""Weights as safetensors files: ``gn.io.save_safetensors`` / ``gn.io.load_safetensors``.

A safetensors file is an 8-byte little-endian header length, a JSON header (each tensor's
dtype, shape and byte offsets, and an optional ``__metadata__`` of strings) and the raw bytes.
glassnet names each tensor by its weight path (``"dense/kernel"``, ``"lstm/recurrent_kernel"``)
and writes ``{"format": "glassnet.weights", "glassnet_version": ...}`` as metadata.

Reading is strict: before any tensor is touched, the header is parsed and checked here (its
length against the file, valid JSON, known dtypes, non-negative shapes, offsets inside the
data, sizes equal to shape x itemsize, no overlaps), and every problem raises
:class:`~glassnet.errors.FileFormatError` naming the file and the tensor. Then the tensors are
read by the ``safetensors`` package (``pip install "glassnet[io]"``). Nothing in a file can run
code.

Example:
    >>> import glassnet as gn, numpy as np, os, tempfile
    >>> model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,), name="d")])
    >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
    >>> save_safetensors(model, path) == path
    True
    >>> sorted(load_safetensors(None, path))
    ['d/bias', 'd/kernel']
"""

import json
import os
import struct

from glassnet.backend import xp
from glassnet.errors import FileFormatError, GlassnetValueError

FORMAT = "glassnet.weights"
MAX_HEADER_BYTES = 100 * 2**20  # the safetensors library's own limit
DTYPES = {"F16": "float16", "F32": "float32", "F64": "float64", "I8": "int8", "I16": "int16",
          "I32": "int32", "I64": "int64", "U8": "uint8", "U16": "uint16", "U32": "uint32",
          "U64": "uint64", "BOOL": "bool"}


def _library():
    try:
        from safetensors import numpy as st_numpy
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError('safetensors files need the optional "safetensors" package: '
                          'pip install "glassnet[io]"') from None
    return st_numpy


def _fail(path, message):
    return FileFormatError(f"{path}: {message}")


# ====================================================================== reading
def read_header(path):
    """The checked JSON header of a safetensors file: ``(tensors, metadata)``.

    ``tensors`` maps each name to ``{"dtype", "shape", "data_offsets"}``; ``metadata`` is the
    ``__metadata__`` dict (or ``{}``). Raises FileFormatError for anything malformed.
    """
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as stream:
            prefix = stream.read(8)
            if len(prefix) < 8:
                raise _fail(path, f"too short for a safetensors file ({size} bytes; the header "
                                  f"length alone takes 8)")
            (length,) = struct.unpack("<Q", prefix)
            if length > min(size - 8, MAX_HEADER_BYTES):
                raise _fail(path, f"header length {length} is larger than the file ({size} "
                                  f"bytes) or the {MAX_HEADER_BYTES}-byte limit: not a "
                                  f"safetensors file, or truncated")
            raw = stream.read(length)
    except OSError as error:
        raise _fail(path, f"cannot be read ({error.strerror or error})") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _fail(path, f"the header is not valid JSON ({error})") from None
    if not isinstance(header, dict):
        raise _fail(path, f"the header must be a JSON object, found {type(header).__name__}")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise _fail(path, "__metadata__ must map strings to strings")
    data_bytes = size - 8 - length
    spans = []
    for name, entry in header.items():
        spans.append(_check_entry(path, name, entry, data_bytes))
    spans.sort()
    for (begin_a, end_a, name_a), (begin_b, _, name_b) in zip(spans, spans[1:], strict=False):
        if begin_b < end_a:
            raise _fail(path, f"tensors {name_a!r} and {name_b!r} overlap (bytes {begin_a}..."
                              f"{end_a} and from {begin_b})")
    return header, metadata


def _check_entry(path, name, entry, data_bytes):
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise _fail(path, f"tensor {name!r}: expected an entry with dtype, shape and "
                          f"data_offsets, found {entry!r:.200}")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in DTYPES:
        raise _fail(path, f"tensor {name!r}: dtype {dtype!r} is not supported (NumPy reads "
                          f"{', '.join(DTYPES)}; bfloat16 and float8 have no NumPy type)")
    if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise _fail(path, f"tensor {name!r}: shape must be a list of non-negative integers, "
                          f"found {shape!r:.200}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(
            isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
        raise _fail(path, f"tensor {name!r}: data_offsets must be [begin, end], found "
                          f"{offsets!r:.200}")
    begin, end = offsets
    if not 0 <= begin <= end <= data_bytes:
        raise _fail(path, f"tensor {name!r}: data_offsets {offsets} fall outside the "
                          f"{data_bytes} data bytes of the file")
    expected = int(xp.prod(shape, dtype=xp.int64)) * xp.dtype(DTYPES[dtype]).itemsize
    if end - begin != expected:
        raise _fail(path, f"tensor {name!r}: {dtype} of shape {tuple(shape)} takes {expected} "
                          f"bytes, but data_offsets {offsets} hold {end - begin}")
    return begin, end, name


def read_safetensors(path):
    """``({name: ndarray}, metadata)`` from a safetensors file, after :func:`read_header`."""
    path = os.fspath(path)
    _, metadata = read_header(path)
    st_numpy = _library()
    try:
        tensors = st_numpy.load_file(path)
    except Exception as error:  # the library's own error types
        raise _fail(path, f"corrupted safetensors data ({error})") from None
    return tensors, metadata


# ====================================================================== the model side
def weight_paths(model):
    """``[(path, weight tensor)]`` of a model, in ``model.weights`` order (paths unique)."""
    pairs = [(str(getattr(w, "path", None) or w.name), w) for w in model.weights]
    names = [name for name, _ in pairs]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise GlassnetValueError(
            f"safetensors: model '{model.name}' has weights with the same path {duplicated}; "
            f"give its layers unique names")
    return pairs


def save_safetensors(model, filepath, metadata=None):
    """Write every weight of ``model`` to a safetensors file, named by its path.

    Args:
        model: a built glassnet model (or layer).
        filepath: the file to write (atomically: a temporary file renamed over it).
        metadata: optional extra ``{str: str}`` entries for ``__metadata__``.

    Returns:
        The path written.
    """
    from glassnet import __version__

    st_numpy = _library()
    tensors = {name: xp.ascontiguousarray(w.data) for name, w in weight_paths(model)}
    info = {"format": FORMAT, "glassnet_version": __version__, "model": str(model.name)}
    info.update({str(k): str(v) for k, v in (metadata or {}).items()})
    data = st_numpy.save(tensors, metadata=info)
    filepath = os.fspath(filepath)
    os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
    temp = f"{filepath}.part"
    with open(temp, "wb") as stream:
        stream.write(data)
    os.replace(temp, filepath)
    return filepath


def load_safetensors(model, filepath, strict=True):
    """Read a safetensors file into ``model`` (weights matched by path), or return its tensors.

    Args:
        model: the model to fill, or None to get ``{name: ndarray}`` back.
        filepath: the file.
        strict: refuse names in the file that the model lacks and weights of the model that
            the file lacks (False: load what matches, skip the rest).

    Returns:
        ``model`` (filled), or the dict of arrays when ``model`` is None.

    Raises:
        FileFormatError: a malformed file, or a tensor whose shape or dtype does not fit the
            weight of the same name (named in the message), or (strict) names that differ.
    """
    path = os.fspath(filepath)
    tensors, _ = read_safetensors(path)
    if model is None:
        return tensors
    pairs = weight_paths(model)
    known = {name for name, _ in pairs}
    missing = [name for name in known if name not in tensors]
    unknown = sorted(set(tensors) - known)
    if strict and (missing or unknown):
        raise _fail(path, f"the names do not match model '{model.name}': missing from the file "
                          f"{sorted(missing)}, not in the model {unknown} (strict=False loads "
                          f"the matching ones)")
    updates = []
    for name, param in pairs:
        if name not in tensors:
            continue
        array = tensors[name]
        if tuple(array.shape) != tuple(param.shape):
            raise _fail(path, f"tensor {name!r} has shape {tuple(array.shape)}, the model's "
                              f"weight has shape {tuple(param.shape)}")
        if array.dtype.kind != "f" and param.dtype.kind == "f":
            raise _fail(path, f"tensor {name!r} has dtype {array.dtype}, the model's weight is "
                              f"{param.dtype} (a floating-point tensor is needed)")
        from glassnet.file_limits import convert  # lossless only, warned; NaN/inf warned

        updates.append((param, convert(param, array, path, "tensor", name)))
    for param, array in updates:  # all checked first: a bad file changes nothing
        param.data[...] = array
    return model
