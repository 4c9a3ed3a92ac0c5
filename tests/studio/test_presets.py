"""Studio presets: each builds and trains a batch; seed 004's sigmoid net shows vanishing
gradients; the seed networks are the seeds'."""

import numpy as np
import pytest

from glassnet.errors import GlassnetValueError
from glassnet.layers import Dense
from glassnet.studio import presets

NAMES = ["seed_mlp", "lenet", "lstm", "deep_sigmoid", "deep_relu", "seed001_net"]


def test_catalog_is_bilingual():
    assert sorted(presets.PRESETS) == sorted(NAMES)
    for entry in presets.catalog():
        assert entry["name"] in NAMES
        for text in (entry["title"], entry["description"]):
            assert set(text) == {"en", "zh"} and text["en"] and text["zh"]
    with pytest.raises(GlassnetValueError, match="seed_mlp"):
        presets.build("resnet")


@pytest.mark.parametrize("name", NAMES)
def test_each_preset_builds_and_trains_one_batch(name):
    run = presets.build(name, quick=True)
    model, x, y = run["model"], run["x"], run["y"]
    x_val, y_val = run["validation_data"]
    assert len(x) == len(y) and len(x_val) == len(y_val) and len(x_val) > 0
    assert set(run["fit"]) == {"epochs", "batch_size"}
    batch = run["fit"]["batch_size"]
    before = [w.copy() for w in model.get_weights()]
    logs = model.train_on_batch(x[:batch], y[:batch])
    loss = logs[0] if isinstance(logs, (list, tuple)) else logs
    assert np.isfinite(loss)
    after = model.get_weights()
    assert any(not np.array_equal(b, a) for b, a in zip(before, after, strict=True))


def test_seed_mlp_is_seed_003():
    run = presets.build("seed_mlp", quick=True)
    model = run["model"]
    assert [layer.units for layer in model.layers] == [784, 784, 10]
    assert all(layer.activation.__name__ == "sigmoid" for layer in model.layers)
    assert run["x"].shape == (3000, 784) and run["y"].shape == (3000, 10)
    assert run["validation_data"][0].shape == (500, 784)
    assert run["fit"] == {"epochs": 2, "batch_size": 100}
    assert 0.0 <= run["x"].min() and run["x"].max() <= 1.0
    assert type(model.optimizer).__name__ == "Adam"


def _kernel_norms(model):
    return [float(np.linalg.norm(layer.kernel.grad.numpy()))
            for layer in model.layers if isinstance(layer, Dense)]


def test_deep_sigmoid_gradients_vanish_and_relu_ones_do_not():
    run = presets.build("deep_sigmoid", quick=True)
    model = run["model"]
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    assert [layer.units for layer in dense] == [64] * 10 + [10]
    assert run["x"].shape == (1000, 784) and run["fit"]["batch_size"] == 100
    assert model.optimizer.learning_rate == pytest.approx(0.05)
    model.train_on_batch(run["x"][:100], run["y"][:100])
    norms = _kernel_norms(model)
    assert norms[0] / norms[-1] < 1e-3, norms
    # the staircase: every hidden layer's gradient is smaller than the one above it
    assert all(a < b for a, b in zip(norms[:-1], norms[1:], strict=True)), norms
    relu = presets.build("deep_relu", quick=True)["model"]
    relu.train_on_batch(run["x"][:100], run["y"][:100])
    norms = _kernel_norms(relu)
    assert norms[0] / norms[-1] > 1e-2, norms


def test_seed001_net_has_the_seed_weights_and_loss():
    run = presets.build("seed001_net", quick=True)
    model = run["model"]
    w1 = np.array([[0.15, 0.25, -0.30], [0.20, -0.35, 0.40]])
    w2 = np.array([[0.40, 0.50], [0.45, -0.55], [0.60, 0.65]])
    b1, b2 = np.array([0.35, 0.35, -0.10]), np.array([0.60, 0.60])
    for got, want in zip(model.get_weights(), [w1, b1, w2, b2], strict=True):
        np.testing.assert_array_equal(got, want)
    x, t = np.array([0.05, 0.10]), np.array([0.01, 0.99])
    y = 1 / (1 + np.exp(-((1 / (1 + np.exp(-(x @ w1 + b1)))) @ w2 + b2)))
    seed_loss = 0.5 * ((t - y) ** 2).sum()
    loss = model.train_on_batch(run["x"], run["y"])
    loss = loss[0] if isinstance(loss, (list, tuple)) else loss
    assert loss == pytest.approx(seed_loss, rel=1e-6)  # the reported loss is float32
