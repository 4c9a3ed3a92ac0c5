"""TensorBoard: write training logs as TensorBoard event files (Keras's layout).

The event files are written with ``tensorboardX``, an optional extra
(``pip install 'glassnet[tensorboard]'``). It is imported only when the first event is written,
so ``import glassnet`` and constructing the callback never import it.
"""

import os
import time
import warnings

from glassnet.backend import xp
from glassnet.callbacks.base import Callback, get_learning_rate, register
from glassnet.errors import GlassnetError, GlassnetValueError

MISSING_TENSORBOARDX = (
    "TensorBoard needs the tensorboardX package to write event files: "
    "pip install 'glassnet[tensorboard]'"
)


class MissingTensorBoardXError(GlassnetError, ImportError):
    """tensorboardX, the optional extra the TensorBoard callback writes with, is not installed."""


def _summary_writer_class():
    try:
        from tensorboardX import SummaryWriter
    except ImportError as err:
        raise MissingTensorBoardXError(MISSING_TENSORBOARDX) from err
    return SummaryWriter


def _scalar(value):
    """A log value as a float, or None when it is not a single number."""
    try:
        value = value.item() if hasattr(value, "item") else value
        return float(value)
    except (TypeError, ValueError):
        return None


@register
class TensorBoard(Callback):
    """Write the losses, metrics and weight histograms of ``fit`` for TensorBoard.

    Events go to ``log_dir/train`` (training values) and ``log_dir/validation`` (validation
    and ``evaluate`` values), as in Keras; view them with ``tensorboard --logdir log_dir``.
    At the end of epoch ``e`` the train run gets ``epoch_<name>`` for every log (``epoch_loss``,
    ``epoch_<metric>``) plus ``epoch_learning_rate``, and the validation run gets
    ``epoch_<name>`` for every ``val_<name>`` log, all at step ``e``. With ``update_freq``
    ``"batch"`` or an integer ``N``, the train run also gets ``batch_<name>`` every ``N``
    batches, at step ``optimizer.iterations`` (batches trained so far). Every validation or
    ``evaluate`` pass adds ``evaluation_<name>_vs_iterations`` to the validation run at step
    ``optimizer.iterations``. With ``histogram_freq=k > 0``, every ``k``-th epoch (epochs
    ``0, k, 2k, ...``) writes a histogram of each weight, tagged ``<weight.path>/histogram``
    (``dense/kernel/histogram``).

    Needs ``tensorboardX`` (``pip install 'glassnet[tensorboard]'``), imported when the first
    event is written; without it that first write raises :class:`MissingTensorBoardXError`
    (an ``ImportError``) naming the extra.

    Args:
        log_dir: the directory the ``train``/``validation`` runs are written under.
        histogram_freq: epochs between weight histograms; 0 writes none.
        write_graph: accepted and ignored (glassnet writes no graph; TensorFlow's graph format
            does not describe a NumPy model).
        write_images: ignored; ``True`` warns.
        write_steps_per_second: also write ``epoch_steps_per_second`` (batches per second of
            the epoch) and, with batch-level logging, ``batch_steps_per_second``.
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or an integer ``N >= 1`` (every
            ``N`` batches) for the ``batch_*`` scalars.
        profile_batch: ignored (there is no TensorFlow profiler); a value other than 0 warns.
        embeddings_freq: ignored (no embedding projector); a value other than 0 warns.
        embeddings_metadata: ignored; a value other than None warns.

    Raises:
        GlassnetValueError: ``update_freq`` or ``histogram_freq`` of the wrong kind.

    Example:
        >>> callback = TensorBoard(log_dir="logs", histogram_freq=1, update_freq="batch")
        >>> callback.update_freq
        1
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) \
                or histogram_freq < 0:
            raise GlassnetValueError(
                f"TensorBoard: histogram_freq must be an integer >= 0, got {histogram_freq!r}"
            )
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = bool(write_steps_per_second)
        if update_freq == "batch":
            update_freq = 1
        elif update_freq != "epoch" and (isinstance(update_freq, bool)
                                         or not isinstance(update_freq, int)
                                         or update_freq < 1):
            raise GlassnetValueError(
                "TensorBoard: update_freq must be 'epoch', 'batch' or an integer >= 1, "
                f"got {update_freq!r}"
            )
        self.update_freq = update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        ignored = []
        if write_images:
            ignored.append(f"write_images={write_images!r}")
        if profile_batch not in (0, None, (0, 0), [0, 0], "0", "0,0"):
            ignored.append(f"profile_batch={profile_batch!r}")
        if embeddings_freq:
            ignored.append(f"embeddings_freq={embeddings_freq!r}")
        if embeddings_metadata is not None:
            ignored.append("embeddings_metadata")
        if ignored:
            warnings.warn(
                f"TensorBoard: {', '.join(ignored)} cannot be honoured by glassnet (no weight "
                "images, profiler or embedding projector) and is ignored",
                stacklevel=2,
            )
        self._writers = {}
        self._batches_seen = 0
        self._epoch_start = None
        self._epoch_batches = 0
        self._batch_start = None

    # ------------------------------------------------------------------ writers
    def _writer(self, run):
        """The event writer of ``run`` ("train" or "validation"), made on first use."""
        writer = self._writers.get(run)
        if writer is None:
            summary_writer = _summary_writer_class()
            writer = summary_writer(os.path.join(self.log_dir, run), flush_secs=3600)
            self._writers[run] = writer
        return writer

    def _write_scalars(self, run, values, step):
        writer = None
        for name, value in values.items():
            value = _scalar(value)
            if value is None:
                continue
            writer = writer or self._writer(run)
            writer.add_scalar(name, value, global_step=int(step))

    def _flush(self):
        for writer in self._writers.values():
            writer.flush()

    def _close(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _iterations(self):
        """Batches trained so far (the optimizer's ``iterations``, else our own count)."""
        optimizer = getattr(self.model, "optimizer", None)
        value = _scalar(getattr(optimizer, "iterations", None))
        return self._batches_seen if value is None else int(value)

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._batches_seen = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_batches = 0

    def on_train_batch_begin(self, batch, logs=None):
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        self._epoch_batches += 1
        if self.update_freq == "epoch":
            return
        step = self._iterations()
        if step % self.update_freq != 0:
            return
        values = {f"batch_{name}": value for name, value in (logs or {}).items()
                  if name not in ("batch", "size", "num_steps")}
        if self.write_steps_per_second and self._batch_start is not None:
            elapsed = time.perf_counter() - self._batch_start
            if elapsed > 0:
                values["batch_steps_per_second"] = 1.0 / elapsed
        self._write_scalars("train", values, step)

    def on_test_end(self, logs=None):
        if self.model is None or getattr(self.model, "optimizer", None) is None:
            return
        values = {f"evaluation_{name}_vs_iterations": value for name, value in
                  (logs or {}).items()}
        self._write_scalars("validation", values, self._iterations())
        self._flush()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {f"epoch_{name}": value for name, value in logs.items()
                 if not name.startswith("val_")}
        if "epoch_learning_rate" not in train:
            try:
                train["epoch_learning_rate"] = get_learning_rate(
                    getattr(self.model, "optimizer", None), "TensorBoard")
            except (GlassnetValueError, TypeError, ValueError):
                pass
        if self.write_steps_per_second and self._epoch_start is not None:
            elapsed = time.perf_counter() - self._epoch_start
            if elapsed > 0:
                train["epoch_steps_per_second"] = self._epoch_batches / elapsed
        validation = {f"epoch_{name[4:]}": value for name, value in logs.items()
                      if name.startswith("val_")}
        self._write_scalars("train", train, epoch)
        self._write_scalars("validation", validation, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        self._flush()

    def _write_histograms(self, epoch):
        writer = self._writer("train")
        for weight in getattr(self.model, "weights", []):
            name = getattr(weight, "path", None) or getattr(weight, "name", "weight")
            values = xp.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)
            writer.add_histogram(f"{name.replace(':', '_')}/histogram",
                                 values.astype(xp.float64).ravel(), global_step=epoch)

    def on_train_end(self, logs=None):
        self._close()
