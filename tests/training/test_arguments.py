"""fit/evaluate/predict refuse bad arguments up front, naming the method, argument and value.

Issue 20: on today's main validation_split='0.2', validation_freq='2', steps_per_epoch='abc'
and class_weight={'a': 1} gave bare TypeError/ValueError from deep inside fit;
class_weight={-1: 100} silently re-weighted the last class, {0: nan} trained to NaN and
{10**8: 1} allocated a 381 MiB table; ``[X, X]`` given to a one-input model blamed the labels.
"""

import re
import tracemalloc

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetError
from glassnet.layers import Dense, Input
from glassnet.models import Model, Sequential

X = np.random.default_rng(0).normal(size=(12, 3))
Y = np.arange(12) % 3


def _model():
    model = Sequential([Dense(3, input_shape=(3,), activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


FIT_CASES = [
    # (argument, value, what the message must also say)
    ("validation_split", "0.2", r"\[0, 1\)"),
    ("validation_split", 1.0, r"\[0, 1\)"),
    ("validation_split", -0.1, r"\[0, 1\)"),
    ("validation_freq", "2", "positive integer"),
    ("validation_freq", 0, "positive integer"),
    ("validation_freq", [1, "2"], "positive integer"),
    ("steps_per_epoch", "abc", "positive integer"),
    ("steps_per_epoch", 0, "positive integer"),
    ("steps_per_epoch", 1.5, "positive integer"),
    ("validation_steps", -1, "positive integer"),
    ("validation_batch_size", 0, "positive integer"),
    ("class_weight", {"a": 1}, r"integers in \[0, 2\]"),
    ("class_weight", {-1: 100}, r"integers in \[0, 2\]"),
    ("class_weight", {10**8: 1}, r"integers in \[0, 2\]"),
    ("class_weight", {1.5: 1}, "integers"),
    ("class_weight", {0: float("nan")}, r"finite numbers >= 0"),
    ("class_weight", {0: float("inf")}, r"finite numbers >= 0"),
    ("class_weight", {0: -1}, r"finite numbers >= 0"),
    ("class_weight", {0: "2"}, r"finite numbers >= 0"),
    ("class_weight", [1, 2, 3], "dict"),
    ("batch_size", 0, "positive integer"),
    ("batch_size", -1, "positive integer"),
    ("batch_size", 1.5, "positive integer"),
    ("epochs", -1, "non-negative integer"),
    ("epochs", 2.5, "non-negative integer"),
    ("verbose", 5, "'auto', 0, 1 or 2"),
    ("initial_epoch", 3, r"\[0, epochs=1\]"),
    ("shuffle", "yes", "True or False"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), FIT_CASES,
                         ids=[f"{n}={v!r}" for n, v, _ in FIT_CASES])
def test_fit_refuses_each_bad_argument(name, value, allowed):
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(GlassnetError) as info:
        model.fit(X, Y, **{"verbose": 0, name: value})
    message = str(info.value)
    assert message.startswith("fit: ") and name in message
    shown = [f"{k!r}" for k in value] + [f"{v!r}" for v in value.values()] \
        if isinstance(value, dict) else [repr(value)]
    assert any(text in message for text in shown), message
    assert re.search(allowed, message), message
    for old, new in zip(before, model.get_weights(), strict=True):  # nothing trained
        np.testing.assert_array_equal(old, new)


@pytest.mark.parametrize(("method", "name", "value"), [
    ("evaluate", "batch_size", 0), ("evaluate", "steps", "abc"), ("evaluate", "verbose", 7),
    ("evaluate", "return_dict", "yes"), ("predict", "batch_size", -1),
    ("predict", "steps", 0), ("predict", "verbose", "quiet"),
])
def test_evaluate_and_predict_refuse_bad_arguments(method, name, value):
    model = _model()
    args = (X, Y) if method == "evaluate" else (X,)
    with pytest.raises(gn.GlassnetValueError, match=rf"^{method}: {name}.*{value!r}"):
        getattr(model, method)(*args, **{name: value})


def test_a_huge_class_index_allocates_nothing():
    model = _model()
    tracemalloc.start()
    try:
        with pytest.raises(gn.GlassnetValueError, match="100000000"):
            model.fit(X, Y, class_weight={10**8: 1}, verbose=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20  # today's main: a 381 MiB table


def test_train_on_batch_checks_class_weight_too():
    model = _model()
    with pytest.raises(gn.GlassnetValueError, match="class_weight values"):
        model.train_on_batch(X, Y, class_weight={0: float("nan")})
    with pytest.raises(gn.GlassnetValueError, match="class_weight keys"):
        model.train_on_batch(X, Y, class_weight={-1: 100})
    model.train_on_batch(X, Y, class_weight={0: 1.0, 5: 2.0})  # no bound known: ignored


def test_valid_class_weights_give_todays_results():
    """Keys as NumPy integers, weights as NumPy floats, a class absent from the data."""
    results = []
    for weights in ({0: 1.0, 1: 2.0, 2: 0.5}, {np.int64(0): np.float32(1), 1: 2, 2: 0.5}):
        gn.manual_seed(1)
        model = _model()
        model.fit(X[Y != 2], Y[Y != 2], class_weight=weights, epochs=2, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def test_valid_edge_values_still_run():
    model = _model()
    history = model.fit(X, Y, epochs=2, validation_split=0.25, validation_freq=[2],
                        steps_per_epoch=np.int64(1), shuffle=False, verbose=0)
    assert "val_loss" in history.history
    assert model.fit(X, Y, epochs=0, verbose=0).history == {}


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_two_arrays_for_one_input_blame_x(method):
    model = _model()
    args = ([X, X], Y) if method != "predict" else ([X, X],)
    with pytest.raises(gn.GlassnetValueError,
                       match=rf"^{method}: x must hold one array per model input.*1 input"):
        getattr(model, method)(*args, verbose=0)


def test_one_array_for_two_inputs_blames_x():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    model = Model([a, b], Dense(1)(gn.layers.Concatenate()([a, b])))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(gn.GlassnetValueError, match=r"^fit: x .*2 input\(s\), received x as one"):
        model.fit(X, Y, verbose=0)
    model.fit([X, X], Y, verbose=0)  # the right count still trains
