"""ModelCheckpoint: save the model (or its weights) during training."""

import math
import os
import warnings

from glassnet.callbacks.base import Callback, register, resolve_mode
from glassnet.callbacks.states import COUNT, NUMBER, check_state, pack_states
from glassnet.errors import GlassnetTypeError, GlassnetValueError


@register
class ModelCheckpoint(Callback):
    """Save the model at the end of every epoch (or every ``save_freq`` batches).

    ``filepath`` may contain ``str.format`` fields filled from the epoch number (1-based) and
    the logs, e.g. ``'ckpt-{epoch:02d}-{val_loss:.2f}.glassnet'``. With ``save_best_only``, a
    file is written only when ``monitor`` improved: ``current < best`` (mode 'min') or
    ``current > best`` (mode 'max').

    A full-model checkpoint holds the weights, the optimizer state (with ``iterations``, the
    schedule position) and the state of ``glassnet.config.rng``: after
    ``model = gn.models.load_model(path)``, ``model.fit(..., initial_epoch=k)`` continues the
    run exactly as if it had never stopped (same shuffles, same dropout masks, same weights).
    It also stores the state of every callback of the fit (``callbacks.json``, see
    :meth:`Callback.get_state <glassnet.callbacks.Callback.get_state>`), its own ``best``
    included, which the resumed fit hands back to its callbacks: EarlyStopping,
    ReduceLROnPlateau, a best-only ModelCheckpoint, CSVLogger and History continue too. To
    store them after the epoch's updates, ModelCheckpoint's ``on_epoch_end`` runs after the
    other callbacks' (see :mod:`glassnet.callbacks.base`).

    Args:
        filepath: where to save; a ``.weights.npz``/``.weights.h5``/``.npz`` name (or
            ``save_weights_only=True``) saves weights only, anything else the whole model.
        monitor: the logs key compared for ``save_best_only``.
        verbose: 1 prints a line for every save.
        save_best_only: save only when the monitored value improved.
        save_weights_only: call ``model.save_weights`` instead of ``model.save``.
        mode: 'min', 'max' or 'auto'.
        save_freq: 'epoch' or an integer number of batches.
        initial_value_threshold: the initial "best" value (saves only beyond it).

    Example:
        >>> checkpoint = ModelCheckpoint("best.glassnet", monitor="val_loss", save_best_only=True)
    """

    saves_checkpoints = True
    state_fields = {"best": NUMBER, "batches_seen": COUNT}

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = resolve_mode(mode, monitor, "ModelCheckpoint")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise GlassnetValueError(
                f"ModelCheckpoint: save_freq must be 'epoch' or a positive integer, got "
                f"{save_freq!r}"
            )
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.best = self._initial_best()
        self._batches_seen = 0
        self._epoch = 0

    def _initial_best(self):
        if self.initial_value_threshold is not None:
            return float(self.initial_value_threshold)
        return math.inf if self.mode == "min" else -math.inf

    def state_key(self):
        return f"ModelCheckpoint(filepath={self.filepath!r}, monitor={self.monitor!r})"

    def get_state(self):
        """The best value so far and the batch count (for ``save_freq`` in batches)."""
        return {"best": self.best, "batches_seen": self._batches_seen}

    def set_state(self, state):
        check_state("ModelCheckpoint", self.state_fields, state)
        self.best, self._batches_seen = float(state["best"]), state["batches_seen"]

    def _all_states(self):
        """The states of the fit's callbacks (this one's alone outside a CallbackList); one
        that cannot be stored (a callback of yours) is left out with a warning."""
        owner = getattr(self, "callback_list", None)
        if owner is not None and any(c is self for c in owner.callbacks):
            states = owner.callback_states()
        else:
            states = {f"{self.state_key()}#0": {"class_name": type(self).__name__,
                                                "state": self.get_state()}}
        for key in list(states):
            try:
                pack_states({key: states[key]})
            except GlassnetTypeError as error:
                warnings.warn(f"ModelCheckpoint: {error}; that callback will start afresh when "
                              "training resumes from this checkpoint", stacklevel=3)
                del states[key]
        return states

    def _improved(self, current):
        return current < self.best if self.mode == "min" else current > self.best

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen += 1
        if self._batches_seen % self.save_freq == 0:
            self._save(self._epoch, logs, batch=batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, logs)

    def _format_path(self, epoch, logs, batch=None):
        fields = dict(logs or {})
        fields["epoch"] = epoch + 1
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as error:
            raise GlassnetValueError(
                f"ModelCheckpoint: filepath {self.filepath!r} uses the field {error.args[0]!r}, "
                f"but the logs only have: epoch, {', '.join(sorted(logs or {}))}"
            ) from None

    def _save(self, epoch, logs, batch=None):
        logs = logs or {}
        path = self._format_path(epoch, logs, batch)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"ModelCheckpoint: can save best model only with {self.monitor!r} "
                    f"available in the logs (have: {', '.join(sorted(logs))}); skipping",
                    stacklevel=2,
                )
                return
            current = float(current)
            if not self._improved(current):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from "
                          f"{self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        weights_only = self.save_weights_only or path.endswith((".npz", ".h5"))
        if weights_only:
            self.model.save_weights(path)
        else:  # a full checkpoint: RNG and callback states, so a resumed fit is bit-identical
            from glassnet.io import save_model

            save_model(self.model, path, include_rng_state=True,
                       callback_states=self._all_states())
