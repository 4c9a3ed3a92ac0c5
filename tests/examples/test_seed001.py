"""Seed 001's examples, run as scripts: perceptron truth tables and BGD/SGD/mini-batch."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
