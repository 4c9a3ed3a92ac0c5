import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import Adagrad
from tests.optimizers.helpers import assert_close, run_optimizer, run_reference


def reference(lr, a0=0.1, eps=1e-7):
    def update(w, g, t, s):
        a = s.get("a", np.full_like(w, a0)) + g**2
        s["a"] = a
        return w - lr * g / np.sqrt(a + eps)
    return update


def test_one_step_by_hand():
    w = gn.tensor(np.array([1.0]))
    Adagrad(learning_rate=0.1).apply_gradients([(np.array([2.0]), w)])
    assert_close(w.data, [1.0 - 0.1 * 2.0 / np.sqrt(0.1 + 4.0 + 1e-7)])


def test_defaults_are_keras():
    opt = Adagrad()
    assert (opt.learning_rate, opt.initial_accumulator_value, opt.epsilon) == (0.001, 0.1, 1e-7)


@pytest.mark.parametrize("a0,eps", [(0.1, 1e-7), (0.0, 1e-3), (1.0, 0.0)])
def test_matches_formula(a0, eps):
    got = run_optimizer(Adagrad(0.2, initial_accumulator_value=a0, epsilon=eps), steps=6)
    assert_close(got, run_reference(reference(0.2, a0, eps), steps=6))


@pytest.mark.parametrize("name,value", [("initial_accumulator_value", -0.1), ("epsilon", -1e-7),
                                        ("learning_rate", -1.0)])
def test_invalid_hyper_parameters(name, value):
    with pytest.raises(ValueError, match=name):
        Adagrad(**{name: value})


def test_float32_stays_float32():
    w = gn.tensor(np.ones(2, dtype=np.float32))
    Adagrad(0.1).apply_gradients([(np.ones(2), w)])
    assert w.dtype == np.float32
