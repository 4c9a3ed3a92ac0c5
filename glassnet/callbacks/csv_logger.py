"""CSVLogger: stream every epoch's logs to a CSV file."""

import csv
import os

from glassnet.callbacks.base import Callback, register
from glassnet.callbacks.states import OPTIONAL_STRINGS, check_state


@register
class CSVLogger(Callback):
    """Write one row per epoch: ``epoch`` (0-based, like Keras) then the logs in sorted order.

    The columns are fixed by the first epoch; a value missing later (e.g. ``val_loss`` on an
    epoch without validation) is written as ``NA``.

    Args:
        filename: the CSV file.
        separator: the column separator.
        append: append to an existing file (without repeating the header) instead of
            overwriting it.

    Checkpoints carry the columns (:meth:`get_state`): a resumed ``fit(initial_epoch=k)``
    continues the file with the same columns and no second header, whatever ``append`` says
    (the straight run's file, row for row).

    Example:
        >>> logger = CSVLogger("training.csv")
    """

    state_fields = {"keys": OPTIONAL_STRINGS}

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.file = None
        self.writer = None
        self._write_header = True

    def state_key(self):
        return f"CSVLogger(filename={self.filename!r})"

    def get_state(self):
        """The columns (None before the first epoch)."""
        return {"keys": None if self.keys is None else list(self.keys)}

    def set_state(self, state):
        check_state("CSVLogger", self.state_fields, state)
        self.keys = state["keys"]
        self._mark_resumed()

    def on_train_begin(self, logs=None):
        resumed = not self._fresh_start()
        append = self.append or resumed
        exists = os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._write_header = not (append and exists)
        self.file = open(self.filename, "a" if append else "w", newline="")  # noqa: SIM115
        if not resumed:
            self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.writer is None:
            if self.keys is None:
                self.keys = sorted(logs)
            self.writer = csv.DictWriter(self.file, fieldnames=["epoch", *self.keys],
                                         delimiter=self.sep, lineterminator="\n")
            if self._write_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update({key: logs.get(key, "NA") for key in self.keys})
        self.writer.writerow(row)
        self.file.flush()

    def on_train_end(self, logs=None):
        if self.file is not None:
            self.file.close()
            self.file = None
