"""gn.callbacks.Studio on Sequential, functional and subclassed models (no server: a Hub)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import layers
from glassnet.callbacks.studio import Studio
from glassnet.studio import Hub


def _images(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8, 8, 1)).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) > 0).astype("int64")
    return x, y


def _sequences(n=24, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5, 3)).astype("float32")
    y = (x[:, :, 0].sum(axis=1) > 0).astype("int64")
    return x, y


def sequential_cnn():
    return gn.Sequential([
        layers.Conv2D(4, (3, 3), activation="relu", input_shape=(8, 8, 1)),
        layers.BatchNormalization(),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dropout(0.25),
        layers.Dense(2, activation="softmax"),
    ])


def functional_lstm():
    inputs = gn.Input(shape=(5, 3))
    hidden = layers.LSTM(6)(inputs)
    hidden = layers.Dropout(0.2)(hidden)
    outputs = layers.Dense(2, activation="softmax")(hidden)
    return gn.Model(inputs, outputs)


class Subclassed(gn.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(5, activation="tanh")
        self.dropout = layers.Dropout(0.3)
        self.out = layers.Dense(2, activation="softmax")

    def call(self, inputs, training=False):
        return self.out(self.dropout(self.hidden(inputs), training=training))


CASES = {
    "sequential": (sequential_cnn, _images),
    "functional": (functional_lstm, _sequences),
    "subclassed": (Subclassed, lambda: (_images()[0].reshape(24, -1)[:, :6], _images()[1])),
}


def _fit(case, callback=None, epochs=2, optimizer="sgd"):
    build, data = CASES[case]
    x, y = data()
    gn.manual_seed(7)
    model = build()
    model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer,
                  metrics=["accuracy"])
    callbacks = [] if callback is None else [callback]
    model.fit(x, y, batch_size=8, epochs=epochs, validation_data=(x[:8], y[:8]),
              callbacks=callbacks, verbose=0)
    return model


@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_is_bit_identical_with_and_without_the_callback(case):
    plain = _fit(case)
    watched = _fit(case, Studio(every=1, hub=Hub()))
    assert len(plain.weights) == len(watched.weights) > 0
    for a, b in zip(plain.weights, watched.weights, strict=True):
        assert np.array_equal(a.data, b.data), a.name


@pytest.mark.parametrize("case", sorted(CASES))
def test_records_arrive_for_every_layer_kind(case):
    hub = Hub()
    _fit(case, Studio(every=2, hub=hub, name=case))
    (run,) = hub.runs()
    assert run.name == case and run.status == "finished"
    events = hub.events_after(0, timeout=0)
    batches = [e["data"] for e in events if e["type"] == "batch"]
    assert [b["step"] for b in batches] == list(range(6))  # 24 samples / 8 = 3 batches x 2
    assert [b["epoch"] for b in batches] == [0, 0, 0, 1, 1, 1]
    assert all(b["learning_rate"] == pytest.approx(0.01) for b in batches)  # SGD's default
    layer_steps = [e["data"]["step"] for e in events if e["type"] == "layers"]
    assert layer_steps == [0, 2, 4]
    epochs = [e["data"] for e in events if e["type"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [0, 1]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(epochs[-1]["logs"])
    snapshot = run.snapshot()
    assert snapshot["curves"]["batch"]["step"] == list(range(6))
    assert snapshot["graph"]["nodes"]
    assert run.samples is not None and snapshot["has_samples"]
    records = snapshot["layers"]
    classes = {record["class"] for record in records.values()}
    if case == "sequential":
        assert {"Conv2D", "BatchNormalization", "MaxPooling2D", "Dropout", "Dense"} <= classes
        conv = next(r for r in records.values() if r["class"] == "Conv2D")
        assert len(conv["conv"]["feature_maps"]) == 4 and len(conv["conv"]["kernels"]) == 4
        norm = next(r for r in records.values() if r["class"] == "BatchNormalization")
        assert len(norm["batchnorm"]["moving_mean"]) == 4
    if case == "functional":
        assert {"LSTM", "Dropout", "Dense"} <= classes
        lstm = next(r for r in records.values() if r["class"] == "LSTM")
        assert set(lstm["recurrent"]["gates"]) == {"i", "f", "c", "o"}
        assert len(lstm["recurrent"]["gates"]["i"]) == 5  # one row per time step
    if case == "subclassed":
        assert {"Dense", "Dropout"} <= classes
        hidden = records["dense"] if "dense" in records else next(
            r for r in records.values() if r["class"] == "Dense")
        assert hidden["neurons"] is not None
    for record in records.values():
        assert record["step"] == 4


def test_sgd_update_norm_is_learning_rate_times_grad_norm():
    """Plain SGD: W <- W - lr * g, so ||update|| = lr * ||g|| (independent of the recorder)."""
    hub = Hub()
    optimizer = gn.optimizers.SGD(learning_rate=0.5)
    _fit("subclassed", Studio(every=1, hub=hub), epochs=1, optimizer=optimizer)
    records = hub.runs()[0].snapshot()["layers"]
    dense = [r for r in records.values() if r["class"] == "Dense"]
    assert len(dense) == 2
    for record in dense:
        scalars = record["scalars"]
        assert scalars["update_norm"] == pytest.approx(0.5 * scalars["grad_norm"], rel=1e-4)
        assert scalars["update_ratio"] > 0


def test_watch_streams_every_later_fit_and_gets_validation_data():
    hub = Hub()
    x, y = _sequences()
    gn.manual_seed(0)
    model = functional_lstm()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    callback = gn.studio.watch(model, hub=hub, every=100)
    model.fit(x, y, batch_size=12, epochs=1, verbose=0, validation_split=0.25)
    model.fit(x, y, batch_size=12, epochs=1, verbose=0)
    first, second = hub.runs()
    assert first.status == second.status == "finished"
    assert len(first.validation_data[0]) == 6  # the last quarter of 24, held out by fit
    np.testing.assert_array_equal(first.validation_data[0], x[18:])
    assert second.validation_data is None
    assert callback.run is second
    gn.studio.unwatch(model)
    model.fit(x, y, batch_size=12, epochs=1, verbose=0)
    assert len(hub.runs()) == 2


def test_stop_from_the_page_ends_fit_early():
    hub = Hub()
    callback = Studio(hub=hub, every=100)

    class StopAtTwo(gn.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                callback.run.control.stop()

    x, y = _images()
    gn.manual_seed(0)
    model = sequential_cnn()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    model.fit(x, y, batch_size=4, epochs=3, verbose=0, callbacks=[StopAtTwo(), callback])
    batches = [e for e in hub.events_after(0, timeout=0) if e["type"] == "batch"]
    assert len(batches) == 2
    assert hub.runs()[0].status == "stopped"


def test_registered_and_every_is_checked():
    assert isinstance(gn.callbacks.get("Studio"), Studio)
    with pytest.raises(gn.errors.GlassnetValueError, match="every"):
        Studio(every=0)


def test_without_hub_or_server_it_starts_one_server_per_process(monkeypatch, capsys):
    pytest.importorskip("starlette")
    httpx = pytest.importorskip("httpx")
    import glassnet.studio as studio

    monkeypatch.setattr(studio, "_default_server", None)
    x, y = _sequences()
    model = functional_lstm()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
    first, second = Studio(port=0, every=100), Studio(port=0, every=100)
    try:
        model.fit(x, y, batch_size=12, epochs=1, verbose=0, callbacks=[first])
        model.fit(x, y, batch_size=12, epochs=1, verbose=0, callbacks=[second])
        server = studio._default_server
        assert first.server is second.server is server
        printed = capsys.readouterr().out
        assert printed.count("glassnet Studio: http://127.0.0.1:") == 1
        assert server.url in printed
        state = httpx.get(f"http://127.0.0.1:{server.port}/api/state",
                          params={"token": server.token}, timeout=10).json()
        assert [run["status"] for run in state["runs"]] == ["finished", "finished"]
    finally:
        if studio._default_server is not None:
            studio._default_server.stop()
