"""History: per-epoch logs, returned by fit."""

from glassnet.callbacks import History
from tests.callbacks.helpers import tiny_data, tiny_model


def test_records_each_key_per_epoch():
    history = History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 2.0, "accuracy": 0.5})
    history.on_epoch_end(1, {"loss": 1.0, "accuracy": 0.75})
    assert history.history == {"loss": [2.0, 1.0], "accuracy": [0.5, 0.75]}
    assert history.epoch == [0, 1]


def test_fit_returns_one_history_with_epoch_values():
    x, y = tiny_data()
    model = tiny_model(0.05)
    history = model.fit(x, y, epochs=3, verbose=0)
    assert isinstance(history, History) and model.history is history
    assert len(history.history["loss"]) == 3 and history.params["epochs"] == 3
