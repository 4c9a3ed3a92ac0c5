"""``glassnet export`` (checked in onnxruntime and with safetensors' own reader) and
``glassnet convert`` (checked against the predictions real Keras saved beside its fixtures)."""

import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli

KERAS_FIXTURES = Path(__file__).resolve().parent / "interop" / "fixtures" / "keras"


@pytest.fixture
def cnn_file(tmp_path):
    gn.manual_seed(11)
    model = gn.Sequential([
        gn.layers.Conv2D(4, (3, 3), activation="relu", input_shape=(10, 10, 1)),
        gn.layers.MaxPooling2D((2, 2)), gn.layers.Flatten(),
        gn.layers.Dense(5, activation="softmax")])
    path = tmp_path / "cnn.glassnet"
    model.save(path)
    return path


def _main(argv, capsys):
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_onnx_export_runs_in_onnxruntime_like_predict(cnn_file, tmp_path, capsys):
    pytest.importorskip("onnx")
    runtime = pytest.importorskip("onnxruntime")
    out = tmp_path / "exported.onnx"
    code, printed, err = _main(["export", str(cnn_file), "--format", "onnx", "--out", str(out)],
                               capsys)
    assert code == 0, err
    assert f"to {out}" in printed
    x = np.random.default_rng(0).random((3, 10, 10, 1), dtype=np.float32)
    session = runtime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {session.get_inputs()[0].name: x})
    expected = gn.io.load_model(cnn_file).predict(x, verbose=0)
    np.testing.assert_allclose(onnx_out, expected, atol=1e-5)


def test_default_output_name_and_no_silent_overwrite(cnn_file, capsys):
    pytest.importorskip("onnx")
    assert _main(["export", str(cnn_file), "--format", "onnx"], capsys)[0] == 0
    assert (cnn_file.parent / "cnn.onnx").stat().st_size > 0
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["export", str(cnn_file), "--format", "onnx"])
    assert exit_info.value.code == 2 and "--overwrite" in capsys.readouterr().err
    assert _main(["export", str(cnn_file), "--format", "onnx", "--overwrite"], capsys)[0] == 0


def test_safetensors_export_holds_every_weight(cnn_file, tmp_path, capsys):
    st_numpy = pytest.importorskip("safetensors.numpy")
    out = tmp_path / "weights.safetensors"
    code, _, err = _main(["export", str(cnn_file), "--format", "safetensors", "--out",
                          str(out)], capsys)
    assert code == 0, err
    tensors = st_numpy.load_file(str(out))  # safetensors' own reader
    model = gn.io.load_model(cnn_file)
    assert sorted(tensors) == sorted(w.path for w in model.weights)
    for weight in model.weights:
        np.testing.assert_array_equal(tensors[weight.path], weight.numpy())


def test_export_errors(cnn_file, tmp_path, capsys, monkeypatch):
    with pytest.raises(SystemExit) as exit_info:  # --format is required
        cli.main(["export", str(cnn_file)])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["export", str(cnn_file), "--format", "tflite"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "onnx", None)
    code, out, err = _main(["export", str(cnn_file), "--format", "onnx", "--out",
                            str(tmp_path / "x.onnx")], capsys)
    assert code == 1 and 'pip install "glassnet[onnx]"' in err and "Traceback" not in err


@pytest.mark.parametrize("fixture", ["mlp.keras", "cnn.keras", "rnn.h5", "mlp_tf2.h5"])
def test_convert_keeps_keras_predictions(fixture, tmp_path, capsys):
    pytest.importorskip("h5py")
    source = KERAS_FIXTURES / fixture
    if not source.exists():
        pytest.skip(f"Keras fixture {fixture} not generated")
    out = tmp_path / "converted.glassnet"
    code, printed, err = _main(["convert", str(source), str(out)], capsys)
    assert code == 0, err
    assert "Converted" in printed and str(out) in printed
    saved = np.load(KERAS_FIXTURES / (fixture.split(".")[0].removesuffix("_tf2") + ".npz"))
    model = gn.io.load_model(out)  # glassnet's own format now
    np.testing.assert_allclose(model.predict(saved["x"], verbose=0), saved["y"], atol=1e-5)
    assert _main(["inspect", str(out), "--no-plot"], capsys)[0] == 0  # the glass box opens it


def test_convert_errors(cnn_file, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["convert", str(tmp_path / "missing.keras"), str(tmp_path / "out.glassnet")])
    assert exit_info.value.code == 2 and "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # not a Keras file name
        cli.main(["convert", str(cnn_file), str(tmp_path / "out.glassnet")])
    assert exit_info.value.code == 2 and ".keras" in capsys.readouterr().err
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"PK\x03\x04 this is no archive")
    code, out, err = _main(["convert", str(broken), str(tmp_path / "out.glassnet")], capsys)
    assert code == 1 and out == "" and "broken.keras" in err and "Traceback" not in err
    assert not (tmp_path / "out.glassnet").exists()
    target = tmp_path / "taken.glassnet"
    target.write_text("keep me")
    if (KERAS_FIXTURES / "mlp.keras").exists():
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["convert", str(KERAS_FIXTURES / "mlp.keras"), str(target)])
        assert exit_info.value.code == 2 and target.read_text() == "keep me"
