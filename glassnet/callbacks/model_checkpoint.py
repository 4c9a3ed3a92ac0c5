"""ModelCheckpoint: save the model (or its weights) during training."""

import math
import os
import warnings

from glassnet.callbacks.base import Callback, register, resolve_mode
from glassnet.errors import GlassnetValueError


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
        else:  # a full checkpoint: with the RNG state, so a resumed fit is bit-identical
            self.model.save(path, include_rng_state=True)
