"""Callback and CallbackList: hooks that training calls at fixed points (Keras names).

``fit`` calls, in order: ``on_train_begin``; for each epoch ``on_epoch_begin``, then for each
batch ``on_train_batch_begin``/``on_train_batch_end``, then (when there is validation data)
``on_test_begin``, ``on_test_batch_*``, ``on_test_end``, then ``on_epoch_end`` with the epoch's
logs (``loss``, metrics, ``val_*``); finally ``on_train_end``. ``evaluate`` and ``predict`` call
the ``on_test_*`` and ``on_predict_*`` hooks. A callback can stop training by setting
``self.model.stop_training = True``; training checks it after every batch.

Checkpoints carry the callbacks' state: ``get_state()`` returns what a callback keeps between
epochs (JSON values and ndarrays; ``{}`` by default), ``ModelCheckpoint`` stores the states of
all of fit's callbacks with the model (:mod:`glassnet.callbacks.states`), ``load_model``
validates and keeps them (``model._callback_states``), and ``fit(..., initial_epoch=k)`` hands
each callback with the same :meth:`Callback.state_key` (class name plus what it watches,
numbered when several share it) its state (``set_state``) before ``on_train_begin``, which then
keeps it instead of starting afresh. A saved state that
no callback of the resumed fit claims is ignored; a callback without a saved state starts
afresh. At the end of an epoch, callbacks that save checkpoints run after all the others (those
with ``save_best_only`` first), so a checkpoint holds every state as it is after that epoch.

Under data-parallel training (``glassnet.distribution``), the callbacks that print or write
files (:data:`RANK_ZERO_ONLY`, or a class with ``rank_zero_only = True``) run on rank 0 only;
the others run on every rank.

Example:
    >>> class Printer(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, sorted(logs))
"""

import math

from glassnet.config import config
from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.registry import Registry, exact_name

HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end",
    "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
)  # fmt: skip


class Callback:
    """Base class: override any hook; ``self.model`` and ``self.params`` are set by training.

    ``params`` holds ``verbose``, ``epochs`` and ``steps`` (batches per epoch, or None).

    Attributes:
        state_fields: ``{field: check}`` for :meth:`get_state`'s dict (see
            :func:`glassnet.callbacks.states.check_state`), used to validate a state read from a
            checkpoint; None (the default) for none.
    """

    state_fields = None
    rank_zero_only = None  # True: runs on rank 0 only under DataParallel (None: by class)

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def state_key(self):
        """What names this callback's state in a checkpoint (default: the class name).

        Callbacks watching a quantity or writing a file add it, e.g.
        ``"EarlyStopping(monitor='val_loss')"``, so that a resumed fit gives a state only to the
        callback that made it.
        """
        return type(self).__name__

    def get_state(self):
        """What this callback keeps between epochs: a dict of JSON values and ndarrays.

        ``ModelCheckpoint`` saves it with the model; a resumed ``fit(initial_epoch=k)`` gives it
        back through :meth:`set_state`. The default, for a callback that keeps nothing: ``{}``.
        """
        return {}

    def set_state(self, state):
        """Take back a state :meth:`get_state` returned (default: nothing to take).

        A callback that resets itself in ``on_train_begin`` calls :meth:`_mark_resumed` here and
        :meth:`_fresh_start` there, so that the next ``on_train_begin`` keeps the state.
        """

    def _mark_resumed(self):
        self._resumed = True

    def _fresh_start(self):
        """False once after :meth:`set_state` (the state is kept), True otherwise."""
        resumed = getattr(self, "_resumed", False)
        self._resumed = False
        return not resumed

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    # Keras 2 names
    def on_batch_begin(self, batch, logs=None):
        self.on_train_batch_begin(batch, logs)

    def on_batch_end(self, batch, logs=None):
        self.on_train_batch_end(batch, logs)


# Callbacks that print or write files: under DataParallel they run on rank 0 only (the others
# skip every hook); those that decide (EarlyStopping, ReduceLROnPlateau...) run on every rank,
# on logs that are identical there. A callback class may say so itself with ``rank_zero_only``.
RANK_ZERO_ONLY = ("ProgbarLogger", "ModelCheckpoint", "CSVLogger", "TensorBoard", "Studio")


def runs_on_this_rank(callback):
    """False for a printing/writing callback on a rank other than 0 under DataParallel."""
    communicator = config.communicator
    if config.distribution is None or communicator is None or communicator.rank == 0:
        return True
    flag = getattr(callback, "rank_zero_only", None)
    if flag is None:
        flag = any(klass.__name__ in RANK_ZERO_ONLY for klass in type(callback).__mro__)
    return not flag


# class name -> Callback subclass (each callback file decorates its class with ``@register``)
REGISTRY = Registry("callback", module="callbacks", base=Callback, name_forms=exact_name)
register = REGISTRY.register


class CallbackList(Callback):
    """A list of callbacks called together; optionally adds History and the progress bar.

    Args:
        callbacks: a list of :class:`Callback` (or None).
        add_history: append a :class:`~glassnet.callbacks.History` unless one is present.
        add_progbar: append a :class:`~glassnet.callbacks.ProgbarLogger` unless present.
        model: the model every callback gets via ``set_model``.
        **params: ``verbose``, ``epochs``, ``steps`` passed to ``set_params``.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        from glassnet.callbacks.history import History
        from glassnet.callbacks.progbar_logger import ProgbarLogger

        callbacks = [] if callbacks is None else callbacks
        if isinstance(callbacks, CallbackList):
            callbacks = callbacks.callbacks
        if isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise GlassnetTypeError(
                    f"callbacks: expected Callback objects, got {type(callback).__name__}"
                )
        self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if add_history and self.history is None:
            self.history = History()
            self.callbacks.append(self.history)
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.insert(0, ProgbarLogger())
        for callback in self.callbacks:
            self._adopt(callback)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def _adopt(self, callback):
        if getattr(callback, "saves_checkpoints", False):  # it stores the states of all of us
            callback.callback_list = self

    def append(self, callback):
        self.callbacks.append(callback)
        self._adopt(callback)

    def _keys(self):
        """(callback, its key in a checkpoint): ``state_key() + '#n'``, n counting duplicates."""
        counts = {}
        for callback in self.callbacks:
            key = callback.state_key()
            counts[key] = counts.get(key, -1) + 1
            yield callback, f"{key}#{counts[key]}"

    def callback_states(self):
        """``{key: {'class_name': ..., 'state': get_state()}}`` of the callbacks with a state."""
        states = {}
        for callback, key in self._keys():
            state = callback.get_state()
            if state:
                states[key] = {"class_name": type(callback).__name__, "state": state}
        return states

    def set_callback_states(self, states):
        """Give each callback the state saved under its key by a callback of its class."""
        for callback, key in self._keys():
            entry = (states or {}).get(key)
            if entry is not None and entry.get("class_name") == type(callback).__name__:
                callback.set_state(entry["state"])

    def set_model(self, model):
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)


def _dispatch(hook):
    indexed = "epoch" in hook or "batch" in hook

    def call(self, *args):
        # Keras always passes the logs positionally: hook(logs) or hook(index, logs)
        args = list(args)
        while len(args) < (2 if indexed else 1):
            args.append({})
        if args[-1] is None:
            args[-1] = {}
        callbacks = self.callbacks
        if config.distribution is not None:  # data parallel: printers/writers on rank 0 only
            callbacks = [c for c in callbacks if runs_on_this_rank(c)]
        if hook == "on_epoch_end":  # savers last, best-only first: checkpoints see final states
            savers = sorted((c for c in callbacks if getattr(c, "saves_checkpoints", False)),
                            key=lambda c: not getattr(c, "save_best_only", False))
            callbacks = [c for c in callbacks if c not in savers] + savers
        for callback in callbacks:
            getattr(callback, hook)(*args)

    call.__name__ = hook
    return call


for _hook in HOOKS:
    setattr(CallbackList, _hook, _dispatch(_hook))


# ----------------------------------------------------------------------------- shared helpers
def resolve_mode(mode, monitor, owner):
    """'min' or 'max' for a monitored quantity; 'auto' picks 'max' for accuracy-like names."""
    if mode not in ("auto", "min", "max"):
        raise GlassnetValueError(
            f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}"
        )
    if mode != "auto":
        return mode
    name = monitor[4:] if monitor.startswith("val_") else monitor
    higher_is_better = ("acc", "auc", "precision", "recall", "f1", "top_k")
    return "max" if any(word in name for word in higher_is_better) else "min"


def get_learning_rate(optimizer, owner):
    """The optimizer's current learning rate as a float."""
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise GlassnetValueError(
            f"{owner}: the model's optimizer has no 'learning_rate' attribute "
            "(compile the model with a glassnet optimizer first)"
        )
    value = optimizer.learning_rate
    if callable(value):  # a schedule: its value at the current step
        value = value(getattr(optimizer, "iterations", 0))
    return float(value.item() if hasattr(value, "item") else value)


def set_learning_rate(optimizer, value):
    """Set the optimizer's learning rate to a constant ``value``."""
    optimizer.learning_rate = float(value)


def is_finite_number(value):
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False

