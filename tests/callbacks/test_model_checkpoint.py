"""ModelCheckpoint: filename formatting, save_best_only, weights only, whole model."""

import os

import numpy as np

from glassnet.callbacks import ModelCheckpoint
from glassnet.io import load_model
from tests.callbacks.helpers import tiny_data, tiny_model


def run_epochs(callback, model, values):
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, current in enumerate(values):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"val_loss": current, "loss": 1.0})
    callback.on_train_end()


def test_save_best_only_writes_only_on_improvement(tmp_path):
    model = tiny_model()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.weights.npz")
    checkpoint = ModelCheckpoint(pattern, monitor="val_loss", save_best_only=True)
    run_epochs(checkpoint, model, [1.0, 0.5, 0.7, 0.4])
    assert sorted(os.listdir(tmp_path)) == [
        "ckpt-01-1.00.weights.npz", "ckpt-02-0.50.weights.npz", "ckpt-04-0.40.weights.npz"]
    assert checkpoint.best == 0.4


def test_every_epoch_without_save_best_only(tmp_path):
    model = tiny_model()
    checkpoint = ModelCheckpoint(str(tmp_path / "e{epoch}.weights.npz"), save_weights_only=True)
    run_epochs(checkpoint, model, [1.0, 2.0, 3.0])
    assert sorted(os.listdir(tmp_path)) == ["e1.weights.npz", "e2.weights.npz", "e3.weights.npz"]


def test_whole_model_checkpoint_during_fit_loads_back(tmp_path):
    x, y = tiny_data()
    model = tiny_model(learning_rate=0.1)
    path = str(tmp_path / "best.glassnet")
    history = model.fit(x, y, epochs=3, verbose=0, validation_data=(x, y),
                        callbacks=[ModelCheckpoint(path, monitor="val_loss",
                                                   save_best_only=True)])
    restored = load_model(path)
    best = int(np.argmin(history.history["val_loss"]))
    # loss decreases every epoch here, so the best checkpoint is the last epoch's weights
    assert best == 2
    for saved, current in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, current)
