"""The Studio hub: runs, their snapshots and one event log, shared by threads (pure Python).

Training threads publish; the web server reads. :class:`Hub` numbers every event (``seq``) and
keeps the last 5,000 in a bounded log, so a browser tab that reconnects with the last ``seq`` it
saw gets what it missed; :class:`Run` keeps a snapshot (curves, latest layer records, status)
so a new tab gets everything at once. :class:`Control` is how the page drives a run: pause,
resume, step one batch, stop, change the learning rate; the training thread calls
:meth:`Control.checkpoint` between batches.

Example:
    >>> hub = Hub()
    >>> run = hub.new_run("demo")
    >>> run.record_batch(step=0, epoch=0, logs={"loss": 0.5}, learning_rate=0.01)
    >>> [event["type"] for event in hub.events_after(0, timeout=0)]
    ['run', 'batch']
    >>> run.snapshot()["curves"]["batch"]["loss"]
    [0.5]
"""

import collections
import logging
import math
import threading
import time

STATUSES = ("running", "paused", "finished", "stopped", "failed")
#: Curves keep at most this many points; past it every other point is dropped (then the
#: points keep coming at half the rate), so a long run stays light to send.
MAX_CURVE_POINTS = 5000
#: Runs that keep a reference to their model and validation data (the newest ones).
KEEP_MODELS = 4

logger = logging.getLogger("glassnet.studio")


def json_safe(value):
    """``value`` with NumPy scalars/arrays as Python numbers/lists and NaN/inf as None.

    Example:
        >>> json_safe({"a": float("nan"), "b": (1, 2.5)})
        {'a': None, 'b': [1, 2.5]}
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if hasattr(value, "tolist"):  # NumPy scalar or array
        return json_safe(value.tolist())
    if hasattr(value, "__float__"):
        return json_safe(float(value))
    return str(value)


class Hub:
    """Thread-safe registry of runs plus the numbered, bounded event log.

    Args:
        max_events: how many events the log keeps (older ones are dropped).
    """

    def __init__(self, max_events=5000):
        self._condition = threading.Condition()
        self._events = collections.deque(maxlen=max_events)
        self._sequence = 0
        self._runs = {}
        self._run_counter = 0

    @property
    def last_seq(self):
        """The ``seq`` of the newest event (0 before any)."""
        with self._condition:
            return self._sequence

    def new_run(self, name, kind="fit", meta=None):
        """A new :class:`Run` (id ``r1``, ``r2``, ...); publishes a ``run`` event.

        Only the newest :data:`KEEP_MODELS` runs keep their model and validation data (for
        the sample inspector); older runs keep their curves and records.
        """
        with self._condition:
            self._run_counter += 1
            run = Run(self, f"r{self._run_counter}", name, kind, meta)
            self._runs[run.id] = run
            for old in list(self._runs.values())[:-KEEP_MODELS]:
                if not old.control.training:
                    old.model = old.validation_data = None
        self.publish(run.id, "run", run.snapshot())
        return run

    def run(self, run_id):
        """The run with this id, or None."""
        with self._condition:
            return self._runs.get(run_id)

    def runs(self):
        """All runs, oldest first."""
        with self._condition:
            return list(self._runs.values())

    def publish(self, run_id, kind, payload):
        """Append ``{"seq", "run", "type", "data"}`` to the log and wake the readers."""
        data = json_safe(payload)
        with self._condition:
            self._sequence += 1
            event = {"seq": self._sequence, "run": run_id, "type": kind, "data": data}
            self._events.append(event)
            self._condition.notify_all()
        return event

    def events_after(self, seq, timeout=None):
        """The logged events with a ``seq`` larger than ``seq``, oldest first.

        Blocks up to ``timeout`` seconds (None: until one comes) when there is none yet, and
        returns ``[]`` if none came. Events older than the log's bound are gone.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while self._sequence <= seq:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return []
                self._condition.wait(remaining)
            if self._events and self._events[0]["seq"] > seq:
                return list(self._events)
            return [event for event in self._events if event["seq"] > seq]

    def snapshot(self):
        """Every run's snapshot (what ``/api/state`` sends)."""
        return [run.snapshot() for run in self.runs()]


class Run:
    """One training run: its snapshot, its controls, and (optionally) its model and data.

    Made by :meth:`Hub.new_run`. ``model`` and ``validation_data`` are set by the Studio
    callback so that the server can inspect samples (through :meth:`call`).
    """

    def __init__(self, hub, run_id, name, kind, meta=None):
        self.hub = hub
        self.id = run_id
        self.name = name
        self.kind = kind
        self.params = dict(meta or {})
        self.status = "running"
        self.error = None
        self.graph = None
        self.model = None
        self.validation_data = None
        self.samples = None  # the misclassified list, refreshed each epoch
        self.playground = None  # the latest playground grid payload
        self._lock = threading.RLock()
        self._batch = {"step": [], "epoch": []}
        self._epoch = {"epoch": []}
        self._layer_scalars = {}
        self._layers = {}
        self._thinning = {"batch": 1, "layers": 1}
        self._counts = {"batch": 0, "layers": 0}
        self.control = Control(self)

    # ------------------------------------------------------------------ recording
    def set_graph(self, graph):
        with self._lock:
            self.graph = json_safe(graph)

    def set_status(self, status, error=None):
        """Set and publish the status (one of :data:`STATUSES`)."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, received {status!r}")
        with self._lock:
            self.status = status
            if error is not None:
                self.error = error
        payload = {"status": status, "step": self.control.global_step}
        if error is not None:
            payload["error"] = error
        self.hub.publish(self.id, "status", payload)

    def fail(self, error):
        """Mark the run failed with ``error`` (a bilingual text or a string)."""
        if isinstance(error, str):
            error = {"en": error, "zh": error}
        self.hub.publish(self.id, "error", {"error": error})
        self.set_status("failed", error)

    def _keep(self, name):
        """Whether the next point of curve ``name`` is kept (thinning past the bound)."""
        self._counts[name] += 1
        return self._counts[name] % self._thinning[name] == 0

    @staticmethod
    def _thin(columns):
        for key in columns:
            columns[key] = columns[key][::2]

    @staticmethod
    def _append(columns, values, length):
        """Append ``values`` (a dict) as one row; a new key is padded with None before."""
        for key, value in values.items():
            if key not in columns:
                columns[key] = [None] * length
            columns[key].append(value)
        for column in columns.values():
            if len(column) < length + 1:
                column.append(None)

    def record_batch(self, step, epoch, logs, learning_rate=None):
        """One batch's logs: into the batch curves and the log (``batch`` event)."""
        logs = json_safe(dict(logs or {}))
        with self._lock:
            if self._keep("batch"):
                length = len(self._batch["step"])
                row = {"step": step, "epoch": epoch, **logs, "learning_rate": learning_rate}
                self._append(self._batch, json_safe(row), length)
                if length + 1 > MAX_CURVE_POINTS:
                    self._thin(self._batch)
                    self._thinning["batch"] *= 2
        self.hub.publish(self.id, "batch", {"step": step, "epoch": epoch, "logs": logs,
                                            "learning_rate": learning_rate})

    def record_epoch(self, epoch, logs):
        """One epoch's logs (with ``val_*``): into the epoch curves and the log."""
        logs = json_safe(dict(logs or {}))
        with self._lock:
            self._append(self._epoch, {"epoch": epoch, **logs}, len(self._epoch["epoch"]))
        self.hub.publish(self.id, "epoch", {"epoch": epoch, "logs": logs})

    def record_layers(self, step, records):
        """Layer records of one step: the latest per layer, scalars over time, and the log.

        ``records`` maps a layer name to its record (a dict with ``"scalars"``); the event
        carries only the scalars, the full records are fetched with :meth:`layer`.
        """
        records = json_safe(records)
        scalars = {name: record.get("scalars", {}) for name, record in records.items()}
        with self._lock:
            self._layers.update(records)
            if self._keep("layers"):
                for name, values in scalars.items():
                    columns = self._layer_scalars.setdefault(name, {"step": []})
                    self._append(columns, {"step": step, **values}, len(columns["step"]))
                    if len(columns["step"]) > MAX_CURVE_POINTS:
                        for other in self._layer_scalars.values():
                            self._thin(other)
                        self._thinning["layers"] *= 2
        self.hub.publish(self.id, "layers", {"step": step, "scalars": scalars})

    def layer(self, name):
        """The latest full record of layer ``name``, or None."""
        with self._lock:
            return self._layers.get(name)

    def snapshot(self):
        """Everything a new tab needs about the run (JSON-able)."""
        with self._lock:
            return {
                "id": self.id,
                "name": self.name,
                "kind": self.kind,
                "status": self.status,
                "graph": self.graph,
                "curves": {
                    "batch": {key: list(values) for key, values in self._batch.items()},
                    "epoch": {key: list(values) for key, values in self._epoch.items()},
                },
                "layer_scalars": {
                    name: {key: list(values) for key, values in columns.items()}
                    for name, columns in self._layer_scalars.items()
                },
                "layers": dict(self._layers),
                "error": self.error,
                "params": json_safe(self.params),
                "has_samples": self.validation_data is not None,
                "playground": self.playground,
            }

    def call(self, function, timeout=10.0):
        """Run ``function()`` in the training thread between batches (see :class:`Control`)."""
        return self.control.call(function, timeout)


class Control:
    """Pause, resume, step, stop and learning-rate changes for one run.

    The page's requests set flags; the training thread acts on them in :meth:`checkpoint`
    (after every batch). Model computations asked for by the server go through :meth:`call`,
    so they run in the training thread (glassnet's grad mode is process-wide: the model must
    never run in two threads at once).
    """

    def __init__(self, run):
        self.run = run
        self._condition = threading.Condition()
        self._paused = False
        self._blocked = False
        self._batches_before_pause = None
        self._stop = False
        self._learning_rate = None
        self._calls = collections.deque()
        self._training = False
        self._model_lock = threading.Lock()
        self.global_step = 0

    # -------------------------------------------------------------- page side
    @property
    def paused(self):
        with self._condition:
            return self._paused

    @property
    def training(self):
        """Whether a ``fit`` is running this run now (between its first and last hook)."""
        with self._condition:
            return self._training

    @property
    def blocked(self):
        """Whether the training thread is waiting in :meth:`checkpoint` now."""
        with self._condition:
            return self._blocked

    @property
    def stop_requested(self):
        with self._condition:
            return self._stop

    def pause(self):
        """Pause after the batch being trained now."""
        with self._condition:
            self._paused = True
            self._batches_before_pause = None
            self._condition.notify_all()

    def resume(self):
        """Train on, batch after batch."""
        with self._condition:
            self._paused = False
            self._batches_before_pause = None
            self._condition.notify_all()

    def step(self):
        """Train exactly one more batch, then pause again."""
        with self._condition:
            self._paused = False
            self._batches_before_pause = 1
            self._condition.notify_all()

    def stop(self):
        """Stop training after the current batch (``model.stop_training``)."""
        with self._condition:
            self._stop = True
            self._paused = False
            self._condition.notify_all()

    def set_learning_rate(self, value):
        """Use ``value`` as the learning rate from the next batch on."""
        value = float(value)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"learning rate must be a positive number, received {value!r}")
        with self._condition:
            self._learning_rate = value
            self._condition.notify_all()

    def call(self, function, timeout=10.0):
        """``function()`` run in the training thread between batches, its result returned.

        When the run is not training, it runs here, under a lock. Raises TimeoutError when
        the training thread did not get to it in ``timeout`` seconds, and re-raises what
        ``function`` raised.
        """
        with self._condition:
            training = self._training
            if training:
                request = {"function": function, "done": threading.Event()}
                self._calls.append(request)
                self._condition.notify_all()
        if not training:
            with self._model_lock:
                return function()
        if not request["done"].wait(timeout):
            with self._condition:
                if request in self._calls:
                    self._calls.remove(request)
            raise TimeoutError(f"the training thread did not answer within {timeout:g} s")
        if "error" in request:
            raise request["error"]
        return request["result"]

    # ---------------------------------------------------------- training side
    def training_started(self):
        with self._condition:
            self._training = True
        self._model_lock.acquire()

    def training_ended(self):
        """Idempotent: the end of training (also called after a fit that raised)."""
        with self._condition:
            if not self._training:
                return
            self._training = False
            pending = list(self._calls)
            self._calls.clear()
        self._model_lock.release()
        for request in pending:  # run what came in during the last batch, here
            self._serve(request)

    def _serve(self, request):
        try:
            request["result"] = request["function"]()
        except Exception as error:  # handed to the caller's thread
            request["error"] = error
        request["done"].set()

    def _serve_calls(self):
        while True:
            with self._condition:
                if not self._calls:
                    return
                request = self._calls.popleft()
            self._serve(request)

    def _apply_learning_rate(self, model):
        with self._condition:
            value, self._learning_rate = self._learning_rate, None
        if value is not None and model is not None and getattr(model, "optimizer", None):
            model.optimizer.learning_rate = value
            self.run.hub.publish(self.run.id, "status", {
                "status": self.run.status, "step": self.global_step, "learning_rate": value})

    def checkpoint(self, model=None):
        """Called by the training thread after each batch: apply, serve, wait while paused.

        Applies a pending learning rate, runs queued :meth:`call` requests, counts a
        :meth:`step`, sets ``model.stop_training`` after :meth:`stop`, and blocks while paused
        (publishing a ``paused`` status once it really waits).
        """
        self.global_step += 1
        self._apply_learning_rate(model)
        self._serve_calls()
        with self._condition:
            if self._batches_before_pause is not None:
                self._batches_before_pause -= 1
                if self._batches_before_pause <= 0:
                    self._paused = True
                    self._batches_before_pause = None
            paused = self._paused and not self._stop
        if paused:
            self.run.set_status("paused")
            while True:
                with self._condition:
                    self._blocked = True
                    if not self._paused or self._stop:
                        self._blocked = False
                        break
                    if not self._calls and self._learning_rate is None:
                        self._condition.wait(0.5)
                self._apply_learning_rate(model)
                self._serve_calls()
            if self.run.status == "paused" and not self.stop_requested:
                self.run.set_status("running")
        if self.stop_requested and model is not None:
            model.stop_training = True
