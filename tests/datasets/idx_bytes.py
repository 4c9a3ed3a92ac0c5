"""Build IDX bytes by hand with struct (independently of glassnet.datasets.idx)."""

import gzip
import struct

import numpy as np

CODES = {"uint8": (0x08, ">u1"), "int8": (0x09, ">i1"), "int16": (0x0B, ">i2"),
         "int32": (0x0C, ">i4"), "float32": (0x0D, ">f4"), "float64": (0x0E, ">f8")}


def idx_bytes(array):
    array = np.asarray(array)
    code, big_endian = CODES[str(array.dtype)]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(">" + "I" * array.ndim, *array.shape)
    return header + array.astype(big_endian).tobytes()


def write_mnist_folder(folder, arrays, gz=True):
    """Write x_train/y_train/x_test/y_test as the four MNIST IDX files; return {name: bytes}."""
    names = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}
    written = {}
    for key, name in names.items():
        data = idx_bytes(arrays[key])
        if gz:
            data, name = gzip.compress(data, mtime=0), name + ".gz"
        (folder / name).write_bytes(data)
        written[name] = data
    return written
