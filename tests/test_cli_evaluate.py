"""``glassnet evaluate``: run folders and model files, every preset's input shape, --data-path.

The expected numbers are computed here with NumPy from the model's predictions on the MNIST
test images (Keras's formulas for the cross-entropies), never taken from the command itself.
"""

import json

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli
from glassnet.io import load_model

EPSILON = 1e-7  # Keras's backend epsilon, used by its cross-entropies


def _test_set(n):
    _, (x, y) = gn.datasets.mnist.load_data()
    return x[:n], y[:n]


def _categorical_ce(one_hot, p):
    """Keras's categorical_crossentropy(from_logits=False): normalise, clip, -sum(y log p)."""
    p = p / p.sum(axis=-1, keepdims=True)
    p = np.clip(p, EPSILON, 1 - EPSILON)
    return float(np.mean(-(one_hot * np.log(p)).sum(axis=-1)))


def _sparse_ce_from_logits(labels, logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(np.mean(-log_p[np.arange(len(labels)), labels]))


def _run(argv, capsys):
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluate") / "run"
    assert cli.main(["train", "--quick", "--train-samples", "1500", "--val-samples", "100",
                     "--epochs", "2", "--out", str(out), "--verbose", "0", "--no-plots"]) == 0
    return out


def test_a_run_folder_is_evaluated_like_numpy_says(run_folder, capsys):
    code, out, _ = _run(["evaluate", str(run_folder), "--samples", "400", "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    x, y = _test_set(400)
    model = load_model(run_folder / "model.glassnet")
    p = model.predict(x.reshape(400, 784).astype("float32") / 255, verbose=0).astype(np.float64)
    accuracy = float((p.argmax(-1) == y).mean())
    assert result["samples"] == 400 and result["input_shape"] == [784]
    assert result["argmax_accuracy"] == accuracy
    assert result["correct"] == int((p.argmax(-1) == y).sum())
    assert result["metrics"]["accuracy"] == pytest.approx(accuracy, abs=1e-6)
    # seed 003's MLP: sigmoid outputs, categorical cross-entropy on one-hot labels
    assert result["metrics"]["loss"] == pytest.approx(_categorical_ce(np.eye(10)[y], p),
                                                      rel=1e-4)
    assert any("one-hot" in note for note in result["notes"])


def test_text_output_names_the_data_and_the_accuracy(run_folder, capsys):
    code, out, _ = _run(["evaluate", str(run_folder / "model.glassnet"), "--samples", "200"],
                        capsys)
    assert code == 0
    assert "MNIST test set: 200 images shaped (784,)" in out
    assert "argmax accuracy" in out and "/200 correct" in out and "loss" in out


@pytest.mark.parametrize("preset", ["cnn", "lstm"])
def test_the_input_shape_is_read_from_the_model(preset, tmp_path, capsys):
    gn.manual_seed(3)
    model = cli.BUILDERS[preset]()
    if preset == "cnn":  # compiled: evaluated with its own loss
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam",
                      metrics=["accuracy"])
    path = tmp_path / f"{preset}.glassnet"
    model.save(path)
    code, out, _ = _run(["evaluate", str(path), "--samples", "150", "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    x, y = _test_set(150)
    shape = {"cnn": (28, 28, 1), "lstm": (28, 28)}[preset]
    assert result["input_shape"] == list(shape)
    p = model.predict(x.reshape(150, *shape).astype("float32") / 255, verbose=0)
    p = p.astype(np.float64)
    assert result["argmax_accuracy"] == float((p.argmax(-1) == y).mean())
    expected = float(np.mean(-np.log(np.clip(p[np.arange(150), y], EPSILON, 1))))
    assert result["metrics"]["loss"] == pytest.approx(expected, rel=1e-4)
    if preset == "lstm":  # saved without compile: the command says what it used
        assert any("without a loss" in note for note in result["notes"])


def test_an_uncompiled_logits_model_is_evaluated_from_logits(tmp_path, capsys):
    gn.manual_seed(4)
    model = gn.Sequential([gn.layers.Flatten(input_shape=(28, 28)), gn.layers.Dense(10)])
    path = tmp_path / "logits.glassnet"
    model.save(path)
    code, out, _ = _run(["evaluate", str(path), "--samples", "100", "--json"], capsys)
    assert code == 0
    result = json.loads(out)
    x, y = _test_set(100)
    logits = model.predict(x.astype("float32") / 255, verbose=0).astype(np.float64)
    assert result["metrics"]["loss"] == pytest.approx(_sparse_ce_from_logits(y, logits),
                                                      rel=1e-4)
    assert any("from_logits=True" in note for note in result["notes"])


def test_data_path_reads_that_file(run_folder, tmp_path, capsys):
    (x_train, y_train), (x_test, y_test) = gn.datasets.mnist.load_data()
    order = np.arange(60)[::-1] + 500  # 60 other images, in another order
    small = tmp_path / "mnist_small.npz"
    np.savez(small, x_train=x_train[:10], y_train=y_train[:10], x_test=x_test[order],
             y_test=y_test[order])
    code, out, _ = _run(["evaluate", str(run_folder), "--data-path", str(small), "--json"],
                        capsys)
    assert code == 0
    result = json.loads(out)
    assert result["samples"] == 60 and str(small) in result["data"]
    model = load_model(run_folder / "model.glassnet")
    p = model.predict(x_test[order].reshape(60, 784).astype("float32") / 255, verbose=0)
    assert result["correct"] == int((p.argmax(-1) == y_test[order]).sum())


def test_bad_input_gives_one_line_and_the_right_exit_code(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:  # a path that does not exist: usage, 2
        cli.main(["evaluate", str(tmp_path / "missing.glassnet")])
    assert exit_info.value.code == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # a folder that is no run folder
        cli.main(["evaluate", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "without model.glassnet" in capsys.readouterr().err
    not_a_model = tmp_path / "notes.glassnet"
    not_a_model.write_text("hello")
    code, out, err = _run(["evaluate", str(not_a_model)], capsys)
    assert code == 1 and out == "" and "not a glassnet model file" in err
    assert "Traceback" not in err
    wrong_shape = tmp_path / "wide.glassnet"
    gn.Sequential([gn.layers.Dense(10, input_shape=(30,))]).save(wrong_shape)
    code, _, err = _run(["evaluate", str(wrong_shape), "--samples", "10"], capsys)
    assert code == 1 and "(30,)" in err and "784" in err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["evaluate", str(wrong_shape), "--data", "cifar"])
    assert exit_info.value.code == 2
