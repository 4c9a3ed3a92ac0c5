"""TerminateOnNaN: stop training as soon as the loss becomes NaN or infinite."""

from glassnet.callbacks.base import Callback, is_finite_number, register


@register
class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or inf, naming the epoch and the batch.

    The current epoch is abandoned right after the offending batch (``model.stop_training``).
    The message is printed and kept in ``self.message``; ``raise_error=True`` raises a
    ``FloatingPointError`` instead.

    It keeps nothing from one epoch to the next, so a checkpoint holds no state for it
    (:meth:`get_state` is ``{}``): a resumed ``fit(initial_epoch=k)`` stops on the same batch.

    Args:
        raise_error: raise instead of stopping quietly.

    Example:
        >>> callback = TerminateOnNaN()
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error
        self.message = None
        self.epoch = 0

    def on_train_begin(self, logs=None):
        self.message = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or is_finite_number(loss):
            return
        self.message = (
            f"TerminateOnNaN: epoch {self.epoch + 1}, batch {batch}: invalid loss ({loss}), "
            "terminating training"
        )
        print(f"\n{self.message}")
        self.model.stop_training = True
        if self.raise_error:
            raise FloatingPointError(self.message)
