import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import Ftrl
from tests.optimizers.helpers import assert_close, run_optimizer, run_reference


def reference(lr, power=-0.5, n0=0.1, l1=0.0, l2=0.0, shrinkage=0.0, beta=0.0):
    """McMahan et al. Algorithm 1 as Keras 3 writes it (with shrinkage and beta)."""
    def update(w, g, t, s):
        n = s.get("n", np.full_like(w, n0))
        z = s.get("z", np.zeros_like(w))
        g_shrunk = g + 2 * shrinkage * w
        n_new = n + g**2
        sigma = (n_new ** (-power) - n ** (-power)) / lr
        z = z + g_shrunk - sigma * w
        denominator = (beta + n_new ** (-power)) / lr + 2 * l2
        w = np.where(np.abs(z) <= l1, 0.0, (np.sign(z) * l1 - z) / denominator)
        s["n"], s["z"] = n_new, z
        return w
    return update


def test_defaults_are_keras():
    opt = Ftrl()
    assert (opt.learning_rate, opt.learning_rate_power, opt.initial_accumulator_value,
            opt.l1_regularization_strength, opt.l2_regularization_strength,
            opt.l2_shrinkage_regularization_strength, opt.beta) == (
        0.001, -0.5, 0.1, 0.0, 0.0, 0.0, 0.0)


def test_one_step_by_hand():
    # w = 1, g = 2, lr = 0.5: n_new = 4.1, sigma = (sqrt 4.1 - sqrt 0.1)/0.5,
    # z = 2 - sigma, w = -z / (sqrt(4.1) / 0.5)
    w = gn.tensor(np.array([1.0]))
    Ftrl(learning_rate=0.5).apply_gradients([(np.array([2.0]), w)])
    sigma = (np.sqrt(4.1) - np.sqrt(0.1)) / 0.5
    assert_close(w.data, [-(2.0 - sigma) / (np.sqrt(4.1) / 0.5)])


@pytest.mark.parametrize("kwargs", [
    {},
    {"l1": 0.3},
    {"l2": 0.5},
    {"shrinkage": 0.2},
    {"beta": 0.7},
    {"l1": 0.1, "l2": 0.2, "shrinkage": 0.3, "beta": 0.4, "n0": 0.5},
    {"power": -0.3},
    {"power": 0.0},
])
def test_matches_formula(kwargs):
    names = {"l1": "l1_regularization_strength", "l2": "l2_regularization_strength",
             "shrinkage": "l2_shrinkage_regularization_strength", "beta": "beta",
             "n0": "initial_accumulator_value", "power": "learning_rate_power"}
    opt = Ftrl(0.3, **{names[k]: v for k, v in kwargs.items()})
    got = run_optimizer(opt, steps=6)
    assert_close(got, run_reference(reference(0.3, **kwargs), steps=6))


def test_l1_makes_exact_zeros():
    w = gn.tensor(np.array([0.5, 0.5]))
    opt = Ftrl(0.1, l1_regularization_strength=1.0)
    opt.apply_gradients([(np.array([0.1, 5.0]), w)])
    assert w.data[0] == 0.0 and w.data[1] != 0.0


@pytest.mark.parametrize("name,value", [
    ("learning_rate_power", 0.5), ("initial_accumulator_value", -0.1),
    ("l1_regularization_strength", -1.0), ("l2_regularization_strength", -1.0),
    ("l2_shrinkage_regularization_strength", -1.0), ("beta", -1.0)])
def test_invalid_hyper_parameters(name, value):
    with pytest.raises(gn.GlassnetValueError, match=name):
        Ftrl(**{name: value})


def test_float32_stays_float32():
    w = gn.tensor(np.ones(2, dtype=np.float32))
    Ftrl(0.1, l1_regularization_strength=0.01, beta=0.1).apply_gradients([(np.ones(2), w)])
    assert w.dtype == np.float32
