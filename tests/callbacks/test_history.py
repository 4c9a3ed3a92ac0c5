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


def test_html_table_for_jupyter_lists_every_epoch():
    from tests.test_display import table_cells

    history = History()
    history.on_train_begin()
    logs = [{"loss": 2.0, "accuracy": 0.5}, {"loss": 1.0 / 3.0, "accuracy": 0.75},
            {"loss": 0.00012, "accuracy": 1.0}]
    for epoch, entry in enumerate(logs):
        history.on_epoch_end(epoch, entry)
    caption, headers, rows, footer = table_cells(history._repr_html_())
    assert caption == "History: 3 epochs" and headers == ["epoch", "loss", "accuracy"]
    assert rows == [["0", "2.0000", "0.5000"], ["1", "0.3333", "0.7500"],
                    ["2", "1.2000e-04", "1.0000"]]
    assert footer == []


def test_html_table_escapes_names_and_says_which_columns_are_short():
    from tests.test_display import table_cells

    history = History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_epoch_end(1, {"loss": 0.5, "val_<b>": 0.25})
    html_text = history._repr_html_()
    assert "val_<b>" not in html_text and "val_&lt;b&gt;" in html_text
    _, headers, rows, footer = table_cells(html_text)
    assert headers == ["epoch", "loss", "val_<b>"]
    assert rows == [["0", "1.0000", "0.2500"], ["1", "0.5000", ""]]
    assert footer == ["val_<b>: recorded on 1 of 2 epochs (listed from the top; see "
                      "history.history)"]


def test_html_table_of_an_empty_history():
    from tests.test_display import table_cells

    assert table_cells(History()._repr_html_())[:3] == ("History: 0 epochs", ["epoch"], [])
