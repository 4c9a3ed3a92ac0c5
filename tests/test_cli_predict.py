"""``glassnet predict``: PNG/JPEG images drawn here from MNIST, .npy and .csv inputs, errors.

The reference is ``model.predict`` on the same pixels (divided by 255, as training does) and
NumPy's own softmax; the images are written with Pillow, independently of the command.
"""

import json
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli
from glassnet.commands.predict import mnist_like

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module")
def digits():
    _, (x, y) = gn.datasets.mnist.load_data()
    return x[:8], y[:8]


@pytest.fixture(scope="module")
def cnn_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("predict") / "run"
    assert cli.main(["train", "--model", "cnn", "--quick", "--train-samples", "500",
                     "--val-samples", "50", "--out", str(out), "--verbose", "0",
                     "--no-plots"]) == 0
    return out / "model.glassnet"


def _predict(argv, capsys):
    code = cli.main(["predict", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _reference(model_file, pixels, shape=(28, 28, 1)):
    model = gn.io.load_model(model_file)
    x = np.asarray(pixels, dtype=np.float32).reshape(-1, *shape) / 255
    return model.predict(x, verbose=0)


def test_a_png_digit_gets_the_class_model_predict_gives(cnn_file, digits, tmp_path, capsys):
    x, _ = digits
    png = tmp_path / "digit.png"
    PIL.fromarray(x[0]).save(png)
    code, out, _ = _predict([str(cnn_file), str(png), "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    expected = _reference(cnn_file, x[0])[0]
    assert result["samples"][0]["predicted_class"] == int(expected.argmax())
    np.testing.assert_allclose(result["samples"][0]["outputs"], expected, atol=1e-6)
    assert result["output_kind"] == "probabilities"  # the CNN ends in softmax
    assert not any("inverted" in note for note in result["notes"])


def test_a_light_background_is_inverted_and_says_so(cnn_file, digits, tmp_path, capsys):
    x, _ = digits
    png = tmp_path / "black_on_white.png"
    PIL.fromarray(255 - x[1]).save(png)
    code, out, _ = _predict([str(cnn_file), str(png), "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert any("inverted" in note for note in result["notes"])
    np.testing.assert_allclose(result["samples"][0]["outputs"], _reference(cnn_file, x[1])[0],
                               atol=1e-6)


def test_a_large_jpeg_is_made_an_mnist_like_28x28(cnn_file, digits, tmp_path, capsys):
    x, _ = digits
    big = np.kron(255 - x[2], np.ones((4, 4), dtype=np.uint8))  # 112x112, black on white
    jpeg = tmp_path / "big.jpg"
    PIL.fromarray(big).save(jpeg, quality=95)
    code, out, _ = _predict([str(cnn_file), str(jpeg), "--top", "3"], capsys)
    assert code == 0
    assert "112x112 image" in out and "inverted" in out and "centred in 28x28" in out
    assert len([line for line in out.splitlines() if line.startswith("  ") and
                line.split()[0].isdigit()]) == 3  # --top 3: three classes listed


def test_mnist_like_crops_scales_to_20_and_centres_the_mass():
    image = np.zeros((90, 70))
    image[10:70, 30:50] = 255  # a 60x20 bar, off-centre
    digit = mnist_like(image)
    rows, cols = np.nonzero(digit > 25)
    assert digit.shape == (28, 28)
    assert rows.max() - rows.min() + 1 in (19, 20, 21)  # longer side scaled to 20 pixels
    total = digit.sum()
    centre = ((digit.sum(1) * np.arange(28)).sum() / total,
              (digit.sum(0) * np.arange(28)).sum() / total)
    assert abs(centre[0] - 14) <= 1 and abs(centre[1] - 14) <= 1


def test_npy_and_csv_batches(cnn_file, digits, tmp_path, capsys):
    x, _ = digits
    expected = _reference(cnn_file, x[:3]).argmax(-1).tolist()
    np.save(tmp_path / "three.npy", x[:3])
    code, out, _ = _predict([str(cnn_file), str(tmp_path / "three.npy"), "--json"], capsys)
    assert code == 0
    assert [s["predicted_class"] for s in json.loads(out)["samples"]] == expected
    np.savetxt(tmp_path / "three.csv", x[:3].reshape(3, 784), fmt="%d", delimiter=",")
    code, out, _ = _predict([str(cnn_file), str(tmp_path / "three.csv"), "--json"], capsys)
    assert code == 0
    assert [s["predicted_class"] for s in json.loads(out)["samples"]] == expected
    np.savetxt(tmp_path / "grid.csv", x[3] / 255, fmt="%.6f", delimiter=",")  # floats in [0,1]
    code, out, _ = _predict([str(cnn_file), str(tmp_path / "grid.csv"), "--json"], capsys)
    result = json.loads(out)
    assert code == 0 and any("already in [0, 1]" in note for note in result["notes"])
    assert result["samples"][0]["predicted_class"] == int(
        _reference(cnn_file, x[3]).argmax())


def test_logits_are_shown_as_they_are_unless_softmax_is_asked(digits, tmp_path, capsys):
    x, _ = digits
    gn.manual_seed(5)
    model = gn.Sequential([gn.layers.Dense(10, input_shape=(784,))])  # no activation: logits
    path = tmp_path / "logits.glassnet"
    model.save(path)
    np.save(tmp_path / "one.npy", x[4])
    logits = model.predict(x[4].reshape(1, 784).astype("float32") / 255, verbose=0)[0]
    code, out, _ = _predict([str(path), str(tmp_path / "one.npy"), "--json"], capsys)
    result = json.loads(out)
    assert code == 0 and result["output_kind"] == "logits"
    np.testing.assert_allclose(result["samples"][0]["outputs"], logits, atol=1e-6)
    code, out, _ = _predict([str(path), str(tmp_path / "one.npy"), "--json", "--softmax"],
                            capsys)
    result = json.loads(out)
    exp = np.exp(logits.astype(np.float64) - logits.max())
    np.testing.assert_allclose(result["samples"][0]["outputs"], exp / exp.sum(), atol=1e-6)
    assert result["samples"][0]["predicted_class"] == int(logits.argmax())
    code, out, _ = _predict([str(path), str(tmp_path / "one.npy")], capsys)
    assert "logits" in out and f"predicted class {int(logits.argmax())}" in out


def test_sigmoid_scores_are_called_scores(digits, tmp_path, capsys):
    x, _ = digits
    model = cli.build_mlp()
    path = tmp_path / "mlp.glassnet"
    model.save(path)
    np.save(tmp_path / "one.npy", x[5])
    code, out, _ = _predict([str(path), str(tmp_path / "one.npy")], capsys)
    assert code == 0 and "per-class scores" in out and "need not sum to 1" in out


def test_bad_inputs(cnn_file, tmp_path, capsys):
    np.save(tmp_path / "wrong.npy", np.zeros((3, 5)))
    code, out, err = _predict([str(cnn_file), str(tmp_path / "wrong.npy")], capsys)
    assert code == 1 and out == "" and "(3, 5)" in err and "(28, 28, 1)" in err
    (tmp_path / "notes.txt").write_text("7")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["predict", str(cnn_file), str(tmp_path / "notes.txt")])
    assert exit_info.value.code == 2 and ".png" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["predict", str(cnn_file), str(tmp_path / "missing.png")])
    assert exit_info.value.code == 2 and "no such file" in capsys.readouterr().err
    (tmp_path / "fake.png").write_text("not an image")
    code, _, err = _predict([str(cnn_file), str(tmp_path / "fake.png")], capsys)
    assert code == 1 and "not a readable PNG/JPEG image" in err
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    code, _, err = _predict([str(cnn_file), str(tmp_path / "objects.npy")], capsys)
    assert code == 1 and "never unpickles" in err
    (tmp_path / "header.csv").write_text("label,pixel0\n7,0\n")
    code, _, err = _predict([str(cnn_file), str(tmp_path / "header.csv")], capsys)
    assert code == 1 and "no header" in err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["predict", str(cnn_file), str(tmp_path / "wrong.npy"), "--top", "0"])
    assert exit_info.value.code == 2


def test_without_pillow_it_names_the_extra(cnn_file, digits, tmp_path, capsys, monkeypatch):
    x, _ = digits
    png = tmp_path / "digit.png"
    PIL.fromarray(x[0]).save(png)
    monkeypatch.setitem(sys.modules, "PIL", None)
    code, out, err = _predict([str(cnn_file), str(png)], capsys)
    assert code == 1 and out == ""
    assert 'pip install "glassnet[viz]"' in err
