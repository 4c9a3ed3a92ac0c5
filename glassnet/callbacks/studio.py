"""Studio: stream a training run to glassnet Studio, the live glass-box view in the browser.

Every batch it publishes the logs (loss, metrics, learning rate); every ``every``-th batch it
turns on glass-box recording for that one batch and publishes each layer's record (histograms
of input, z, output, delta, weights, gradients and the update, plus neuron/conv/recurrent/
normalization views: :mod:`glassnet.studio.recorder`); at each epoch's end the epoch logs and
the misclassified validation samples. Between batches it obeys the page's controls (pause,
step one batch, stop, a new learning rate). Recording never draws random numbers: a seeded
fit gives the same weights with and without this callback.
"""

import logging
import time

from glassnet.callbacks.base import Callback, register

logger = logging.getLogger("glassnet.studio")


def _recorder():
    """:mod:`glassnet.studio.recorder`, or None while it is not there (then records degrade
    to scalars only)."""
    try:
        from glassnet.studio import recorder
    except ImportError:
        return None
    return recorder


def _norm(arrays):
    import numpy as np

    arrays = [np.asarray(a, dtype=np.float64).ravel() for a in arrays if a is not None]
    return float(np.sqrt(sum(float(a @ a) for a in arrays))) if arrays else None


def _basic_record(layer, inspected, before, after, step):
    """The scalars of a layer record, without :mod:`glassnet.studio.recorder`."""
    import numpy as np

    grads = [g for g in inspected["grads"].values() if g is not None]
    delta = inspected.get("delta")
    updates = [after[k] - before[k] for k in after if k in before]
    weight_norm = _norm(before.values()) if before else None
    update_norm = _norm(updates) if updates else None
    size = sum(g.size for g in grads)
    return {
        "layer": layer.name, "class": type(layer).__name__, "kind": "other", "step": step,
        "hist": {},
        "scalars": {
            "mean_abs_delta": (float(np.mean(np.abs(delta)))
                               if isinstance(delta, np.ndarray) else None),
            "mean_abs_grad": (float(sum(np.abs(g).sum() for g in grads) / size)
                              if size else None),
            "grad_norm": _norm(grads) if grads else None,
            "weight_norm": weight_norm,
            "update_norm": update_norm,
            "update_ratio": (update_norm / weight_norm
                             if update_norm is not None and weight_norm else None),
        },
        "neurons": None, "conv": None, "recurrent": None, "batchnorm": None,
    }


def _fallback_graph(model):
    layers = list(getattr(model, "layers", []))
    nodes = [{"id": layer.name, "class": type(layer).__name__, "output_shape": None,
              "params": None, "trainable_params": None, "activation": None, "units": None,
              "kind": "other"} for layer in layers]
    edges = [[a.name, b.name] for a, b in zip(layers, layers[1:], strict=False)]
    return {"name": getattr(model, "name", "model"), "class": type(model).__name__,
            "nodes": nodes, "edges": edges, "total_params": None}


@register
class Studio(Callback):
    """Stream this training to glassnet Studio (``python -m glassnet studio``'s page).

    With no ``server`` and no ``hub`` it starts, once per process, a Studio server on
    ``host:port`` in a background thread and prints its URL (with the access token).

    Args:
        every: record the layers on every ``every``-th batch (the others cost a few dict
            operations).
        batch_every: publish the logs of every ``batch_every``-th batch (default: each).
        samples: how many validation samples the sample inspector offers (default 500).
        server: a running :class:`~glassnet.studio.StudioServer` to publish to.
        hub: a :class:`~glassnet.studio.Hub` to publish to (no server is started).
        name: the run's name on the page (default: the model's name).
        host, port, open_browser: where the automatically started server listens, and
            whether it opens the browser.
        validation_data: ``(x_val, y_val)`` for the sample inspector; by default the
            validation data given to ``fit``.
        run: an existing :class:`~glassnet.studio.hub.Run` to publish into (used by the
            Studio's own jobs); by default each ``fit`` makes a new run.

    Example:
        >>> from glassnet.studio import Hub
        >>> callback = Studio(every=10, hub=Hub())
    """

    def __init__(self, every=20, samples=None, server=None, hub=None, name=None,
                 host="127.0.0.1", port=8765, open_browser=False, validation_data=None,
                 run=None, batch_every=1):
        super().__init__()
        if int(every) < 1:
            from glassnet.errors import GlassnetValueError

            raise GlassnetValueError(f"Studio: every must be >= 1, received {every!r}")
        self.every = int(every)
        self.batch_every = max(1, int(batch_every))
        self.samples = 500 if samples is None else int(samples)
        self.server = server
        self.hub = hub
        self.name = name
        self.host, self.port, self.open_browser = host, port, open_browser
        self.validation_data = validation_data
        self._explicit_validation = validation_data is not None
        self._given_run = run
        self.run = run
        self._reset()

    def _reset(self):
        self.epoch = 0
        self.step = 0
        self._recording = None  # [(layer, previous record flag, weights before)]
        self._graph_done = False

    # ------------------------------------------------------------------ wiring
    def set_validation_data(self, validation_data):
        """Called by ``fit`` with its validation data (unless given to the constructor)."""
        if not self._explicit_validation:
            self.validation_data = validation_data

    def _resolve_hub(self):
        if self.hub is not None:
            return self.hub
        if self.server is None:
            from glassnet.studio import serve

            self.server = serve(host=self.host, port=self.port, open_browser=self.open_browser)
        return self.server.hub

    def on_train_begin(self, logs=None):
        self._reset()
        hub = self._resolve_hub()
        if self._given_run is not None:
            self.run = self._given_run
        else:
            name = self.name or getattr(self.model, "name", None) or type(self.model).__name__
            self.run = hub.new_run(name, kind="fit", meta={
                "epochs": self.params.get("epochs"), "steps": self.params.get("steps")})
        run = self.run
        run.model = self.model
        run.validation_data = self._sample_data()
        run.params.setdefault("epochs", self.params.get("epochs"))
        run.params.setdefault("steps", self.params.get("steps"))
        run.control.training_started()
        if run.status != "running":
            run.set_status("running")

    def _sample_data(self):
        """The first ``samples`` validation samples as ``(x, y)`` arrays, or None."""
        data = self.validation_data
        if not isinstance(data, (list, tuple)) or len(data) < 2:
            return None
        try:
            return data[0][:self.samples], data[1][:self.samples]
        except (TypeError, KeyError, IndexError):  # dicts or lists of inputs: not inspected
            return None

    def _set_graph(self):
        self._graph_done = True
        recorder = _recorder()
        try:
            graph = recorder.model_graph(self.model) if recorder else _fallback_graph(self.model)
        except Exception:  # a view must never break training
            logger.exception("Studio: could not describe the model graph")
            graph = _fallback_graph(self.model)
        self.run.set_graph(graph)
        self.run.hub.publish(self.run.id, "graph", graph)

    # ------------------------------------------------------------------ batches
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.step % self.every:
            return
        from glassnet.models import Model

        recorder = _recorder()
        self._recording = []
        for layer in self.model._flatten_layers(include_self=False):
            if isinstance(layer, Model):  # a nested model: its layers are recorded instead
                continue
            if recorder is not None:
                before = recorder.snapshot_weights(layer)
            else:
                before = {w.name: w.data.copy() for w in layer._own_weights()}
            self._recording.append((layer, layer.record, before))
            layer.record = True

    def on_train_batch_end(self, batch, logs=None):
        run = self.run
        if not self._graph_done:
            self._set_graph()
        optimizer = getattr(self.model, "optimizer", None)
        learning_rate = None
        if optimizer is not None:
            try:
                learning_rate = float(optimizer.learning_rate)
            except (TypeError, ValueError):
                learning_rate = None
        if self.step % self.batch_every == 0:
            run.record_batch(self.step, self.epoch, logs, learning_rate)
        if self._recording is not None:
            self._publish_layers()
        self.step += 1
        run.control.checkpoint(self.model)

    def _publish_layers(self):
        recorder = _recorder()
        records = {}
        for layer, flag, before in self._recording:
            layer.record = flag
            if layer._inspect_data is None:
                continue
            try:
                inspected = layer.inspect()
                if recorder is not None:
                    record = recorder.layer_record(layer, inspected, before, None, sample=0,
                                                   step=self.step)
                else:
                    after = {w.name: w.data for w in layer._own_weights()}
                    record = _basic_record(layer, inspected, before, after, self.step)
                records[layer.name] = record
            except Exception:  # a view must never break training
                logger.exception("Studio: could not record layer %s", layer.name)
            finally:
                if not flag:
                    layer.clear_record()
        self._recording = None
        if records:
            self.run.record_layers(self.step, records)

    # ------------------------------------------------------------------ epochs
    def on_epoch_end(self, epoch, logs=None):
        run = self.run
        run.record_epoch(epoch, logs)
        recorder = _recorder()
        if run.validation_data is not None and recorder is not None:
            try:
                x, y = run.validation_data
                run.samples = recorder.misclassified(self.model, x, y)
            except Exception:
                logger.exception("Studio: could not list the misclassified samples")

    def on_train_end(self, logs=None):
        run = self.run
        if self._recording is not None:  # training stopped inside a recorded batch
            for layer, flag, _ in self._recording:
                layer.record = flag
            self._recording = None
        run.control.training_ended()
        run.set_status("stopped" if run.control.stop_requested else "finished")


class PlaygroundGrid(Callback):
    """Publishes ``playground.grid_payload`` (``playground`` events) while a 2-D net trains.

    At most ~100 grids per run and at most one per ``min_interval`` seconds, plus the first
    and the last. Used by the Studio's playground jobs (not registered by name).

    Args:
        run: the :class:`~glassnet.studio.hub.Run` to publish into.
        x, y: the training points drawn under the boundary.
        epochs: the run's epochs (sets the period).
        min_interval: the least seconds between two grids.
    """

    def __init__(self, run, x, y, epochs, min_interval=0.2):
        super().__init__()
        self.run, self.x, self.y = run, x, y
        self.period = max(1, int(epochs) // 100)
        self.min_interval = min_interval
        self.last_epoch = 0
        self._last = 0.0

    def publish(self, epoch):
        from glassnet.studio import playground

        payload = dict(playground.grid_payload(self.model, self.x, self.y))
        payload["epoch"] = epoch
        self.run.playground = payload
        self.run.hub.publish(self.run.id, "playground", payload)
        self._last = time.monotonic()

    def on_train_begin(self, logs=None):
        self.publish(0)

    def on_epoch_end(self, epoch, logs=None):
        self.last_epoch = epoch + 1
        if (epoch + 1) % self.period == 0 and time.monotonic() - self._last >= self.min_interval:
            self.publish(epoch + 1)

    def on_train_end(self, logs=None):
        self.publish(self.last_epoch)
