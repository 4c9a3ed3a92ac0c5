"""Hostile Keras (.h5/.keras) and safetensors files (issue 19): dtypes, NaN/inf, huge configs.

Broken variant checked: before glassnet.file_limits.convert, int64 and rounding float64
weights were cast silently and NaN weights loaded without a word.
"""

import json
import os
import shutil
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import FileFormatError
from glassnet.interop.safetensors_io import load_safetensors

st_numpy = pytest.importorskip("safetensors.numpy")
h5py = pytest.importorskip("h5py")

KERAS = os.path.join(os.path.dirname(__file__), "fixtures", "keras")


def small():
    return gn.Sequential([gn.layers.Dense(3, input_shape=(2,), name="dense")])


def safetensors_file(tmp_path, change):
    model = small()
    arrays = {w.path: np.full(w.shape, 0.5, dtype=np.float32) for w in model.weights}
    change(arrays)
    path = str(tmp_path / "w.safetensors")
    st_numpy.save_file(arrays, path)
    return model, path


def test_safetensors_nan_weights_warn_naming_the_weight(tmp_path):
    model, path = safetensors_file(tmp_path, lambda a: a["dense/kernel"].__setitem__(
        (0, 0), np.nan))
    with pytest.warns(RuntimeWarning, match=r"dense/kernel.*NaN or infinite"):
        load_safetensors(model, path)
    assert np.isnan(model.weights[0].data[0, 0])


def test_safetensors_float16_converts_with_a_warning(tmp_path):
    def half(arrays):
        arrays["dense/kernel"] = arrays["dense/kernel"].astype(np.float16)
    model, path = safetensors_file(tmp_path, half)
    with pytest.warns(UserWarning, match=r"dense/kernel.*float16.*converted"):
        load_safetensors(model, path)
    assert np.all(model.weights[0].data == 0.5)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_safetensors_integer_weights_are_refused(tmp_path, dtype):
    def cast(arrays):
        arrays["dense/kernel"] = arrays["dense/kernel"].astype(dtype)
    model, path = safetensors_file(tmp_path, cast)
    with pytest.raises(FileFormatError, match="dense/kernel"):
        load_safetensors(model, path)


def test_safetensors_rounding_float64_is_refused_and_changes_nothing(tmp_path):
    def wide(arrays):
        arrays["dense/kernel"] = arrays["dense/kernel"].astype(np.float64) + 1e-12
    model, path = safetensors_file(tmp_path, wide)
    before = model.weights[0].data.copy()
    with pytest.raises(FileFormatError, match=r"dense/kernel.*float64.*refused"):
        load_safetensors(model, path)
    np.testing.assert_array_equal(model.weights[0].data, before)


def first_dataset(root):
    found = []
    root.visititems(lambda name, node: found.append(name) if isinstance(
        node, h5py.Dataset) and node.ndim == 2 and not found else None)
    return found[0]


def edited_h5(tmp_path, change):
    target = str(tmp_path / "mlp.h5")
    shutil.copy(os.path.join(KERAS, "mlp.h5"), target)
    with h5py.File(target, "r+") as root:
        name = first_dataset(root)
        data = root[name][()]
        del root[name]
        root[name] = change(data)
    return target


def test_keras_h5_nan_weights_warn(tmp_path):
    def poison(data):
        data[0, 0] = np.inf
        return data
    path = edited_h5(tmp_path, poison)
    with pytest.warns(RuntimeWarning, match="NaN or infinite"):
        gn.models.load_model(path)


def test_keras_h5_int64_weights_are_refused(tmp_path):
    path = edited_h5(tmp_path, lambda data: data.astype(np.int64))
    with pytest.raises(FileFormatError, match=r"int64.*refused"):
        gn.models.load_model(path)


@pytest.mark.parametrize("edit, words", [
    (lambda c: c["config"]["layers"].extend([c["config"]["layers"][-1]] * 30_000), "layers"),
    (lambda c: c["config"].__setitem__("x", json.loads("[" * 500 + "]" * 500)), "deeper"),
    (lambda c: c["config"]["layers"][0]["config"].__setitem__("batch_shape", [None, -2]),
     "dimension"),
])
def test_keras_archive_configs_are_bounded(tmp_path, edit, words):
    target = str(tmp_path / "mlp-edited.keras")
    with zipfile.ZipFile(os.path.join(KERAS, "mlp.keras")) as source, \
            zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            out.writestr(info.filename, data)
    with pytest.raises(FileFormatError, match=words):
        gn.models.load_model(target)
