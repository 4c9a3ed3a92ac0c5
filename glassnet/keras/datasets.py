"""``keras.datasets``: mnist (bundled, offline), fashion_mnist, cifar10 (downloaded, verified)."""

from glassnet.datasets import cifar10, fashion_mnist, mnist

__all__ = ["cifar10", "fashion_mnist", "mnist"]
