"""Reader and writer for the IDX format of MNIST and Fashion-MNIST (plain or gzipped).

An IDX file is a header followed by the raw array, big-endian::

    bytes 0-1   0x00 0x00            magic
    byte  2     dtype code            0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                                      0x0D float32, 0x0E float64
    byte  3     ndim                  number of dimensions (>= 1)
    then        ndim x uint32         the size of each dimension
    then        prod(dims) * itemsize bytes of data, C order

The reader checks the magic number, the dtype code, the dimensions and the declared data size
against the bytes actually present *before* it allocates the array, so a corrupted or hostile
header that declares a huge array raises :class:`~glassnet.errors.FileFormatError` instead of
exhausting memory. Gzip is recognised by its own magic bytes, not by the file name.
"""

import gzip
import math
import os
import zlib

from glassnet.backend import xp
from glassnet.errors import FileFormatError

#: IDX dtype code -> big-endian NumPy dtype.
IDX_DTYPES = {
    0x08: xp.dtype(">u1"),
    0x09: xp.dtype(">i1"),
    0x0B: xp.dtype(">i2"),
    0x0C: xp.dtype(">i4"),
    0x0D: xp.dtype(">f4"),
    0x0E: xp.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def _read_exact(stream, n, name, what):
    """Read exactly ``n`` bytes (``n`` small, header-sized) or raise FileFormatError."""
    data = stream.read(n)
    if len(data) != n:
        raise FileFormatError(
            f"{name}: truncated IDX file: expected {n} bytes of {what}, found {len(data)}."
        )
    return data


def _read_bounded(stream, n):
    """Read at most ``n`` bytes in chunks, so memory grows only with the bytes really there."""
    buffer = bytearray()
    while len(buffer) < n:
        chunk = stream.read(min(_CHUNK, n - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    return buffer


def read_idx(path):
    """Read one IDX file (optionally gzip-compressed) into a NumPy array.

    The data size implied by the header, ``prod(dims) * itemsize``, must equal the number of
    bytes after the header exactly; anything else (truncation, trailing bytes, an absurd
    declared size) raises before the array is allocated.

    Args:
        path: path of the ``.idx`` / ``-ubyte`` file, gzipped or not.

    Returns:
        A native-byte-order ndarray of the declared dtype and shape (uint8 for MNIST).

    Raises:
        FileFormatError: the bytes are not a valid IDX file (the message names the file and
            what was expected versus found).
        FileNotFoundError: ``path`` does not exist.

    Example:
        >>> import numpy as np, tempfile, os
        >>> from glassnet.datasets.idx import read_idx, write_idx
        >>> p = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
        >>> write_idx(p, np.array([5, 0, 4], dtype=np.uint8))
        >>> read_idx(p)
        array([5, 0, 4], dtype=uint8)
    """
    name = os.fspath(path)
    with open(name, "rb") as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if gzipped:
            with gzip.GzipFile(fileobj=raw) as stream:
                try:
                    return _read_idx_stream(stream, name, None)
                except (OSError, EOFError, zlib.error) as error:
                    raise FileFormatError(f"{name}: corrupted gzip data ({error}).") from error
        size = os.fstat(raw.fileno()).st_size
        return _read_idx_stream(raw, name, size)


def _read_idx_stream(stream, name, file_size):
    magic = _read_exact(stream, 4, name, "header")
    if magic[0] != 0 or magic[1] != 0:
        raise FileFormatError(
            f"{name}: not an IDX file: expected magic bytes 00 00, found {magic[:2].hex(' ')}."
        )
    code, ndim = magic[2], magic[3]
    if code not in IDX_DTYPES:
        valid = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise FileFormatError(
            f"{name}: unknown IDX dtype code 0x{code:02X}; expected one of {valid}."
        )
    if ndim == 0:
        raise FileFormatError(f"{name}: IDX header declares 0 dimensions; expected at least 1.")
    header = _read_exact(stream, 4 * ndim, name, f"header ({ndim} dimension sizes)")
    dims = tuple(int.from_bytes(header[4 * i : 4 * i + 4], "big") for i in range(ndim))
    dtype = IDX_DTYPES[code]
    expected = math.prod(dims) * dtype.itemsize  # Python ints: no overflow
    header_size = 4 + 4 * ndim
    if file_size is not None:
        found = file_size - header_size
        if found != expected:
            raise FileFormatError(
                f"{name}: IDX header declares shape {dims} of {dtype.newbyteorder('=')} "
                f"({expected} data bytes) but the file holds {found} bytes after the header."
            )
    data = _read_bounded(stream, expected + 1)
    if len(data) != expected:
        found = f"more than {expected}" if len(data) > expected else str(len(data))
        raise FileFormatError(
            f"{name}: IDX header declares shape {dims} of {dtype.newbyteorder('=')} "
            f"({expected} data bytes) but the file holds {found} bytes after the header."
        )
    array = xp.frombuffer(data, dtype=dtype).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=dtype.itemsize > 1)


def write_idx(path, array, compress=None):
    """Write an array as an IDX file (gzip-compressed if ``compress`` or the name ends in .gz).

    Args:
        path: destination file.
        array: an ndarray of dtype uint8, int8, int16, int32, float32 or float64, ndim >= 1,
            every dimension < 2**32.
        compress: True/False to force gzip on or off; None decides by the ``.gz`` suffix.

    Example:
        >>> import numpy as np, tempfile, os
        >>> from glassnet.datasets.idx import read_idx, write_idx
        >>> p = os.path.join(tempfile.mkdtemp(), "x-idx3-ubyte.gz")
        >>> write_idx(p, np.zeros((2, 28, 28), dtype=np.uint8))
        >>> read_idx(p).shape
        (2, 28, 28)
    """
    array = xp.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES or array.ndim == 0 or array.ndim > 255:
        raise FileFormatError(
            f"write_idx: cannot store dtype {array.dtype} with ndim {array.ndim}; expected "
            f"one of uint8, int8, int16, int32, float32, float64 with 1 to 255 dimensions."
        )
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    payload = header + xp.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    name = os.fspath(path)
    if compress is None:
        compress = name.endswith(".gz")
    opener = gzip.open if compress else open
    with opener(name, "wb") as f:
        f.write(payload)
