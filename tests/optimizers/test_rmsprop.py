import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import RMSprop
from tests.optimizers.helpers import assert_close, run_optimizer, run_reference


def reference(lr, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    def update(w, g, t, s):
        v = rho * s.get("v", 0.0) + (1 - rho) * g**2
        s["v"] = v
        if centered:
            mg = rho * s.get("mg", 0.0) + (1 - rho) * g
            s["mg"] = mg
            inc = lr * g / np.sqrt(v - mg**2 + eps)
        else:
            inc = lr * g / np.sqrt(v + eps)
        if momentum > 0:
            s["mom"] = momentum * s.get("mom", 0.0) + inc
            return w - s["mom"]
        return w - inc
    return update


def test_keras_docstring_example():
    # Keras: var1 = 10, loss = var1**2 / 2, RMSprop(learning_rate=0.1).minimize -> 9.683772
    w = gn.tensor(10.0, dtype=gn.float64, requires_grad=True)
    RMSprop(learning_rate=0.1).minimize(lambda: w * w / 2, [w])
    assert abs(w.item() - (10 - 0.1 * 10 / np.sqrt(0.1 * 100 + 1e-7))) < 1e-9
    assert abs(w.item() - 9.683772) < 1e-6


def test_defaults_are_keras():
    opt = RMSprop()
    assert (opt.learning_rate, opt.rho, opt.momentum, opt.epsilon, opt.centered) == (
        0.001, 0.9, 0.0, 1e-7, False)


@pytest.mark.parametrize("momentum,centered", [(0.0, False), (0.0, True), (0.8, False),
                                               (0.8, True)])
def test_matches_formula(momentum, centered):
    opt = RMSprop(0.05, rho=0.8, momentum=momentum, centered=centered)
    got = run_optimizer(opt, steps=6)
    assert_close(got, run_reference(reference(0.05, 0.8, momentum, 1e-7, centered), steps=6))


def test_state_slots_follow_options():
    w = gn.tensor(np.ones(2))
    opt = RMSprop(momentum=0.5, centered=True)
    opt.apply_gradients([(np.ones(2), w)])
    assert list(opt.state[w]) == ["velocity", "momentum", "average_gradient"]
    opt = RMSprop()
    opt.apply_gradients([(np.ones(2), w)])
    assert list(opt.state[w]) == ["velocity"]


@pytest.mark.parametrize("name,value", [("rho", 1.0), ("momentum", -0.5), ("epsilon", -1e-7)])
def test_invalid_hyper_parameters(name, value):
    with pytest.raises(ValueError, match=name):
        RMSprop(**{name: value})


def test_float32_stays_float32():
    w = gn.tensor(np.ones(2, dtype=np.float32))
    opt = RMSprop(0.1, momentum=0.9, centered=True)
    for _ in range(2):
        opt.apply_gradients([(np.ones(2), w)])
    assert w.dtype == np.float32
