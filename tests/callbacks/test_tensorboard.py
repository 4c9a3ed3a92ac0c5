"""TensorBoard: event files under log_dir/train and log_dir/validation, read back record by record.

The files are parsed here from the TFRecord framing (8-byte little-endian length, 4-byte
length CRC, payload, 4-byte payload CRC) and each payload decoded as a TensorBoard ``Event``
with the protobuf class tensorboardX ships.
"""

import struct
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from glassnet import callbacks, keras
from glassnet.callbacks import TensorBoard
from glassnet.callbacks.tensorboard import MissingTensorBoardXError
from glassnet.errors import GlassnetError, GlassnetValueError
from tests.callbacks.helpers import tiny_data, tiny_model


@pytest.fixture
def event_class():
    pytest.importorskip("tensorboardX")
    from tensorboardX.proto.event_pb2 import Event

    return Event


def read_events(run_dir, event_class):
    """Every Event of every event file in ``run_dir``, in file then record order."""
    events = []
    files = sorted(run_dir.glob("events.out.tfevents.*"))
    assert files, f"no event file in {run_dir}"
    for path in files:
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset:offset + 8])
            offset += 12  # the length and its CRC
            payload = data[offset:offset + length]
            assert len(payload) == length, "truncated record"
            offset += length + 4  # the payload and its CRC
            event = event_class()
            event.ParseFromString(payload)
            events.append(event)
    return events


def scalars(run_dir, event_class):
    """tag -> [(step, value)] of the scalar summaries in ``run_dir``."""
    found = {}
    for event in read_events(run_dir, event_class):
        for value in event.summary.value:
            if value.WhichOneof("value") == "simple_value":
                found.setdefault(value.tag, []).append((event.step, value.simple_value))
    return found


def histograms(run_dir, event_class):
    found = {}
    for event in read_events(run_dir, event_class):
        for value in event.summary.value:
            if value.WhichOneof("value") == "histo":
                found.setdefault(value.tag, []).append((event.step, value.histo))
    return found


def fit(tmp_path, epochs=3, **kwargs):
    x, y = tiny_data(n=8)
    model = tiny_model(0.05)
    model.compile(optimizer=model.optimizer, loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=epochs, batch_size=4, verbose=0, validation_data=(x, y),
                        callbacks=[TensorBoard(log_dir=tmp_path / "logs", **kwargs)])
    return model, history.history


def test_epoch_scalars_match_the_history(tmp_path, event_class):
    _, history = fit(tmp_path)
    train = scalars(tmp_path / "logs" / "train", event_class)
    validation = scalars(tmp_path / "logs" / "validation", event_class)
    for name in ("loss", "mae"):
        steps, values = zip(*train[f"epoch_{name}"], strict=True)
        assert steps == (0, 1, 2)
        np.testing.assert_allclose(values, history[name], rtol=1e-6)
        steps, values = zip(*validation[f"epoch_{name}"], strict=True)
        assert steps == (0, 1, 2)
        np.testing.assert_allclose(values, history[f"val_{name}"], rtol=1e-6)
    assert [value for _, value in train["epoch_learning_rate"]] == pytest.approx([0.05] * 3)
    assert not any(tag.startswith("batch_") for tag in train)  # update_freq="epoch"
    assert not any(tag.startswith("epoch_val") for tag in validation)
    # every validation pass also logs against the optimizer's iterations (2 batches an epoch)
    steps = [step for step, _ in validation["evaluation_loss_vs_iterations"]]
    assert steps == [2, 4, 6]


def test_batch_scalars_every_batch_and_every_n_batches(tmp_path, event_class):
    fit(tmp_path / "a", update_freq="batch")
    train = scalars(tmp_path / "a" / "logs" / "train", event_class)
    assert [step for step, _ in train["batch_loss"]] == [1, 2, 3, 4, 5, 6]
    assert "batch_mae" in train
    fit(tmp_path / "b", update_freq=4)
    train = scalars(tmp_path / "b" / "logs" / "train", event_class)
    assert [step for step, _ in train["batch_loss"]] == [4]
    assert [step for step, _ in train["epoch_loss"]] == [0, 1, 2]


def test_batch_loss_is_the_running_loss_of_the_logs(tmp_path, event_class):
    x, y = tiny_data(n=8)
    model = tiny_model(0.05)
    seen = []
    recorder = callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))
    model.fit(x, y, epochs=1, batch_size=4, verbose=0,
              callbacks=[recorder, TensorBoard(tmp_path, update_freq="batch")])
    values = [value for _, value in scalars(tmp_path / "train", event_class)["batch_loss"]]
    np.testing.assert_allclose(values, seen, rtol=1e-6)


def test_weight_histograms(tmp_path, event_class):
    model, _ = fit(tmp_path, histogram_freq=1)
    found = histograms(tmp_path / "logs" / "train", event_class)
    layer = model.layers[0].name  # "dense", or "dense_<n>" after other tests' models
    assert sorted(found) == [f"{layer}/bias/histogram", f"{layer}/kernel/histogram"]
    assert [step for step, _ in found[f"{layer}/kernel/histogram"]] == [0, 1, 2]
    _, last = found[f"{layer}/kernel/histogram"][-1]
    kernel = model.layers[0].kernel.numpy()
    assert last.num == kernel.size
    assert last.min == pytest.approx(kernel.min())
    assert last.max == pytest.approx(kernel.max())
    assert last.sum == pytest.approx(kernel.sum(), rel=1e-5)
    # every second epoch: 0 and 2
    model, _ = fit(tmp_path / "every2", histogram_freq=2)
    found = histograms(tmp_path / "every2" / "logs" / "train", event_class)
    assert [step for step, _ in found[f"{model.layers[0].name}/bias/histogram"]] == [0, 2]


def test_no_validation_writes_no_validation_run(tmp_path, event_class):
    x, y = tiny_data()
    tiny_model(0.05).fit(x, y, epochs=2, verbose=0, callbacks=[TensorBoard(tmp_path)])
    assert (tmp_path / "train").is_dir()
    assert not (tmp_path / "validation").exists()


def test_the_guide_construction_and_the_keras_path(tmp_path):
    callback = keras.callbacks.TensorBoard(
        log_dir=str(tmp_path / "logs"), histogram_freq=0, embeddings_freq=0,
        update_freq="epoch",
    )
    assert isinstance(callback, TensorBoard)
    assert callbacks.get("TensorBoard").log_dir == "logs"
    assert not (tmp_path / "logs").exists()  # nothing is written before training


def test_arguments_that_cannot_be_honoured_warn(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TensorBoard(tmp_path, write_graph=True, write_images=False, profile_batch=0)
    with pytest.warns(UserWarning, match="write_images=True"):
        TensorBoard(tmp_path, write_images=True)
    with pytest.warns(UserWarning, match="profile_batch"):
        TensorBoard(tmp_path, profile_batch=2)
    with pytest.warns(UserWarning, match="embeddings_freq"):
        TensorBoard(tmp_path, embeddings_freq=1)


@pytest.mark.parametrize("update_freq", ["epochs", 0, -1, 1.5, True])
def test_bad_update_freq(tmp_path, update_freq):
    with pytest.raises(GlassnetValueError, match="update_freq"):
        TensorBoard(tmp_path, update_freq=update_freq)


def test_bad_histogram_freq(tmp_path):
    with pytest.raises(GlassnetValueError, match="histogram_freq"):
        TensorBoard(tmp_path, histogram_freq=-1)


def test_missing_tensorboardx_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    callback = TensorBoard(tmp_path)  # constructing needs no tensorboardX
    x, y = tiny_data()
    with pytest.raises(MissingTensorBoardXError, match=r"pip install 'glassnet\[tensorboard\]'") \
            as caught:
        tiny_model().fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    assert isinstance(caught.value, GlassnetError)
    assert isinstance(caught.value, ImportError)


def test_import_glassnet_does_not_import_tensorboardx():
    import subprocess

    code = "import sys, glassnet, glassnet.keras; print('tensorboardX' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=root)
    assert out.stdout.strip() == "False"
