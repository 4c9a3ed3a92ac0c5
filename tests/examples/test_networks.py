"""The network examples (LeNet-5, row-by-row LSTM, seed 004's CIFAR-10 CNN, char-RNN, tree
network), run in --quick mode: each must learn clearly beyond chance, not merely run.

The full runs' figures (LeNet-5 99.0 % test accuracy after 10 epochs, ...) are in the README;
these tests keep the scripts working and learning.
"""

import math

import numpy as np
import pytest

from glassnet.datasets import mnist
from tests.examples._helpers import assert_pngs, run_example

CLASSIFIER_FIGURES = ["learning_curves.png", "confusion_matrix.png", "predictions.png",
                      "misclassified.png"]


def test_lenet5_learns_mnist_digits(tmp_path):
    result = run_example("lenet_mnist", tmp_path)  # the plain --quick run
    assert result["params"] == 61_706  # 156 + 2,416 + 48,120 + 10,164 + 850
    assert result["train_size"] == 4000 and result["epochs"] == 3
    assert result["test_accuracy"] > 0.7  # chance is 0.1; 4,000 images, 3 epochs (0.90)
    assert len(result["history"]["loss"]) == 3
    assert result["history"]["loss"][-1] < result["history"]["loss"][0]
    assert (tmp_path / "results.json").is_file()
    assert_pngs(tmp_path, CLASSIFIER_FIGURES)


def test_lstm_reads_digits_row_by_row(tmp_path):
    result = run_example("lstm_mnist", tmp_path)  # the plain --quick run
    assert result["params"] == 4 * 128 * (28 + 128) + 4 * 128 + 128 * 10 + 10
    assert result["train_size"] == 3000 and result["epochs"] == 3
    assert result["test_accuracy"] > 0.5  # chance is 0.1; 3,000 images, 3 epochs (0.85)
    assert_pngs(tmp_path, CLASSIFIER_FIGURES)


def _cifar_stand_in(folder, n_train=500, n_test=200):
    """CIFAR-10's binary format holding MNIST digits padded to 32x32 and copied to RGB."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data()

    def records(x, y):
        padded = np.pad(x, ((0, 0), (2, 2), (2, 2)))
        planes = np.repeat(padded[:, None], 3, axis=1).reshape(len(x), -1)  # R, G, B planes
        return np.concatenate([y[:, None].astype(np.uint8), planes], axis=1).tobytes()

    per_batch = n_train // 5
    for b in range(5):
        part = slice(b * per_batch, (b + 1) * per_batch)
        (folder / f"data_batch_{b + 1}.bin").write_bytes(records(x_train[part], y_train[part]))
    (folder / "test_batch.bin").write_bytes(records(x_test[:n_test], y_test[:n_test]))


@pytest.mark.parametrize("logits", [False, True])
def test_seed004_cifar_cnn_trains_on_a_cifar_format_stand_in(tmp_path, logits):
    data = tmp_path / "cifar"
    data.mkdir()
    _cifar_stand_in(data)
    extra = ["--data", str(data), "--epochs", "3"] + (["--logits"] if logits else [])
    if logits:
        result = run_example("cifar10_cnn", tmp_path / "out", *extra)
    else:  # the seed's softmax + from_logits=True: glassnet says so
        with pytest.warns(UserWarning, match="from_logits=True, but y_pred looks like prob"):
            result = run_example("cifar10_cnn", tmp_path / "out", *extra)
    assert result["params"] == 122_570  # Keras's summary of the seed's model
    assert result["data"] is True
    losses = result["history"]["loss"]
    assert losses[-1] < losses[0]
    # the seed's double softmax learns, only more slowly than the linear last layer
    assert result["test_accuracy"] > (0.5 if logits else 0.2)
    assert_pngs(tmp_path / "out", CLASSIFIER_FIGURES)


def test_seed004_cifar_cnn_without_data_says_it_is_a_smoke_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GLASSNET_DATA_HOME", str(tmp_path / "empty"))
    result = run_example("cifar10_cnn", tmp_path / "out")
    assert result["data"] is False and math.isfinite(result["smoke_loss"])
    out = capsys.readouterr().out
    assert "smoke run" in out and "means nothing" in out and "--download" in out


def test_char_rnn_learns_the_text_and_generates(tmp_path):
    result = run_example("char_rnn", tmp_path)  # the plain --quick run: 60 steps
    assert result["steps"] == 60
    assert result["initial_loss"] == pytest.approx(math.log(result["vocab_size"]), rel=0.05)
    assert result["final_loss"] < 0.8 * result["uniform_loss"]
    assert result["sample"].startswith("the network ") and len(result["sample"]) == 212
    assert (tmp_path / "sample.txt").read_text("utf-8").strip() == result["sample"].strip()
    assert_pngs(tmp_path, ["learning_curve.png"])


def test_tree_network_seed_recnn_and_learned_composition(tmp_path):
    result = run_example("tree_network", tmp_path)  # the plain --quick run: 8 epochs
    assert result["epochs"] == 8
    seed = result["seed"]
    assert seed["root"] == pytest.approx(seed["leaf_D"])  # mean of means of D is D
    history = result["loss_history"]
    assert history[-1] < history[0]
    assert result["train_accuracy"] > result["majority_baseline"] + 0.1
    assert result["test_accuracy"] > result["majority_baseline"]
    assert_pngs(tmp_path, ["learning_curves.png", "confusion_matrix.png"])


def test_network_examples_skip_figures_without_matplotlib(tmp_path, monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    result = run_example("tree_network", tmp_path, "--epochs", "1")
    assert result["figures"] == [] and (tmp_path / "results.json").is_file()
    assert not list(tmp_path.glob("*.png"))
    assert "figures skipped" in capsys.readouterr().out
