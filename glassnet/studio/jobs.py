"""Training jobs the page starts: presets and playground nets, each fit in a daemon thread.

One job trains at a time (glassnet's grad mode is process-wide): starting a new job stops the
one before it (it finishes its current batch) and waits for it. Each job's fit carries a
:class:`~glassnet.callbacks.Studio` callback publishing into the job's run; a playground job
also publishes its decision boundary and neuron maps (``playground`` events) as it trains.
"""

import logging
import threading

from glassnet.errors import GlassnetError

logger = logging.getLogger("glassnet.studio")
#: Uploaded data sets kept in memory (the oldest is forgotten first).
MAX_UPLOADS = 20


class BusyError(GlassnetError, RuntimeError):
    """The previous job did not stop in time (the server answers 409)."""

    bilingual = {"en": "the previous training job is still stopping; try again in a moment",
                 "zh": "上一个训练任务仍在停止中,请稍后重试"}


def _error_text(error):
    message = f"{type(error).__name__}: {error}"
    return {"en": f"training failed: {message}", "zh": f"训练失败:{message}"}


class Jobs:
    """Starts preset and playground trainings for a :class:`~glassnet.studio.hub.Hub`."""

    def __init__(self, hub):
        self.hub = hub
        self.uploads = {}
        self._upload_count = 0
        self._lock = threading.Lock()
        self._compute_lock = threading.Lock()
        self._thread = None
        self._run = None

    # ------------------------------------------------------------------ helpers
    def preset_list(self):
        """``[{"name", "title", "description"}]`` (empty while presets are not installed)."""
        try:
            from glassnet.studio import presets
        except ImportError:
            return []
        return [{"name": name, "title": preset.title, "description": preset.description}
                for name, preset in presets.PRESETS.items()]

    def compute(self, function):
        """``function()`` run where the model computations are safe: in the thread of a run
        that is training now (between its batches), else here under a lock."""
        for run in self.hub.runs():
            if run.control.training:
                return run.call(function)
        with self._compute_lock:
            return function()

    def current(self):
        """The run of the job training now, or None."""
        thread = self._thread
        return self._run if thread is not None and thread.is_alive() else None

    def stop_current(self, timeout=30.0):
        """Stop the running job and wait for its thread (BusyError if it does not end)."""
        thread, run = self._thread, self._run
        if thread is None or not thread.is_alive():
            return
        run.control.stop()
        thread.join(timeout)
        if thread.is_alive():
            raise BusyError(BusyError.bilingual["en"])

    def _launch(self, run, target):
        def main():
            try:
                target()
            except Exception as error:  # reported on the page, logged here
                logger.exception("glassnet Studio: job %s failed", run.id)
                run.fail(_error_text(error))
            finally:
                run.control.training_ended()
                if run.status in ("running", "paused"):
                    run.set_status("stopped" if run.control.stop_requested else "finished")

        thread = threading.Thread(target=main, name=f"glassnet-studio-{run.id}", daemon=True)
        self._thread, self._run = thread, run
        thread.start()

    # ------------------------------------------------------------------ presets
    def start_preset(self, name, quick=True):
        """Start preset ``name`` (``quick``: the small version); returns its run."""
        from glassnet.studio import presets

        with self._lock:
            self.stop_current()
            preset = presets.PRESETS[name]
            run = self.hub.new_run(preset.title.get("en", name) if isinstance(
                preset.title, dict) else str(preset.title), kind="preset",
                meta={"preset": name, "quick": bool(quick), "title": preset.title})

            def target():
                from glassnet.callbacks.studio import Studio

                built = presets.build(name, quick)
                validation = built.get("validation_data")
                callback = Studio(hub=self.hub, run=run, validation_data=validation)
                built["model"].fit(built["x"], built["y"], validation_data=validation,
                                   callbacks=[callback], verbose=0, **built.get("fit", {}))

            self._launch(run, target)
            return run

    # ------------------------------------------------------------------ playground
    def upload(self, content, max_bytes=1 << 20):
        """Parse an uploaded CSV; returns ``{"dataset": "upload:<id>", "count", "classes"}``.

        Raises ``playground.CSVError`` (a GlassnetValueError: the server answers 400).
        """
        from glassnet.studio import playground

        x, y = playground.parse_csv(content, max_bytes=max_bytes)
        with self._lock:
            self._upload_count += 1
            key = f"u{self._upload_count}"
            self.uploads[key] = (x, y)
            while len(self.uploads) > MAX_UPLOADS:
                self.uploads.pop(next(iter(self.uploads)))
        return {"dataset": f"upload:{key}", "count": int(len(x)),
                "classes": int(y.max()) + 1 if len(y) else 0}

    def start_playground(self, spec):
        """Train a playground net from ``spec``; returns its run (SpecError -> 400)."""
        from glassnet.studio import playground

        with self._lock:
            spec = playground.validate_spec(spec)  # a bad field: SpecError before stopping
            self.stop_current()
            model, x_train, y_train, x_val, y_val = playground.build(spec, self.uploads)
            run = self.hub.new_run(f"playground: {spec['dataset']}", kind="playground",
                                   meta={"spec": spec})

            def target():
                from glassnet.callbacks.studio import PlaygroundGrid, Studio

                fit = playground.fit_kwargs(spec, x_val, y_val)
                steps = max(1, -(-len(x_train) // int(fit["batch_size"])))
                callbacks = [  # the grid first: its last grid comes before "finished"
                    PlaygroundGrid(run, x_train, y_train, fit["epochs"]),
                    Studio(hub=self.hub, run=run, every=steps * 5, batch_every=steps,
                           validation_data=fit["validation_data"]),
                ]
                model.fit(x_train, y_train, callbacks=callbacks, **fit)

            self._launch(run, target)
            return run
