"""Tests for glassnet.callbacks.base: the callback registry (get / deserialize by name)."""

import pytest

from glassnet import callbacks
from glassnet.errors import GlassnetTypeError, UnknownIdentifierError

ALL = ["CSVLogger", "EarlyStopping", "History", "LambdaCallback", "LearningRateScheduler",
       "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "TerminateOnNaN"]


@pytest.mark.parametrize("name", ALL)
def test_every_callback_class_is_registered_by_its_name(name):
    assert callbacks.REGISTRY.lookup(name) is getattr(callbacks, name)


def test_get_by_name_class_instance_and_config():
    assert isinstance(callbacks.get("TerminateOnNaN"), callbacks.TerminateOnNaN)
    assert isinstance(callbacks.get("early_stopping"), callbacks.EarlyStopping)
    assert isinstance(callbacks.get(callbacks.History), callbacks.History)
    made = callbacks.EarlyStopping(patience=5)
    assert callbacks.get(made) is made
    rebuilt = callbacks.deserialize({"class_name": "EarlyStopping",
                                     "config": {"monitor": "loss", "patience": 3}})
    assert (rebuilt.monitor, rebuilt.patience) == ("loss", 3)


def test_unknown_callback_name_suggests():
    with pytest.raises(UnknownIdentifierError, match="Did you mean 'EarlyStopping'"):
        callbacks.get("EarlyStoping")
    with pytest.raises(GlassnetTypeError, match="callbacks.get"):
        callbacks.get(None)


def test_a_new_callback_is_one_decorator():
    @callbacks.register
    class Counter(callbacks.Callback):
        def __init__(self, start=0):
            super().__init__()
            self.count = start

    try:
        assert callbacks.deserialize({"class_name": "Counter", "config": {"start": 2}}).count == 2
    finally:
        callbacks.REGISTRY.unregister(Counter)
