"""Seed 003's examples, run in --quick mode: softmax, schedules, MNIST comparisons, over-fitting."""

import math
import sys

import pytest

from tests.examples._helpers import assert_pngs, run_example


def test_softmax_values(tmp_path):
    result = run_example("seed003_softmax", tmp_path)
    e = [math.exp(v) for v in (1, 2, 5, 3)]
    exact = [v / sum(e) for v in e]
    assert result["softmax"] == pytest.approx(exact, abs=1e-12)
    assert [round(v, 4) for v in result["softmax"]] == [0.0152, 0.0414, 0.8310, 0.1125]
    # the seed's 0.01, 0.04, 0.83, 0.11 are the values truncated to two decimals
    assert [math.floor(v * 100) / 100 for v in result["softmax"]] == [0.01, 0.04, 0.83, 0.11]
    assert "| 5 | 148.4132 | 0.8310 | 1 |" in (tmp_path / "softmax.md").read_text("utf-8")
    assert_pngs(tmp_path, ["softmax_vs_max.png"])


def test_schedules_seed_example(tmp_path):
    result = run_example("seed003_schedules", tmp_path)
    # printed by the seed, digit for digit
    assert result["seed_example"] == [0.1, 0.1, 0.09000000000000001, 0.09000000000000001,
                                      0.08100000000000002, 0.08100000000000002]
    lists = result["lists"]
    assert all(len(values) == 100 for values in lists.values())
    assert lists["exponential_decay_lr(0.9)"][99] == pytest.approx(0.1 * 0.9**9)
    assert result["objects"]["ExponentialDecay(10, 0.9)"](95) == pytest.approx(0.1 * 0.9**9.5)
    assert_pngs(tmp_path, ["seed_example.png", "mindspore_lists.png", "keras_schedules.png"])


def _check_activations_compared(tmp_path, result):
    by_name = {r["name"]: r for r in result["results"]}
    assert list(by_name) == ["sigmoid/sigmoid/sigmoid", "relu/relu/sigmoid", "relu/relu/softmax"]
    assert result["epochs"] == 1 and result["samples"] == 400
    # One epoch of SGD(0.01) barely moves the outputs from their start: ten sigmoid outputs
    # near 0.5 give MSE ~ (0.5^2 * 9 + 0.5^2) / 10 = 0.25, ten softmax outputs near 0.1 give
    # (0.9^2 + 9 * 0.1^2) / 10 = 0.09.
    assert by_name["sigmoid/sigmoid/sigmoid"]["loss"] == pytest.approx(0.25, abs=0.03)
    assert by_name["relu/relu/softmax"]["loss"] == pytest.approx(0.09, abs=0.01)
    text = (tmp_path / "activations_compared.md").read_text("utf-8")
    assert text.count("\n| relu/relu/") == 2
    assert_pngs(tmp_path, ["activations_compared.png"])


def test_optimizers_compared(tmp_path):
    result = run_example("seed003_optimizers_compared", tmp_path)
    by_name = {r["name"]: r for r in result["results"]}
    assert list(by_name) == ["SGD", "Adagrad", "RMSprop", "Adam"]
    for r in by_name.values():
        assert math.isfinite(r["loss"]) and 0.0 <= r["val_accuracy"] <= 1.0
    # the adaptive methods move much faster than plain SGD(0.01) in the same two steps
    assert by_name["Adam"]["val_accuracy"] > by_name["SGD"]["val_accuracy"] + 0.1
    assert by_name["RMSprop"]["val_accuracy"] > by_name["SGD"]["val_accuracy"] + 0.1
    assert "| Adam |" in (tmp_path / "optimizers_compared.md").read_text("utf-8")
    assert_pngs(tmp_path, ["optimizers_compared.png"])


def test_optimizers_compared_rejects_unknown_names(tmp_path):
    with pytest.raises(SystemExit):
        run_example("seed003_optimizers_compared", tmp_path, "--optimizers", "Adamm")


def test_overfitting_normalization(tmp_path):
    result = run_example("seed003_overfitting", tmp_path)
    raw, normalized = result["results"]["raw x"], result["results"]["normalized x"]
    assert len(raw["history"]["loss"]) == len(normalized["history"]["loss"]) == 300
    assert normalized["train_mse"] < raw["train_mse"]
    assert normalized["curve_mse"] < raw["curve_mse"]
    for r in (raw, normalized):
        assert r["history"]["loss"][-1] < r["history"]["loss"][0]
    assert_pngs(tmp_path, ["fits.png", "losses.png"])


def test_examples_run_without_matplotlib(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    result = run_example("seed003_softmax", tmp_path / "softmax")
    assert result["figures"] == [] and (tmp_path / "softmax" / "softmax.md").is_file()
    result = run_example("seed003_schedules", tmp_path / "schedules")
    assert result["figures"] == [] and not list((tmp_path / "schedules").glob("*.png"))
    assert "skipped" in capsys.readouterr().out


def test_seed_mnist_mlp_quick_run_learns_and_writes_results_and_figures(tmp_path, monkeypatch):
    import json
    import runpy

    from tests.examples._helpers import EXAMPLES

    out = tmp_path / "mlp"
    monkeypatch.setattr(sys, "argv", ["seed003_mnist_mlp.py", "--quick", "--out", str(out)])
    runpy.run_path(str(EXAMPLES / "seed003_mnist_mlp.py"), run_name="__main__")
    results = json.loads((out / "results.json").read_text("utf-8"))
    assert results["epochs"] == 3 and results["train_size"] == 5000
    assert len(results["history"]["val_accuracy"]) == 3
    assert results["final_val_accuracy"] > 0.5  # chance is 0.1 (measured 0.86)
    assert results["history"]["loss"][-1] < results["history"]["loss"][0]
    assert_pngs(out, ["learning_curves.png", "confusion_matrix.png", "predictions.png",
                      "misclassified.png"])


def test_activations_compared(tmp_path, capsys):
    result = run_example("seed003_activations_compared", tmp_path)
    out = capsys.readouterr().out  # a quick run says it is a smoke run
    assert "smoke run" in out and "not a result" in out
    assert "python examples/seed003_activations_compared.py --epochs 10" in out
    assert "1 epochs" not in out and "1 epoch," in out
    _check_activations_compared(tmp_path, result)


def test_overfitting_help_is_not_cut_mid_sentence(capsys):
    with pytest.raises(SystemExit):
        run_example("seed003_overfitting", "unused", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "with and without normalizing the feature." in text
