"""glassnet.classic: the perceptron (AND/OR/NOT learned, XOR reported) and the linear unit."""

import numpy as np
import pytest

from glassnet.classic import TRUTH_TABLES, ConvergenceWarning, LinearUnit, Perceptron


@pytest.mark.parametrize("name", ["and", "or", "not"])
def test_perceptron_learns_separable_truth_tables(name):
    x, t = TRUTH_TABLES[name]
    p = Perceptron(learning_rate=0.1).fit(x, t, epochs=20)
    assert p.converged
    np.testing.assert_array_equal(p.predict(x), t)
    assert p.history[-1]["errors"] == 0


def test_perceptron_reports_xor_as_not_separable():
    x, t = TRUTH_TABLES["xor"]
    with pytest.warns(ConvergenceWarning, match="not converge.*linearly separable"):
        p = Perceptron().fit(x, t, epochs=25)
    assert not p.converged and p.epochs_run == 25
    assert all(h["errors"] > 0 for h in p.history)
    assert np.any(p.predict(x) != t)


def test_perceptron_rule_first_steps_by_hand():
    # AND from w = (0, 0), b = 0, eta = 0.1; samples in order (0,0), (0,1), (1,0), (1,1).
    # (0,0): z = 0 -> y = 0 = t. (0,1), (1,0): y = 0 = t. (1,1): y = 0, t = 1 -> w = (0.1, 0.1),
    # b = 0.1 after epoch 1.
    x, t = TRUTH_TABLES["and"]
    p = Perceptron(2, learning_rate=0.1).fit(x, t, epochs=1, warn=False)
    np.testing.assert_allclose(p.weights, [0.1, 0.1])
    assert p.bias == pytest.approx(0.1)
    assert p.history[0]["errors"] == 1
    # Epoch 2: (0,0): z = 0.1 -> y = 1, t = 0 -> b = 0; (0,1): z = 0.1 -> y = 1 -> w2 = 0,
    # b = -0.1; (1,0): z = 0 -> y = 0 = t; (1,1): z = 0 -> y = 0, t = 1 -> w = (0.2, 0.1), b = 0.
    p.fit(x, t, epochs=1, warn=False)
    np.testing.assert_allclose(p.weights, [0.2, 0.1])
    assert p.bias == pytest.approx(0.0, abs=1e-7)


def test_perceptron_predict_checks_shapes():
    p = Perceptron().fit(*TRUTH_TABLES["and"])
    with pytest.raises(ValueError, match="2 features"):
        p.predict([[1, 0, 1]])


def _line(n=30, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2)).astype(np.float32)
    t = (x @ [2.0, -1.0] + 0.5 + rng.normal(0, 0.05, n)).astype(np.float32)
    a = np.hstack([x, np.ones((n, 1))]).astype(np.float64)
    optimum = np.linalg.lstsq(a, t.astype(np.float64), rcond=None)[0]
    return x, t, optimum


@pytest.mark.parametrize("method, epochs", [("bgd", 400), ("sgd", 40), ("minibatch", 100)])
def test_linear_unit_methods_reach_least_squares(method, epochs):
    x, t, optimum = _line()
    unit = LinearUnit(learning_rate=0.2 if method == "bgd" else 0.05)
    unit.fit(x, t, epochs=epochs, method=method, batch_size=5)
    np.testing.assert_allclose(unit.weights.data[:, 0], optimum[:2], atol=0.03)
    assert unit.bias.data[0] == pytest.approx(optimum[2], abs=0.03)
    losses = unit.history["loss"]
    assert len(losses) == epochs + 1 and losses[-1] < 0.05 * losses[0]
    updates = {"bgd": epochs, "sgd": 30 * epochs, "minibatch": 6 * epochs}[method]
    assert unit.history["steps"][-1] == updates


def test_linear_unit_sgd_step_is_the_seed_rule():
    # One sample, one SGD step from w = b = 0: w <- w + eta (t - y) x, b <- b + eta (t - y).
    unit = LinearUnit(2, learning_rate=0.1).fit([[1.0, 2.0]], [3.0], epochs=1, method="sgd")
    np.testing.assert_allclose(unit.weights.data[:, 0], [0.3, 0.6], rtol=1e-6)
    assert unit.bias.data[0] == pytest.approx(0.3)
    np.testing.assert_allclose(unit.predict([[1.0, 1.0]]), [0.3 + 0.6 + 0.3], rtol=1e-6)


def test_linear_unit_rejects_unknown_method():
    with pytest.raises(ValueError, match="bgd, sgd, minibatch"):
        LinearUnit().fit([[1.0]], [1.0], method="adam")
