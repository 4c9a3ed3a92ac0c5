"""Trainer: the mixin that gives :class:`~glassnet.models.Model` its Keras 3 training API.

``class Model(Trainer, Layer)``: compile / fit / evaluate / predict, the per-batch steps and the
metrics, with Keras 3's signatures. One training step (``train_step``) is the whole story of
the seeds::

    y_pred = model(x, training=True)                  # forward
    loss   = model.compute_loss(x, y, y_pred, sw)     # mean over the batch + model.losses
    loss.backward()                                   # deltas and gradients
    optimizer.apply_gradients(zip(grads, weights))    # w <- w - lr * update(g)
    model.compute_metrics(x, y, y_pred, sw)           # running epoch averages

A subclass may override ``train_step(self, data)``, ``test_step`` or ``predict_step`` (and
``compute_loss``, ``compute_metrics``, ``metrics``): ``fit``/``evaluate``/``predict`` call them
with each batch (``(x, y)``, ``(x, y, sample_weight)`` or ``x``) and show the dict a step
returns in the progress bar, the callbacks and History, as Keras 3 does.

Example:
    >>> import glassnet as gn, numpy as np
    >>> model = gn.Sequential([gn.layers.Dense(1, input_shape=(3,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> history = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0)
    >>> len(history.history["loss"])
    2
"""

import contextlib
import inspect
import warnings

from glassnet import backend
from glassnet.callbacks.base import CallbackList
from glassnet.config import config, no_grad
from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.metrics import Metric
from glassnet.tensor import Tensor
from glassnet.training import loop
from glassnet.training.arguments import check_evaluate, check_fit, check_predict
from glassnet.training.compile_state import (
    CompiledState,
    check_metric_specs,
    compiled_state,
    parse_loss_weights,
    parse_losses,
)
from glassnet.training.data_adapters import (
    _arrays,
    _cast_x,
    _is_array_like,
    batch_size_of,
    check_batch_size,
    make_data,
    pack_inputs,
    split_validation,
    unpack,
)
from glassnet.training.resolution import (
    CompiledLoss,
    CompiledMetrics,
    total_loss,
    update_compiled_metrics,
)


class Trainer:
    """compile / fit / evaluate / predict and the steps they run (mixed into ``Model``)."""

    compiled = False
    optimizer = None
    loss = None
    _compiled_state = None
    _dp_session = None  # a glassnet.distribution DataParallelSession during fit/evaluate/...

    # ----------------------------------------------------------------- compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure the model for training: optimizer, loss and metrics (Keras 3 ``compile``).

        Args:
            optimizer: an optimizer object or name (``'rmsprop'``, ``'adam'``, ``'sgd'``...).
            loss: a loss object, name (``'categorical_crossentropy'``, ``'mse'``...) or function
                ``f(y_true, y_pred)``; for several outputs a list in output order (None for an
                output without a loss) or a dict keyed by output name (``model.output_names``:
                the keys of dict outputs, else the output layers' names) or index; an output
                left out has no loss and needs no target. None: the loss is
                ``sum(model.losses)`` (``add_loss``, regularizers).
            loss_weights: one weight per output: ``loss = sum_i w_i * loss_i`` (a list, or a
                dict keyed like ``loss``). A model with several outputs also logs each weighted
                term as ``'<output name>_loss'``.
            metrics: a list of metric names/objects (for several outputs: a list of lists or
                a dict keyed by output name; the logs then say ``'<output name>_<metric>'``).
                ``'accuracy'``/``'acc'`` become binary, categorical or sparse categorical
                accuracy from the loss and the label/output shapes, like Keras.
            weighted_metrics: metrics that also receive ``sample_weight``/``class_weight``.
            run_eagerly: accepted; glassnet always runs eagerly (True or False alike).
            steps_per_execution: only 1: glassnet runs one batch per step; another value
                warns and is ignored (batch callbacks still run after every batch).
            jit_compile: ``'auto'`` or False; True warns (there is no compiler: eager).
            auto_scale_loss: accepted; it matters only for a mixed_float16 policy, which
                glassnet does not have.

        Example:
            >>> import glassnet as gn
            >>> model = gn.Sequential([gn.layers.Dense(10, input_shape=(4,))])
            >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
            ...               metrics=["accuracy"])
        """
        from glassnet import optimizers as optimizers_module

        self.optimizer = optimizers_module.get(optimizer)
        loss_fns = parse_losses(loss)
        loss_weights = parse_loss_weights(loss_weights)
        check_metric_specs(metrics, weighted_metrics)
        if steps_per_execution != 1:
            warnings.warn(
                f"compile: steps_per_execution={steps_per_execution!r} is ignored: glassnet "
                f"runs one batch per step and calls the batch callbacks after every batch",
                stacklevel=2,
            )
        if jit_compile is True:
            warnings.warn("compile: jit_compile=True is ignored: glassnet has no compiler and "
                          "always runs eagerly", stacklevel=2)
        self.loss = loss
        self.run_eagerly = run_eagerly
        self.jit_compile = False
        self.steps_per_execution = 1
        self.compiled = True
        self.stop_training = False
        self._compiled_state = CompiledState(loss, loss_fns, loss_weights, metrics or [],
                                             weighted_metrics or [])

    # ----------------------------------------------------------------- metrics
    @property
    def metrics(self):
        """The loss tracker, the compiled metrics (once built), then Metric attributes."""
        state = self._compiled_state
        found = [] if state is None else state.all_metrics()
        for value in vars(self).values():
            if isinstance(value, Metric) and all(value is not m for m in found):
                found.append(value)
        return found

    @property
    def metrics_names(self):
        """The names of :attr:`metrics`: the keys of the logs."""
        return [metric.name for metric in self.metrics]

    def reset_metrics(self):
        """Reset every metric in :attr:`metrics` (fit does it at each epoch)."""
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self):
        """``{name: float}`` for every metric in :attr:`metrics` (dict results flattened)."""
        state = self._compiled_state
        metrics = None if state is None else state.metrics_cache
        if metrics is None:
            metrics = self.metrics
            if state is not None:
                state.metrics_cache = metrics
        logs = {}
        for metric in metrics:
            value = metric.result()
            if isinstance(value, dict):
                logs.update(loop.pythonify_logs(value))
            else:  # a scalar as a float; a vector (F1Score per class...) stays an array
                logs[metric.name] = loop.pythonify_logs({metric.name: value})[metric.name]
        return logs

    @property
    def compiled_loss(self):
        """tf.keras 2's ``self.compiled_loss(y, y_pred, sample_weight, regularization_losses)``."""
        return CompiledLoss(self, compiled_state(self, "compiled_loss"))

    @property
    def compiled_metrics(self):
        """tf.keras 2's ``self.compiled_metrics.update_state(y, y_pred, sample_weight)``."""
        return CompiledMetrics(compiled_state(self, "compiled_metrics"))

    # ----------------------------------------------------------------- loss and metrics
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of one batch: sum_i w_i * loss_i(y_i, y_pred_i) + sum(self.losses).

        Args:
            x: the inputs (unused by the default; kept for Keras's signature).
            y, y_pred: targets and predictions (Tensors/arrays, or lists for several outputs).
            sample_weight: optional per-sample weights.
            training: whether the step trains (unused by the default).

        Returns:
            A scalar Tensor (part of the graph, ready for ``backward()``).
        """
        return total_loss(compiled_state(self, "fit"), self, y, y_pred, sample_weight)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with one batch; return :meth:`get_metrics_result`."""
        update_compiled_metrics(compiled_state(self, "fit"), y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _step_loss(self, x, y, y_pred, sample_weight, training):
        method = type(self).compute_loss
        if method is Trainer.compute_loss:
            return total_loss(compiled_state(self, "fit"), self, y, y_pred, sample_weight)
        if "training" in inspect.signature(method).parameters:  # Keras 3.3 added training=
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def has_custom_step(self, name):
        """Whether this model's class overrides ``train_step``/``test_step``/``predict_step``."""
        return getattr(type(self), name) is not getattr(Trainer, name)

    # ----------------------------------------------------------------- steps
    def train_step(self, data):
        """One optimization step on one batch ``data = (x, y)`` or ``(x, y, sample_weight)``.

        Returns:
            The logs: running ``loss`` and metric values over the epoch so far.
        """
        if self._dp_session is not None:  # set_distribution(DataParallel()): shards, averages
            return self._dp_session.train_step(self, data)
        state = compiled_state(self, "fit")
        x, y, sample_weight = unpack(data)
        y_pred = self(x, training=True)
        loss = self._step_loss(x, y, y_pred, sample_weight, True)
        params = self._fit_weights(state)
        for p in params:
            p.grad = None
        if loss.requires_grad:  # else the loss depends on no weight: no gradient (as Keras)
            loss.backward()
        if params:
            self.optimizer.apply_gradients([(p.grad, p) for p in params])
        state.loss_tracker.update_state(float(loss.data), sample_weight=batch_size_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _fit_weights(self, state):
        """self.trainable_weights, listed once per fit (walking the layers costs per step).

        Like Keras, changing ``layer.trainable`` takes effect at the next ``fit`` call.
        """
        if not state.in_fit:
            return list(self.trainable_weights)
        if state.params is None:
            state.params = list(self.trainable_weights)  # after the first forward: built
        return state.params

    def test_step(self, data):
        """Loss and metrics of one batch in inference mode (no gradients)."""
        if self._dp_session is not None:
            return self._dp_session.test_step(self, data)
        state = compiled_state(self, "evaluate")
        x, y, sample_weight = unpack(data)
        with no_grad():
            y_pred = self(x, training=False)
            loss = self._step_loss(x, y, y_pred, sample_weight, False)
        state.loss_tracker.update_state(float(loss.data if isinstance(loss, Tensor) else loss),
                                        sample_weight=batch_size_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs for one batch as ndarrays (inference mode, no gradients)."""
        x, _, _ = unpack(data)
        with no_grad():
            y_pred = self(x, training=False)
        return loop.as_arrays(y_pred)

    # ----------------------------------------------------------------- loops
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs of mini-batch gradient descent (Keras 3 ``fit``).

        Args:
            x, y: input and target arrays (or lists of arrays for several inputs/outputs, or
                dicts: ``x`` keyed by input name, ``y`` by output name), or ``x`` a
                :class:`~glassnet.training.py_dataset.PyDataset` or an iterable/generator of
                ``(x, y)``/``(x, y, sample_weight)`` batches (then y=None; a generator is
                consumed across epochs, a PyDataset is read again each epoch).
            batch_size: samples per gradient step (default 32).
            epochs: index of the last epoch (training runs ``initial_epoch..epochs-1``).
            verbose: 'auto' (= 1, progress bar), 0 silent, 1 progress bar, 2 one line per epoch.
            callbacks: a list of :class:`~glassnet.callbacks.Callback`.
            validation_split: fraction of the data held out for validation: the *last*
                samples, taken before shuffling.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``.
            shuffle: reshuffle the training samples at every epoch.
            class_weight: ``{class: weight}``, turned into per-sample weights of the loss.
            sample_weight: per-sample loss weights, shape (N,).
            initial_epoch: the epoch to start from, to resume a run: after loading the
                checkpoint that ``ModelCheckpoint`` wrote at the end of epoch ``k`` (1-based in
                its file name), ``fit(..., epochs=n, initial_epoch=k)`` finishes bit-identical
                to an uninterrupted ``fit(..., epochs=n)``.
            steps_per_epoch: batches per epoch (default: all the data / the whole iterable;
                needed for an endless generator or PyDataset). A PyDataset then continues
                where the last epoch stopped and starts over once every batch was seen.
            validation_steps: batches per validation run.
            validation_batch_size: batch size for validation (default: ``batch_size``).
            validation_freq: validate every ``validation_freq`` epochs (or at the listed
                epochs, 1-based).

        Under ``gn.distribution.set_distribution(gn.distribution.DataParallel())`` (run with
        ``mpiexec -n N``), ``batch_size`` is the global batch: each rank computes its shard of
        every batch, the gradients are averaged over the ranks (one allreduce per step), the
        logs are the global batch's on every rank and only rank 0 prints and writes files
        (see :mod:`glassnet.distribution.data_parallel`); ``evaluate`` and ``predict`` shard
        and gather the same way. A model that overrides ``train_step`` is refused there.

        NaN or inf in ``x``, ``y`` or ``sample_weight`` give a RuntimeWarning naming the array,
        the count and the first position; ``gn.config.check_inputs = 'raise'`` makes it an
        error and ``'ignore'`` skips the check (``evaluate`` and ``predict`` follow it too).

        Returns:
            A :class:`~glassnet.callbacks.History`; ``history.history`` maps ``'loss'``, each
            metric (or each key a custom ``train_step`` returns) and each ``'val_*'`` to its
            per-epoch values.
        """
        check_fit(locals())  # every argument, before any work (glassnet.training.arguments)
        where = "fit"
        state = compiled_state(self, where)
        loop.check_model(self, where)
        if config.retain_memory:  # speed only: steps reuse warm memory (see gn.config)
            backend.retain_freed_memory()
        verbose = loop.resolve_verbose(verbose, where)
        batch_size = check_batch_size(batch_size, where)
        if validation_split and validation_data is None:
            if not _is_array_like(x):
                raise GlassnetValueError(
                    "fit: validation_split is only supported for array inputs; pass "
                    "validation_data=(x_val, y_val) with a generator"
                )
            (x, y, sample_weight), validation_data = split_validation(
                x, y, sample_weight, validation_split)
        train, summaries = make_data(x, y, sample_weight, batch_size, shuffle, where,
                                     class_weight)
        val = None
        if validation_data is not None:
            val = _validation_adapter(validation_data, validation_batch_size or batch_size)
        session = _session(self, where)
        if session is not None:  # data parallel: same model and state everywhere, shards
            train = session.start_fit(self, train)
            val = None if val is None else session.wrap(val)
        if summaries is not None and all(s is not None for s in summaries):
            state.target_check = ("fit", summaries)
        callbacks = _with_studio(self, callbacks, validation_data)
        callback_list = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                     model=self, verbose=verbose, epochs=epochs,
                                     steps=train.steps(steps_per_epoch))
        if initial_epoch > 0 and getattr(self, "_callback_states", None) is not None:
            callback_list.set_callback_states(self._callback_states)  # a checkpoint's states
            self._callback_states = None  # (glassnet.callbacks.states): given once
        state.metrics_cache = None
        if self.has_custom_step("train_step"):
            loop.prebuild_metrics(self, state, train)
        self.stop_training = False
        callback_list.on_train_begin()
        state.params, state.in_fit = None, True
        self._dp_session = session
        try:
            with _guarded(session, where):
                logs = loop.run_epochs(self, train, val, callback_list, initial_epoch, epochs,
                                       steps_per_epoch, validation_steps, validation_freq)
        finally:
            state.params, state.in_fit = None, False
            self._dp_session = None
        callback_list.on_train_end(logs)
        self.history = callback_list.history
        return callback_list.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Loss and metrics on the given data, in inference mode (Keras 3 ``evaluate``).

        Args:
            x, y, sample_weight: as for :meth:`fit`.
            batch_size: samples per batch (default 32).
            verbose: 'auto' (= 1), 0 or 1 (progress bar), 2.
            steps: batches to run (default: all).
            callbacks: a list of callbacks (``on_test_*`` hooks).
            return_dict: return ``{name: value}`` instead of a list.
            **kwargs: none are supported; any raises (Keras 3 refuses unknown ones too).

        Returns:
            The loss if no metrics were compiled, else ``[loss, metric1, ...]`` in compile
            order; with ``return_dict=True`` a dict ``{'loss': ..., name: ...}``.
        """
        check_evaluate(locals())  # every argument, before any work (glassnet.training.arguments)
        where = "evaluate"
        if kwargs:
            raise GlassnetTypeError(
                f"evaluate: unexpected keyword argument(s) {sorted(kwargs)}; expected x, y, "
                f"batch_size, verbose, sample_weight, steps, callbacks, return_dict"
            )
        state = compiled_state(self, where)
        loop.check_model(self, where)
        verbose = loop.resolve_verbose(verbose, where)
        batch_size = check_batch_size(batch_size, where)
        data, summaries = make_data(x, y, sample_weight, batch_size, False, where)
        if summaries is not None:
            state.target_check = (where, summaries)
        session = _session(self, where)
        data = data if session is None else session.wrap(data)
        callback_list = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                     verbose=verbose, epochs=1, steps=data.steps(steps))
        state.metrics_cache = None
        self._dp_session = session
        try:
            with _guarded(session, where):
                logs = loop.run_test_loop(self, data, steps, callback_list, where)
        finally:
            self._dp_session = None
        return logs if return_dict else _values(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x``, computed batch by batch under ``no_grad``.

        Args:
            x: input array(s) (a list, or a dict keyed by input name), a PyDataset, or an
                iterable/generator of input batches.
            batch_size: samples per batch (default 32).
            verbose: 'auto' (= 1), 0, 1 or 2.
            steps: batches to run (default: all).
            callbacks: a list of callbacks (``on_predict_*`` hooks).

        Returns:
            An ndarray (a list of ndarrays for several outputs, a dict for dict outputs) with
            one row per sample.
        """
        check_predict(locals())  # every argument, before any work (glassnet.training.arguments)
        where = "predict"
        loop.check_model(self, where)
        verbose = loop.resolve_verbose(verbose, where)
        batch_size = check_batch_size(batch_size, where)
        data, _ = make_data(x, None, None, batch_size, False, where)
        session = _session(self, where)
        data = data if session is None else session.wrap(data)
        callback_list = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                     verbose=verbose, epochs=1, steps=data.steps(steps))
        with _guarded(session, where):
            return loop.run_predict_loop(self, data, steps, callback_list, where,
                                         None if session is None else session.gather_outputs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One gradient step on exactly this batch; returns the loss (and metrics).

        The metrics are reset first, so the values are this batch's alone.
        """
        where = "train_on_batch"
        state = compiled_state(self, where)
        data, _ = make_data(x, y, sample_weight, len(_arrays(x, "x", where)[0]), False, where,
                            class_weight)
        return self._one_batch(state, data, "train_step", return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of exactly this batch in inference mode."""
        where = "test_on_batch"
        state = compiled_state(self, where)
        data, _ = make_data(x, y, sample_weight, len(_arrays(x, "x", where)[0]), False, where)
        return self._one_batch(state, data, "test_step", return_dict)

    def _one_batch(self, state, data, step_name, return_dict):
        custom = self.has_custom_step(step_name)
        if custom:
            loop.prebuild_metrics(self, state, data)
        state.metrics_cache = None
        self.reset_metrics()
        logs = getattr(self, step_name)(next(data.batches()))
        if custom:
            logs = loop.pythonify_logs(logs)
        return logs if return_dict else _values(logs)

    def predict_on_batch(self, x):
        """The outputs for exactly this batch (an ndarray, or a list for several outputs)."""
        xs = [_cast_x(array) for array in _arrays(x, "x", "predict_on_batch")]
        keys = list(x) if isinstance(x, dict) else None
        return loop.as_arrays(self.predict_step(pack_inputs(xs, keys)))


def _validation_adapter(validation_data, batch_size):
    where = "fit (validation_data)"
    batch_size = check_batch_size(batch_size, "fit", "validation_batch_size")
    if isinstance(validation_data, (list, tuple)) and len(validation_data) in (2, 3):
        vx, vy, vsw = unpack(validation_data)
        return make_data(vx, vy, vsw, batch_size, False, where)[0]
    if isinstance(validation_data, (list, tuple)):
        raise GlassnetValueError(
            f"fit: validation_data must be (x_val, y_val) or (x_val, y_val, "
            f"sample_weight_val), received a {type(validation_data).__name__} of length "
            f"{len(validation_data)}"
        )
    return make_data(validation_data, None, None, batch_size, False, where)[0]


def _session(model, where):
    """The DataParallel session of this call, or None without ``set_distribution``."""
    if config.distribution is None:
        return None
    from glassnet.distribution.training import session_for

    return session_for(model, where)


def _guarded(session, where):
    """Under DataParallel: an exception on one rank aborts all (no rank left hanging)."""
    if session is None or session.comm.size == 1:
        return contextlib.nullcontext()
    from glassnet.distribution.communicator import guard

    return guard(session.comm, where)


def _values(logs):
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _with_studio(model, callbacks, validation_data):
    """fit's callbacks plus those ``gn.studio.watch`` attached (``model._studio_callbacks``);
    callbacks with ``set_validation_data`` (the Studio's) get fit's validation data."""
    extra = getattr(model, "_studio_callbacks", None)
    if not extra and not callbacks:
        return callbacks
    if isinstance(callbacks, CallbackList):
        callbacks = callbacks.callbacks
    elif callbacks is not None and not isinstance(callbacks, (list, tuple)):
        callbacks = [callbacks]
    callbacks = list(callbacks or ())
    callbacks += [callback for callback in extra or () if callback not in callbacks]
    for callback in callbacks:
        if hasattr(callback, "set_validation_data"):
            callback.set_validation_data(validation_data)
    return callbacks
