"""The Optimizer machinery shared by every optimizer: application styles, state, clipping,
learning-rate handling, registry and config."""

import json

import numpy as np
import pytest

import glassnet as gn
from glassnet import optimizers, schedules
from glassnet.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, Ftrl, RMSprop
from tests.optimizers.helpers import assert_close, grad_at, run_optimizer, run_reference

ALL = [
    lambda: SGD(0.05, momentum=0.9, nesterov=True),
    lambda: SGD(0.05, momentum=0.9, dampening=0.1, weight_decay=0.01,
                weight_decay_mode="coupled"),
    lambda: Adagrad(0.1),
    lambda: Adadelta(1.0),
    lambda: RMSprop(0.01, momentum=0.5, centered=True),
    lambda: Adam(0.05, amsgrad=True),
    lambda: AdamW(0.05, weight_decay=0.1),
    lambda: Ftrl(0.1, l1_regularization_strength=0.01, beta=0.5),
]


def loss_of(w, b, k):
    """A small loss whose gradient changes with the step k."""
    x = gn.tensor(np.array([[1.0, 2.0], [0.5, -1.0], [k * 0.1, 1.0]]))
    y = gn.tensor(np.array([1.0, 0.0, -1.0]))
    pred = (x @ w) + b
    return ((pred - y) ** 2).mean() + (w * w).sum() * 0.01


def make_params():
    return (gn.tensor(np.array([0.3, -0.2]), requires_grad=True, name="kernel"),
            gn.tensor(np.array(0.1), requires_grad=True, name="bias"))


@pytest.mark.parametrize("make", ALL)
def test_three_application_styles_agree(make):
    results = []
    for style in ("keras", "define-by-run", "tf"):
        w, b = make_params()
        opt = make()
        if style == "define-by-run":
            opt.params = [w, b]  # what params=[w, b] at construction does
        for k in range(4):
            if style == "keras":
                w.grad = b.grad = None
                loss_of(w, b, k).backward()
                opt.apply_gradients(zip([w.grad, b.grad.data], [w, b], strict=True))
            elif style == "define-by-run":
                opt.zero_grad()
                loss_of(w, b, k).backward()
                opt.step()
            else:
                opt.minimize(lambda k=k, w=w, b=b: loss_of(w, b, k), [w, b])
        assert opt.iterations == 4
        results.append(np.concatenate([w.data.ravel(), b.data.ravel()]))
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_step_with_params_argument_and_bound_params():
    w1, w2 = gn.tensor([1.0, 2.0], requires_grad=True), gn.tensor([1.0, 2.0], requires_grad=True)
    for w in (w1, w2):
        (w * w).sum().backward()
    SGD(0.1).step([w1])
    SGD(0.1, params=[w2]).step()
    np.testing.assert_array_equal(w1.data, w2.data)
    assert_close(w1.data, [0.8, 1.6])


@pytest.mark.parametrize("make", ALL)
def test_save_and_restore_resumes_bit_for_bit(make):
    # uninterrupted run of 6 steps
    w_full, opt_full = gn.tensor(np.array([1.0, -2.0, 0.5, 0.0])), make()
    for k in range(6):
        opt_full.apply_gradients([(grad_at(w_full.data, k), w_full)])
    # 3 steps, snapshot (through JSON-free arrays), fresh optimizer, 3 more steps
    w, opt = gn.tensor(np.array([1.0, -2.0, 0.5, 0.0])), make()
    for k in range(3):
        opt.apply_gradients([(grad_at(w.data, k), w)])
    snapshot = {key: np.array(value) for key, value in opt.get_state().items()}
    weights = w.data.copy()
    w2, opt2 = gn.tensor(weights), make()
    opt2.set_state(snapshot)
    assert opt2.iterations == 3
    for k in range(3, 6):
        opt2.apply_gradients([(grad_at(w2.data, k), w2)])
    np.testing.assert_array_equal(w2.data, w_full.data)
    for a, b in zip(opt2.variables(), opt_full.variables(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_set_state_on_a_built_optimizer():
    w = gn.tensor(np.ones(2))
    opt = Adam(0.1)
    opt.apply_gradients([(np.ones(2), w)])
    snapshot = opt.get_state()
    opt.apply_gradients([(np.ones(2), w)])
    opt.set_state(snapshot)
    assert opt.iterations == 1
    np.testing.assert_array_equal(opt.state[w]["momentum"], snapshot["0/momentum"])


def test_state_order_is_order_first_seen_and_inspectable():
    a, b = gn.tensor(np.ones(2)), gn.tensor(np.ones(3))
    opt = Adam()
    opt.apply_gradients([(np.ones(3), b), (np.ones(2), a)])
    assert list(opt.state) == [b, a]
    assert [v.shape for v in opt.variables()] == [(3,), (3,), (2,), (2,)]
    assert set(opt.get_state()) == {"iterations", "learning_rate", "0/momentum", "0/velocity",
                                    "1/momentum", "1/velocity"}
    assert_close(opt.state[a]["momentum"], [0.1, 0.1])


def test_none_gradients_are_skipped():
    a, b = gn.tensor(np.ones(2)), gn.tensor(np.ones(2))
    opt = SGD(0.5)
    opt.apply_gradients([(np.ones(2), a), (None, b)])
    assert_close(a.data, [0.5, 0.5])
    assert_close(b.data, [1.0, 1.0])
    with pytest.raises(ValueError, match="no gradients"):
        opt.apply_gradients([(None, a)])
    b.grad = None
    opt.step([b])  # nothing has a gradient: a no-op
    assert opt.iterations == 1


def test_zero_grad_and_missing_params():
    w = gn.tensor([1.0], requires_grad=True)
    (w * 2).sum().backward()
    opt = SGD(params=[w])
    opt.zero_grad()
    assert w.grad is None
    with pytest.raises(ValueError, match="params"):
        SGD().step()


def test_gradient_shape_mismatch():
    with pytest.raises(gn.ShapeError):
        SGD().apply_gradients([(np.ones(3), gn.tensor(np.ones(2)))])


def test_schedule_as_learning_rate():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    w = gn.tensor(np.array([0.0]))
    opt = SGD(schedule)
    seen = []
    for _ in range(3):
        seen.append(opt.learning_rate)
        opt.apply_gradients([(np.array([1.0]), w)])
    assert seen == [0.1, 0.05, 0.025]
    assert_close(w.data, [-(0.1 + 0.05 + 0.025)])


def test_schedule_as_learning_rate_in_adam():
    schedule = schedules.PiecewiseConstantDecay([1], [0.2, 0.05])
    got = run_optimizer(Adam(schedule), steps=4)
    lrs = [0.2, 0.2, 0.05, 0.05]  # step 0 and 1 <= boundary 1

    def update(w, g, t, s):
        lr = lrs[t - 1]
        s["m"] = 0.9 * s.get("m", 0.0) + 0.1 * g
        s["v"] = 0.999 * s.get("v", 0.0) + 0.001 * g**2
        alpha = lr * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        return w - alpha * s["m"] / (np.sqrt(s["v"]) + 1e-7)

    assert_close(got, run_reference(update, steps=4))


def test_list_and_callables_as_learning_rate():
    assert SGD([0.3, 0.2]).learning_rate == 0.3
    opt = SGD(lambda step: 1.0 / (step + 1))
    w = gn.tensor(np.array([0.0]))
    opt.apply_gradients([(np.array([1.0]), w)])
    assert opt.learning_rate == 0.5
    assert SGD(lambda: 0.25).learning_rate == 0.25
    opt = SGD(schedules.exponential_decay_lr(0.1, 0.9, 6, 2, 1))
    lrs = []
    for _ in range(8):
        lrs.append(opt.learning_rate)
        opt.apply_gradients([(np.array([1.0]), w)])
    assert lrs == pytest.approx([0.1, 0.1, 0.09, 0.09, 0.081, 0.081, 0.081, 0.081])


def test_learning_rate_is_assignable():
    opt = Adam(0.01)
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5
    opt.learning_rate = schedules.InverseTimeDecay(1.0, 1, 1.0)
    opt.iterations = 3
    assert opt.learning_rate == 0.25
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -1.0


def reference_clipped(kind, c):
    def clip(gs):
        if kind == "clipvalue":
            return [np.clip(g, -c, c) for g in gs]
        if kind == "clipnorm":
            return [g * c / max(np.linalg.norm(g), c) for g in gs]
        norm = np.sqrt(sum(np.sum(g**2) for g in gs))
        return [g * c / max(norm, c) for g in gs]
    return clip


@pytest.mark.parametrize("kind,c", [("clipvalue", 0.5), ("clipnorm", 1.0), ("clipnorm", 100.0),
                                    ("global_clipnorm", 1.5), ("global_clipnorm", 100.0)])
def test_clipping_options(kind, c):
    g1, g2 = np.array([3.0, -4.0]), np.array([0.1, 0.2, -2.0])
    a, b = gn.tensor(np.zeros(2)), gn.tensor(np.zeros(3))
    SGD(1.0, **{kind: c}).apply_gradients([(g1, a), (g2, b)])
    e1, e2 = reference_clipped(kind, c)([g1, g2])
    assert_close(a.data, -e1)
    assert_close(b.data, -e2)


def test_clipping_by_hand():
    a = gn.tensor(np.zeros(2))
    SGD(1.0, clipnorm=1.0).apply_gradients([(np.array([3.0, 4.0]), a)])
    assert_close(a.data, [-0.6, -0.8])
    a, b = gn.tensor(np.zeros(1)), gn.tensor(np.zeros(1))
    SGD(1.0, global_clipnorm=1.0).apply_gradients([(np.array([3.0]), a), (np.array([4.0]), b)])
    assert_close(np.r_[a.data, b.data], [-0.6, -0.8])


def test_clipping_does_not_modify_the_gradient():
    w = gn.tensor([3.0, 4.0], requires_grad=True)
    (w * w).sum().backward()
    SGD(0.1, clipvalue=1.0).step([w])
    np.testing.assert_array_equal(w.grad.data, [6.0, 8.0])


@pytest.mark.parametrize("kwargs,names", [
    ({"clipnorm": 1.0, "global_clipnorm": 1.0}, "clipnorm"),
    ({"clipnorm": 1.0, "clipvalue": 1.0}, "clipvalue"),
    ({"clipnorm": 0.0}, "clipnorm"),
    ({"global_clipnorm": -1.0}, "global_clipnorm"),
    ({"clipvalue": -1.0}, "clipvalue"),
    ({"learning_rate": -0.1}, "learning_rate"),
    ({"learning_rate": "fast"}, "learning_rate"),
])
def test_invalid_base_hyper_parameters(kwargs, names):
    with pytest.raises(gn.GlassnetValueError, match=names) as info:
        Adam(**kwargs)
    assert "received" in str(info.value)


def test_exclude_from_weight_decay():
    kernel = gn.tensor(np.array([1.0]), name="dense/kernel")
    bias = gn.tensor(np.array([1.0]), name="dense/bias")
    opt = SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients([(np.array([0.0]), kernel), (np.array([0.0]), bias)])
    assert_close(kernel.data, [0.95])
    assert_close(bias.data, [1.0])


@pytest.mark.parametrize("name,cls", [("adam", Adam), ("Adam", Adam), ("SGD", SGD),
                                      ("sgd", SGD), ("rmsprop", RMSprop), ("RMSProp", RMSprop),
                                      ("adagrad", Adagrad), ("adadelta", Adadelta),
                                      ("adamw", AdamW), ("ftrl", Ftrl)])
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


def test_get_passes_instances_and_reads_configs():
    opt = RMSprop(0.1)
    assert optimizers.get(opt) is opt
    rebuilt = optimizers.get({"class_name": "RMSprop", "config": {"learning_rate": 0.3}})
    assert isinstance(rebuilt, RMSprop) and rebuilt.learning_rate == 0.3
    assert isinstance(optimizers.get(Adam), Adam)


def test_get_unknown_name_suggests():
    with pytest.raises(gn.UnknownIdentifierError, match="adam"):
        optimizers.get("adma")
    with pytest.raises(ValueError):
        optimizers.get("nope")


def test_register_new_optimizer_needs_only_the_class():
    @optimizers.register
    class HalfStep(optimizers.Optimizer):
        def __init__(self, learning_rate=1.0, **kwargs):
            super().__init__(learning_rate, **kwargs)

        def update_step(self, grad, variable, state, learning_rate):
            variable -= 0.5 * learning_rate * grad

    try:
        w = gn.tensor(np.array([1.0]))
        opt = optimizers.get("HalfStep")
        assert isinstance(opt, HalfStep)
        opt.apply_gradients([(np.array([1.0]), w)])
        assert_close(w.data, [0.5])
    finally:
        optimizers.base._REGISTRY.pop("halfstep")


@pytest.mark.parametrize("make", ALL + [lambda: SGD(schedules.CosineDecay(0.1, 10, alpha=0.1),
                                                    clipnorm=2.0)])
def test_config_round_trip_through_json(make):
    opt = make()
    config = json.loads(json.dumps(opt.get_config()))
    rebuilt = type(opt).from_config(config)
    assert rebuilt.get_config() == opt.get_config()
    np.testing.assert_array_equal(run_optimizer(rebuilt), run_optimizer(make()))
    again = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(opt))))
    assert again.get_config() == opt.get_config()


def test_repr_names_hyper_parameters():
    assert "rho=0.9" in repr(RMSprop())


def test_step_with_params_binds_them_for_zero_grad_and_later_steps():
    """Broken variant checked: without the binding, zero_grad() raises 'no parameters'."""
    w = gn.tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = SGD(learning_rate=0.5)
    (w * w).sum().backward()
    opt.step([w])  # w -= 0.5 * 2w  ->  0
    opt.zero_grad()
    assert w.grad is None
    (w + 1.0).sum().backward()
    opt.step()  # w -= 0.5 * 1
    np.testing.assert_allclose(w.data, [-0.5, -0.5])
