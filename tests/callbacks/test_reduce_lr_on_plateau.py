"""ReduceLROnPlateau: factor, patience, cooldown, min_lr."""

import pytest

from glassnet.callbacks import ReduceLROnPlateau
from tests.callbacks.helpers import FakeModel, drive


def test_reduces_after_patience_epochs_without_improvement():
    model = FakeModel(learning_rate=1.0)
    callback = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2)
    rates = []
    drive(callback, model, [1.0, 1.0, 1.0, 1.0, 1.0],
          on_epoch=lambda epoch: rates.append(model.optimizer.learning_rate))
    # epoch 0 improves (from inf); epochs 1, 2 -> reduce to 0.5; epochs 3, 4 -> reduce to 0.25
    assert rates == pytest.approx([1.0, 1.0, 1.0, 0.5, 0.5])
    assert model.optimizer.learning_rate == pytest.approx(0.25)


def test_min_lr_and_cooldown():
    model = FakeModel(learning_rate=1.0)
    callback = ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=1, cooldown=1,
                                 min_lr=0.05)
    drive(callback, model, [1.0, 1.0, 1.0, 1.0])
    # epoch 1 reduces to 0.1; epoch 2 is cooldown; epoch 3 reduces to max(0.01, 0.05)
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_improvements_reset_the_counter():
    model = FakeModel(learning_rate=1.0)
    callback = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2)
    drive(callback, model, [1.0, 1.0, 0.5, 0.5, 0.2])
    assert model.optimizer.learning_rate == pytest.approx(1.0)


def test_factor_must_be_below_one():
    with pytest.raises(ValueError, match=r"factor"):
        ReduceLROnPlateau(factor=1.5)
