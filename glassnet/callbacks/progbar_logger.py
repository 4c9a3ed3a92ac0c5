"""ProgbarLogger: the callback that shows "Epoch i/n" and a :class:`Progbar` per epoch."""

from glassnet.callbacks.base import Callback, register
from glassnet.callbacks.progbar import Progbar


@register
class ProgbarLogger(Callback):
    """Print progress during fit/evaluate/predict according to ``params['verbose']``.

    ``fit`` adds one automatically when ``verbose`` is 1 or 2. Validation results are shown on
    the epoch's final line (``- val_loss: ...``), like Keras.

    Args:
        file: the output stream (default ``sys.stdout``).
        dynamic: force/forbid in-place redrawing (None detects a terminal or, when writing to
            ``sys.stdout``, a Jupyter notebook, where the bar updates one line in place).
    """

    def __init__(self, file=None, dynamic=None):
        super().__init__()
        self.file = file
        self.dynamic = dynamic
        self.progbar = None
        self.verbose = 1
        self.epochs = 1
        self._in_fit = False
        self._seen = 0
        self._last_logs = {}

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.steps = params.get("steps")

    def _new_bar(self, target):
        self.progbar = Progbar(target, verbose=self.verbose, file=self.file,
                               dynamic=self.dynamic)
        self._seen = 0

    def _print(self, text):
        import sys

        stream = self.file if self.file is not None else sys.stdout
        stream.write(text + "\n")
        stream.flush()

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            self._print(f"Epoch {epoch + 1}/{self.epochs}")
        self._new_bar(self.steps)

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        self._last_logs = logs or {}
        if self.verbose == 1 and (self.steps is None or self._seen < self.steps):
            self.progbar.update(self._seen, _ordered(logs), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.progbar is not None:
            self.progbar.values = {}
            self.progbar.update(self._seen, _ordered(logs), finalize=True)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._new_bar(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._seen = batch + 1
            steps = self.progbar.target
            if self.verbose == 1 and (steps is None or self._seen < steps):
                self.progbar.update(self._seen, _ordered(logs), finalize=False)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self.progbar.update(self._seen, _ordered(logs), finalize=True)

    def on_predict_begin(self, logs=None):
        self._new_bar(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        steps = self.progbar.target
        if self.verbose == 1 and (steps is None or self._seen < steps):
            self.progbar.update(self._seen, finalize=False)

    def on_predict_end(self, logs=None):
        self.progbar.update(self._seen, finalize=True)


def _ordered(logs):
    """Training metrics in sorted order, then validation metrics in sorted order (Keras)."""
    logs = logs or {}
    train = sorted(k for k in logs if not k.startswith("val_"))
    val = sorted(k for k in logs if k.startswith("val_"))
    return {k: logs[k] for k in train + val}
