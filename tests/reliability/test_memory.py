"""Memory: each training step's graph is freed once the step is over, and inference under
no_grad records no graph at all.

Broken variants checked: keeping every step's loss Tensor alive in a list (training.compute_loss
monkeypatched: a leaked graph per step) made the first two tests fail (+5.3 MiB over 45
epochs; intermediates alive at batch end); recording graphs even under no_grad (the
``config.enable_grad`` test in Function.__call__ replaced by True, in an edited copy) made
the no_grad test fail.
"""

import gc
import tracemalloc
import weakref

import numpy as np

import glassnet as gn
from glassnet.callbacks import LambdaCallback
from glassnet.layers import Dense, Dropout
from glassnet.layers.base import Layer
from glassnet.models import Sequential


class Spy(Layer):
    """Identity that keeps weak references to every tensor it returns."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.refs = []

    def call(self, inputs):
        out = inputs * 1.0
        self.refs.append(weakref.ref(out))
        return out


def small_model(spy=None):
    layers = [Dense(64, activation="relu", input_shape=(20,)), Dropout(0.2)]
    layers += [spy] if spy is not None else []
    layers += [Dense(64, activation="tanh"), Dense(3, activation="softmax")]
    model = Sequential(layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(128, 20)).astype(np.float32), rng.integers(0, 3, 128)


def test_no_memory_growth_over_50_epochs():
    """Traced memory after epoch 50 is within 1 MiB of after epoch 5 (one step's graph here
    is ~120 KiB, so keeping every graph adds ~5 MiB; History adds a few floats).

    Broken variant checked: with every loss kept alive, growth was 5.3 MiB: failed."""
    gn.manual_seed(0)
    x, y = data()
    x, y = x[:64], y[:64]  # one step per epoch
    model = small_model()
    model.fit(x, y, batch_size=64, epochs=2, verbose=0)  # warm up caches and optimizer slots
    usage = {}

    def record(epoch, logs):
        gc.collect()
        usage[epoch] = tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        model.fit(x, y, batch_size=64, epochs=50, verbose=0,
                  callbacks=[LambdaCallback(on_epoch_end=record)])
    finally:
        tracemalloc.stop()
    assert usage[49] - usage[4] < 2**20, (usage[4], usage[49])


def test_each_steps_graph_dies_when_the_step_ends():
    """Broken variant checked: with every loss kept alive, 1..8 intermediates survived."""
    spy = Spy()
    x, y = data()
    model = small_model(spy)
    before = len(spy.refs)  # the symbolic build may call the layer once
    alive_at_batch_end = []

    def check(batch, logs):
        gc.collect()
        alive_at_batch_end.append(sum(ref() is not None for ref in spy.refs))

    model.fit(x, y, batch_size=32, epochs=2, verbose=0,
              callbacks=[LambdaCallback(on_train_batch_end=check)])
    assert len(spy.refs) == before + 8
    assert alive_at_batch_end == [0] * 8  # refcounting frees each graph, gc not needed


def test_no_grad_inference_keeps_no_graph():
    """Broken variant checked: with graphs recorded regardless of no_grad, this failed."""
    spy = Spy()
    x, _ = data()
    model = small_model(spy)
    with gn.no_grad():
        out = model(x)
    assert out.creator is None and not out.requires_grad
    assert spy.refs[-1]() is None  # the intermediate died although `out` is alive
    model.predict(x, verbose=0)
    assert all(ref() is None for ref in spy.refs)
    # the contrast: with grad recording, the graph of `out` keeps the intermediate alive
    out = model(x, training=False)
    assert out.creator is not None and spy.refs[-1]() is not None
    del out
    assert spy.refs[-1]() is None
