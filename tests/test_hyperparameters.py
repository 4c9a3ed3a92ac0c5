"""Hyper-parameters are validated where they are given (issue 20, item 6).

One table: the owner, the argument, a bad value, and the words the error must carry (owner,
argument, allowed range, value received); each row also has a valid value, which must still
build and work (a layer called on data, an optimizer stepping, a schedule evaluated, a loss
computed). The rows marked "issue" are the issue's findings (accepted on the old main:
BatchNormalization(momentum=2) predicted NaN, ExponentialDecay(decay_rate=-0.5) failed mid-fit
with a complex-number TypeError, PolynomialDecay(power=-1) with a ZeroDivisionError,
label_smoothing=2 was taken); the others sweep the rest of each family.
"""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import hyperparameters, layers, losses, optimizers, schedules
from glassnet.errors import GlassnetValueError

NAN, INF = float("nan"), float("inf")


# ---------------------------------------------------------------------------- how rows are used
def _use_layer(layer, shape=(4, 3)):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    y = layer(x, training=True).numpy()
    assert np.all(np.isfinite(y))


def _use_optimizer(opt):
    w = gn.tensor([1.0, -2.0], dtype=gn.float64, requires_grad=True)
    opt.apply_gradients([(gn.tensor(np.array([0.5, -0.25])), w)])
    assert np.all(np.isfinite(w.data)) and opt.iterations == 1


def _use_schedule(schedule):
    rates = [schedule(step) for step in (0, 1, 5, 10, 50)]
    assert all(math.isfinite(r) and r >= 0 for r in rates), rates


def _use_loss(loss, y_true=((0.0, 1.0), (1.0, 0.0)), y_pred=((0.3, 0.7), (0.6, 0.4))):
    value = loss(np.array(y_true), gn.tensor(np.array(y_pred))).item()
    assert math.isfinite(value)


def _use_sparse(loss):
    _use_loss(loss, y_true=(1, 0))


LAYER, OPT, SCHED, LOSS, SPARSE = _use_layer, _use_optimizer, _use_schedule, _use_loss, _use_sparse

# (owner, argument, build(value), bad, good, use, words besides owner and argument)
ROWS = [
    # ---------------------------------------------------------------- normalization (issue)
    ("BatchNormalization", "momentum", lambda v: layers.BatchNormalization(momentum=v),
     2, 0.9, LAYER, ["[0, 1]", "momentum=2"]),
    ("BatchNormalization", "momentum", lambda v: layers.BatchNormalization(momentum=v),
     -0.1, 0, LAYER, ["[0, 1]", "-0.1"]),
    ("BatchNormalization", "epsilon", lambda v: layers.BatchNormalization(epsilon=v),
     -1, 1e-5, LAYER, ["> 0", "epsilon=-1"]),
    ("BatchNormalization", "epsilon", lambda v: layers.BatchNormalization(epsilon=v),
     0, np.float32(1e-3), LAYER, ["> 0", "epsilon=0"]),
    ("BatchNormalization", "momentum", lambda v: layers.BatchNormalization(momentum=v),
     "a", 0.5, LAYER, ["[0, 1]", "'a'"]),
    ("BatchNormalization", "axis", lambda v: layers.BatchNormalization(axis=v),
     1.5, 1, LAYER, ["an int", "1.5"]),
    ("LayerNormalization", "epsilon", lambda v: layers.LayerNormalization(epsilon=v),
     -1, 1e-6, LAYER, ["> 0", "-1"]),
    ("LayerNormalization", "epsilon", lambda v: layers.LayerNormalization(epsilon=v),
     NAN, 1e-3, LAYER, ["> 0", "nan"]),
    ("LayerNormalization", "axis", lambda v: layers.LayerNormalization(axis=v),
     "a", [-1], LAYER, ["list of ints", "'a'"]),
    # ---------------------------------------------------------------- other layers
    ("LeakyReLU", "negative_slope", lambda v: layers.LeakyReLU(v), NAN, 0.2, LAYER,
     ["finite", "nan"]),
    ("ELU", "alpha", lambda v: layers.ELU(v), INF, -1.0, LAYER, ["finite", "inf"]),
    ("ReLU", "threshold", lambda v: layers.ReLU(threshold=v), NAN, 0.5, LAYER, ["nan"]),
    ("GaussianNoise", "stddev", lambda v: layers.GaussianNoise(v, seed=1), NAN, 0.1, LAYER,
     [">= 0", "nan"]),
    ("GaussianNoise", "stddev", lambda v: layers.GaussianNoise(v, seed=1), INF, 0, LAYER,
     [">= 0", "inf"]),
    ("Concatenate", "axis", lambda v: layers.Concatenate(axis=v), "a", np.int64(-1),
     lambda layer: layer([np.ones((2, 3)), np.ones((2, 1))]), ["an int", "'a'"]),
    # ---------------------------------------------------------------- optimizers
    ("SGD", "learning_rate", lambda v: optimizers.SGD(v), INF, 0.1, OPT, ["finite", "inf"]),
    ("SGD", "nesterov", lambda v: optimizers.SGD(0.1, momentum=0.9, nesterov=v), "yes", True,
     OPT, ["bool", "'yes'"]),
    ("Adam", "amsgrad", lambda v: optimizers.Adam(amsgrad=v), "x", np.True_, OPT,
     ["bool", "'x'"]),
    ("Adam", "epsilon", lambda v: optimizers.Adam(epsilon=v), NAN, 1e-8, OPT, [">= 0", "nan"]),
    ("RMSprop", "momentum", lambda v: optimizers.RMSprop(momentum=v), 2, 0.9, OPT,
     ["[0, 1]", "momentum=2"]),
    ("RMSprop", "centered", lambda v: optimizers.RMSprop(centered=v), "no", 1, OPT,
     ["bool", "'no'"]),
    ("RMSprop", "epsilon", lambda v: optimizers.RMSprop(epsilon=v), INF, 1e-7, OPT,
     [">= 0", "inf"]),
    ("Adagrad", "epsilon", lambda v: optimizers.Adagrad(epsilon=v), -1, 1e-7, OPT,
     [">= 0", "-1"]),
    ("Adadelta", "epsilon", lambda v: optimizers.Adadelta(1.0, epsilon=v), INF, 1e-6, OPT,
     [">= 0", "inf"]),
    ("Ftrl", "beta", lambda v: optimizers.Ftrl(beta=v), INF, 0.5, OPT, [">= 0", "inf"]),
    # ---------------------------------------------------------------- schedules (issue)
    ("ExponentialDecay", "decay_rate", lambda v: schedules.ExponentialDecay(0.1, 10, v),
     -0.5, 0.5, SCHED, ["> 0", "decay_rate=-0.5"]),
    ("ExponentialDecay", "decay_rate", lambda v: schedules.ExponentialDecay(0.1, 10, v),
     NAN, 1.5, SCHED, ["> 0", "nan"]),
    ("ExponentialDecay", "initial_learning_rate",
     lambda v: schedules.ExponentialDecay(v, 10, 0.5), "a", np.float32(0.1), SCHED,
     [">= 0", "'a'"]),
    ("ExponentialDecay", "decay_steps", lambda v: schedules.ExponentialDecay(0.1, v, 0.5),
     INF, 2.5, SCHED, ["> 0", "inf"]),
    ("ExponentialDecay", "staircase",
     lambda v: schedules.ExponentialDecay(0.1, 10, 0.5, staircase=v), "x", True, SCHED,
     ["bool", "'x'"]),
    ("InverseTimeDecay", "decay_rate", lambda v: schedules.InverseTimeDecay(0.1, 1, v),
     -1, 0, SCHED, [">= 0", "-1"]),
    ("PolynomialDecay", "power", lambda v: schedules.PolynomialDecay(0.1, 10, power=v),
     -1, 0.5, SCHED, [">= 0", "power=-1"]),
    ("PolynomialDecay", "end_learning_rate",
     lambda v: schedules.PolynomialDecay(0.1, 10, end_learning_rate=v), -1, 0.0, SCHED,
     [">= 0", "-1"]),
    ("PolynomialDecay", "cycle", lambda v: schedules.PolynomialDecay(0.1, 10, cycle=v),
     "x", True, SCHED, ["bool", "'x'"]),
    ("PiecewiseConstantDecay", "values[1]",
     lambda v: schedules.PiecewiseConstantDecay([5], [0.1, v]), -1, 0.01, SCHED,
     [">= 0", "-1"]),
    ("PiecewiseConstantDecay", "boundaries[0]",
     lambda v: schedules.PiecewiseConstantDecay([v], [0.1, 0.2]), "a", 5, SCHED,
     ["finite", "'a'"]),
    ("CosineDecay", "alpha", lambda v: schedules.CosineDecay(0.1, 10, alpha=v), 2, 0.1,
     SCHED, ["[0, 1]", "alpha=2"]),
    ("CosineDecay", "initial_learning_rate", lambda v: schedules.CosineDecay(v, 10), -1, 0.1,
     SCHED, [">= 0", "-1"]),
    ("CosineDecay", "warmup_target",
     lambda v: schedules.CosineDecay(0.0, 10, warmup_target=v, warmup_steps=3), -1, 0.1,
     SCHED, [">= 0", "-1"]),
    ("StepList", "values[1]", lambda v: schedules.StepList([0.1, v]), NAN, 0.05, SCHED,
     [">= 0", "nan"]),
    ("piecewise_constant_lr", "learning_rates[0]",
     lambda v: schedules.StepList(schedules.piecewise_constant_lr([2, 4], [v, 0.1])), -0.1,
     0.2, SCHED, [">= 0", "-0.1"]),
    # ---------------------------------------------------------------- losses (issue)
    ("BinaryCrossentropy", "label_smoothing",
     lambda v: losses.BinaryCrossentropy(label_smoothing=v), 2, 0.1, LOSS,
     ["[0, 1]", "label_smoothing=2"]),
    ("CategoricalCrossentropy", "label_smoothing",
     lambda v: losses.CategoricalCrossentropy(label_smoothing=v), -1, 0.2, LOSS,
     ["[0, 1]", "-1"]),
    ("BinaryCrossentropy", "from_logits", lambda v: losses.BinaryCrossentropy(from_logits=v),
     "x", True, LOSS, ["bool", "'x'"]),
    ("SparseCategoricalCrossentropy", "from_logits",
     lambda v: losses.SparseCategoricalCrossentropy(from_logits=v), "yes", False, SPARSE,
     ["bool", "'yes'"]),
    ("CategoricalCrossentropy", "axis", lambda v: losses.CategoricalCrossentropy(axis=v),
     1.5, -1, LOSS, ["an int", "1.5"]),
    ("Huber", "delta", lambda v: losses.Huber(delta=v), 0, 0.5, LOSS, ["> 0", "delta=0"]),
    ("Huber", "delta", lambda v: losses.Huber(delta=v), -1, 2, LOSS, ["> 0", "-1"]),
    ("Huber", "delta", lambda v: losses.Huber(delta=v), "a", np.float64(1.0), LOSS,
     ["> 0", "'a'"]),
    ("MeanSquaredError", "reduction", lambda v: losses.MeanSquaredError(reduction=v), "avg",
     "sum", LOSS, ["sum_over_batch_size", "'avg'"]),
]

IDS = [f"{owner}.{argument}={bad!r}" for owner, argument, _, bad, *_ in ROWS]


@pytest.mark.parametrize(("owner", "argument", "build", "bad", "good", "use", "words"), ROWS,
                         ids=IDS)
def test_a_bad_value_is_refused_where_it_is_given(owner, argument, build, bad, good, use,
                                                   words):
    with pytest.raises(GlassnetValueError) as caught:
        build(bad)
    message = str(caught.value)
    for word in [owner, f"`{argument}`", *words]:
        assert word in message, f"{word!r} not in {message!r}"


@pytest.mark.parametrize(("owner", "argument", "build", "bad", "good", "use", "words"), ROWS,
                         ids=IDS)
def test_the_valid_value_of_each_row_still_works(owner, argument, build, bad, good, use, words):
    use(build(good))


def test_the_issues_batch_normalization_trains_and_predicts_finite_values():
    x = np.random.default_rng(1).normal(size=(32, 3)).astype("float32")
    model = gn.Sequential([layers.Dense(4, input_shape=(3,)),
                           layers.BatchNormalization(momentum=0.9, epsilon=1e-5),
                           layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x[:, :1], epochs=2, batch_size=8, verbose=0)
    assert np.all(np.isfinite(model.predict(x, verbose=0)))


def test_the_valid_schedules_of_the_issue_train():
    x = np.random.default_rng(2).normal(size=(16, 2)).astype("float32")
    for schedule in (schedules.ExponentialDecay(0.05, 2, 0.5),
                     schedules.PolynomialDecay(0.05, 3, power=0.0),
                     schedules.PolynomialDecay(0.05, 3, power=2.0)):
        model = gn.Sequential([layers.Dense(1, input_shape=(2,))])
        model.compile(optimizer=optimizers.SGD(schedule), loss="mse")
        history = model.fit(x, x[:, :1], epochs=3, batch_size=4, verbose=0)
        assert all(math.isfinite(v) for v in history.history["loss"])


def test_numpy_scalars_are_accepted_and_kept_as_given():
    assert layers.Dense(np.int64(3)).units == 3
    assert hyperparameters.check_number("X", "n", np.int32(2), low=1, integer=True) == 2
    value = np.float32(0.25)
    assert hyperparameters.check_number("X", "p", value, low=0, high=1) is value
    assert optimizers.SGD(np.float32(0.1), momentum=np.float64(0.5)).momentum == 0.5


@pytest.mark.parametrize("value", [True, "1", None, NAN, INF, 1.5])
def test_check_number_integer_refuses_bools_strings_and_non_integers(value):
    with pytest.raises(GlassnetValueError, match=r"X: `n` must be an int >= 1"):
        hyperparameters.check_number("X", "n", value, low=1, integer=True)


def test_check_number_words_each_kind_of_range():
    cases = [({"low": 0}, -5, "a float >= 0"), ({"low": 0, "low_open": True}, 0, "a float > 0"),
             ({"high": 0}, 5, "a float <= 0"),
             ({"low": 0, "high": 1, "high_open": True}, 1, "a float in [0, 1)"),
             ({}, NAN, "a finite float"), ({}, -INF, "a finite float"),
             ({"low": 0, "allow_none": True}, -5, "None or a float >= 0")]
    for kwargs, value, words in cases:
        with pytest.raises(GlassnetValueError) as caught:
            hyperparameters.check_number("X", "v", value, **kwargs)
        assert f"X: `v` must be {words}, received v={value!r}" == str(caught.value)
    assert hyperparameters.check_number("X", "v", None, low=0, allow_none=True) is None
    assert hyperparameters.check_number("X", "v", INF, low=0, finite=False) == INF


def test_check_choice_and_check_bool():
    assert hyperparameters.check_choice("X", "mode", "a", ("a", "b")) == "a"
    with pytest.raises(GlassnetValueError, match=r"X: `mode` must be one of 'a', 'b', "
                                                 r"received mode='c'"):
        hyperparameters.check_choice("X", "mode", "c", ("a", "b"))
    for flag in (True, False, np.False_, 0, 1):
        assert hyperparameters.check_bool("X", "flag", flag) is flag
    for flag in ("True", 2, None, 0.0):
        with pytest.raises(GlassnetValueError, match="`flag` must be a bool"):
            hyperparameters.check_bool("X", "flag", flag)


def test_check_hyper_is_the_optimizers_helper_and_returns_a_float():
    assert optimizers.base.check_hyper is hyperparameters.check_hyper
    assert type(hyperparameters.check_hyper("X", "v", np.float32(0.5), lambda v: v > 0,
                                            "a float > 0")) is float
