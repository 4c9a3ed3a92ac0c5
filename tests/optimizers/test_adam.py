import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import Adam
from tests.optimizers.helpers import assert_close, run_optimizer, run_reference


def reference(lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=None):
    """Keras 3 Adam with the bias correction folded into the step size."""
    def update(w, g, t, s):
        if wd:
            w = w - lr * wd * w
        m = b1 * s.get("m", 0.0) + (1 - b1) * g
        v = b2 * s.get("v", 0.0) + (1 - b2) * g**2
        s["m"], s["v"] = m, v
        if amsgrad:
            v = s["vhat"] = np.maximum(s.get("vhat", 0.0), v)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        return w - alpha * m / (np.sqrt(v) + eps)
    return update


def test_first_step_by_hand():
    # t = 1: m = 0.1 g, v = 0.001 g^2, alpha = lr sqrt(0.001) / 0.1
    g = np.array([2.0, -0.5])
    w = gn.tensor(np.array([1.0, 1.0]))
    Adam(learning_rate=0.01).apply_gradients([(g, w)])
    alpha = 0.01 * np.sqrt(0.001) / 0.1
    assert_close(w.data, 1.0 - alpha * 0.1 * g / (np.sqrt(0.001 * g**2) + 1e-7))


def test_defaults_are_keras():
    opt = Adam()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon, opt.amsgrad) == (
        0.001, 0.9, 0.999, 1e-7, False)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_matches_formula(amsgrad):
    opt = Adam(0.1, beta_1=0.8, beta_2=0.9, epsilon=1e-3, amsgrad=amsgrad)
    got = run_optimizer(opt, steps=8)
    assert_close(got, run_reference(reference(0.1, 0.8, 0.9, 1e-3, amsgrad), steps=8))


def test_amsgrad_against_formula_when_gradients_shrink():
    # v falls after the big first gradient, so the running maximum matters
    def run(amsgrad):
        w = gn.tensor(np.array([0.0]))
        opt = Adam(0.1, beta_2=0.5, amsgrad=amsgrad)
        for g in (5.0, 0.1, 0.1):
            opt.apply_gradients([(np.array([g]), w)])
        return w.item()

    def ref(amsgrad):
        update = reference(0.1, b2=0.5, amsgrad=amsgrad)
        w, s = np.array([0.0]), {}
        for t, g in enumerate((5.0, 0.1, 0.1), start=1):
            w = update(w, np.array([g]), t, s)
        return w.item()

    assert run(True) == pytest.approx(ref(True), rel=1e-9)
    assert run(False) == pytest.approx(ref(False), rel=1e-9)
    assert run(True) != pytest.approx(run(False), rel=1e-2)


def test_decoupled_weight_decay_on_adam():
    got = run_optimizer(Adam(0.1, weight_decay=0.05), steps=5)
    assert_close(got, run_reference(reference(0.1, wd=0.05), steps=5))


@pytest.mark.parametrize("name,value", [("beta_1", 1.0), ("beta_2", -0.1), ("epsilon", -1e-8),
                                        ("learning_rate", -0.001)])
def test_invalid_hyper_parameters(name, value):
    with pytest.raises(gn.GlassnetValueError, match=name):
        Adam(**{name: value})


def test_float32_stays_float32():
    w = gn.tensor(np.ones(3, dtype=np.float32))
    opt = Adam(0.1, amsgrad=True, weight_decay=0.01)
    for _ in range(3):
        opt.apply_gradients([(np.ones(3), w)])
    assert w.dtype == np.float32
    assert {a.dtype for a in opt.variables()} == {np.dtype(np.float32)}
