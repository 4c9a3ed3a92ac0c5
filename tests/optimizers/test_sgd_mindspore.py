"""SGD called as MindSpore's nn.SGD(params, learning_rate=0.1, ..., loss_scale=1.0) (seed 003).

References are written from MindSpore's documented rule in float64 NumPy:
v = g (first step), v = u v + (1 - dampening) g; p = p - lr v (or p - lr (g + u v), Nesterov);
weight decay adds weight_decay * p to g; loss_scale divides g.
"""

import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import SGD, deserialize, serialize
from tests.optimizers.helpers import W0, assert_close, grad_at


def _run(opt, w, steps=5):
    for k in range(steps):
        opt.apply_gradients([(grad_at(w.data, k), w)])
    return w.data


def _mindspore_reference(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                         steps=5, scale=1.0, scaled_grads=False):
    p, v = W0.copy(), None
    for k in range(steps):
        g = grad_at(p, k) * (scale if scaled_grads else 1.0) / scale
        g = g + weight_decay * p
        v = g.copy() if v is None else momentum * v + (1 - dampening) * g
        p = p - lr * (g + momentum * v if nesterov else v)
    return p


def test_params_first_binds_them_with_mindspore_defaults():
    w = gn.tensor(W0.copy())
    opt = SGD([w], momentum=0.9)
    assert opt.params == [w]
    assert opt.learning_rate == 0.1                   # MindSpore's default, not Keras's 0.01
    assert opt.weight_decay_mode == "coupled"
    assert SGD().learning_rate == 0.01 and SGD().weight_decay_mode == "decoupled"


def test_seed_call_matches_mindspore_rule():
    w = gn.tensor(W0.copy())
    opt = SGD([w], learning_rate=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01,
              nesterov=False, loss_scale=1.0)
    assert_close(_run(opt, w), _mindspore_reference(0.1, 0.9, 0.2, 0.01))


def test_mindspore_positional_order():
    # nn.SGD(params, learning_rate, momentum, dampening, weight_decay, nesterov, loss_scale)
    w = gn.tensor(W0.copy())
    opt = SGD([w], 0.05, 0.9, 0.0, 0.02, True)
    assert (opt.learning_rate, opt.momentum, opt.dampening, opt.weight_decay, opt.nesterov) == (
        0.05, 0.9, 0.0, 0.02, True)
    assert_close(_run(opt, w), _mindspore_reference(0.05, 0.9, 0.0, 0.02, nesterov=True))


def test_keras_positional_order_unchanged():
    opt = SGD(0.05, 0.9, True)
    assert (opt.learning_rate, opt.momentum, opt.nesterov, opt.params) == (0.05, 0.9, True, None)


def test_a_single_tensor_or_an_iterator_of_tensors_first():
    w = gn.tensor(W0.copy(), requires_grad=True)
    assert SGD(w).params == [w]
    opt = SGD(iter([w]), learning_rate=0.5)
    (w * w).sum().backward()
    opt.step()                                        # bound: no argument needed
    assert_close(w.data, W0 - 0.5 * 2 * W0)


def test_a_list_of_floats_first_is_still_a_per_step_learning_rate():
    opt = SGD([0.3, 0.2])
    assert opt.params is None and opt.learning_rate == 0.3


def test_parameter_groups_are_refused_naming_sgd():
    w = gn.tensor(W0.copy())
    with pytest.raises(gn.GlassnetTypeError, match=r"SGD: .*parameter groups.*one optimizer"):
        SGD([{"params": [w], "lr": 0.01}, {"params": [w]}], learning_rate=0.1)
    with pytest.raises(gn.GlassnetTypeError, match="parameter groups"):
        SGD([w, {"params": [w]}])


def test_a_model_first_says_to_pass_its_weights():
    model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,))])
    with pytest.raises(gn.GlassnetTypeError, match=r"SGD: .*model.trainable_weights"):
        SGD(model, learning_rate=0.1)
    opt = SGD(model.trainable_weights, learning_rate=0.1)
    assert len(opt.params) == 2


def test_an_empty_first_argument_says_to_build_the_model():
    model = gn.Sequential([gn.layers.Dense(2)])
    with pytest.raises(gn.GlassnetValueError, match=r"SGD: the first argument is empty.*build"):
        SGD(model.trainable_weights, learning_rate=0.1)


@pytest.mark.parametrize("call,match", [
    (lambda w: SGD([w], 0.1, learning_rate=0.2), r"`learning_rate` given twice"),
    (lambda w: SGD([w], 0.1, 0.9, 0.0, 0.0, False, 1.0, 7), r"at most 7 positional"),
    (lambda w: SGD(0.1, 0.0, False, 0.0, None, "decoupled", 1.0, 7), r"at most 7 positional"),
    (lambda w: SGD([w], lr=0.1), r"unknown argument `lr`.*`learning_rate`"),
    (lambda w: SGD(momentun=0.9), r"unknown argument `momentun`"),
])
def test_argument_errors_name_sgd(call, match):
    with pytest.raises(gn.GlassnetTypeError, match="SGD: ") as info:
        call(gn.tensor(W0.copy()))
    assert info.match(match)


@pytest.mark.parametrize("value", [0, -2.0, float("nan"), float("inf"), "128", None])
def test_invalid_loss_scale(value):
    with pytest.raises(gn.GlassnetValueError, match=r"SGD: `loss_scale` must be a finite"):
        SGD(loss_scale=value)


@pytest.mark.parametrize("kwargs", [
    dict(momentum=0.9, dampening=0.1, weight_decay=0.01),
    dict(momentum=0.9, nesterov=True, clipnorm=0.5),
    dict(global_clipnorm=0.3, weight_decay=0.05, weight_decay_mode="decoupled"),
])
def test_loss_scale_undoes_a_scaled_loss(kwargs):
    # a loss multiplied by S gives S times the gradients; loss_scale=S restores the unscaled
    # run exactly (clipping and weight decay see the true gradients)
    scale = 1024.0
    w_ref, w_scaled = gn.tensor(W0.copy()), gn.tensor(W0.copy())
    ref, scaled = SGD(0.05, **kwargs), SGD(0.05, loss_scale=scale, **kwargs)
    for k in range(6):
        ref.apply_gradients([(grad_at(w_ref.data, k), w_ref)])
        scaled.apply_gradients([(scale * grad_at(w_scaled.data, k), w_scaled)])
    assert_close(w_scaled.data, w_ref.data)
    assert not np.allclose(w_ref.data, W0)


def test_loss_scale_divides_the_gradient_against_the_formula():
    w = gn.tensor(W0.copy())
    opt = SGD([w], learning_rate=0.1, momentum=0.9, loss_scale=8.0)
    got = _run(opt, w)
    # the gradients given are not scaled, so each step uses g / 8
    assert_close(got, _mindspore_reference(0.1, 0.9, scale=8.0))


def test_loss_scale_with_backward_on_a_scaled_loss():
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    weights = {}
    for scale in (1.0, 256.0):
        w = gn.tensor(np.array([0.3, -0.2]), requires_grad=True)
        opt = SGD([w], learning_rate=0.1, momentum=0.5, loss_scale=scale)
        for _ in range(3):
            opt.zero_grad()
            loss = ((gn.tensor(x) @ w - 1.0) ** 2).mean()
            (loss * scale).backward()
            opt.step()
        weights[scale] = w.data.copy()
    assert_close(weights[256.0], weights[1.0])


def test_config_round_trip_keeps_loss_scale_and_mode():
    w = gn.tensor(W0.copy())
    opt = SGD([w], learning_rate=0.2, momentum=0.9, weight_decay=0.01, loss_scale=64.0)
    config = opt.get_config()
    assert config["loss_scale"] == 64.0 and config["weight_decay_mode"] == "coupled"
    again = deserialize(serialize(opt))
    assert (again.learning_rate, again.loss_scale, again.weight_decay_mode) == (0.2, 64.0,
                                                                                 "coupled")
    w1, w2 = gn.tensor(W0.copy()), gn.tensor(W0.copy())
    assert_close(_run(SGD.from_config(config), w1), _run(again, w2))
