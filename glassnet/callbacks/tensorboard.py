"""TensorBoard: write training logs as TensorBoard event files (Keras's layout).

Scalars per epoch and per batch, histograms of every weight, of every weight's gradient and of
every layer's delta dL/dz and activation (the glass box: Keras 2's ``write_grads``, which TF2
dropped, tensorflow/tensorflow#31173), weight images and the model's layer graph for the
Graphs tab. The event files are written with ``tensorboardX``, an optional extra
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


def _tag(name):
    return str(name).replace(":", "_")


def _shape_proto(shape, shape_class):
    proto = shape_class()
    for size in shape:
        proto.dim.add(size=-1 if size is None else int(size))
    return proto


def graph_def(model):
    """The model's layer graph as a TensorBoard ``GraphDef`` (the Graphs tab reads it).

    One node per layer (:func:`glassnet.interop.plot_model.layer_graph` with nested models
    expanded, so a nested model is a group named after it): ``name`` the layer's name (under
    its nested model's), ``op`` its class, ``input`` the layers that feed it, and attributes
    ``output_shape`` (text), ``param_count``, ``trainable`` and ``_output_shapes`` (the
    shapes TensorBoard writes on the edges; ``-1`` for the batch).

    Needs tensorboardX (its protobuf classes).
    """
    _summary_writer_class()  # the named error when tensorboardX is missing
    from tensorboardX.proto.attr_value_pb2 import AttrValue
    from tensorboardX.proto.graph_pb2 import GraphDef
    from tensorboardX.proto.node_def_pb2 import NodeDef
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboardX.proto.versions_pb2 import VersionDef

    from glassnet.interop.plot_model import layer_graph

    graph = layer_graph(model, expand_nested=True)
    nodes = []
    for node in graph.nodes:
        layer = node.layer
        shape = layer.output_shape
        shapes = [] if shape is None else (shape if isinstance(shape, list) else [shape])
        attr = {
            "output_shape": AttrValue(s=str(shape).encode("utf-8")),
            "param_count": AttrValue(i=int(sum(int(w.size) for w in layer.weights))),
            "trainable": AttrValue(b=bool(getattr(layer, "trainable", True))),
            "_output_shapes": AttrValue(list=AttrValue.ListValue(
                shape=[_shape_proto(s, TensorShapeProto) for s in shapes])),
        }
        nodes.append(NodeDef(name=node.name, op=type(layer).__name__,
                             input=[source.name for source in graph.inputs_of(node)],
                             attr=attr))
    return GraphDef(node=nodes, versions=VersionDef(producer=22))


@register
class TensorBoard(Callback):
    """Write the losses, metrics, histograms and graph of ``fit`` for TensorBoard.

    Events go to ``log_dir/train`` (training values) and ``log_dir/validation`` (validation
    and ``evaluate`` values), as in Keras; view them with ``tensorboard --logdir log_dir``.

    Scalars: at the end of epoch ``e`` the train run gets ``epoch_<name>`` for every log
    (``epoch_loss``, ``epoch_<metric>``) plus ``epoch_learning_rate``, and the validation run
    gets ``epoch_<name>`` for every ``val_<name>`` log, all at step ``e``. With
    ``update_freq`` ``"batch"`` or an integer ``N``, the train run also gets ``batch_<name>``
    every ``N`` batches, at step ``optimizer.iterations`` (batches trained so far). Every
    validation or ``evaluate`` pass adds ``evaluation_<name>_vs_iterations`` to the
    validation run at step ``optimizer.iterations``.

    Histograms (``histogram_freq=k > 0``, epochs ``0, k, 2k, ...``, at step ``e``, in the
    train run):

    - ``<weight.path>/histogram`` (``dense/kernel/histogram``): every weight at the end of
      the epoch, as Keras;
    - ``<weight.path>/gradient/histogram``: dL/dW of every trainable weight, and
    - ``<layer.name>/delta/histogram`` (dL/dz, the pre-activation's gradient, see
      ``layer.inspect()``) and ``<layer.name>/activation/histogram`` (the layer's output) of
      every layer: all from one batch of the epoch, the last one (the first when the number
      of batches is not known). For that batch only, the layers record (``layer.record``)
      and are put back as they were afterwards; recording changes no value, so training is
      bit-identical with and without this callback.

    ``write_images=True`` adds, at the same epochs, ``<weight.path>/image``: every 2-D weight
    (a Dense kernel, ``inputs x units``) as a grey image scaled from its min (black) to its
    max (white). ``write_graph=True`` writes the layer graph (see :func:`graph_def`) for the
    Graphs tab once per ``fit``.

    Needs ``tensorboardX`` (``pip install 'glassnet[tensorboard]'``), imported when the first
    event is written; without it that first write raises :class:`MissingTensorBoardXError`
    (an ``ImportError``) naming the extra.

    Args:
        log_dir: the directory the ``train``/``validation`` runs are written under.
        histogram_freq: epochs between histograms (and images); 0 writes none.
        write_graph: write the model's layer graph.
        write_images: write 2-D weights as images (needs ``histogram_freq > 0``, as Keras).
        write_steps_per_second: also write ``epoch_steps_per_second`` (batches per second of
            the epoch) and, with batch-level logging, ``batch_steps_per_second``.
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or an integer ``N >= 1`` (every
            ``N`` batches) for the ``batch_*`` scalars.
        profile_batch: accepted and ignored (there is no TensorFlow profiler to run); a value
            other than 0 warns.
        embeddings_freq: accepted and ignored (no embedding projector); a value other than 0
            warns.
        embeddings_metadata: accepted and ignored; a value other than None warns.

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
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
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
        if profile_batch not in (0, None, (0, 0), [0, 0], "0", "0,0"):
            ignored.append(f"profile_batch={profile_batch!r}")
        if embeddings_freq:
            ignored.append(f"embeddings_freq={embeddings_freq!r}")
        if embeddings_metadata is not None:
            ignored.append("embeddings_metadata")
        if ignored:
            warnings.warn(
                f"TensorBoard: {', '.join(ignored)} cannot be honoured by glassnet (no "
                "profiler or embedding projector) and is ignored",
                stacklevel=2,
            )
        if self.write_images and not histogram_freq:
            warnings.warn("TensorBoard: write_images=True writes images at histogram epochs "
                          "only: set histogram_freq > 0 (as in Keras)", stacklevel=2)
        self._writers = {}
        self._batches_seen = 0
        self._epoch_start = None
        self._epoch_batches = 0
        self._batch_start = None
        self._epoch = 0
        self._record_batch = None
        self._recording = None  # [(layer, record flag, recorded data)] while recording

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

    def _write_histogram(self, tag, values, step):
        if values is None or isinstance(values, (list, tuple)):
            return
        values = xp.asarray(values, dtype=xp.float64).ravel()
        if values.size:
            self._writer("train").add_histogram(tag, values, global_step=int(step))

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

    def _histogram_epoch(self, epoch):
        return bool(self.histogram_freq) and epoch % self.histogram_freq == 0

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs=None):
        self._batches_seen = 0
        if self.write_graph and self.model is not None and hasattr(self.model, "layers"):
            self._writer("train")._get_file_writer().add_onnx_graph(graph_def(self.model))
            self._flush()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_batches = 0
        self._epoch = epoch
        self._record_batch = None
        if self._histogram_epoch(epoch):
            steps = (self.params or {}).get("steps")
            self._record_batch = int(steps) - 1 if steps else 0

    def on_train_batch_begin(self, batch, logs=None):
        self._batch_start = time.perf_counter()
        if batch == self._record_batch and self.model is not None:
            self._start_recording()

    def on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        self._epoch_batches += 1
        if self._recording is not None:
            try:
                self._write_glass_box(self._epoch)
            finally:
                self._stop_recording()
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
        if self._histogram_epoch(epoch):
            self._write_weights(epoch)
        self._flush()

    def on_train_end(self, logs=None):
        self._stop_recording()
        self._close()

    # ------------------------------------------------------------------ histograms
    def _write_weights(self, epoch):
        writer = self._writer("train")
        for weight in getattr(self.model, "weights", []):
            name = _tag(getattr(weight, "path", None) or getattr(weight, "name", "weight"))
            values = xp.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)
            self._write_histogram(f"{name}/histogram", values, epoch)
            if self.write_images and values.ndim == 2:
                low, high = float(values.min()), float(values.max())
                image = (values - low) / (high - low) if high > low else \
                    xp.full(values.shape, 0.5)
                writer.add_image(f"{name}/image", image.astype(xp.float32), global_step=epoch,
                                 dataformats="HW")

    def _layers(self):
        return [layer for layer in self.model._flatten_layers(include_self=False)
                if not hasattr(layer, "_is_functional")]  # nested models: their layers

    def _start_recording(self):
        """Turn on ``record`` for every layer for one batch, keeping what they had."""
        if not hasattr(self.model, "_flatten_layers"):
            return
        self._recording = [(layer, layer.record, layer._inspect_data)
                           for layer in self._layers()]
        for layer, _, _ in self._recording:
            layer.record = True
            layer._inspect_data = None

    def _stop_recording(self):
        """Put every layer's ``record`` back; a layer that was not recording gets back what
        it had recorded before (nothing of this batch stays alive)."""
        for layer, flag, data in self._recording or ():
            layer.record = flag
            if not flag:
                layer._inspect_data = data
        self._recording = None

    def _write_glass_box(self, epoch):
        """The gradient, delta and activation histograms of the batch just trained."""
        for weight in getattr(self.model, "trainable_weights", []):
            grad = getattr(weight, "grad", None)
            if grad is not None:
                name = _tag(getattr(weight, "path", None) or weight.name)
                self._write_histogram(f"{name}/gradient/histogram", grad.data, epoch)
        for layer, _, _ in self._recording:
            if layer._inspect_data is None:  # not called (an InputLayer)
                continue
            seen = layer.inspect()
            name = _tag(layer.name)
            self._write_histogram(f"{name}/delta/histogram", seen["delta"], epoch)
            self._write_histogram(f"{name}/activation/histogram", seen["output"], epoch)
