"""CIFAR-10: 32x32 colour images in 10 classes, downloaded on first use.

CIFAR-10 is by A. Krizhevsky, V. Nair and G. Hinton ("Learning Multiple Layers of Features from
Tiny Images", 2009), https://www.cs.toronto.edu/~kriz/cifar.html. Labels: 0 airplane,
1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.

glassnet uses the *binary* version (``cifar-10-binary.tar.gz``) because the Python version is
pickled and glassnet never unpickles anything. Each ``.bin`` member is a run of 3073-byte
records: 1 label byte, then 3072 pixel bytes in channel-major order (1024 red, 1024 green,
1024 blue, each 32x32 row-major). They are returned in Keras's layout: ``x`` uint8
``(N, 32, 32, 3)`` (channels last), ``y`` uint8 ``(N, 1)``.

The archive is fetched from :data:`URL` into ``<data_home>/cifar-10/``, checked against
:data:`FILE_HASH` (sha256, as listed in TensorFlow Datasets' ``url_checksums/cifar10.txt``; the
CIFAR page itself publishes md5 ``c32a1d4ab5d03f1284b67883e8d87530``, which ``"md5:..."``
would also accept), and its six ``.bin`` members are extracted safely next to it.

Example:
    >>> import glassnet as gn
    >>> (x_train, y_train), (x_test, y_test) = gn.datasets.cifar10.load_data()  # doctest: +SKIP
"""

from pathlib import Path

from glassnet.backend import xp
from glassnet.datasets import download
from glassnet.datasets.registry import register_dataset
from glassnet.errors import FileFormatError

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
ARCHIVE_NAME = "cifar-10-binary.tar.gz"
FILE_HASH = "sha256:c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
CACHE_SUBDIR = "cifar-10"
MEMBER_DIR = "cifar-10-batches-bin"
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)
RECORD_BYTES = 1 + 3 * 32 * 32
NUM_CLASSES = 10
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")


def parse_records(buffer, source):
    """Turn CIFAR-10 binary records into Keras-layout arrays.

    Args:
        buffer: bytes of one or more ``.bin`` files (N records of 3073 bytes).
        source: name used in error messages.

    Returns:
        ``(x, y)``: ``x`` uint8 ``(N, 32, 32, 3)`` (C-contiguous), ``y`` uint8 ``(N, 1)``.

    Raises:
        FileFormatError: the length is not a positive multiple of 3073, or a label is > 9.

    Example:
        >>> import numpy as np
        >>> from glassnet.datasets.cifar10 import parse_records
        >>> x, y = parse_records(bytes([7]) + bytes(3072), "demo")
        >>> x.shape, y.tolist()
        ((1, 32, 32, 3), [[7]])
    """
    if len(buffer) == 0 or len(buffer) % RECORD_BYTES:
        raise FileFormatError(
            f"{source}: {len(buffer)} bytes is not a positive multiple of the CIFAR-10 record "
            f"size {RECORD_BYTES} (1 label byte + 3072 pixel bytes)."
        )
    records = xp.frombuffer(buffer, dtype=xp.uint8).reshape(-1, RECORD_BYTES)
    y = records[:, :1].copy()
    bad = xp.flatnonzero(y >= NUM_CLASSES)
    if bad.size:
        raise FileFormatError(
            f"{source}: labels must be 0-{NUM_CLASSES - 1}; record {int(bad[0])} has label "
            f"{int(y[bad[0], 0])} ({bad.size} bad records)."
        )
    x = xp.ascontiguousarray(records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return x, y


def _split(blobs, names, source):
    return parse_records(b"".join(blobs[n] for n in names), source)


def _load_folder(folder):
    folder = Path(folder)
    if (folder / MEMBER_DIR).is_dir():
        folder = folder / MEMBER_DIR
    names = TRAIN_FILES + TEST_FILES
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{folder}: missing CIFAR-10 binary files {', '.join(missing)}; expected "
            f"{', '.join(names)} (from {ARCHIVE_NAME})."
        )
    blobs = {n: (folder / n).read_bytes() for n in names}
    return _split(blobs, TRAIN_FILES, folder), _split(blobs, TEST_FILES, folder)


def _members():
    return {f"{MEMBER_DIR}/{n}": None for n in TRAIN_FILES + TEST_FILES}


def _load_archive(archive):
    blobs = download.read_members(archive, _members())
    blobs = {Path(k).name: v for k, v in blobs.items()}
    return _split(blobs, TRAIN_FILES, archive), _split(blobs, TEST_FILES, archive)


@register_dataset("cifar10")
def load_data(path=None):
    """Load CIFAR-10: ``(x_train, y_train), (x_test, y_test)`` in Keras's layout.

    ``x_train`` uint8 ``(50000, 32, 32, 3)``, ``y_train`` uint8 ``(50000, 1)``, ``x_test``
    uint8 ``(10000, 32, 32, 3)``, ``y_test`` uint8 ``(10000, 1)``.

    Args:
        path: None (default) to download ``cifar-10-binary.tar.gz`` once (hash-checked,
            cached, members extracted). Or the path of that archive, or of the extracted
            ``cifar-10-batches-bin`` folder (or its parent).

    Returns:
        Tuple of NumPy arrays ``(x_train, y_train), (x_test, y_test)``.

    Raises:
        DownloadError: no network; the message says which file to put where.
        FileFormatError: wrong hash, or a malformed archive or record file.

    Example:
        >>> import glassnet as gn
        >>> archive = "~/Downloads/cifar-10-binary.tar.gz"
        >>> data = gn.datasets.cifar10.load_data(archive)  # doctest: +SKIP
    """
    if path is not None:
        path = Path(path).expanduser()
        if path.is_dir():
            return _load_folder(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: no such file or folder; expected {ARCHIVE_NAME} or its extracted "
                f"{MEMBER_DIR} folder."
            )
        return _load_archive(path)
    folder = download.data_home() / CACHE_SUBDIR
    extracted = folder / MEMBER_DIR
    if all((extracted / n).is_file() for n in TRAIN_FILES + TEST_FILES):
        return _load_folder(extracted)
    # get_file's error already says "download it yourself and save it as <target>" for a
    # failed connection; the hint adds only the other way, so the advice is said once.
    hint = f"Or pass a copy fetched by hand: cifar10.load_data(path='.../{ARCHIVE_NAME}')."
    archive = download.get_file(ARCHIVE_NAME, URL, file_hash=FILE_HASH,
                                cache_subdir=CACHE_SUBDIR, offline_hint=hint, resume=True)
    download.extract_members(archive, _members(), extracted)
    return _load_folder(extracted)
