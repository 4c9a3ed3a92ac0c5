"""CSVLogger: header, one row per epoch, separator, append."""

import csv

import pytest

from glassnet.callbacks import CSVLogger
from tests.callbacks.helpers import tiny_data, tiny_model


def read(path, delimiter=","):
    with open(path, newline="") as stream:
        return list(csv.reader(stream, delimiter=delimiter))


def test_rows_match_the_history(tmp_path):
    x, y = tiny_data()
    path = tmp_path / "log.csv"
    history = tiny_model(0.05).fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
                                   callbacks=[CSVLogger(path)])
    rows = read(path)
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1"]
    for epoch, row in enumerate(rows[1:]):
        assert float(row[1]) == pytest.approx(history.history["loss"][epoch], rel=1e-12)
        assert float(row[2]) == pytest.approx(history.history["val_loss"][epoch], rel=1e-12)


def test_separator_and_append(tmp_path):
    x, y = tiny_data()
    path = tmp_path / "log.csv"
    model = tiny_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[CSVLogger(path, separator=";")])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator=";",
                                                              append=True)])
    rows = read(path, ";")
    assert rows[0] == ["epoch", "loss"]
    assert len(rows) == 4  # one header, 2 + 1 rows
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path)])
    assert len(read(path)) == 2  # append=False overwrites
