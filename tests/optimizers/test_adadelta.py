import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import Adadelta
from tests.optimizers.helpers import assert_close, run_optimizer, run_reference


def reference(lr, rho=0.95, eps=1e-7):
    def update(w, g, t, s):
        eg2 = rho * s.get("eg2", 0.0) + (1 - rho) * g**2
        dx = -np.sqrt(s.get("edx2", 0.0) + eps) / np.sqrt(eg2 + eps) * g
        s["edx2"] = rho * s.get("edx2", 0.0) + (1 - rho) * dx**2
        s["eg2"] = eg2
        return w + lr * dx
    return update


def test_one_step_by_hand():
    # E[g^2] = 0.05 * 4 = 0.2; dx = -sqrt(1e-7) / sqrt(0.2 + 1e-7) * 2
    w = gn.tensor(np.array([1.0]))
    Adadelta(learning_rate=1.0).apply_gradients([(np.array([2.0]), w)])
    assert_close(w.data, [1.0 - np.sqrt(1e-7) / np.sqrt(0.2 + 1e-7) * 2.0])


def test_defaults_are_keras():
    opt = Adadelta()
    assert (opt.learning_rate, opt.rho, opt.epsilon) == (0.001, 0.95, 1e-7)


@pytest.mark.parametrize("lr,rho,eps", [(1.0, 0.95, 1e-7), (0.5, 0.9, 1e-6)])
def test_matches_formula(lr, rho, eps):
    got = run_optimizer(Adadelta(lr, rho=rho, epsilon=eps), steps=6)
    assert_close(got, run_reference(reference(lr, rho, eps), steps=6))


@pytest.mark.parametrize("name,value", [("rho", 1.0), ("rho", -0.1), ("epsilon", -1.0)])
def test_invalid_hyper_parameters(name, value):
    with pytest.raises(ValueError, match=name):
        Adadelta(**{name: value})


def test_float32_stays_float32():
    w = gn.tensor(np.ones(2, dtype=np.float32))
    Adadelta(1.0).apply_gradients([(np.ones(2), w)])
    assert w.dtype == np.float32
