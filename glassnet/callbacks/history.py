"""History: records every epoch's logs; ``fit`` returns it."""

from glassnet.callbacks.base import Callback, register


@register
class History(Callback):
    """Records the logs of every epoch: ``history.history['loss'][i]`` is epoch i's loss.

    ``fit`` always adds one and returns it (also stored as ``model.history``).

    Attributes:
        epoch: the list of epoch indices seen (0-based).
        history: dict metric name -> list of per-epoch values.

    Example:
        >>> h = History()
        >>> h.on_train_begin()
        >>> h.on_epoch_end(0, {"loss": 0.5})
        >>> h.history
        {'loss': [0.5]}
    """

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
