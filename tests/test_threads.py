"""Threads (issue 20, item 3): grad mode and the other per-call settings are per thread.

Four fits and a predict loop run at once in five threads; each fit ends with exactly the
weights it gets alone, and the predict loop always returns the same outputs. On the old code
(one process-wide grad flag and training stack) the fits died with "no gradients provided" /
"backward(): this tensor does not require grad" as soon as another thread's metrics or predict
switched grad mode off, and a predict running while a fit was inside a training-mode layer call
could take its training flag (Dropout active at inference). The threads switch often
(``sys.setswitchinterval``) so that the interleavings happen in every run.

Each fit is independent of the shared generator ``config.rng`` in one of the two ways
``glassnet.config`` documents: seeds on every random initializer and on Dropout with
``shuffle=False`` (fits 0 to 2), or a generator of its own thread (``thread_rng``, fit 3: no
seeds, shuffled, unseeded Dropout).
"""

import sys
import threading

import numpy as np
import pytest

import glassnet as gn
from glassnet.config import config, thread_rng, using_config
from glassnet.errors import GlassnetValueError
from glassnet.explain import trace
from glassnet.initializers import GlorotUniform, HeNormal, Zeros
from glassnet.layers import BatchNormalization, Dense, Dropout
from glassnet.layers.base import Layer
from glassnet.models import Sequential

SWITCH_INTERVAL = 1e-5  # seconds: switch threads hundreds of times per batch


def _run_in_thread(target):
    """Run ``target()`` in a new thread; return its result (re-raise its error here)."""
    box = {}

    def main():
        try:
            box["result"] = target()
        except BaseException as error:  # handed back to the test
            box["error"] = error

    thread = threading.Thread(target=main)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the thread did not finish"
    if "error" in box:
        raise box["error"]
    return box.get("result")


# ------------------------------------------------------------------ four fits and a predict loop
def _data(index, n=96, features=6):
    rng = np.random.default_rng(100 + index)
    x = rng.normal(size=(n, features)).astype(np.float32)
    if index % 2:  # classification
        y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    else:
        y = (x @ rng.normal(size=(features, 1))).astype(np.float32)
    return x, y


def _fit_seeded_mlp(index):
    """Fits 0 to 2: every random number comes from the model's own seeds; no shuffle."""
    x, y = _data(index)
    seed = 10 * index
    layers = [Dense(12, activation="relu", kernel_initializer=GlorotUniform(seed=seed),
                    input_shape=(6,))]
    if index == 1:
        layers += [Dropout(0.25, seed=seed + 1)]
    if index == 2:
        layers += [BatchNormalization()]
    layers += [Dense(2 if index % 2 else 1, activation="softmax" if index % 2 else None,
                     kernel_initializer=HeNormal(seed=seed + 2), bias_initializer=Zeros())]
    model = Sequential(layers)
    loss = "sparse_categorical_crossentropy" if index % 2 else "mse"
    metrics = ["accuracy"] if index % 2 else ["mae"]
    model.compile(optimizer="adam" if index else "sgd", loss=loss, metrics=metrics)
    model.fit(x, y, epochs=4, batch_size=8, shuffle=False, validation_split=0.25, verbose=0)
    return [w.copy() for w in model.get_weights()]


def _fit_own_generator(index=3):
    """Fit 3: unseeded initializers, Dropout and shuffling, all drawing from thread_rng."""
    x, y = _data(index)
    with thread_rng(1234):
        model = Sequential([Dense(10, activation="tanh", input_shape=(6,)), Dropout(0.3),
                            Dense(2, activation="softmax")])
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x, y, epochs=4, batch_size=8, shuffle=True, validation_data=(x[:16], y[:16]),
                  verbose=0)
    return [w.copy() for w in model.get_weights()]


FITS = [lambda: _fit_seeded_mlp(0), lambda: _fit_seeded_mlp(1), lambda: _fit_seeded_mlp(2),
        _fit_own_generator]


def _predict_model():
    model = Sequential([Dense(8, activation="relu", kernel_initializer=GlorotUniform(seed=5),
                              input_shape=(6,)), Dropout(0.5), Dense(3)])
    return model, np.random.default_rng(7).normal(size=(32, 6)).astype(np.float32)


def test_four_fits_and_a_predict_loop_in_five_threads_match_their_runs_alone():
    alone = [fit() for fit in FITS]
    model, x = _predict_model()
    expected = model.predict(x, verbose=0)
    results, errors, predictions = [None] * 4, [], []
    done = threading.Event()
    start = threading.Barrier(5)

    def fit_worker(i):
        try:
            start.wait()
            results[i] = FITS[i]()
        except Exception as error:  # reported below
            errors.append(f"fit {i}: {error!r}")

    def predict_worker():
        try:
            start.wait()
            while not done.is_set() or not predictions:
                predictions.append(model.predict(x, batch_size=8, verbose=0))
        except Exception as error:
            errors.append(f"predict: {error!r}")

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        threads = [threading.Thread(target=fit_worker, args=(i,)) for i in range(4)]
        threads.append(threading.Thread(target=predict_worker))
        for thread in threads:
            thread.start()
        for thread in threads[:4]:
            thread.join(300)
        done.set()
        threads[4].join(60)
    finally:
        sys.setswitchinterval(old_interval)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    for i, (together, by_itself) in enumerate(zip(results, alone, strict=True)):
        for a, b in zip(together, by_itself, strict=True):
            np.testing.assert_array_equal(a, b, err_msg=f"fit {i}")
    assert predictions
    for output in predictions:  # Dropout never active: no training flag from the fits
        np.testing.assert_array_equal(output, expected)


# ------------------------------------------------------------------ grad mode and anomaly mode
def test_no_grad_in_one_thread_leaves_other_threads_recording():
    inside, release = threading.Event(), threading.Event()

    def worker():
        with gn.no_grad():
            inside.set()
            release.wait(30)
            return config.enable_grad, (gn.tensor(1.0, requires_grad=True) * 2).requires_grad

    thread_result = {}
    thread = threading.Thread(target=lambda: thread_result.update(r=worker()))
    thread.start()
    try:
        assert inside.wait(30)
        w = gn.tensor(3.0, requires_grad=True)
        assert config.enable_grad is True
        y = w * w
        y.backward()  # the old code: "backward(): this tensor does not require grad"
        assert w.grad.item() == 6.0
    finally:
        release.set()
        thread.join(30)
    assert thread_result["r"] == (False, False)
    assert config.enable_grad is True


def test_a_thread_starts_with_grad_on_even_inside_no_grad_elsewhere():
    with gn.no_grad():
        assert _run_in_thread(lambda: config.enable_grad) is True
        assert config.enable_grad is False
    assert config.enable_grad is True


def test_backward_in_a_thread_does_not_switch_grad_mode_of_others():
    def worker():
        x = gn.tensor(2.0, requires_grad=True)
        (dx,) = gn.grad(x ** 3, x, create_graph=True)  # grad mode on inside, this thread only
        return dx.item()

    with gn.no_grad():
        assert _run_in_thread(worker) == 12.0
        assert config.enable_grad is False


def test_detect_anomaly_is_per_thread():
    def worker():
        with gn.detect_anomaly():
            return config.detect_anomaly

    with gn.no_grad():
        assert _run_in_thread(worker) is True
    assert config.detect_anomaly is False
    with gn.detect_anomaly():
        assert _run_in_thread(lambda: config.detect_anomaly) is False


def test_assigning_in_the_main_thread_sets_the_default_of_every_thread():
    try:
        config.detect_anomaly = True
        assert _run_in_thread(lambda: config.detect_anomaly) is True
        with using_config("detect_anomaly", False):  # the main thread's own value only
            assert _run_in_thread(lambda: config.detect_anomaly) is True
            assert config.detect_anomaly is False
        assert config.detect_anomaly is True
    finally:
        config.detect_anomaly = False
    assert _run_in_thread(lambda: config.detect_anomaly) is False


def test_assigning_in_another_thread_sets_that_thread_only():
    def worker():
        config.enable_grad = False
        return config.enable_grad, _run_in_thread(lambda: config.enable_grad)

    assert _run_in_thread(worker) == (False, True)
    assert config.enable_grad is True


# ------------------------------------------------------------------ training flag and traces
class _Pause(Layer):
    """Identity that waits inside its call (so that a training-mode call stays open)."""

    def __init__(self, inside, release, **kwargs):
        super().__init__(**kwargs)
        self.inside, self.release = inside, release

    def call(self, inputs, training=None):
        self.inside.set()
        self.release.wait(30)
        return inputs


def test_a_training_call_in_one_thread_does_not_make_another_threads_layers_train():
    inside, release = threading.Event(), threading.Event()
    pause = _Pause(inside, release)
    thread = threading.Thread(target=lambda: pause(np.ones((2, 3), np.float32), training=True))
    thread.start()
    try:
        assert inside.wait(30)
        x = np.ones((4, 50), np.float32)
        out = Dropout(0.5)(x)  # no training flag given, none enclosing in this thread
        np.testing.assert_array_equal(out.data, x)
    finally:
        release.set()
        thread.join(30)


def test_a_trace_records_only_the_ops_of_its_own_thread():
    w = gn.tensor(3.0, requires_grad=True)
    with trace() as t:
        _run_in_thread(lambda: (gn.tensor(1.0) + gn.tensor(2.0)) * gn.tensor(5.0))
        y = w * 2
    assert [op for op, _, _ in t.records] == ["Mul"]
    assert t.records[0][2][0] is y

    def worker():
        with trace() as inner:
            _ = gn.tensor(1.0) - gn.tensor(2.0)
        return [op for op, _, _ in inner.records]

    with trace() as outer:
        assert _run_in_thread(worker) == ["Sub"]
    assert outer.records == []


# ------------------------------------------------------------------ random numbers
def test_thread_rng_gives_each_thread_its_seeded_numbers_whatever_the_others_draw():
    def draws(seed):
        with thread_rng(seed):
            return [gn.config.rng.random() for _ in range(200)]

    alone = {seed: draws(seed) for seed in (1, 2, 3)}
    results, start = {}, threading.Barrier(3)

    def worker(seed):
        start.wait()
        results[seed] = draws(seed)

    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    try:
        threads = [threading.Thread(target=worker, args=(seed,)) for seed in alone]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(old_interval)
    assert results == alone


def test_thread_rng_leaves_the_process_wide_generator_alone():
    generator = gn.manual_seed(0)
    expected = np.random.default_rng(0).random(3)
    with thread_rng(np.random.default_rng(9)) as own:
        assert gn.config.rng is own and gn.config.global_rng is generator
        assert _run_in_thread(lambda: gn.config.rng) is generator
        own.random(5)
    assert gn.config.rng is generator
    np.testing.assert_array_equal(generator.random(3), expected)


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True, None])
def test_thread_rng_refuses_what_is_not_a_seed(seed):
    with pytest.raises(GlassnetValueError, match="thread_rng: seed must be"):
        with thread_rng(seed):
            pass
