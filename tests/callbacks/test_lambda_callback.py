"""LambdaCallback and CallbackList: hook order during fit."""

import pytest

from glassnet.callbacks import Callback, CallbackList, History, LambdaCallback
from tests.callbacks.helpers import tiny_data, tiny_model


class Order(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith("on_") and name not in ("on_batch_begin", "on_batch_end"):
            calls = object.__getattribute__(self, "calls")
            return lambda *args: calls.append(name)
        return object.__getattribute__(self, name)


def test_hooks_are_called_in_keras_order():
    x, y = tiny_data(n=4)
    order = Order()
    tiny_model().fit(x, y, batch_size=2, epochs=1, verbose=0, validation_data=(x, y),
                     validation_batch_size=4, callbacks=[order])
    assert order.calls == [
        "on_train_begin", "on_epoch_begin",
        "on_train_batch_begin", "on_train_batch_end",
        "on_train_batch_begin", "on_train_batch_end",
        "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
        "on_epoch_end", "on_train_end",
    ]


def test_lambda_callback_and_params():
    x, y = tiny_data(n=6)
    ends, params = [], []
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append((epoch, sorted(logs))),
                              on_train_begin=lambda logs: params.append(dict(callback.params)))
    tiny_model().fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[callback])
    assert ends == [(0, ["loss"]), (1, ["loss"])]
    assert params == [{"verbose": 0, "epochs": 2, "steps": 2}]
    with pytest.raises(TypeError, match=r"unknown hook"):
        LambdaCallback(on_epoch_finish=print)


def test_callback_list_adds_history_once():
    history = History()
    callbacks = CallbackList([history], add_history=True)
    assert callbacks.history is history and len(callbacks) == 1
    with pytest.raises(TypeError, match=r"Callback"):
        CallbackList([print])
