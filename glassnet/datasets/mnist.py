"""MNIST handwritten digits, bundled with glassnet (works offline on a fresh install).

MNIST is by Y. LeCun, C. Cortes and C. J. C. Burges, licensed under CC BY-SA 3.0. The copy
bundled in ``glassnet/datasets/data/mnist.npz`` has Keras's layout: 60,000 training and 10,000
test images of 28x28 grey pixels (uint8, 0-255) with their digit labels (uint8, 0-9).

Example:
    >>> import glassnet as gn
    >>> (x_train, y_train), (x_test, y_test) = gn.datasets.mnist.load_data()
    >>> x_train.shape, y_train.shape, x_test.shape, y_test.shape
    ((60000, 28, 28), (60000,), (10000, 28, 28), (10000,))
"""

import os
import re
import warnings
import zipfile
from pathlib import Path

from glassnet.backend import xp
from glassnet.datasets.download import data_home
from glassnet.datasets.idx import read_idx
from glassnet.datasets.registry import register_dataset
from glassnet.errors import FileFormatError

#: The bundled file.
BUNDLED_PATH = Path(__file__).resolve().parent / "data" / "mnist.npz"
#: Keras's default ``path`` argument: a bare ``"mnist.npz"`` that is not in the working folder
#: means the bundled copy (or one in the cache folder), as in Keras.
DEFAULT_NAME = "mnist.npz"
#: The four IDX files of the original distribution (each may also end in ``.gz``).
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
KEYS = ("x_train", "y_train", "x_test", "y_test")


def check_arrays(arrays, source, image_shape=(28, 28)):
    """Check MNIST-style arrays (uint8 images ``(N, H, W)``, uint8 labels ``(N,)``).

    Args:
        arrays: dict with the keys ``x_train, y_train, x_test, y_test``.
        source: the file or folder they came from (for error messages).
        image_shape: the expected ``(H, W)``.

    Raises:
        FileFormatError: naming every array with a wrong dtype or shape.
    """
    problems = []
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != xp.uint8:
            problems.append(f"x_{split} has dtype {x.dtype}, expected uint8")
        if y.dtype != xp.uint8:
            problems.append(f"y_{split} has dtype {y.dtype}, expected uint8")
        if x.ndim != 3 or x.shape[1:] != tuple(image_shape):
            problems.append(f"x_{split} has shape {x.shape}, expected (N, {image_shape[0]}, "
                            f"{image_shape[1]})")
        if y.ndim != 1:
            problems.append(f"y_{split} has shape {y.shape}, expected (N,)")
        elif x.ndim >= 1 and x.shape[0] != y.shape[0]:
            problems.append(f"x_{split} has {x.shape[0]} images but y_{split} has "
                            f"{y.shape[0]} labels")
    if problems:
        raise FileFormatError(f"{source}: " + "; ".join(problems) + ".")


def load_npz(path, image_shape=(28, 28)):
    """Load and check a Keras-layout ``mnist.npz`` (never unpickles: ``allow_pickle=False``)."""
    try:
        if zipfile.is_zipfile(path):
            from glassnet.archive import check_npz

            check_npz(path, "the archive", path)  # headers vs bytes, before any allocation
        data = xp.load(path, allow_pickle=False)
        if not hasattr(data, "files"):
            raise FileFormatError(
                f"{path}: holds a single .npy array; expected an .npz archive with "
                f"{', '.join(KEYS)}."
            )
        with data:
            missing = [k for k in KEYS if k not in data.files]
            if missing:
                raise FileFormatError(
                    f"{path}: missing arrays {', '.join(missing)}; expected keys "
                    f"{', '.join(KEYS)}, found {', '.join(data.files) or 'none'}."
                )
            arrays = {k: data[k] for k in KEYS}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        if isinstance(error, (FileFormatError, FileNotFoundError)):
            raise
        raise FileFormatError(f"{path}: not a readable .npz file ({error}).") from error
    check_arrays(arrays, path, image_shape)
    return arrays


def find_idx_file(folder, stem):
    """The path of ``stem`` in ``folder``, also trying ``.gz`` and the ``train-images.idx3``
    spelling; None when absent."""
    folder = Path(folder)
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def load_idx_folder(folder, image_shape=(28, 28)):
    """Load the four MNIST-style IDX files (plain or gzipped) from a folder."""
    paths = {key: find_idx_file(folder, stem) for key, stem in IDX_FILES.items()}
    missing = [IDX_FILES[k] for k, p in paths.items() if p is None]
    if missing:
        raise FileNotFoundError(
            f"{folder}: missing IDX files {', '.join(missing)} (each may also end in .gz); "
            f"expected all of {', '.join(IDX_FILES.values())}."
        )
    arrays = {key: read_idx(p) for key, p in paths.items()}
    check_arrays(arrays, folder, image_shape)
    return arrays


def load_local(path, image_shape=(28, 28)):
    """Load MNIST-style data from an ``.npz`` file or a folder of IDX files."""
    path = Path(path).expanduser()
    if path.is_dir():
        return load_idx_folder(path, image_shape)
    if path.is_file():
        return load_npz(path, image_shape)
    raise FileNotFoundError(
        f"{path}: no such file or folder; expected an .npz file with x_train, y_train, "
        f"x_test, y_test or a folder with the four IDX files {', '.join(IDX_FILES.values())}."
    )


def _as_tuples(arrays):
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


@register_dataset("mnist")
def load_data(path=None):
    """Load MNIST: ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, like Keras.

    ``x_train`` is ``(60000, 28, 28)``, ``y_train`` ``(60000,)``, ``x_test``
    ``(10000, 28, 28)``, ``y_test`` ``(10000,)``; pixels 0-255, labels 0-9.

    Args:
        path: None (default) for the bundled copy. Or a Keras-layout ``.npz`` file (for example
            ``"D:/datasets/MNIST_Data/mnist.npz"`` as in Keras scripts), or a folder holding
            ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
            ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each may be ``.gz``).
            A path named ``mnist.npz`` that does not exist (Keras's default ``"mnist.npz"``,
            or a Windows path such as seed 003's ``"D:\\datasets\\MNIST_Data\\mnist.npz"``,
            where Keras would download the file) means the copy in
            :func:`~glassnet.datasets.download.data_home` if there is one, else the bundled
            copy; a warning names the path unless it is the bare default name.

    Returns:
        Tuple of NumPy arrays ``(x_train, y_train), (x_test, y_test)``.

    Raises:
        FileNotFoundError: ``path`` does not exist (or a folder lacks an IDX file).
        FileFormatError: the file is not valid MNIST (missing keys, wrong dtype or shape).

    Example:
        >>> import glassnet as gn
        >>> (x_train, y_train), _ = gn.datasets.mnist.load_data()
        >>> x_train.dtype, int(y_train.max())
        (dtype('uint8'), 9)
    """
    if path is None:
        return _as_tuples(load_npz(BUNDLED_PATH))
    text = os.fspath(path)
    path = Path(text).expanduser()
    if not path.exists() and re.split(r"[\\/]", text)[-1] == DEFAULT_NAME:
        cached = data_home() / DEFAULT_NAME
        fallback = cached if cached.is_file() else BUNDLED_PATH
        if text != DEFAULT_NAME:
            warnings.warn(f"mnist.load_data: {text} does not exist; using the same MNIST data "
                          f"from {fallback}.", stacklevel=2)
        return _as_tuples(load_npz(fallback))
    return _as_tuples(load_local(path))
