"""Seed 001's examples, run as scripts: perceptron truth tables, BGD/SGD/mini-batch, deltas."""

import numpy as np
import pytest

from tests.examples._helpers import load_example as _load


def test_perceptron_example(tmp_path):
    results = _load("seed001_perceptron").main(["--quick", "--out", str(tmp_path)])
    for name in ("and", "or", "not"):
        assert results[name]["converged"]
        assert results[name]["predictions"] == results[name]["targets"]
    assert not results["xor"]["converged"] and "linearly separable" in results["xor"]["warning"]
    text = (tmp_path / "perceptron.md").read_text(encoding="utf-8")
    assert "| XOR | NO |" in text and "| AND | yes |" in text


def test_linear_unit_example(tmp_path):
    results = _load("seed001_linear_unit").main(["--quick", "--out", str(tmp_path)])
    updates = {m: results[m]["updates"] for m in ("bgd", "sgd", "minibatch")}
    assert updates == {"bgd": 30, "sgd": 30 * 40, "minibatch": 30 * 5}
    best = results["least_squares"]
    # Same epochs, same learning rate: more updates per epoch get closer to the optimum.
    assert results["sgd"]["loss"] < results["minibatch"]["loss"] < results["bgd"]["loss"]
    assert results["sgd"]["loss"] == pytest.approx(best["loss"], rel=0.1)
    for method in ("bgd", "sgd", "minibatch"):
        history = results[method]["loss_history"]
        assert history[-1] < history[0] / 10
    text = (tmp_path / "linear_unit.md").read_text(encoding="utf-8")
    assert "| SGD | 30 | 1200 |" in text


def test_delta_formulas_example(tmp_path):
    """The seed's delta formulas, computed here from scratch in NumPy, against glassnet."""
    module = _load("seed001_deltas")
    result = module.main(["--out", str(tmp_path)])
    x, t, w1, b1, w2, b2 = module.X[0], module.T[0], module.W1, module.B1, module.W2, module.B2
    a = 1 / (1 + np.exp(-(x @ w1 + b1)))
    y = 1 / (1 + np.exp(-(a @ w2 + b2)))
    delta_k = y * (1 - y) * (t - y)                      # output units
    delta_i = a * (1 - a) * (w2 @ delta_k)               # hidden units: sum_k w_ki delta_k
    np.testing.assert_allclose(result["output"], y, rtol=1e-12)
    np.testing.assert_allclose(result["glassnet_delta_output"], -delta_k, rtol=1e-12)
    np.testing.assert_allclose(result["glassnet_delta_hidden"], -delta_i, rtol=1e-12)
    eta = result["learning_rate"]
    np.testing.assert_allclose(result["sgd_update_w2"], w2 + eta * np.outer(a, delta_k),
                               rtol=1e-12)
    np.testing.assert_allclose(result["sgd_update_w1"], w1 + eta * np.outer(x, delta_i),
                               rtol=1e-12)
    assert result["loss"] == pytest.approx(0.5 * ((t - y) ** 2).sum(), rel=1e-12)
    text = (tmp_path / "deltas.md").read_text(encoding="utf-8")
    assert text.count("| yes |") == 5 and "give the same weights" in text
