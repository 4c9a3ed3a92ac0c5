import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import SGD
from tests.optimizers.helpers import assert_close, run_optimizer, run_reference


def keras_sgd(lr, mu=0.0, nesterov=False, wd=None):
    def update(w, g, t, s):
        if wd:
            w = w - lr * wd * w
        if mu == 0:
            return w - lr * g
        m = mu * s.get("m", 0.0) - lr * g
        s["m"] = m
        return w + mu * m - lr * g if nesterov else w + m
    return update


def torch_sgd(lr, mu, dampening=0.0, nesterov=False, wd=0.0):
    def update(w, g, t, s):
        g = g + wd * w
        v = g if t == 1 else mu * s["v"] + (1 - dampening) * g
        s["v"] = v
        return w - lr * (g + mu * v if nesterov else v)
    return update


def test_plain_gradient_descent_by_hand():
    w = gn.tensor(np.array([1.0, -2.0]))
    SGD(learning_rate=0.1).apply_gradients([(np.array([0.5, 1.0]), w)])
    assert_close(w.data, [1.0 - 0.05, -2.0 - 0.1])


def test_defaults_are_keras():
    opt = SGD()
    assert (opt.learning_rate, opt.momentum, opt.nesterov, opt.dampening) == (0.01, 0.0, False, 0.0)
    assert opt.weight_decay is None and opt.weight_decay_mode == "decoupled"


def test_momentum_two_steps_by_hand():
    # m1 = -0.1*1 = -0.1, w1 = 0.9; m2 = 0.9*-0.1 - 0.1*1 = -0.19, w2 = 0.71
    w = gn.tensor(np.array([1.0]))
    opt = SGD(learning_rate=0.1, momentum=0.9)
    for _ in range(2):
        opt.apply_gradients([(np.array([1.0]), w)])
    assert_close(w.data, [0.71])


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.5, True)])
def test_keras_form(momentum, nesterov):
    got = run_optimizer(SGD(0.05, momentum=momentum, nesterov=nesterov), steps=6)
    assert_close(got, run_reference(keras_sgd(0.05, momentum, nesterov), steps=6))


def test_dampening_uses_pytorch_form():
    got = run_optimizer(SGD(0.05, momentum=0.9, dampening=0.3), steps=6)
    assert_close(got, run_reference(torch_sgd(0.05, 0.9, dampening=0.3), steps=6))


def test_keras_and_pytorch_forms_agree_for_constant_rate_without_dampening():
    got = run_optimizer(SGD(0.05, momentum=0.9, nesterov=True), steps=6)
    assert_close(got, run_reference(torch_sgd(0.05, 0.9, nesterov=True), steps=6))


def test_decoupled_weight_decay():
    got = run_optimizer(SGD(0.05, momentum=0.9, weight_decay=0.1), steps=5)
    assert_close(got, run_reference(keras_sgd(0.05, 0.9, wd=0.1), steps=5))


def test_coupled_weight_decay_matches_pytorch_mindspore():
    opt = SGD(0.05, momentum=0.9, dampening=0.2, weight_decay=0.1, weight_decay_mode="coupled")
    got = run_optimizer(opt, steps=5)
    assert_close(got, run_reference(torch_sgd(0.05, 0.9, dampening=0.2, wd=0.1), steps=5))


def test_coupled_weight_decay_one_plain_step_by_hand():
    w = gn.tensor(np.array([2.0]))
    SGD(0.1, weight_decay=0.5, weight_decay_mode="coupled").apply_gradients(
        [(np.array([1.0]), w)])
    assert_close(w.data, [2.0 - 0.1 * (1.0 + 0.5 * 2.0)])


def test_dampening_first_step_is_the_raw_gradient():
    w = gn.tensor(np.array([0.0]))
    opt = SGD(1.0, momentum=0.9, dampening=0.5)
    opt.apply_gradients([(np.array([1.0]), w)])
    assert_close(w.data, [-1.0])                     # v = g
    opt.apply_gradients([(np.array([1.0]), w)])
    assert_close(w.data, [-1.0 - (0.9 + 0.5)])       # v = 0.9 * 1 + 0.5 * 1


@pytest.mark.parametrize("kwargs", [dict(nesterov=True), dict(nesterov=True, momentum=0.9,
                                                                dampening=0.1)])
def test_nesterov_needs_momentum_and_no_dampening(kwargs):
    with pytest.raises(ValueError, match="nesterov"):
        SGD(0.1, **kwargs)


@pytest.mark.parametrize("name,value", [("momentum", -0.1), ("momentum", 1.5),
                                        ("dampening", -1.0), ("learning_rate", -0.01),
                                        ("weight_decay", -1.0)])
def test_invalid_hyper_parameters(name, value):
    with pytest.raises(gn.GlassnetValueError, match=name):
        SGD(**{name: value})


def test_invalid_weight_decay_mode():
    with pytest.raises(ValueError, match="weight_decay_mode"):
        SGD(weight_decay=0.1, weight_decay_mode="l2")


def test_float32_stays_float32():
    w = gn.tensor(np.ones(3, dtype=np.float32))
    opt = SGD(0.1, momentum=0.9, dampening=0.1, weight_decay=0.01, weight_decay_mode="coupled")
    for _ in range(3):
        opt.apply_gradients([(np.ones(3, dtype=np.float64), w)])
    assert w.dtype == np.float32
    assert all(a.dtype != np.float64 for a in opt.variables())
