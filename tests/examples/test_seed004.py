"""Seed 004's examples, run in --quick mode: activations, early stopping, vanishing gradients."""

import math

import numpy as np
import pytest

from tests.examples._helpers import assert_pngs, run_example


def test_activation_values_on_minus_one_zero_one(tmp_path):
    result = run_example("seed004_activations", tmp_path)
    values = result["values"]
    # the seed's printed outputs
    np.testing.assert_allclose(values["sigmoid"], [0.26894142, 0.5, 0.73105858], atol=5e-9)
    np.testing.assert_array_equal(values["relu"], [0, 0, 1])
    np.testing.assert_allclose(values["tanh"], [-0.76159416, 0.0, 0.76159416], atol=5e-9)
    s1 = 1 / (1 + math.exp(-1))
    grads = result["derivatives"]
    np.testing.assert_allclose(grads["sigmoid"], [s1 * (1 - s1), 0.25, s1 * (1 - s1)])
    np.testing.assert_array_equal(grads["relu"], [0, 0, 1])
    np.testing.assert_allclose(grads["tanh"], [1 - math.tanh(1) ** 2, 1, 1 - math.tanh(1) ** 2])
    assert "| sigmoid | 0.26894142 | 0.50000000 | 0.73105858 |" in (
        tmp_path / "activations.md").read_text("utf-8")
    assert_pngs(tmp_path, ["activations.png"])


def test_overfitting_and_early_stopping(tmp_path):
    result = run_example("seed004_overfitting_early_stopping", tmp_path)
    runs = result["results"]
    linear = runs["under-fitting (linear)"]
    overfit = runs["over-fitting (1-64-64-1)"]
    early = runs["early stopping (1-64-64-1)"]
    assert linear["epochs"] == overfit["epochs"] == result["epochs"] == 300
    # Keras semantics: stop `patience` epochs after the best one, then restore the best weights
    assert early["epochs"] == early["best_epoch"] + result["patience"] < 300
    assert early["val_mse"] == pytest.approx(min(early["history"]["val_loss"]), rel=1e-5)
    assert early["val_mse"] < overfit["val_mse"]
    # the straight line cannot follow sin(3x): worst on the training data
    assert linear["train_mse"] > early["train_mse"] > overfit["train_mse"]
    assert_pngs(tmp_path, ["fits.png", "validation_curves.png", "underfitting_curves.png"])


def test_vanishing_and_exploding_gradients(tmp_path):
    result = run_example("seed004_vanishing_gradients", tmp_path)
    runs = result["results"]
    # sigmoid' <= 1/4: ten sigmoid layers shrink the first layer's gradient by orders of
    # magnitude; relu (He init) and batch normalization keep it of the last layer's order
    assert runs["sigmoid"]["ratio"] < 1e-3
    assert runs["relu"]["ratio"] > 0.1
    assert runs["sigmoid + BatchNorm"]["ratio"] > 0.1
    big, clipped = runs["relu, N(0, 0.5^2) weights"], runs["relu, N(0, 0.5^2) weights, clipped"]
    assert big["first_layer_norm"] > 1e3 * runs["relu"]["first_layer_norm"]
    assert not math.isfinite(big["losses"][-1]) and len(big["losses"]) < result["steps"]
    assert len(clipped["losses"]) == result["steps"]
    assert all(math.isfinite(v) for v in clipped["losses"])
    assert clipped["losses"][-1] < clipped["losses"][0]
    assert_pngs(tmp_path, ["gradient_norms_sigmoid.png", "gradient_norms_relu.png",
                           "gradient_norms_sigmoid_batchnorm.png",
                           "gradient_norms_relu_large_weights.png",
                           "gradient_norms_over_training.png", "losses.png"])
