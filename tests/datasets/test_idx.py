import gzip
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glassnet.datasets.idx import read_idx, write_idx
from glassnet.errors import FileFormatError
from tests.datasets.idx_bytes import idx_bytes


def put(tmp_path, data, name="f-idx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_reads_hand_built_uint8_3d(tmp_path):
    # header 00 00 08 03, dims 2 x 2 x 3, then 12 bytes 0..11
    data = bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 2, 3) + bytes(range(12))
    array = read_idx(put(tmp_path, data))
    assert array.dtype == np.uint8 and array.shape == (2, 2, 3)
    assert array[1, 0, 2] == 8  # C order: 1*6 + 0*3 + 2
    assert array.flags.c_contiguous


@pytest.mark.parametrize("dtype, values", [
    ("int8", [-128, 5, 127]),
    ("int16", [-30000, 1, 258]),
    ("int32", [-2_000_000_000, 7, 65536]),
    ("float32", [1.5, -2.25, 1e30]),
    ("float64", [1e-300, -0.5, 3.0]),
])
def test_reads_big_endian_dtypes(tmp_path, dtype, values):
    expected = np.array(values, dtype=dtype)
    array = read_idx(put(tmp_path, idx_bytes(expected)))
    assert array.dtype == np.dtype(dtype) and array.dtype.isnative
    np.testing.assert_array_equal(array, expected)


def test_reads_gzip_by_magic_not_name(tmp_path):
    expected = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    array = read_idx(put(tmp_path, gzip.compress(idx_bytes(expected)), name="no-suffix"))
    np.testing.assert_array_equal(array, expected)


def test_write_then_read_roundtrip(tmp_path):
    x = np.arange(12, dtype=np.int16).reshape(3, 4) - 6
    for name in ("a-idx", "a-idx.gz"):
        write_idx(tmp_path / name, x)
        np.testing.assert_array_equal(read_idx(tmp_path / name), x)
    # write_idx output is byte-identical to the hand-built format
    assert (tmp_path / "a-idx").read_bytes() == idx_bytes(x)
    assert gzip.decompress((tmp_path / "a-idx.gz").read_bytes()) == idx_bytes(x)
    with pytest.raises(FileFormatError, match="int64"):
        write_idx(tmp_path / "b", np.zeros(3, dtype=np.int64))


def test_truncated_data(tmp_path):
    data = idx_bytes(np.zeros((3, 4), dtype=np.uint8))[:-5]
    for path in (put(tmp_path, data), put(tmp_path, gzip.compress(data), "g")):
        with pytest.raises(FileFormatError) as info:
            read_idx(path)
        message = str(info.value)
        assert str(path) in message and "(3, 4)" in message and "12" in message and "7" in message


def test_trailing_bytes(tmp_path):
    data = idx_bytes(np.zeros((3,), dtype=np.uint8)) + b"extra"
    for path in (put(tmp_path, data), put(tmp_path, gzip.compress(data), "g")):
        with pytest.raises(FileFormatError, match="3 data bytes"):
            read_idx(path)


def test_truncated_header(tmp_path):
    with pytest.raises(FileFormatError, match="truncated"):
        read_idx(put(tmp_path, bytes([0, 0, 8])))
    with pytest.raises(FileFormatError, match="truncated"):
        read_idx(put(tmp_path, bytes([0, 0, 8, 3]) + struct.pack(">I", 5)))


def test_wrong_magic(tmp_path):
    with pytest.raises(FileFormatError, match="00 00.*01 02"):
        read_idx(put(tmp_path, bytes([1, 2, 8, 1, 0, 0, 0, 0])))


def test_unknown_dtype_code(tmp_path):
    with pytest.raises(FileFormatError, match="0x07"):
        read_idx(put(tmp_path, bytes([0, 0, 7, 1, 0, 0, 0, 0])))


def test_zero_dimensions(tmp_path):
    with pytest.raises(FileFormatError, match="0 dimensions"):
        read_idx(put(tmp_path, bytes([0, 0, 8, 0, 1])))


@pytest.mark.parametrize("gz", [False, True])
def test_huge_declared_dims_do_not_allocate(tmp_path, gz):
    # declares 4294967295**3 float64 values (~6e29 bytes) but holds 16 bytes
    data = bytes([0, 0, 0x0E, 3]) + struct.pack(">III", *(0xFFFFFFFF,) * 3) + bytes(16)
    if gz:
        data = gzip.compress(data)
    with pytest.raises(FileFormatError) as info:
        read_idx(put(tmp_path, data))
    assert "16" in str(info.value) and "4294967295" in str(info.value)


def test_corrupted_gzip(tmp_path):
    data = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    corrupted = data[:30] + bytes(40) + data[70:]
    with pytest.raises(FileFormatError):
        read_idx(put(tmp_path, corrupted))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent")


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=64), gz=st.booleans(),
       prefix=st.sampled_from([b"", b"\0\0\x08\x01", b"\0\0\x0d\x02", b"\x1f\x8b",
                               b"\x1f\x8b\x08\x00"]))
def test_random_bytes_give_array_or_file_format_error(tmp_path, data, gz, prefix):
    # a valid-looking prefix (IDX or gzip magic) gets random bytes past the first checks
    data = prefix + data
    if gz:
        data = gzip.compress(data)
    path = put(tmp_path, data, "random")
    try:
        array = read_idx(path)
    except FileFormatError as error:
        assert str(path) in str(error)
    else:
        assert isinstance(array, np.ndarray)
