"""Fashion-MNIST: 28x28 grey images of 10 kinds of clothing, downloaded on first use.

Fashion-MNIST is by Zalando SE (H. Xiao, K. Rasul, R. Vollgraf), MIT license. Same layout as
MNIST: 60,000 training and 10,000 test images, labels 0 T-shirt/top, 1 Trouser, 2 Pullover,
3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.

The four gzipped IDX files are fetched from :data:`BASE_URL` (the mirror Keras uses) into
``<data_home>/fashion-mnist/`` and checked against :data:`FILE_HASHES` (sha256, the values
published in Keras's ``fashion_mnist.py`` and in TensorFlow Datasets' ``url_checksums``).

Example:
    >>> import glassnet as gn
    >>> (x_train, y_train), _ = gn.datasets.fashion_mnist.load_data()  # doctest: +SKIP
"""

from pathlib import Path

from glassnet.datasets import download
from glassnet.datasets.mnist import IDX_FILES, load_local
from glassnet.datasets.registry import register_dataset

BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CACHE_SUBDIR = "fashion-mnist"
FILE_HASHES = {
    "train-labels-idx1-ubyte.gz":
        "sha256:a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz":
        "sha256:3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz":
        "sha256:67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz":
        "sha256:346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


@register_dataset("fashion_mnist")
def load_data(path=None):
    """Load Fashion-MNIST: ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, like Keras.

    ``x_train`` is ``(60000, 28, 28)``, ``y_train`` ``(60000,)``, ``x_test``
    ``(10000, 28, 28)``, ``y_test`` ``(10000,)``.

    Args:
        path: None (default) to download (once, then cached and hash-checked). Or a folder
            holding the four IDX files (``train-images-idx3-ubyte`` ... , gzipped or not), or a
            Keras-layout ``.npz`` with ``x_train, y_train, x_test, y_test``.

    Returns:
        Tuple of NumPy arrays ``(x_train, y_train), (x_test, y_test)``.

    Raises:
        DownloadError: no network; the message says which files to put where.
        FileFormatError: a downloaded file has the wrong hash, or a local file is malformed.

    Example:
        >>> import glassnet as gn
        >>> data = gn.datasets.fashion_mnist.load_data("~/Downloads/fashion")  # doctest: +SKIP
    """
    if path is None:
        folder = download.data_home() / CACHE_SUBDIR
        hint = (
            f"Without network, download {', '.join(FILE_HASHES)} from {BASE_URL} into "
            f"{folder}, or into any folder F and call fashion_mnist.load_data(path=F)."
        )
        for fname, file_hash in FILE_HASHES.items():
            download.get_file(fname, BASE_URL + fname, file_hash=file_hash,
                              cache_subdir=CACHE_SUBDIR, offline_hint=hint, resume=True)
        path = folder
    arrays = load_local(Path(path))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


__all__ = ["load_data", "BASE_URL", "FILE_HASHES", "CLASS_NAMES", "IDX_FILES"]
