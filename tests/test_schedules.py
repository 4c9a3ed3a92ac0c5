import json
import math

import pytest

import glassnet as gn
from glassnet import schedules
from glassnet.schedules import (
    CosineDecay,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    StepList,
)

# ----------------------------------------------------------------- Keras schedule objects


def test_exponential_decay():
    s = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert s(0) == pytest.approx(0.1)
    assert s(5) == pytest.approx(0.1 * 0.5**0.5)
    assert s(20) == pytest.approx(0.025)
    stair = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [stair(9), stair(10), stair(25)] == pytest.approx([0.1, 0.05, 0.025])


def test_inverse_time_decay():
    s = InverseTimeDecay(0.1, decay_steps=1.0, decay_rate=0.5)   # Keras docs example
    assert [s(0), s(1), s(2)] == pytest.approx([0.1, 0.1 / 1.5, 0.05])
    stair = InverseTimeDecay(1.0, decay_steps=4, decay_rate=1.0, staircase=True)
    assert [stair(3), stair(4), stair(9)] == pytest.approx([1.0, 0.5, 1 / 3])


def test_polynomial_decay():
    s = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=0.5)
    assert s(0) == pytest.approx(0.1)
    assert s(4) == pytest.approx(0.09 * math.sqrt(0.6) + 0.01)
    assert s(10) == pytest.approx(0.01) and s(50) == pytest.approx(0.01)
    cyc = PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, power=1.0, cycle=True)
    # step 15: decay_steps becomes 10 * ceil(1.5) = 20, lr = 1 - 15/20
    assert [cyc(0), cyc(5), cyc(15), cyc(20)] == pytest.approx([1.0, 0.5, 0.25, 0.0])
    assert PolynomialDecay(1.0, 10).end_learning_rate == 0.0001


def test_piecewise_constant_decay():
    s = PiecewiseConstantDecay([100000, 110000], [1.0, 0.5, 0.1])   # Keras docs example
    assert [s(0), s(100000), s(100001), s(110000), s(110001)] == [1.0, 1.0, 0.5, 0.5, 0.1]


def test_cosine_decay():
    s = CosineDecay(0.1, decay_steps=10, alpha=0.2)
    assert s(0) == pytest.approx(0.1)
    assert s(5) == pytest.approx(0.1 * (0.8 * 0.5 + 0.2))
    assert s(3) == pytest.approx(0.1 * (0.8 * 0.5 * (1 + math.cos(math.pi * 0.3)) + 0.2))
    assert s(10) == pytest.approx(0.02) and s(99) == pytest.approx(0.02)


def test_cosine_decay_with_warmup():
    s = CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=4)
    assert [s(0), s(2), s(4)] == pytest.approx([0.0, 0.05, 0.1])
    assert s(9) == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi * 0.5)))
    assert s(14) == pytest.approx(0.0, abs=1e-12) and s(100) == pytest.approx(0.0, abs=1e-12)


def test_step_list():
    s = StepList([0.3, 0.2, 0.1])
    assert [s(0), s(2), s(10)] == [0.3, 0.1, 0.1]


@pytest.mark.parametrize("schedule", [
    ExponentialDecay(0.1, 3, 0.9, staircase=True),
    InverseTimeDecay(0.1, 2, 0.5),
    PolynomialDecay(0.1, 5, 0.01, 2.0, cycle=True),
    PiecewiseConstantDecay([2, 4], [0.3, 0.2, 0.1]),
    CosineDecay(0.0, 5, alpha=0.1, warmup_target=0.1, warmup_steps=2),
    StepList([0.2, 0.1]),
])
def test_config_round_trip(schedule):
    data = json.loads(json.dumps(schedules.serialize(schedule)))
    rebuilt = schedules.deserialize(data)
    assert type(rebuilt) is type(schedule)
    assert [rebuilt(k) for k in range(8)] == [schedule(k) for k in range(8)]
    assert schedules.get(data).get_config() == schedule.get_config()
    assert schedules.get(schedule) is schedule


def test_unknown_schedule_name():
    with pytest.raises(gn.UnknownIdentifierError, match="ExponentialDecay"):
        schedules.deserialize({"class_name": "ExponentialDecai", "config": {}})


@pytest.mark.parametrize("make", [
    lambda: ExponentialDecay(0.1, 0, 0.9),
    lambda: InverseTimeDecay(0.1, -1, 0.9),
    lambda: PolynomialDecay(0.1, 0),
    lambda: CosineDecay(0.1, 0),
])
def test_decay_steps_must_be_positive(make):
    with pytest.raises(gn.GlassnetValueError, match="decay_steps"):
        make()


def test_piecewise_constant_validation():
    with pytest.raises(ValueError, match="values"):
        PiecewiseConstantDecay([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="boundaries"):
        PiecewiseConstantDecay([2, 1], [0.1, 0.2, 0.3])


# ----------------------------------------------------------------- MindSpore lists


def test_exponential_decay_lr_seed_003():
    got = schedules.exponential_decay_lr(0.1, 0.9, 6, 2, 1)
    assert got == pytest.approx([0.1, 0.1, 0.09, 0.09, 0.081, 0.081], abs=1e-15)
    # the seed prints MindSpore's exact float output
    assert got == [0.1, 0.1, 0.09000000000000001, 0.09000000000000001,
                   0.08100000000000002, 0.08100000000000002]


def test_exponential_decay_lr_stair():
    # decay_epoch 2: exponent floor(epoch / 2) -> 0, 0, 0, 0, 1, 1 for steps 0..5 (2 per epoch)
    got = schedules.exponential_decay_lr(0.1, 0.9, 6, 2, 2, is_stair=True)
    assert got == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.09, 0.09])
    smooth = schedules.exponential_decay_lr(0.1, 0.9, 6, 2, 2)
    assert smooth[2] == pytest.approx(0.1 * 0.9**0.5)


def test_natural_exp_decay_lr_mindspore_example():
    got = schedules.natural_exp_decay_lr(0.1, 0.9, 6, 2, 2, True)
    assert got == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.016529888822158657, 0.016529888822158657])


def test_inverse_decay_lr_mindspore_example():
    got = schedules.inverse_decay_lr(0.1, 0.5, 6, 1, 1, True)
    assert got == pytest.approx([0.1, 0.06666666666666667, 0.05, 0.04, 0.03333333333333333,
                                 0.028571428571428574])
    smooth = schedules.inverse_decay_lr(0.1, 0.5, 4, 1, 2)
    assert smooth == pytest.approx([0.1, 0.1 / 1.25, 0.1 / 1.5, 0.1 / 1.75])


def test_cosine_decay_lr_mindspore_example():
    got = schedules.cosine_decay_lr(0.01, 0.1, 6, 2, 2)
    assert got == pytest.approx([0.1, 0.1, 0.05500000000000001, 0.05500000000000001, 0.01, 0.01])
    assert schedules.cosine_decay_lr(0.0, 1.0, 10, 1, 4)[9] == pytest.approx(0.0)  # clamped


def test_polynomial_decay_lr_mindspore_example():
    got = schedules.polynomial_decay_lr(0.1, 0.01, 6, 2, 2, 0.5)
    assert got == pytest.approx([0.1, 0.1, 0.07363961030678928, 0.07363961030678928, 0.01,
                                 0.01])
    # update_decay_epoch: epoch 3 -> decay epoch 2 * ceil(3/2) = 4, lr = 0.09 (1 - 3/4) + 0.01
    cyc = schedules.polynomial_decay_lr(0.1, 0.01, 4, 1, 2, 1.0, update_decay_epoch=True)
    assert cyc == pytest.approx([0.1, 0.055, 0.01, 0.09 * 0.25 + 0.01])


def test_piecewise_constant_lr_mindspore_example():
    got = schedules.piecewise_constant_lr([2, 5, 10], [0.1, 0.05, 0.01])
    assert got == [0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01]


def test_warmup_lr_mindspore_example():
    assert schedules.warmup_lr(0.1, 6, 2, 2) == pytest.approx([0.0, 0.0, 0.05, 0.05, 0.1, 0.1])


@pytest.mark.parametrize("call,name", [
    (lambda: schedules.exponential_decay_lr(-0.1, 0.9, 6, 2, 1), "learning_rate"),
    (lambda: schedules.exponential_decay_lr(0.1, 0.9, 0, 2, 1), "total_step"),
    (lambda: schedules.inverse_decay_lr(0.1, 0.5, 6, 1.5, 1), "step_per_epoch"),
    (lambda: schedules.cosine_decay_lr(0.1, 0.01, 6, 2, 2), "max_lr"),
    (lambda: schedules.polynomial_decay_lr(0.1, 0.01, 6, 2, 0, 0.5), "decay_epoch"),
    (lambda: schedules.polynomial_decay_lr(0.1, 0.01, 6, 2, 2, -1.0), "power"),
    (lambda: schedules.piecewise_constant_lr([2, 1], [0.1, 0.05]), "milestone"),
    (lambda: schedules.piecewise_constant_lr([2], [0.1, 0.05]), "learning_rates"),
])
def test_mindspore_argument_validation(call, name):
    with pytest.raises(gn.GlassnetValueError, match=name):
        call()
