import hashlib

import numpy as np
import pytest

from glassnet.datasets import fashion_mnist
from glassnet.datasets.download import DownloadError
from glassnet.errors import FileFormatError
from tests.datasets.idx_bytes import write_mnist_folder
from tests.datasets.local_server import FileServer, closed_port_url


def tiny_arrays(rng):
    return {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
            "y_train": np.array([9, 0, 0, 3, 0, 2], dtype=np.uint8),
            "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
            "y_test": np.array([9, 2, 1], dtype=np.uint8)}


@pytest.fixture
def served(tmp_path, rng, monkeypatch):
    """Tiny Fashion-MNIST .gz files on a local server, module constants pointed at it."""
    arrays = tiny_arrays(rng)
    source = tmp_path / "source"
    source.mkdir()
    files = write_mnist_folder(source, arrays, gz=True)
    monkeypatch.setenv("GLASSNET_DATA_HOME", str(tmp_path / "home"))
    with FileServer({"/fm/" + name: data for name, data in files.items()}) as server:
        monkeypatch.setattr(fashion_mnist, "BASE_URL", server.url + "/fm/")
        monkeypatch.setattr(fashion_mnist, "FILE_HASHES", {
            name: "sha256:" + hashlib.sha256(data).hexdigest() for name, data in files.items()
        })
        yield server, arrays, source


def check(result, arrays):
    (x, y), (xt, yt) = result
    for got, key in zip((x, y, xt, yt), ("x_train", "y_train", "x_test", "y_test"), strict=True):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[key])


def test_real_constants_are_the_published_ones():
    assert fashion_mnist.BASE_URL == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert fashion_mnist.FILE_HASHES["train-images-idx3-ubyte.gz"] == (
        "sha256:3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84")
    assert sorted(fashion_mnist.FILE_HASHES) == sorted(
        name + ".gz" for name in fashion_mnist.IDX_FILES.values())


def test_download_then_cache(served, tmp_path):
    server, arrays, _ = served
    check(fashion_mnist.load_data(), arrays)
    assert len(server.requests) == 4
    cached = tmp_path / "home" / "fashion-mnist"
    assert sorted(p.name for p in cached.iterdir()) == sorted(fashion_mnist.FILE_HASHES)
    check(fashion_mnist.load_data(), arrays)  # from the cache: no new request
    assert len(server.requests) == 4


def test_wrong_hash_is_rejected(served, monkeypatch):
    hashes = dict(fashion_mnist.FILE_HASHES)
    hashes["t10k-labels-idx1-ubyte.gz"] = "sha256:" + "ab" * 32
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", hashes)
    with pytest.raises(FileFormatError, match="abab"):
        fashion_mnist.load_data()


def test_local_path_forms(served):
    _, arrays, source = served
    check(fashion_mnist.load_data(path=source), arrays)
    np.savez(source / "f.npz", **arrays)
    check(fashion_mnist.load_data(path=source / "f.npz"), arrays)


def test_offline_fails_fast_naming_files_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(fashion_mnist, "BASE_URL", closed_port_url() + "/")
    with pytest.raises(DownloadError) as info:
        fashion_mnist.load_data()
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "t10k-labels-idx1-ubyte.gz" in message
    assert str(tmp_path / "fashion-mnist") in message
    assert "load_data(path=" in message
