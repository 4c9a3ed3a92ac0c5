"""ReduceLROnPlateau: lower the learning rate when a metric has stopped improving."""

import math
import warnings

from glassnet.callbacks.base import (
    Callback,
    get_learning_rate,
    register,
    resolve_mode,
    set_learning_rate,
)
from glassnet.callbacks.states import COUNT, NUMBER, check_state
from glassnet.errors import GlassnetValueError


@register
class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Improvement (mode 'min'): ``current < best - min_delta``; (mode 'max'):
    ``current > best + min_delta``. On a plateau: ``lr = max(lr * factor, min_lr)``, then
    ``cooldown`` epochs pass before counting again.

    Args:
        monitor: the logs key to watch.
        factor: the multiplier, 0 < factor < 1.
        patience: epochs without improvement before reducing.
        verbose: 1 prints a message on every reduction.
        mode: 'min', 'max' or 'auto'.
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before resuming normal operation.
        min_lr: lower bound on the learning rate.

    Checkpoints carry ``best``, ``wait`` and ``cooldown_counter`` (:meth:`get_state`; the rate
    itself is the optimizer's): a resumed ``fit(initial_epoch=k)`` reduces at the same epochs.

    Example:
        >>> callback = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5)
    """

    state_fields = {"best": NUMBER, "wait": COUNT, "cooldown_counter": COUNT}

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if not 0 < factor < 1:
            raise GlassnetValueError(
                f"ReduceLROnPlateau: factor must be between 0 and 1 (exclusive), got {factor}"
            )
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = int(patience)
        self.verbose = verbose
        self.mode = resolve_mode(mode, monitor, "ReduceLROnPlateau")
        self.min_delta = abs(float(kwargs.pop("epsilon", min_delta)))
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)
        self._reset()

    def _reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.cooldown_counter = 0

    def _improved(self, current):
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def state_key(self):
        return f"ReduceLROnPlateau(monitor={self.monitor!r})"

    def get_state(self):
        """The best value so far and the two counters."""
        return {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def set_state(self, state):
        check_state("ReduceLROnPlateau", self.state_fields, state)
        self.best = float(state["best"])
        self.wait, self.cooldown_counter = state["wait"], state["cooldown_counter"]
        self._mark_resumed()

    def on_train_begin(self, logs=None):
        if self._fresh_start():
            self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = get_learning_rate(optimizer, "ReduceLROnPlateau")
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"ReduceLROnPlateau: monitor {self.monitor!r} is not in the logs (available: "
                f"{', '.join(sorted(logs))})",
                stacklevel=2,
            )
            return
        current = float(current)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = get_learning_rate(optimizer, "ReduceLROnPlateau")
                if old_lr > self.min_lr:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    set_learning_rate(optimizer, new_lr)
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
