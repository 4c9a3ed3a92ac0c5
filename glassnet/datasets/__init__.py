"""Datasets, Keras style: ``gn.datasets.mnist.load_data()`` and friends.

- :mod:`~glassnet.datasets.mnist`: MNIST, bundled (offline).
- :mod:`~glassnet.datasets.fashion_mnist`: Fashion-MNIST, downloaded once, sha256-checked.
- :mod:`~glassnet.datasets.cifar10`: CIFAR-10 (binary version), downloaded once, sha256-checked.
- :mod:`~glassnet.datasets.synthetic`: sin, polynomial, xor, spirals, circles, gaussians,
  linear.

Every ``load_data`` registers itself by name: ``gn.datasets.available()``,
``gn.datasets.load("mnist")``. Adding a dataset is one module plus one import line below.
Downloads are cached in ``~/.glassnet/datasets`` (or ``$GLASSNET_DATA_HOME``).

Example:
    >>> import glassnet as gn
    >>> (x_train, y_train), (x_test, y_test) = gn.datasets.mnist.load_data()
    >>> gn.datasets.available()
    ['cifar10', 'fashion_mnist', 'mnist']
"""

from glassnet.datasets import cifar10, fashion_mnist, mnist, synthetic
from glassnet.datasets.download import DownloadError, data_home
from glassnet.datasets.registry import available, get, load, register_dataset

__all__ = [
    "cifar10",
    "fashion_mnist",
    "mnist",
    "synthetic",
    "available",
    "get",
    "load",
    "register_dataset",
    "data_home",
    "DownloadError",
]
