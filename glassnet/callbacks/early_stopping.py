"""EarlyStopping: stop training when a monitored quantity has stopped improving."""

import warnings

from glassnet.callbacks.base import Callback, register, resolve_mode
from glassnet.callbacks.states import COUNT, OPTIONAL_ARRAYS, OPTIONAL_NUMBER, check_state
from glassnet.errors import GlassnetValueError


@register
class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs (Keras semantics).

    An epoch improves on the best value so far when (mode 'min')
    ``current < best - min_delta`` or (mode 'max') ``current > best + min_delta``. The
    counter ``wait`` counts epochs since the last improvement; training stops at the end of the
    epoch where ``wait >= patience``. With a ``baseline``, the counter is only reset by values
    that also beat the baseline.

    Args:
        monitor: the logs key to watch (``'val_loss'``, ``'val_accuracy'``, ``'loss'``...).
        min_delta: the smallest change that counts as an improvement (absolute value used).
        patience: epochs without improvement before stopping.
        verbose: 1 prints a message when stopping and when restoring weights.
        mode: 'min', 'max' or 'auto' (max for accuracy-like names, else min).
        baseline: a value the monitored quantity must beat.
        restore_best_weights: at the end of training, put back the weights of the best epoch.
        start_from_epoch: epochs to wait before monitoring starts (warm-up).

    Attributes:
        stopped_epoch: 0-based epoch at which training stopped (0 if it did not).
        best, best_epoch: best value seen and its 0-based epoch.

    Checkpoints carry ``wait``, ``best``, ``best_epoch``, ``stopped_epoch`` and the best weights
    (:meth:`get_state`): a resumed ``fit(initial_epoch=k)`` stops where the straight run does.

    Example:
        >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    """

    state_fields = {"wait": COUNT, "stopped_epoch": COUNT, "best": OPTIONAL_NUMBER,
                    "best_epoch": COUNT, "best_weights": OPTIONAL_ARRAYS}

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise GlassnetValueError(
                f"EarlyStopping: patience must be a non-negative integer, received {patience!r}"
            )
        self.patience = patience
        self.verbose = verbose
        self.mode = resolve_mode(mode, monitor, "EarlyStopping")
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = int(start_from_epoch)
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def state_key(self):
        return f"EarlyStopping(monitor={self.monitor!r})"

    def get_state(self):
        """The counters, the best value and epoch, and the best weights (or None)."""
        return {"wait": self.wait, "stopped_epoch": self.stopped_epoch, "best": self.best,
                "best_epoch": self.best_epoch, "best_weights": self.best_weights}

    def set_state(self, state):
        check_state("EarlyStopping", self.state_fields, state)
        self.wait, self.stopped_epoch = state["wait"], state["stopped_epoch"]
        self.best = None if state["best"] is None else float(state["best"])
        self.best_epoch = state["best_epoch"]
        weights = state["best_weights"]
        self.best_weights = None if weights is None else [w.copy() for w in weights]
        self._mark_resumed()

    def on_train_begin(self, logs=None):
        if self._fresh_start():
            self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"EarlyStopping: monitor {self.monitor!r} is not in the logs (available: "
                f"{', '.join(sorted(logs or {}))}); early stopping is skipped",
                stacklevel=2,
            )
            return
        if epoch < self.start_from_epoch:
            return
        current = float(current)
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        return (logs or {}).get(self.monitor)
