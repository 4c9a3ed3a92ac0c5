"""MindSpore's class-form schedules: their formulas, their agreement with the list functions,
MindSpore's documented example values, serialization and use as an optimizer's rate."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import schedules as S
from glassnet.mindspore_schedules import (
    CosineDecayLR,
    ExponentialDecayLR,
    InverseDecayLR,
    NaturalExpDecayLR,
    PolynomialDecayLR,
    WarmUpLR,
)
from glassnet.optimizers import SGD, deserialize, serialize

STEPS = range(0, 40)


# ---------------------------------------------------------------- formulas, written out here
@pytest.mark.parametrize("stair", [False, True])
def test_decay_formulas(stair):
    lr, rate, n = 0.1, 0.9, 4
    for step in STEPS:
        p = math.floor(step / n) if stair else step / n
        assert ExponentialDecayLR(lr, rate, n, stair)(step) == pytest.approx(lr * rate**p,
                                                                             rel=1e-12)
        assert NaturalExpDecayLR(lr, rate, n, stair)(step) == pytest.approx(
            lr * math.exp(-rate * p), rel=1e-12)
        assert InverseDecayLR(lr, rate, n, stair)(step) == pytest.approx(lr / (1 + rate * p),
                                                                         rel=1e-12)


def test_cosine_formula_and_clamp():
    s = CosineDecayLR(0.01, 0.1, 10)
    for step in range(0, 11):
        want = 0.01 + 0.045 * (1 + math.cos(math.pi * step / 10))
        assert s(step) == pytest.approx(want, rel=1e-12)
    assert s(0) == pytest.approx(0.1) and s(10) == pytest.approx(0.01)
    assert s(25) == pytest.approx(0.01)                  # clamped past decay_steps


def test_polynomial_formula_with_and_without_update():
    plain = PolynomialDecayLR(0.1, 0.01, 4, 2.0)
    cyclic = PolynomialDecayLR(0.1, 0.01, 4, 2.0, update_decay_steps=True)
    for step in STEPS:
        s = min(step, 4)
        assert plain(step) == pytest.approx(0.09 * (1 - s / 4) ** 2 + 0.01, rel=1e-12)
        d = 4 * max(math.ceil(step / 4), 1)
        assert cyclic(step) == pytest.approx(0.09 * (1 - step / d) ** 2 + 0.01, rel=1e-12)
    assert cyclic(5) > cyclic(4) == pytest.approx(0.01)  # the restart jumps up


def test_warmup_formula():
    s = WarmUpLR(0.1, 5)
    assert [s(i) for i in range(8)] == pytest.approx([0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.1,
                                                      0.1])


def test_mindspore_documented_examples():
    # values printed in MindSpore's docs for global_step = 2
    assert ExponentialDecayLR(0.1, 0.9, 4)(2) == pytest.approx(0.09486833, abs=1e-8)
    assert NaturalExpDecayLR(0.1, 0.9, 4, True)(2) == pytest.approx(0.1)
    assert CosineDecayLR(0.01, 0.1, 4)(2) == pytest.approx(0.055)
    assert PolynomialDecayLR(0.1, 0.01, 4, 0.5)(2) == pytest.approx(0.07363961, abs=1e-8)
    assert WarmUpLR(0.1, 2)(2) == pytest.approx(0.1)


# ---------------------------------------------------------------- against the list functions
SPE, TOTAL = 3, 60  # steps per epoch, list length


def _first_steps_of_epochs():
    return range(0, TOTAL, SPE)


@pytest.mark.parametrize("decay_epoch", [1, 2, 5])
@pytest.mark.parametrize("stair", [False, True])
def test_exponential_and_inverse_match_their_lists(decay_epoch, stair):
    for cls, fn in ((ExponentialDecayLR, S.exponential_decay_lr),
                    (InverseDecayLR, S.inverse_decay_lr)):
        lrs = fn(0.1, 0.7, TOTAL, SPE, decay_epoch, is_stair=stair)
        schedule = cls(0.1, 0.7, SPE * decay_epoch, is_stair=stair)
        # with stairs: every step; without: the first step of every epoch
        steps = range(TOTAL) if stair else _first_steps_of_epochs()
        for i in steps:
            assert schedule(i) == pytest.approx(lrs[i], rel=1e-12), (cls.__name__, i)
        # with step_per_epoch = 1 they agree at every step
        ones = fn(0.1, 0.7, 20, 1, decay_epoch, is_stair=stair)
        assert [cls(0.1, 0.7, decay_epoch, stair)(i) for i in range(20)] == pytest.approx(
            ones, rel=1e-12)


def test_exponential_without_stairs_differs_inside_an_epoch():
    lrs = S.exponential_decay_lr(0.1, 0.7, TOTAL, SPE, 1)
    schedule = ExponentialDecayLR(0.1, 0.7, SPE)
    assert schedule(1) < lrs[1] == lrs[0]                # the list keeps one rate per epoch


@pytest.mark.parametrize("decay_epoch", [1, 2, 4])
def test_natural_exp_matches_its_list(decay_epoch):
    smooth = S.natural_exp_decay_lr(0.1, 0.3, TOTAL, SPE, decay_epoch)
    # the list's exponent is decay_rate * epoch: decay_steps = step_per_epoch
    for i in _first_steps_of_epochs():
        assert NaturalExpDecayLR(0.1, 0.3, SPE)(i) == pytest.approx(smooth[i], rel=1e-12)
    stairs = S.natural_exp_decay_lr(0.1, 0.3, TOTAL, SPE, decay_epoch, is_stair=True)
    schedule = NaturalExpDecayLR(0.1, 0.3 * decay_epoch, SPE * decay_epoch, is_stair=True)
    assert [schedule(i) for i in range(TOTAL)] == pytest.approx(stairs, rel=1e-12)


@pytest.mark.parametrize("decay_epoch", [1, 4, 10])
def test_cosine_polynomial_warmup_match_their_lists(decay_epoch):
    pairs = [
        (CosineDecayLR(0.01, 0.1, SPE * decay_epoch),
         S.cosine_decay_lr(0.01, 0.1, TOTAL, SPE, decay_epoch)),
        (PolynomialDecayLR(0.1, 0.01, SPE * decay_epoch, 0.5),
         S.polynomial_decay_lr(0.1, 0.01, TOTAL, SPE, decay_epoch, 0.5)),
        (PolynomialDecayLR(0.1, 0.01, SPE * decay_epoch, 2.0, update_decay_steps=True),
         S.polynomial_decay_lr(0.1, 0.01, TOTAL, SPE, decay_epoch, 2.0,
                               update_decay_epoch=True)),
        (WarmUpLR(0.1, SPE * decay_epoch), S.warmup_lr(0.1, TOTAL, SPE, decay_epoch)),
    ]
    for schedule, lrs in pairs:
        for i in _first_steps_of_epochs():
            assert schedule(i) == pytest.approx(lrs[i], rel=1e-12, abs=1e-15), (schedule, i)


# ---------------------------------------------------------------- as a glassnet schedule
ALL = [ExponentialDecayLR(0.1, 0.9, 4, True), NaturalExpDecayLR(0.2, 0.5, 3),
       InverseDecayLR(0.1, 0.5, 2, True), CosineDecayLR(0.001, 0.1, 10),
       PolynomialDecayLR(0.1, 0.0, 8, 2.0, True), WarmUpLR(0.05, 6)]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_serialization_round_trip(schedule):
    assert isinstance(schedule, S.LearningRateSchedule)
    config = S.serialize(schedule)
    assert config["class_name"] == type(schedule).__name__
    again = S.deserialize(config)
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    assert [again(i) for i in range(20)] == [schedule(i) for i in range(20)]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_drives_an_optimizer_and_survives_its_config(schedule):
    w = gn.tensor(np.array([1.0, -1.0]))
    opt = SGD([w], learning_rate=schedule)
    rates = []
    for _ in range(6):
        rates.append(opt.learning_rate)
        w_before = w.data.copy()
        opt.apply_gradients([(np.array([1.0, 1.0]), w)])
        np.testing.assert_allclose(w.data, w_before - rates[-1])   # plain SGD: w - lr * 1
    assert rates == [schedule(i) for i in range(6)]
    again = deserialize(serialize(opt))
    assert type(again._learning_rate) is type(schedule)
    assert again._learning_rate.get_config() == schedule.get_config()


def test_fit_with_a_class_schedule():
    x = np.linspace(-1, 1, 32).reshape(-1, 1).astype("float32")
    model = gn.Sequential([gn.layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer=SGD(learning_rate=WarmUpLR(0.1, 4)), loss="mse")
    model.fit(x, 2 * x, batch_size=8, epochs=1, verbose=0)
    assert model.optimizer.iterations == 4
    assert model.optimizer.learning_rate == pytest.approx(0.1)


# ---------------------------------------------------------------- argument checks
@pytest.mark.parametrize("make,name", [
    (lambda: ExponentialDecayLR(0.0, 0.9, 4), "learning_rate"),
    (lambda: ExponentialDecayLR(0.1, -0.9, 4), "decay_rate"),
    (lambda: NaturalExpDecayLR(0.1, 0.9, 0), "decay_steps"),
    (lambda: InverseDecayLR(0.1, 0.9, 2.5), "decay_steps"),
    (lambda: InverseDecayLR(0.1, 0.9, 2, is_stair="yes"), "is_stair"),
    (lambda: CosineDecayLR(-0.1, 0.1, 4), "min_lr"),
    (lambda: CosineDecayLR(0.0, 0.0, 4), "max_lr"),
    (lambda: PolynomialDecayLR(0.1, 0.01, 4, 0.0), "power"),
    (lambda: PolynomialDecayLR(0.1, -0.01, 4, 1.0), "end_learning_rate"),
    (lambda: WarmUpLR(0.1, 0), "warmup_steps"),
    (lambda: WarmUpLR(float("nan"), 3), "learning_rate"),
])
def test_bad_arguments_name_the_class_and_argument(make, name):
    with pytest.raises(gn.GlassnetValueError, match=f"LR: `{name}` must be"):
        make()
