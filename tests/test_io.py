"""Saving and loading (glassnet.io): round trips, resuming, and hostile or broken files."""

import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from glassnet import io as gio
from glassnet.errors import FileFormatError
from glassnet.layers import Dense
from glassnet.models import Sequential
from glassnet.optimizers import Adam


def mlp(seed_units=4):
    return Sequential([Dense(seed_units, activation="relu", input_shape=(3,)),
                       Dense(2, activation="softmax")])


def data(n=16):
    rng = np.random.default_rng(7)
    return rng.normal(size=(n, 3)).astype(np.float32), rng.integers(0, 2, size=n)


def compiled(model):
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


# --------------------------------------------------------------------------- round trips
def test_save_load_predict_identical(tmp_path):
    x, y = data()
    model = compiled(mlp())
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "model.glassnet"
    model.save(path)
    restored = gio.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [layer.get_config()["units"] for layer in restored.layers] == [4, 2]
    assert restored.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["metadata.json", "config.json", "model.weights.npz", "optimizer.npz"])


def test_resumed_fit_continues_exactly(tmp_path):
    x, y = data()
    import glassnet as gn

    gn.manual_seed(3)
    straight = compiled(mlp())
    initial = straight.get_weights()
    straight.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)

    resumed = compiled(mlp())
    resumed.set_weights(initial)
    resumed.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    path = tmp_path / "half.glassnet"
    resumed.save(path)
    resumed = gio.load_model(path)
    assert resumed.optimizer.iterations == 2
    resumed.fit(x, y, epochs=2, initial_epoch=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["weights.npz", "model.weights.h5", "no_extension"])
def test_save_weights_and_load_weights(tmp_path, name):
    x, _ = data()
    model, other = mlp(), mlp()
    model.save_weights(tmp_path / name)
    other.load_weights(tmp_path / name)
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    assert sorted(os.listdir(tmp_path)) == [name]  # no temporary files left


def test_load_weights_from_a_full_model_file(tmp_path):
    model, other = mlp(), mlp()
    model.save(tmp_path / "m.glassnet")
    other.load_weights(tmp_path / "m.glassnet")
    for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- broken files
def test_truncated_file(tmp_path):
    path = tmp_path / "m.glassnet"
    mlp().save(path)
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(FileFormatError, match=r"corrupted or truncated"):
        gio.load_model(path)


def test_corrupted_bytes(tmp_path):
    path = tmp_path / "m.glassnet"
    mlp().save(path)
    blob = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("model.weights.npz")
    middle = info.header_offset + 200 + info.file_size // 2  # inside the weights data
    blob[middle:middle + 16] = bytes(16)
    path.write_bytes(bytes(blob))
    with pytest.raises(FileFormatError, match=r"model.weights.npz"):
        gio.load_model(path)


def test_other_formats(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(FileFormatError, match=r"not a glassnet model file"):
        gio.load_model(text)
    hdf5 = tmp_path / "keras.h5"
    hdf5.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    with pytest.raises(FileFormatError, match=r"HDF5"):
        gio.load_model(hdf5)
    weights = tmp_path / "w.weights.npz"
    mlp().save_weights(weights)
    with pytest.raises(FileFormatError, match=r"unexpected member"):
        gio.load_model(weights)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.zeros(3))
    with pytest.raises(FileFormatError, match=r"not a glassnet weights file"):
        mlp().load_weights(plain)


def rewrite(path, replace):
    """Copy a model zip, replacing members by name (bytes) or adding new ones."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update(replace)
    with zipfile.ZipFile(path, "w") as archive:
        for name, blob in members.items():
            archive.writestr(name, blob)


def test_other_version(tmp_path):
    path = tmp_path / "m.glassnet"
    mlp().save(path)
    metadata = {"format": "glassnet.model", "format_version": 99}
    rewrite(path, {"metadata.json": json.dumps(metadata).encode()})
    with pytest.raises(FileFormatError, match=r"format_version 99 is not supported"):
        gio.load_model(path)


def test_weights_that_do_not_fit_the_model(tmp_path):
    path = tmp_path / "w.weights.npz"
    mlp(seed_units=5).save_weights(path)
    with pytest.raises(FileFormatError, match=r"shape \(3, 5\).*expects \(3, 4\)"):
        mlp(seed_units=4).load_weights(path)
    Sequential([Dense(2, input_shape=(3,))]).save_weights(path)
    with pytest.raises(FileFormatError, match=r"2 weight arrays but the model has 4"):
        mlp().load_weights(path)


class Payload:
    """Unpickling this would create a marker file: the loader must never get that far."""

    marker = None

    def __reduce__(self):
        return (open, (Payload.marker, "w"))


def test_pickle_payload_is_rejected_and_never_executed(tmp_path):
    path = tmp_path / "m.glassnet"
    mlp().save(path)
    marker = tmp_path / "pwned"
    Payload.marker = str(marker)
    hostile = np.empty(1, dtype=object)
    hostile[0] = Payload()
    buffer = io.BytesIO()
    np.savez(buffer, w00000=hostile, w00001=np.zeros(4), w00002=np.zeros((4, 2)),
             w00003=np.zeros(2))  # np.savez pickles the object array
    rewrite(path, {"model.weights.npz": buffer.getvalue()})
    with pytest.raises(FileFormatError, match=r"without pickle"):
        gio.load_model(path)
    assert not marker.exists()
    # a bare pickle file as an extra member is refused before anything is read
    mlp().save(path)
    rewrite(path, {"payload.pkl": pickle.dumps(Payload())})
    with pytest.raises(FileFormatError, match=r"unexpected member 'payload.pkl'"):
        gio.load_model(path)
    rewrite(path, {"../escape.json": b"{}"})
    with pytest.raises(FileFormatError, match=r"unexpected member"):
        gio.load_model(path)
    assert not marker.exists()


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.glassnet"
    mlp().save(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match=r"disk full"):
        mlp().save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.glassnet"]


def test_subclassed_model_round_trip_with_custom_objects(tmp_path):
    from glassnet.models import Model

    class Tiny(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    x, _ = data(4)
    model = Tiny()
    model(x)
    model.save(tmp_path / "tiny.glassnet")
    with pytest.raises(FileFormatError, match=r"custom_objects"):
        gio.load_model(tmp_path / "tiny.glassnet")
    restored = gio.load_model(tmp_path / "tiny.glassnet", custom_objects={"Tiny": Tiny})
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
