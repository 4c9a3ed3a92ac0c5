"""History: records every epoch's logs; ``fit`` returns it (an HTML table in Jupyter)."""

from glassnet.backend import xp
from glassnet.callbacks.base import Callback, register
from glassnet.callbacks.progbar import format_value
from glassnet.callbacks.states import COUNTS, LISTS_BY_NAME, check_state
from glassnet.display import html_table


@register
class History(Callback):
    """Records the logs of every epoch: ``history.history['loss'][i]`` is epoch i's loss.

    ``fit`` always adds one and returns it (also stored as ``model.history``). In Jupyter, a
    History left as a cell's last expression shows its per-epoch table (``_repr_html_``): one
    row per epoch (the 0-based index of ``epoch``), one column per metric, values printed as
    the progress bar prints them.

    Attributes:
        epoch: the list of epoch indices seen (0-based).
        history: dict metric name -> list of per-epoch values.

    Checkpoints carry both (:meth:`get_state`): after a resumed ``fit(initial_epoch=k)`` the
    History holds every epoch from the first, as the straight run's does.

    Example:
        >>> h = History()
        >>> h.on_train_begin()
        >>> h.on_epoch_end(0, {"loss": 0.5})
        >>> h.history
        {'loss': [0.5]}
    """

    state_fields = {"epoch": COUNTS, "history": LISTS_BY_NAME}

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def get_state(self):
        """The epochs and the logged values (values other than numbers, strings and arrays
        are stored as None)."""
        return {"epoch": list(self.epoch),
                "history": {key: [_storable(v) for v in values]
                            for key, values in self.history.items()}}

    def set_state(self, state):
        check_state("History", self.state_fields, state)
        self.epoch = list(state["epoch"])
        self.history = {key: list(values) for key, values in state["history"].items()}
        self._mark_resumed()

    def on_train_begin(self, logs=None):
        if self._fresh_start():
            self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self

    def _repr_html_(self):
        """The per-epoch table as HTML, for Jupyter (metric names escaped)."""
        names = list(self.history)
        epochs = list(self.epoch)
        length = max([len(epochs)] + [len(v) for v in self.history.values()])
        if len(epochs) < length:  # logs recorded without on_epoch_end's bookkeeping
            epochs = list(range(length))
        rows = []
        for i, epoch in enumerate(epochs):
            rows.append([epoch] + [format_value(self.history[name][i])
                                   if i < len(self.history[name]) else ""
                                   for name in names])
        short = [name for name in names if len(self.history[name]) < length]
        footer = [f"{name}: recorded on {len(self.history[name])} of {length} "
                  f"epoch{'s' if length != 1 else ''} (listed "
                  f"from the top; see history.history)" for name in short]
        return html_table(["epoch"] + names, rows,
                          caption=f"History: {length} epoch{'s' if length != 1 else ''}",
                          align=["right"] * (len(names) + 1), footer=footer or None)


def _storable(value):
    if isinstance(value, (xp.ndarray, xp.generic)) and value.dtype.kind in "biuf":
        return value
    return value if value is None or isinstance(value, (bool, int, float, str)) else None
