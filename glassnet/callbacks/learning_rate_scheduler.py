"""LearningRateScheduler: set the learning rate at the start of every epoch."""

import inspect

from glassnet.callbacks.base import Callback, get_learning_rate, register, set_learning_rate
from glassnet.errors import GlassnetTypeError


@register
class LearningRateScheduler(Callback):
    """Set ``optimizer.learning_rate = schedule(epoch, lr)`` before each epoch.

    ``epoch`` is 0-based and ``lr`` the current learning rate; a one-argument
    ``schedule(epoch)`` also works. The rate used is added to the epoch's logs as
    ``'learning_rate'`` (so History records it).

    The rate it sets lives in the optimizer, which checkpoints store; the callback itself keeps
    nothing (:meth:`get_state` is ``{}``), and a resumed ``fit(initial_epoch=k)`` sets the same
    rates as the straight run.

    Args:
        schedule: a function ``(epoch, lr) -> new_lr`` (or ``(epoch) -> new_lr``).
        verbose: 1 prints the new rate every epoch.

    Example:
        >>> def halve_after_ten(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.5
        >>> callback = LearningRateScheduler(halve_after_ten)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise GlassnetTypeError(
                f"LearningRateScheduler: schedule must be a function (epoch, lr) -> lr, got "
                f"{type(schedule).__name__}"
            )
        self.schedule = schedule
        self.verbose = verbose
        try:
            parameters = inspect.signature(schedule).parameters.values()
            positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY,
                                                              p.POSITIONAL_OR_KEYWORD,
                                                              p.VAR_POSITIONAL)]
            self._two_args = len(positional) >= 2 or any(
                p.kind == p.VAR_POSITIONAL for p in positional
            )
        except (TypeError, ValueError):
            self._two_args = True

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = get_learning_rate(optimizer, "LearningRateScheduler")
        new_lr = self.schedule(epoch, lr) if self._two_args else self.schedule(epoch)
        try:
            new_lr = float(new_lr)
        except (TypeError, ValueError):
            raise GlassnetTypeError(
                f"LearningRateScheduler: the schedule must return a number, got "
                f"{type(new_lr).__name__}"
            ) from None
        set_learning_rate(optimizer, new_lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{new_lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model.optimizer,
                                                      "LearningRateScheduler")
