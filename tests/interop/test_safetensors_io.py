"""safetensors weights: round trips checked against the safetensors library itself, name and
shape checks, and hostile headers that must fail with FileFormatError before any allocation."""

import json
import struct
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import FileFormatError, GlassnetValueError
from glassnet.interop.safetensors_io import load_safetensors, read_header, save_safetensors

st_numpy = pytest.importorskip("safetensors.numpy")

L = gn.layers


def _model(seed=0):
    gn.manual_seed(seed)
    model = gn.Sequential([L.Conv2D(2, 3, input_shape=(6, 6, 1), name="conv"),
                           L.BatchNormalization(name="bn"), L.Flatten(), L.Dense(3, name="out")])
    rng = np.random.default_rng(seed)
    for w in model.weights:
        w.data[...] = rng.uniform(0.5, 1.5, size=w.shape).astype(w.dtype)
    return model


def test_the_file_is_a_plain_safetensors_file_named_by_weight_paths(tmp_path):
    model = _model()
    path = save_safetensors(model, tmp_path / "w.safetensors")
    tensors = st_numpy.load_file(path)  # the library's reader, not ours
    assert sorted(tensors) == sorted(w.path for w in model.weights)
    assert "conv/kernel" in tensors and "bn/moving_variance" in tensors
    for w in model.weights:
        np.testing.assert_array_equal(tensors[w.path], w.data)
        assert tensors[w.path].dtype == np.float32
    with open(path, "rb") as stream:
        (length,) = struct.unpack("<Q", stream.read(8))
        metadata = json.loads(stream.read(length))["__metadata__"]
    assert metadata["format"] == "glassnet.weights"
    assert metadata["glassnet_version"] == gn.__version__


def test_round_trip_gives_equal_predictions(tmp_path):
    source, target = _model(0), _model(1)
    x = np.random.default_rng(2).random((2, 6, 6, 1)).astype("float32")
    assert not np.allclose(source.predict(x, verbose=0), target.predict(x, verbose=0))
    path = tmp_path / "w.safetensors"
    source.export(path, format="safetensors", verbose=False)
    assert load_safetensors(target, path) is target
    np.testing.assert_array_equal(source.predict(x, verbose=0), target.predict(x, verbose=0))


def test_a_file_written_by_the_library_loads(tmp_path):
    model = _model()
    arrays = {w.path: np.full(w.shape, 0.25, dtype=np.float64) for w in model.weights}
    path = str(tmp_path / "lib.safetensors")
    st_numpy.save_file(arrays, path)
    load_safetensors(model, path)
    for w in model.weights:
        assert w.dtype == np.float32 and np.all(w.data == 0.25)
    assert set(load_safetensors(None, path)) == set(arrays)


def test_names_must_match_unless_not_strict(tmp_path):
    model = _model()
    arrays = {w.path: w.data for w in model.weights}
    arrays.pop("out/bias")
    arrays["extra/thing"] = np.zeros(2, np.float32)
    path = str(tmp_path / "w.safetensors")
    st_numpy.save_file(arrays, path)
    with pytest.raises(FileFormatError, match=r"missing from the file \['out/bias'\].*"
                                              r"\['extra/thing'\]"):
        load_safetensors(model, path)
    before = model.get_layer("out").bias.data.copy()
    load_safetensors(model, path, strict=False)
    np.testing.assert_array_equal(model.get_layer("out").bias.data, before)


def test_shape_and_dtype_mismatches_name_the_tensor_and_change_nothing(tmp_path):
    model = _model()
    kernel_before = model.get_layer("conv").kernel.data.copy()
    arrays = {w.path: np.zeros(w.shape, np.float32) for w in model.weights}
    arrays["out/kernel"] = np.zeros((3, 3), np.float32)
    st_numpy.save_file(arrays, str(tmp_path / "a.safetensors"))
    with pytest.raises(FileFormatError, match=r"'out/kernel' has shape \(3, 3\).*\(32, 3\)"):
        load_safetensors(model, tmp_path / "a.safetensors")
    np.testing.assert_array_equal(model.get_layer("conv").kernel.data, kernel_before)
    arrays["out/kernel"] = np.zeros((32, 3), np.int32)
    st_numpy.save_file(arrays, str(tmp_path / "b.safetensors"))
    with pytest.raises(FileFormatError, match="'out/kernel' has dtype int32"):
        load_safetensors(model, tmp_path / "b.safetensors")


def _hostile(tmp_path, header, data=b"", length=None, raw=None):
    body = raw if raw is not None else json.dumps(header).encode()
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(struct.pack("<Q", len(body) if length is None else length) + body + data)
    return path


@pytest.mark.parametrize("case, match", [
    ({"length": 2**62}, "header length"),
    ({"raw": b"\xff\xfe not json"}, "not valid JSON"),
    ({"raw": b"[1, 2]"}, "must be a JSON object"),
    ({"header": {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}}, "outside"),
    ({"header": {"w": {"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}},
      "data": b"\0" * 8}, "outside"),
    ({"header": {"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}},
      "data": b"\0" * 8}, "takes 12 bytes"),
    ({"header": {"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}},
      "data": b"\0" * 8}, "non-negative"),
    ({"header": {"w": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}},
      "data": b"\0" * 8}, "'BF16' is not supported"),
    ({"header": {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                 "v": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}},
      "data": b"\0" * 8}, "overlap"),
    ({"header": {"w": {"dtype": "F32", "shape": [2]}}}, "dtype, shape and data_offsets"),
    ({"header": {"__metadata__": {"a": 1}}}, "__metadata__"),
], ids=["huge_length", "not_json", "not_object", "past_end", "negative_offset",
        "size_mismatch", "negative_shape", "bfloat16", "overlap", "missing_key", "bad_metadata"])
def test_hostile_headers_raise_file_format_error(case, match, tmp_path):
    path = _hostile(tmp_path, case.get("header"), case.get("data", b""), case.get("length"),
                    case.get("raw"))
    with pytest.raises(FileFormatError, match=match) as info:
        load_safetensors(None, path)
    assert str(path) in str(info.value)


def test_a_short_file_and_a_missing_file(tmp_path):
    (tmp_path / "short").write_bytes(b"\x01\x02")
    with pytest.raises(FileFormatError, match="too short"):
        read_header(tmp_path / "short")
    with pytest.raises(FileFormatError, match="cannot be read"):
        read_header(tmp_path / "absent.safetensors")


def test_duplicate_weight_paths_are_refused(tmp_path):
    inner = gn.Sequential([L.Dense(2, input_shape=(2,), name="same")], name="inner")
    x = L.Input(shape=(2,))
    model = gn.Model(x, L.Dense(2, name="other")(inner(x)))
    model.get_layer("other").kernel.path = "same/kernel"
    with pytest.raises(GlassnetValueError, match="same path"):
        save_safetensors(model, tmp_path / "w.safetensors")


def test_without_safetensors_the_error_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[io\]"'):
        save_safetensors(_model(), tmp_path / "w.safetensors")
