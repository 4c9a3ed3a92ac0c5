"""Reading zip and .npz archives safely: sizes, members and ``.npy`` headers checked first.

glassnet's files (models, weights, checkpoints, bundled datasets) are zip archives of JSON and
``.npy`` members. Everything here refuses, before allocating anything, what a hostile or broken
file could use to exhaust memory or run code: members declared larger than a limit or than the
bytes present, compression other than stored/deflated, zip bombs (expansion ratio), duplicate
member names, ``.npy`` headers whose shape claims more bytes than are stored, object (pickle)
and other non-numeric dtypes. Each problem raises :class:`~glassnet.errors.FileFormatError`
naming the file and the member. :mod:`glassnet.io` builds the model and weights formats on it.
"""

import io as _io
import json
import os
import zipfile

from glassnet.backend import xp
from glassnet.errors import FileFormatError

#: Upper bounds on what a file may claim, so a hostile file cannot exhaust memory.
MAX_JSON_BYTES = 64 * 2**20
MAX_ARRAYS_BYTES = 16 * 2**30
MAX_ARRAYS = 100_000
#: A deflated member may expand at most this much (glassnet writes uncompressed members).
MAX_DEFLATE_RATIO = 200


def fail(path, message):
    return FileFormatError(f"{path}: {message}")


def open_archive(path, kind):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{kind}: no such file: {path!r}")
    with open(path, "rb") as stream:
        head = stream.read(8)
    if head.startswith(b"\x89HDF"):
        raise fail(path, f"this is an HDF5 file (Keras's .h5 format); glassnet reads its own "
                          f"zip/npz {kind} files")
    if not head.startswith(b"PK\x03\x04"):
        raise fail(path, f"not a glassnet {kind} file (expected a zip archive starting with "
                          f"b'PK\\x03\\x04', found {head[:4]!r}); it may be truncated, "
                          "corrupted or of another format")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise fail(path, f"corrupted or truncated zip archive ({error})") from None
    return archive


def check_sizes(info, path, limit, available, where="member"):
    """Refuse a zip entry whose declared sizes are over ``limit`` or cannot be honest."""
    if info.file_size > limit:
        raise fail(path, f"{where} {info.filename!r} claims {info.file_size} bytes, more than "
                          f"the allowed {limit}")
    if info.flag_bits & 0x1:
        raise fail(path, f"{where} {info.filename!r} is encrypted; glassnet's files are never "
                          "encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise fail(path, f"{where} {info.filename!r} uses an unsupported compression "
                          f"({info.compress_type}); expected stored or deflated")
    if info.compress_size > available:
        raise fail(path, f"{where} {info.filename!r} claims {info.compress_size} stored "
                          f"bytes but the archive has only {available}; it is truncated")
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        raise fail(path, f"{where} {info.filename!r} is stored uncompressed but declares "
                          f"{info.file_size} bytes for {info.compress_size} stored bytes")
    if info.file_size > MAX_DEFLATE_RATIO * info.compress_size + 2**16:
        raise fail(path, f"{where} {info.filename!r} would expand {info.compress_size} "
                          f"compressed bytes to {info.file_size} (more than "
                          f"{MAX_DEFLATE_RATIO}x: a zip bomb?); expected glassnet's "
                          "uncompressed members")


def read_member(archive, info, path, limit):
    check_sizes(info, path, limit, os.path.getsize(path))
    try:
        with archive.open(info) as member:
            data = member.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError,
            NotImplementedError) as error:
        raise fail(path, f"member {info.filename!r} is corrupted ({error})") from None
    if len(data) != info.file_size:
        raise fail(path, f"member {info.filename!r} is truncated ({len(data)} of "
                          f"{info.file_size} bytes)")
    return data


def unique_infos(archive, path, what):
    """``{name: ZipInfo}``, refusing a name that appears twice (two different contents)."""
    infos = {}
    for info in archive.infolist():
        if info.filename in infos:
            raise fail(path, f"{what} has the member {info.filename!r} twice; expected each "
                              "member once")
        infos[info.filename] = info
    return infos


def read_json(data, name, path):
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError; a 5,000-digit int
        raise fail(path, f"{name} is not valid JSON ({error})") from None
    except RecursionError:
        raise fail(path, f"{name} is nested too deeply to be a model file") from None
    if not isinstance(value, dict):
        raise fail(path, f"{name} must hold a JSON object, found {type(value).__name__}")
    return value


def check_npz(data, name, path, available=None):
    """Read every ``.npy`` header of an .npz (bytes, a file path or a seekable binary stream
    of ``available`` bytes) and refuse, before anything is allocated, object arrays (pickle),
    unknown dtypes, and shapes that claim more bytes than are there (``np.load`` would
    allocate the declared size first).

    Returns:
        ``{key: (shape, dtype)}`` for every array (the key is the member name less ``.npy``).

    Raises:
        FileFormatError: naming ``path``, the member and what was wrong.
    """
    is_bytes = isinstance(data, (bytes, bytearray, memoryview))
    is_path = isinstance(data, (str, os.PathLike))
    if available is None:
        available = os.path.getsize(data) if is_path else len(data)
    headers = {}
    try:
        archive = zipfile.ZipFile(_io.BytesIO(data) if is_bytes else data)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise fail(path, f"{name} is not an .npz archive ({error})") from None
    with archive:
        infos = unique_infos(archive, path, name)
        if len(infos) > MAX_ARRAYS:
            raise fail(path, f"{name} holds {len(infos)} arrays (limit {MAX_ARRAYS})")
        for member, info in infos.items():
            if not member.endswith(".npy") or "/" in member or "\\" in member:
                raise fail(path, f"{name}: unexpected member {member!r}; expected plain "
                                  "'<key>.npy' arrays")
            check_sizes(info, path, MAX_ARRAYS_BYTES, available, where=f"{name} member")
            try:
                with archive.open(info) as stream:
                    version = xp.lib.format.read_magic(stream)
                    if version == (1, 0):
                        shape, _, dtype = xp.lib.format.read_array_header_1_0(stream)
                    elif version == (2, 0):
                        shape, _, dtype = xp.lib.format.read_array_header_2_0(stream)
                    else:
                        raise ValueError(f"unsupported .npy format version {version}")
                    header_bytes = stream.tell()
            except (ValueError, OSError, EOFError, SyntaxError, TypeError,
                    zipfile.BadZipFile) as error:
                raise fail(path, f"{name}: array {member!r} has a corrupted .npy header "
                                  f"({error})") from None
            if dtype.hasobject or dtype.kind not in "biufU":
                raise fail(path, f"{name}: array {member!r} has dtype {dtype}; glassnet reads "
                                  "only numeric arrays, without pickle")
            count = 1
            for size in shape:
                count *= int(size)
            declared = count * dtype.itemsize
            if declared != info.file_size - header_bytes:
                raise fail(path, f"{name}: array {member!r} declares shape {tuple(shape)} "
                                  f"of {dtype} ({declared} bytes) but holds "
                                  f"{info.file_size - header_bytes} bytes of data")
            headers[member[:-4]] = (tuple(int(s) for s in shape), dtype)
    return headers


def read_npz(data, name, path, expected_keys=None):
    """The arrays of an .npz (bytes), pickle disabled, headers, keys and dtypes checked."""
    check_npz(data, name, path)
    try:
        with xp.load(_io.BytesIO(data), allow_pickle=False) as npz:
            keys = list(npz.files)
            if expected_keys is not None and sorted(keys, key=str) != sorted(expected_keys,
                                                                          key=str):
                missing = sorted(set(expected_keys) - set(keys), key=str)
                extra = sorted(set(keys) - set(expected_keys), key=str)
                raise fail(path, f"{name} does not match its manifest: missing {missing}, "
                                  f"unexpected {extra}")
            arrays = {key: npz[key] for key in keys}
    except FileFormatError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise fail(path, f"{name} could not be read as plain NumPy arrays without pickle "
                          f"({type(error).__name__}: {error})") from None
    for key, array in arrays.items():
        if array.dtype.kind not in "biufU":
            raise fail(path, f"{name}: array {key!r} has dtype {array.dtype}; only numeric "
                              "arrays are accepted")
    return arrays
