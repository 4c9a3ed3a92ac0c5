"""Small shared pieces for the callback tests."""

import numpy as np

from glassnet.layers import Dense
from glassnet.models import Sequential
from glassnet.optimizers import SGD


class FakeModel:
    """Just what callbacks touch: weights, an optimizer and stop_training."""

    def __init__(self, learning_rate=1.0):
        self.weights_value = [np.zeros(2, np.float32)]
        self.optimizer = SGD(learning_rate=learning_rate)
        self.stop_training = False
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights_value]

    def set_weights(self, weights):
        self.weights_value = [np.asarray(w).copy() for w in weights]


def drive(callback, model, values, monitor="val_loss", on_epoch=None):
    """Run the epoch hooks over a sequence of monitored values; returns epochs run."""
    callback.set_model(model)
    callback.on_train_begin()
    ran = 0
    for epoch, current in enumerate(values):
        callback.on_epoch_begin(epoch)
        if on_epoch is not None:
            on_epoch(epoch)
        callback.on_epoch_end(epoch, {monitor: current})
        ran += 1
        if model.stop_training:
            break
    callback.on_train_end()
    return ran


def tiny_model(learning_rate=0.0, loss="mse", **dense_kwargs):
    model = Sequential([Dense(1, input_shape=(2,), **dense_kwargs)])
    model.compile(optimizer=SGD(learning_rate=learning_rate), loss=loss)
    return model


def tiny_data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)).astype(np.float32), rng.normal(size=(n, 1)).astype(np.float32)
