import gzip

import numpy as np
import pytest

from glassnet.datasets import mnist
from glassnet.errors import FileFormatError
from tests.datasets.idx_bytes import idx_bytes, write_mnist_folder

# Published MNIST class counts (LeCun et al.'s training and test sets).
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def bundled():
    return mnist.load_data()


def small(bundled, n_train=40, n_test=20):
    (x, y), (xt, yt) = bundled
    return {"x_train": x[:n_train], "y_train": y[:n_train],
            "x_test": xt[:n_test], "y_test": yt[:n_test]}


def test_bundled_shapes_dtypes_and_counts(bundled):
    (x_train, y_train), (x_test, y_test) = bundled
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    assert x_train.mean() == pytest.approx(33.318, abs=1e-3)  # the well-known mean pixel
    assert x_train.max() == 255 and x_train.min() == 0


def test_bundled_file_is_inside_the_package():
    assert mnist.BUNDLED_PATH.is_file()
    assert mnist.BUNDLED_PATH.parent.name == "data"
    assert mnist.BUNDLED_PATH.parent.parent.name == "datasets"


def test_keras_default_name_falls_back_to_bundled(bundled, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GLASSNET_DATA_HOME", str(tmp_path / "empty"))
    (x, y), (xt, yt) = mnist.load_data("mnist.npz")
    np.testing.assert_array_equal(y, bundled[0][1])
    assert x.shape == (60000, 28, 28)


def test_keras_default_name_prefers_cache_folder(bundled, tmp_path, monkeypatch):
    arrays = small(bundled)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cache").mkdir()
    np.savez(tmp_path / "cache" / "mnist.npz", **arrays)
    monkeypatch.setenv("GLASSNET_DATA_HOME", str(tmp_path / "cache"))
    (x, _), _ = mnist.load_data("mnist.npz")
    assert x.shape == (40, 28, 28)


def test_seed_003_style_path_to_existing_file(bundled, tmp_path, monkeypatch):
    arrays = small(bundled)
    np.savez(tmp_path / "mnist.npz", **arrays)
    (x, y), (xt, yt) = mnist.load_data(str(tmp_path / "mnist.npz"))
    np.testing.assert_array_equal(x, arrays["x_train"])
    np.testing.assert_array_equal(yt, arrays["y_test"])
    monkeypatch.chdir(tmp_path)  # a bare "mnist.npz" that exists in the working folder wins
    (x, _), _ = mnist.load_data("mnist.npz")
    assert x.shape == (40, 28, 28)


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_and_npz_give_identical_arrays(bundled, tmp_path, gz):
    arrays = small(bundled)
    write_mnist_folder(tmp_path, arrays, gz=gz)
    np.savez_compressed(tmp_path / "m.npz", **arrays)
    from_idx = mnist.load_data(tmp_path)
    from_npz = mnist.load_data(tmp_path / "m.npz")
    for a, b, key in zip((*from_idx[0], *from_idx[1]), (*from_npz[0], *from_npz[1]),
                         mnist.KEYS, strict=True):
        assert a.dtype == b.dtype == np.uint8
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, arrays[key])


def test_idx_folder_with_dotted_names(bundled, tmp_path):
    arrays = small(bundled)
    names = {"x_train": "train-images.idx3-ubyte", "y_train": "train-labels.idx1-ubyte",
             "x_test": "t10k-images.idx3-ubyte.gz", "y_test": "t10k-labels.idx1-ubyte"}
    for key, name in names.items():
        data = idx_bytes(arrays[key])
        (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    (_, y), (xt, _) = mnist.load_data(tmp_path)
    np.testing.assert_array_equal(xt, arrays["x_test"])
    np.testing.assert_array_equal(y, arrays["y_train"])


def test_idx_folder_missing_file(bundled, tmp_path):
    write_mnist_folder(tmp_path, small(bundled))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        mnist.load_data(tmp_path)


def test_idx_folder_count_mismatch(bundled, tmp_path):
    arrays = small(bundled)
    arrays["y_test"] = arrays["y_test"][:5]
    write_mnist_folder(tmp_path, arrays)
    with pytest.raises(FileFormatError, match="20 images but y_test has 5 labels"):
        mnist.load_data(tmp_path)


def test_npz_missing_keys(bundled, tmp_path):
    arrays = small(bundled)
    del arrays["y_test"], arrays["x_train"]
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(FileFormatError) as info:
        mnist.load_data(tmp_path / "m.npz")
    assert "x_train" in str(info.value) and "y_test" in str(info.value)
    assert "missing" in str(info.value)


def test_npz_wrong_dtype_and_shape(bundled, tmp_path):
    arrays = small(bundled)
    arrays["x_train"] = arrays["x_train"].astype(np.float32)
    arrays["y_test"] = arrays["y_test"].reshape(-1, 1)
    arrays["x_test"] = arrays["x_test"].reshape(20, 784)
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(FileFormatError) as info:
        mnist.load_data(tmp_path / "m.npz")
    message = str(info.value)
    assert "x_train has dtype float32, expected uint8" in message
    assert "y_test has shape (20, 1), expected (N,)" in message
    assert "x_test has shape (20, 784)" in message


def test_npz_with_pickled_object_array_is_refused(tmp_path):
    objects = np.empty(2, dtype=object)
    objects[:] = [{"a": 1}, [2]]
    np.savez(tmp_path / "m.npz", x_train=objects, y_train=objects, x_test=objects,
             y_test=objects)
    with pytest.raises(FileFormatError, match="m.npz"):
        mnist.load_data(tmp_path / "m.npz")


def test_not_an_npz(tmp_path):
    (tmp_path / "m.npz").write_bytes(b"PK\x03\x04 this is not really a zip file")
    with pytest.raises(FileFormatError, match="m.npz"):
        mnist.load_data(tmp_path / "m.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(FileFormatError, match="single .npy"):
        mnist.load_data(tmp_path / "single.npy")


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing_here.npz"):
        mnist.load_data(tmp_path / "nothing_here.npz")


def test_seed_003_windows_path_that_does_not_exist_uses_bundled(bundled, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GLASSNET_DATA_HOME", str(tmp_path / "empty"))
    seed_path = "D:\\datasets\\MNIST_Data\\mnist.npz"  # the literal path in seed 003
    with pytest.warns(UserWarning, match="MNIST_Data"):
        (x, y), (xt, yt) = mnist.load_data(seed_path)
    assert x.shape == (60000, 28, 28) and yt.shape == (10000,)
    np.testing.assert_array_equal(yt, bundled[1][1])
