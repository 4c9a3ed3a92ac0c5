"""EarlyStopping: patience, min_delta, mode, baseline, restore_best_weights, start_from_epoch."""

import numpy as np
import pytest

from glassnet.callbacks import EarlyStopping
from tests.callbacks.helpers import FakeModel, drive, tiny_data, tiny_model


def test_stops_after_patience_epochs_without_improvement():
    model = FakeModel()
    stop = EarlyStopping(monitor="val_loss", patience=2)
    # best at epoch 1 (0.5); epochs 2 and 3 do not improve -> stop at the end of epoch 3
    ran = drive(stop, model, [1.0, 0.5, 0.6, 0.7, 0.1, 0.1])
    assert ran == 4 and stop.stopped_epoch == 3 and model.stop_training
    assert stop.best == 0.5 and stop.best_epoch == 1


def test_min_delta_requires_a_large_enough_improvement():
    model = FakeModel()
    stop = EarlyStopping(monitor="val_loss", patience=1, min_delta=0.1)
    # 0.95 is not < 1.0 - 0.1, so epoch 1 counts as no improvement
    assert drive(stop, model, [1.0, 0.95, 0.5]) == 2


def test_auto_mode_maximizes_accuracy():
    model = FakeModel()
    stop = EarlyStopping(monitor="val_accuracy", patience=1)
    assert stop.mode == "max"
    assert drive(stop, model, [0.5, 0.6, 0.7, 0.65, 0.9], monitor="val_accuracy") == 4


def test_baseline_must_be_beaten_to_reset_the_counter():
    model = FakeModel()
    values = [1.0, 0.9, 0.95, 0.97]
    # without a baseline the improvement at epoch 1 resets the counter: stop at epoch 3
    assert drive(EarlyStopping(monitor="val_loss", patience=2), model, values) == 4
    # with one, epoch 1's improvement does not beat 0.3: the counter is 3 at epoch 2 -> stop
    model = FakeModel()
    stop = EarlyStopping(monitor="val_loss", patience=2, baseline=0.3)
    assert drive(stop, model, values) == 3


def test_restore_best_weights_puts_back_the_best_epochs_weights():
    model = FakeModel()

    def set_weights_to_epoch(epoch):
        model.weights_value = [np.full(2, epoch, np.float32)]

    stop = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    drive(stop, model, [0.9, 0.2, 0.5, 0.6], on_epoch=set_weights_to_epoch)
    np.testing.assert_array_equal(model.get_weights()[0], [1.0, 1.0])


def test_start_from_epoch_ignores_warm_up_epochs():
    model = FakeModel()
    stop = EarlyStopping(monitor="val_loss", patience=0, start_from_epoch=2)
    # epochs 0-1 ignored; epoch 2 sets best; epoch 3 does not improve -> stop
    assert drive(stop, model, [5.0, 9.0, 1.0, 2.0, 0.1]) == 4


def test_in_fit_constant_loss_stops_after_patience():
    x, y = tiny_data()
    model = tiny_model(learning_rate=0.0)
    history = model.fit(x, y, epochs=10, verbose=0, shuffle=False,
                        callbacks=[EarlyStopping(monitor="loss", patience=2)])
    assert len(history.history["loss"]) == 3


def test_missing_monitor_warns():
    model = FakeModel()
    stop = EarlyStopping(monitor="val_auc")
    stop.set_model(model)
    with pytest.warns(UserWarning, match=r"val_auc"):
        stop.on_epoch_end(0, {"loss": 1.0})
