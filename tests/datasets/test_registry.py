import pytest

import glassnet.datasets as datasets
from glassnet.datasets import registry
from glassnet.errors import UnknownIdentifierError


def test_submodules_and_registry():
    assert {"mnist", "fashion_mnist", "cifar10"} <= set(datasets.available())
    assert datasets.get("mnist") is datasets.mnist.load_data
    assert datasets.get("cifar10") is datasets.cifar10.load_data
    assert datasets.get("fashion_mnist") is datasets.fashion_mnist.load_data
    assert callable(datasets.synthetic.spirals)


def test_load_by_name():
    (x, y), (xt, yt) = datasets.load("mnist")
    assert x.shape == (60000, 28, 28) and yt.shape == (10000,)


def test_unknown_name_suggests_close_names():
    with pytest.raises(UnknownIdentifierError, match="mnist"):
        datasets.get("mnsit")


def test_registering_a_new_dataset_is_one_decorator():
    @datasets.register_dataset("toy")
    def load_data():
        return ((1, 2), (3, 4))

    try:
        assert "toy" in datasets.available()
        assert datasets.load("toy") == ((1, 2), (3, 4))
    finally:
        registry.REGISTRY.unregister(load_data)
    assert "toy" not in datasets.available()
