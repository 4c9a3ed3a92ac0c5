"""LambdaCallback: a callback built from plain functions."""

from glassnet.callbacks.base import HOOKS, Callback, register
from glassnet.errors import GlassnetTypeError


@register
class LambdaCallback(Callback):
    """Call the given functions at the matching hooks.

    Args:
        on_epoch_begin, on_epoch_end: ``f(epoch, logs)``.
        on_train_batch_begin, on_train_batch_end (or on_batch_begin/end): ``f(batch, logs)``.
        on_train_begin, on_train_end: ``f(logs)``; likewise any other Keras hook name.

    Example:
        >>> losses = []
        >>> callback = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    """

    def __init__(self, on_batch_begin=None, on_batch_end=None, **hooks):
        super().__init__()
        if on_batch_begin is not None:
            hooks.setdefault("on_train_batch_begin", on_batch_begin)
        if on_batch_end is not None:
            hooks.setdefault("on_train_batch_end", on_batch_end)
        for name, function in hooks.items():
            if name not in HOOKS:
                raise GlassnetTypeError(
                    f"LambdaCallback: unknown hook {name!r}; valid: {', '.join(HOOKS)}"
                )
            if function is not None:
                setattr(self, name, function)
