"""CSVLogger: stream every epoch's logs to a CSV file."""

import csv
import os

from glassnet.callbacks.base import Callback, register


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

    Example:
        >>> logger = CSVLogger("training.csv")
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys = None
        self.file = None
        self.writer = None
        self._write_header = True

    def on_train_begin(self, logs=None):
        exists = os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._write_header = not (self.append and exists)
        self.file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
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
