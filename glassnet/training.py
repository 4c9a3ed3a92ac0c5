"""compile / fit / evaluate / predict: the Keras training loop, written out in plain Python.

``Model.compile``, ``Model.fit``... are thin methods that call the functions here with the model
as first argument. One training step (``train_step``) is the whole story of the seeds:

    y_pred = model(x, training=True)                  # forward
    loss   = loss_fn(y, y_pred, sample_weight)        # mean over the batch
           + sum(model.losses)                        # regularization penalties
    loss.backward()                                   # deltas and gradients
    optimizer.apply_gradients(zip(grads, weights))    # w <- w - lr * update(g)
    metrics.update_state(y, y_pred)                   # running epoch averages

Data: arrays are never copied as a whole. Each epoch shuffles an index array (with
``glassnet.config.get_rng()``, so ``gn.manual_seed`` makes runs reproducible) and each batch is
gathered with it and cast to float32 once. ``validation_split`` holds out the *last* fraction
of the samples before shuffling, as Keras does. An iterable or generator of ``(x, y)`` or
``(x, y, sample_weight)`` batches is accepted too.

Example:
    >>> import glassnet as gn, numpy as np
    >>> model = gn.Sequential([gn.layers.Dense(1, input_shape=(3,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> history = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0)
    >>> len(history.history["loss"])
    2
"""

import math
import re
import warnings

from glassnet import backend
from glassnet import metrics as metrics_module
from glassnet.backend import xp
from glassnet.callbacks.base import CallbackList
from glassnet.config import config, no_grad
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.tensor import Tensor

DEFAULT_BATCH_SIZE = 32


# ============================================================================ compile
class CompiledState:
    """What ``compile`` sets up: loss function(s), metrics (built on the first batch), weights."""

    def __init__(self, loss, loss_fns, loss_weights, metric_specs, weighted_metric_specs):
        self.loss = loss
        self.loss_fns = loss_fns          # list (one per output) or None
        self.loss_weights = loss_weights  # list of floats or None
        self.metric_specs = metric_specs
        self.weighted_metric_specs = weighted_metric_specs
        self.loss_tracker = metrics_module.Mean(name="loss")
        self.metrics = None               # list of (output index, Metric, weighted?)
        self.target_check = None          # deferred label validation (first batch)
        self.params = None                # trainable weights, listed once per fit
        self.in_fit = False

    def all_metrics(self):
        return [self.loss_tracker] + [m for _, m, _ in (self.metrics or [])]

    def reset(self):
        for metric in self.all_metrics():
            metric.reset_state()


def compile(model, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
            weighted_metrics=None, run_eagerly=None, steps_per_execution=1, jit_compile="auto",
            auto_scale_loss=True):
    """Configure ``model`` for training: optimizer, loss and metrics (Keras ``compile``).

    Args:
        model: the model.
        optimizer: an optimizer object or name (``'rmsprop'``, ``'adam'``, ``'sgd'``...).
        loss: a loss object, name (``'categorical_crossentropy'``, ``'mse'``...) or function
            ``f(y_true, y_pred)``; for several outputs a list or a dict keyed by output index.
        metrics: a list of metric names/objects. ``'accuracy'``/``'acc'`` become binary,
            categorical or sparse categorical accuracy from the loss and the label/output
            shapes, like Keras.
        loss_weights: one weight per output: ``loss = sum_i w_i * loss_i``.
        weighted_metrics: metrics that also receive ``sample_weight``/``class_weight``.
        run_eagerly, steps_per_execution, jit_compile, auto_scale_loss: accepted for Keras
            compatibility (glassnet always runs eagerly).

    Example:
        >>> import glassnet as gn
        >>> model = gn.Sequential([gn.layers.Dense(10, input_shape=(4,))])
        >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
        ...               metrics=["accuracy"])
    """
    from glassnet import losses as losses_module
    from glassnet import optimizers as optimizers_module

    model.optimizer = optimizers_module.get(optimizer)
    loss_fns = None
    if loss is not None:
        if isinstance(loss, (list, tuple)):
            loss_fns = [losses_module.get(item) for item in loss]
        elif isinstance(loss, dict):
            loss_fns = {key: losses_module.get(item) for key, item in loss.items()}
        else:
            loss_fns = [losses_module.get(loss)]
    if loss_weights is not None:
        try:
            if isinstance(loss_weights, (int, float)):
                loss_weights = [float(loss_weights)]
            elif isinstance(loss_weights, dict):
                loss_weights = {k: float(w) for k, w in loss_weights.items()}
            elif isinstance(loss_weights, (list, tuple)):
                loss_weights = [float(w) for w in loss_weights]
            else:
                raise TypeError
        except (TypeError, ValueError):
            raise GlassnetTypeError(
                f"compile: loss_weights must be a number, a list of numbers (one per output) or "
                f"a dict {{output: number}}, received {loss_weights!r}"
            ) from None
    for name, specs in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
        if specs is not None and not isinstance(specs, (list, tuple, dict)):
            raise GlassnetTypeError(
                f"compile: {name} must be a list of metric names or objects, "
                f"received {specs!r}; write {name}=[{specs!r}]"
            )
    model.loss = loss
    model.compiled = True
    model.stop_training = False
    model._compiled_state = CompiledState(loss, loss_fns, loss_weights, metrics or [],
                                          weighted_metrics or [])


def _compiled(model, where):
    state = getattr(model, "_compiled_state", None)
    if state is None:
        raise GlassnetValueError(
            f"{where}: the model must be compiled first; call "
            f"model.compile(optimizer=..., loss=..., metrics=[...]) before model.{where}()"
        )
    return state


def get_metrics(model):
    """Keras's ``model.metrics``: the loss tracker then the compiled metrics (built lazily)."""
    state = getattr(model, "_compiled_state", None)
    return [] if state is None else state.all_metrics()


def metrics_names(model):
    return [metric.name for metric in get_metrics(model)]


# ============================================================================ loss and labels
def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def loss_kind(loss_fn):
    """The canonical snake_case name of a loss object/function ('categorical_crossentropy')."""
    if isinstance(loss_fn, str):
        name = loss_fn
    elif hasattr(loss_fn, "fn") and hasattr(loss_fn.fn, "__name__"):
        name = loss_fn.fn.__name__
    elif isinstance(loss_fn, type) or not hasattr(loss_fn, "__name__"):
        name = _snake(type(loss_fn).__name__ if not isinstance(loss_fn, type) else
                      loss_fn.__name__)
    else:
        name = loss_fn.__name__
    name = name.lower()
    aliases = {"categorical_cross_entropy": "categorical_crossentropy",
               "binary_cross_entropy": "binary_crossentropy",
               "sparse_categorical_cross_entropy": "sparse_categorical_crossentropy",
               "mse": "mean_squared_error", "mae": "mean_absolute_error"}
    return aliases.get(name, name)


class _TargetSummary:
    """min/max/integrality/shape of a whole label array, computed once (vectorized)."""

    def __init__(self, y):
        self.shape = y.shape
        self.kind = y.dtype.kind
        finite = y if self.kind in "biu" else y[xp.isfinite(y)] if y.size else y
        self.minimum = finite.min() if finite.size else 0
        self.maximum = finite.max() if finite.size else 0
        self.integral = self.kind in "biu" or bool(xp.all(xp.mod(finite, 1) == 0))


def _check_targets(where, kind, summary, pred_shape):
    """Raise a clear error when labels do not fit the loss (kind/shape/range)."""
    y_shape = summary.shape
    n_out = pred_shape[-1] if len(pred_shape) > 1 else 1
    per_sample = y_shape[1:]
    if kind == "sparse_categorical_crossentropy":
        if len(y_shape) == len(pred_shape) and per_sample == pred_shape[1:] and n_out > 1:
            raise GlassnetValueError(
                f"{where}: loss 'sparse_categorical_crossentropy' expects integer class labels "
                f"of shape {(y_shape[0],) + tuple(pred_shape[1:-1])}, received one-hot labels "
                f"of shape {y_shape}; use loss='categorical_crossentropy' or pass "
                f"y.argmax(-1)"
            )
        if not summary.integral:
            raise GlassnetValueError(
                f"{where}: loss 'sparse_categorical_crossentropy' expects integer class labels "
                f"in [0, {n_out}), received non-integer values (dtype {summary_dtype(summary)})"
            )
        if summary.minimum < 0 or summary.maximum >= n_out:
            raise GlassnetValueError(
                f"{where}: y has labels out of range for loss 'sparse_categorical_crossentropy':"
                f" expected integers in [0, {n_out}) (the model outputs {n_out} classes), "
                f"received min {summary.minimum}, max {summary.maximum}"
            )
    elif kind == "categorical_crossentropy":
        if len(y_shape) != len(pred_shape) or per_sample != tuple(pred_shape[1:]):
            hint = (
                f"; for integer labels use loss='sparse_categorical_crossentropy' or convert "
                f"them with gn.utils.to_categorical(y, {n_out})"
                if summary.integral else ""
            )
            raise GlassnetValueError(
                f"{where}: loss 'categorical_crossentropy' expects one-hot labels of shape "
                f"{(y_shape[0],) + tuple(pred_shape[1:])}, received y of shape {y_shape}{hint}"
            )
        if summary.minimum < 0 or summary.maximum > 1:
            raise GlassnetValueError(
                f"{where}: loss 'categorical_crossentropy' expects probabilities/one-hot labels "
                f"in [0, 1], received values from {summary.minimum} to {summary.maximum}"
            )
    elif kind == "binary_crossentropy":
        if summary.minimum < 0 or summary.maximum > 1:
            raise GlassnetValueError(
                f"{where}: loss 'binary_crossentropy' expects labels in [0, 1], received values "
                f"from {summary.minimum} to {summary.maximum}"
            )


def summary_dtype(summary):
    return {"f": "float", "i": "int", "u": "uint", "b": "bool"}.get(summary.kind, summary.kind)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _loss_for(state, index, n_outputs):
    fns = state.loss_fns
    if isinstance(fns, dict):
        return fns.get(index, fns.get(str(index)))
    if len(fns) == 1:
        return fns[0]
    if len(fns) != n_outputs:
        raise GlassnetValueError(
            f"compile: got {len(fns)} losses for a model with {n_outputs} outputs"
        )
    return fns[index]


def _weight_for(state, index):
    weights = state.loss_weights
    if weights is None:
        return 1.0
    if isinstance(weights, dict):
        return float(weights.get(index, weights.get(str(index), 1.0)))
    return weights[index] if index < len(weights) else 1.0


def compute_loss(model, x=None, y=None, y_pred=None, sample_weight=None, training=True):
    """The total loss of one batch: sum_i w_i * loss_i(y_i, y_pred_i) + sum(model.losses).

    Args:
        model: a compiled model.
        x: the inputs (unused by the default; kept for Keras's signature).
        y, y_pred: targets and predictions (Tensors/arrays, or lists for several outputs).
        sample_weight: optional per-sample weights.

    Returns:
        A scalar Tensor (part of the graph, ready for ``backward()``).
    """
    state = _compiled(model, "fit")
    if state.loss_fns is None:
        raise GlassnetValueError(
            "compile: no loss was given; call model.compile(loss=...) (for example "
            "loss='categorical_crossentropy') before fit/evaluate"
        )
    preds = _as_list(y_pred)
    targets = _as_list(y)
    if len(targets) != len(preds):
        raise GlassnetValueError(
            f"fit: the model has {len(preds)} outputs but y has {len(targets)} target arrays"
        )
    if state.target_check is not None:
        check, state.target_check = state.target_check, None
        for i, (summary, pred) in enumerate(zip(check[1], preds, strict=False)):
            if summary is not None:
                kind = loss_kind(_loss_for(state, i, len(preds)))
                _check_targets(check[0], kind, summary, pred.shape)
    sw = None if sample_weight is None else Tensor(sample_weight)
    total = None
    for i, (target, pred) in enumerate(zip(targets, preds, strict=True)):
        loss_fn = _loss_for(state, i, len(preds))
        if loss_fn is None:
            continue
        target = target if isinstance(target, Tensor) else Tensor(xp.asarray(target))
        value = loss_fn(target, pred, sample_weight=sw) if sw is not None else loss_fn(target, pred)
        if not isinstance(value, Tensor):
            value = Tensor(xp.asarray(value))
        if value.ndim:
            value = value.mean()
        weight = _weight_for(state, i)
        if weight != 1.0:
            value = value * weight
        total = value if total is None else total + value
    for penalty in getattr(model, "losses", None) or ():
        total = total + penalty
    return total


# ============================================================================ metrics
def _resolve_accuracy(name, kind, y_true, y_pred):
    """Keras's rule for 'accuracy': binary / sparse categorical / categorical."""
    if kind in ("binary_crossentropy", "binary_focal_crossentropy", "hinge", "squared_hinge"):
        return metrics_module.BinaryAccuracy(name=name)
    if kind == "sparse_categorical_crossentropy":
        return metrics_module.SparseCategoricalAccuracy(name=name)
    if kind == "categorical_crossentropy":
        return metrics_module.CategoricalAccuracy(name=name)
    if y_pred.ndim == 1 or y_pred.shape[-1] == 1:
        return metrics_module.BinaryAccuracy(name=name)
    if y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
        return metrics_module.SparseCategoricalAccuracy(name=name)
    return metrics_module.CategoricalAccuracy(name=name)


def _build_metrics(state, targets, preds):
    built = []
    for weighted, specs in ((False, state.metric_specs), (True, state.weighted_metric_specs)):
        if isinstance(specs, dict):
            per_output = {int(k) if str(k).isdigit() else k: v for k, v in specs.items()}
        elif len(preds) > 1 and specs and all(isinstance(s, (list, tuple)) for s in specs):
            per_output = dict(enumerate(specs))
        else:
            per_output = {i: specs for i in range(len(preds))}
        for index, items in per_output.items():
            if not isinstance(index, int) or not 0 <= index < len(preds):
                raise GlassnetValueError(
                    f"compile: metrics given for output {index!r}, but the model has "
                    f"{len(preds)} outputs (use indices 0..{len(preds) - 1})"
                )
            for spec in _as_list(items):
                if isinstance(spec, str) and spec.lower() in ("accuracy", "acc"):
                    kind = loss_kind(_loss_for(state, index, len(preds))) if state.loss_fns \
                        else ""
                    metric = _resolve_accuracy(spec, kind, xp.asarray(targets[index]),
                                               preds[index])
                else:
                    metric = metrics_module.get(spec)
                if len(preds) > 1:
                    metric.name = f"output_{index + 1}_{metric.name}"
                if weighted and not metric.name.startswith("weighted_") and any(
                        m.name == metric.name for _, m, _ in built):
                    metric.name = "weighted_" + metric.name
                built.append((index, metric, weighted))
    state.metrics = built


def update_metrics(model, y, y_pred, sample_weight=None, loss=None, batch_size=None):
    """Update the loss tracker and the compiled metrics with one batch; return the logs."""
    state = _compiled(model, "fit")
    masks = [p._keras_mask if isinstance(p, Tensor) else None for p in _as_list(y_pred)]
    preds = [p.data if isinstance(p, Tensor) else xp.asarray(p) for p in _as_list(y_pred)]
    targets = [t.data if isinstance(t, Tensor) else t for t in _as_list(y)]
    if state.metrics is None:
        _build_metrics(state, targets, preds)
    if loss is not None:
        state.loss_tracker.update_state(
            float(loss.data if isinstance(loss, Tensor) else loss),
            sample_weight=batch_size if batch_size is not None else 1,
        )
    for index, metric, weighted in state.metrics:
        weight = sample_weight if weighted else None
        if masks[index] is not None:  # Keras: a masked sequence output counts unmasked steps
            weight = _mask_as_weight(weight, masks[index])
        metric.update_state(targets[index], preds[index], weight)
    return get_logs(model)


def _mask_as_weight(sample_weight, mask):
    """Per-step weights: the mask (0/1), times the per-sample weight when there is one."""
    mask = xp.asarray(mask, dtype=xp.float64)
    if sample_weight is None:
        return mask
    weight = xp.asarray(sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight,
                        dtype=xp.float64)
    if 0 < weight.ndim < mask.ndim:
        weight = weight.reshape(weight.shape + (1,) * (mask.ndim - weight.ndim))
    return weight * mask


def get_logs(model):
    """``{'loss': ..., metric name: ...}``: every tracked metric's current result as a float."""
    state = _compiled(model, "fit")
    logs = {}
    for metric in state.all_metrics():
        value = metric.result()
        logs[metric.name] = float(value.data if isinstance(value, Tensor) else value)
    return logs


# ============================================================================ steps
def _unpack(data):
    if isinstance(data, (list, tuple)):
        if len(data) == 3:
            return data[0], data[1], data[2]
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 1:
            return data[0], None, None
    return data, None, None


def _batch_size_of(x):
    first = _as_list(x)[0]
    return len(first)


def train_step(model, data):
    """One optimization step on one batch ``data = (x, y)`` or ``(x, y, sample_weight)``.

    Returns:
        The logs: running ``loss`` and metric values over the epoch so far.
    """
    _compiled(model, "fit")
    x, y, sample_weight = _unpack(data)
    y_pred = model(x, training=True)
    loss = compute_loss(model, x, y, y_pred, sample_weight)
    params = _trainable_weights(model)
    for p in params:
        p.grad = None
    loss.backward()
    if params:
        model.optimizer.apply_gradients([(p.grad, p) for p in params])
    return update_metrics(model, y, y_pred, sample_weight, loss, _batch_size_of(x))


def _trainable_weights(model):
    """model.trainable_weights, listed once per fit (walking the layers costs per step).

    Like Keras, changing ``layer.trainable`` takes effect at the next ``fit`` call.
    """
    state = _compiled(model, "fit")
    if not state.in_fit:
        return list(model.trainable_weights)
    if state.params is None:
        state.params = list(model.trainable_weights)  # after the first forward: built
    return state.params


def test_step(model, data):
    """Loss and metrics of one batch in inference mode (no gradients)."""
    x, y, sample_weight = _unpack(data)
    with no_grad():
        y_pred = model(x, training=False)
        loss = compute_loss(model, x, y, y_pred, sample_weight, training=False)
    return update_metrics(model, y, y_pred, sample_weight, loss, _batch_size_of(x))


def predict_step(model, data):
    """The model's outputs for one batch as ndarrays (inference mode, no gradients)."""
    x, _, _ = _unpack(data)
    with no_grad():
        y_pred = model(x, training=False)
    if isinstance(y_pred, (list, tuple)):
        return [p.data if isinstance(p, Tensor) else xp.asarray(p) for p in y_pred]
    return y_pred.data if isinstance(y_pred, Tensor) else xp.asarray(y_pred)


def _model_step(model, name, default):
    """The model's own step method when a subclass overrides it, else the default here."""
    method = getattr(type(model), name, None)
    try:
        from glassnet.models import Model

        inherited = method is getattr(Model, name, None)
    except ImportError:  # pragma: no cover - models.py is part of the package
        inherited = False
    if method is None or inherited:
        return lambda data: default(model, data)
    return getattr(model, name)


# ============================================================================ data
def _to_array(value, name, where):
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, xp.ndarray):
        if value.dtype.kind not in "biuf":
            raise GlassnetTypeError(
                f"{where}: {name} must be numeric, received an array of dtype {value.dtype}"
            )
        return value
    try:
        array = xp.asarray(value)
    except (TypeError, ValueError) as error:
        raise GlassnetTypeError(
            f"{where}: {name} must be an array of numbers, received {type(value).__name__} "
            f"({error})"
        ) from None
    if array.dtype.kind not in "biuf":
        raise GlassnetTypeError(
            f"{where}: {name} must be numeric, received an array of dtype {array.dtype}"
        )
    return array


_CHECK_INPUTS = ("warn", "raise", "ignore")


def _check_finite(array, name, where):
    """Warn about / refuse NaN and inf in ``array`` as ``config.check_inputs`` says.

    Costs two reductions (min and max propagate NaN) unless something is wrong.
    """
    mode = config.check_inputs
    if mode not in _CHECK_INPUTS:
        raise GlassnetValueError(
            f"config.check_inputs must be one of {', '.join(map(repr, _CHECK_INPUTS))}, "
            f"received {mode!r}"
        )
    if mode == "ignore" or array.dtype.kind not in "fc" or array.size == 0:
        return
    if xp.isfinite(array.min()) and xp.isfinite(array.max()):
        return
    nan = int(xp.isnan(array).sum())
    inf = int(xp.isinf(array).sum())
    first = tuple(int(i) for i in xp.argwhere(~xp.isfinite(array))[0])
    message = (
        f"{where}: {name} contains {nan} NaN and {inf} infinite values (first at index "
        f"{first}, shape {array.shape}); expected finite numbers. Clean the data, or set "
        f"gn.config.check_inputs to 'ignore' (or 'raise')"
    )
    if mode == "raise":
        raise GlassnetValueError(message)
    warnings.warn(message, RuntimeWarning, stacklevel=5)  # the caller of model.fit(...)


def _is_multi(value):
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(v, (xp.ndarray, Tensor)) and getattr(v, "ndim", 0) >= 1 for v in value
    )


def _arrays(value, name, where):
    """A list of arrays (several inputs/outputs) from an array, a Tensor or a list of them."""
    if value is None:
        return None
    if isinstance(value, dict):
        raise GlassnetTypeError(f"{where}: {name} as a dict is not supported; pass arrays")
    if _is_multi(value):
        return [_to_array(v, name, where) for v in value]
    return [_to_array(value, name, where)]


def _is_batch_list(value):
    """A list of ``(x, y[, sample_weight])`` tuples of arrays (batches, not samples)."""
    return isinstance(value, list) and len(value) > 0 and all(
        isinstance(item, tuple) and len(item) in (2, 3)
        and all(isinstance(part, (xp.ndarray, Tensor)) or part is None for part in item)
        for item in value
    )


def _is_array_like(value):
    if _is_batch_list(value):
        return False
    return isinstance(value, (xp.ndarray, Tensor, list, tuple)) or (
        hasattr(value, "__array__") and not hasattr(value, "__next__")
    )


def _cast_x(array):
    """A batch of inputs as float32 when floating (ints kept: class ids, token ids)."""
    if array.dtype.kind == "f" and array.dtype != config.default_float:
        return array.astype(config.default_float)
    return array


def _cast_y(array):
    if array.dtype.kind == "f" and array.dtype != config.default_float:
        return array.astype(config.default_float)
    return array


class ArrayData:
    """Batches from in-memory arrays: shuffle an index array per epoch, gather each batch.

    Args:
        xs, ys: lists of arrays with the same first dimension (ys may be None).
        sample_weight: float32 array of shape (N,) or None.
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: reshuffle the sample order at each epoch.
    """

    def __init__(self, xs, ys, sample_weight, batch_size, shuffle):
        self.xs, self.ys, self.sample_weight = xs, ys, sample_weight
        self.n = len(xs[0])
        self.batch_size = batch_size
        self.shuffle = shuffle

    def steps(self, steps=None):
        full = math.ceil(self.n / self.batch_size)
        return full if steps is None else min(int(steps), full)

    def batches(self, steps=None):
        order = config.rng.permutation(self.n) if self.shuffle else None
        for step in range(self.steps(steps)):
            start = step * self.batch_size
            stop = min(start + self.batch_size, self.n)
            take = slice(start, stop) if order is None else order[start:stop]
            xs = [_cast_x(x[take]) for x in self.xs]
            batch_x = xs[0] if len(xs) == 1 else xs
            if self.ys is None:
                yield (batch_x,)
                continue
            ys = [_cast_y(y[take]) for y in self.ys]
            batch_y = ys[0] if len(ys) == 1 else ys
            if self.sample_weight is None:
                yield batch_x, batch_y
            else:
                yield batch_x, batch_y, self.sample_weight[take]


class IterableData:
    """Batches from an iterable/generator of ``(x, y[, sample_weight])`` tuples.

    A generator (``iter(data) is data``) is consumed across epochs; a re-iterable object (a
    list of batches, a Sequence with ``__len__``/``__getitem__``) restarts every epoch.
    """

    def __init__(self, data, where):
        self.data = data
        self.where = where
        self.is_generator = iter(data) is data if hasattr(data, "__iter__") else False
        self._iterator = data if self.is_generator else None

    def steps(self, steps=None):
        if steps is not None:
            return int(steps)
        if not self.is_generator and hasattr(self.data, "__len__"):
            return len(self.data)
        return None

    def _fresh(self):
        if self.is_generator:
            return self._iterator
        if hasattr(self.data, "__getitem__") and hasattr(self.data, "__len__") \
                and not hasattr(self.data, "__iter__"):
            return (self.data[i] for i in range(len(self.data)))
        return iter(self.data)

    def batches(self, steps=None):
        iterator = self._fresh()
        limit = self.steps(steps)
        count = 0
        while limit is None or count < limit:
            try:
                item = next(iterator)
            except StopIteration:
                return
            count += 1
            x, y, sw = _unpack(item)
            xs = _arrays(x, "x", self.where)
            for array in xs:
                _check_finite(array, "x", self.where)
            xs = [_cast_x(a) for a in xs]
            batch_x = xs[0] if len(xs) == 1 else xs
            if y is None:
                yield (batch_x,)
                continue
            ys = [_cast_y(a) for a in _arrays(y, "y", self.where)]
            for array in ys:
                _check_finite(array, "y", self.where)
            batch_y = ys[0] if len(ys) == 1 else ys
            if len(xs[0]) != len(ys[0]):
                raise GlassnetValueError(
                    f"{self.where}: a batch has {len(xs[0])} inputs but {len(ys[0])} targets"
                )
            if sw is None:
                yield batch_x, batch_y
            else:
                yield batch_x, batch_y, _to_array(sw, "sample_weight", self.where).astype(
                    xp.float32, copy=False)


def _check_batch_size(batch_size, where, name="batch_size"):
    if batch_size is None:
        return DEFAULT_BATCH_SIZE
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, xp.integer)) \
            or batch_size <= 0:
        raise GlassnetValueError(
            f"{where}: {name} must be a positive integer, received {name}={batch_size!r}"
        )
    return int(batch_size)


def _check_lengths(xs, ys, sample_weight, where):
    n = len(xs[0]) if xs[0].ndim else 0
    for i, x in enumerate(xs):
        if x.ndim == 0:
            raise ShapeError(f"{where}: x must have a batch dimension, received a scalar")
        if len(x) != n:
            raise GlassnetValueError(
                f"{where}: all inputs must have the same number of samples; input 0 has {n}, "
                f"input {i} has {len(x)}"
            )
    if n == 0:
        raise GlassnetValueError(
            f"{where}: x is empty (shape {xs[0].shape}); expected at least one sample"
        )
    for y in ys or ():
        if y.ndim == 0 or len(y) != n:
            raise GlassnetValueError(
                f"{where}: x and y must have the same number of samples; received x with {n} "
                f"samples (shape {xs[0].shape}) and y with "
                f"{len(y) if y.ndim else 0} samples (shape {y.shape})"
            )
    if sample_weight is not None and (sample_weight.ndim == 0 or len(sample_weight) != n):
        raise GlassnetValueError(
            f"{where}: sample_weight must have one weight per sample ({n}), received shape "
            f"{sample_weight.shape}"
        )
    return n


def _class_weights(class_weight, ys, where):
    """Per-sample weights class_weight[label] (one-hot labels: argmax), 1.0 for unlisted."""
    if not isinstance(class_weight, dict):
        raise GlassnetTypeError(
            f"{where}: class_weight must be a dict {{class index: weight}}, received "
            f"{type(class_weight).__name__}"
        )
    if ys is None or len(ys) != 1:
        raise GlassnetValueError(f"{where}: class_weight needs exactly one target array y")
    y = ys[0]
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype(xp.int64)
    if labels.size and labels.min() < 0:
        raise GlassnetValueError(f"{where}: class_weight needs non-negative class labels")
    size = max([int(labels.max()) + 1 if labels.size else 0] + [int(k) + 1 for k in class_weight])
    table = xp.ones(size, dtype=xp.float32)
    for key, value in class_weight.items():
        table[int(key)] = value
    return table[labels]


def _make_data(x, y, sample_weight, batch_size, shuffle, where, class_weight=None):
    """An ArrayData or IterableData, plus label summaries for the first-batch check."""
    if x is None:
        raise GlassnetValueError(f"{where}: x is required (the input data), received None")
    if not _is_array_like(x) and hasattr(x, "__iter__") or (
            hasattr(x, "__getitem__") and hasattr(x, "__len__") and not _is_array_like(x)):
        if y is not None:
            raise GlassnetValueError(
                f"{where}: y must not be given when x is a generator/iterable of (x, y) batches"
            )
        return IterableData(x, where), None
    xs = _arrays(x, "x", where)
    ys = _arrays(y, "y", where)
    sw = None if sample_weight is None else _to_array(sample_weight, "sample_weight", where)
    _check_lengths(xs, ys, sw, where)
    for name, arrays in (("x", xs), ("y", ys or []), ("sample_weight", [] if sw is None else [sw])):
        for array in arrays:
            _check_finite(array, name, where)
    if class_weight is not None:
        weights = _class_weights(class_weight, ys, where)
        sw = weights if sw is None else sw * weights
    if sw is not None:
        sw = sw.astype(xp.float32, copy=False)
    summaries = None if ys is None else [_TargetSummary(y) for y in ys]
    return ArrayData(xs, ys, sw, batch_size, shuffle), summaries


def _split_validation(x, y, sample_weight, validation_split):
    """The last ``validation_split`` fraction (before shuffling) as validation data."""
    if not 0 <= validation_split < 1:
        raise GlassnetValueError(
            f"fit: validation_split must be in [0, 1), received {validation_split}"
        )
    xs = _arrays(x, "x", "fit")
    ys = _arrays(y, "y", "fit")
    sw = None if sample_weight is None else _to_array(sample_weight, "sample_weight", "fit")
    n = _check_lengths(xs, ys, sw, "fit")
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise GlassnetValueError(
            f"fit: validation_split={validation_split} leaves {split_at} training and "
            f"{n - split_at} validation samples out of {n}; both must be at least 1"
        )

    def cut(arrays, part):
        if arrays is None:
            return None
        pieces = [a[:split_at] if part == 0 else a[split_at:] for a in arrays]
        return pieces[0] if len(pieces) == 1 else pieces

    train = (cut(xs, 0), cut(ys, 0), None if sw is None else sw[:split_at])
    val = (cut(xs, 1), cut(ys, 1), None if sw is None else sw[split_at:])
    return train, val


def _resolve_verbose(verbose, where):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise GlassnetValueError(
            f"{where}: verbose must be 'auto', 0, 1 or 2, received {verbose!r}"
        )
    return verbose


def _check_model(model, where):
    layers = getattr(model, "layers", None)
    if layers is not None and len(layers) == 0 and not getattr(model, "built", False) \
            and type(model).__name__ == "Sequential":
        raise GlassnetValueError(
            f"{where}: the model has no layers and has not been built; add layers "
            f"(model.add(gn.layers.Dense(...))) before calling model.{where}()"
        )


# ============================================================================ loops
def _run_test_loop(model, data, steps, callbacks, where):
    state = _compiled(model, where)
    state.reset()
    step_fn = _model_step(model, "test_step", test_step)
    callbacks.on_test_begin()
    logs = None
    for step, batch in enumerate(data.batches(steps)):
        callbacks.on_test_batch_begin(step)
        logs = step_fn(batch)
        callbacks.on_test_batch_end(step, logs)
    if logs is None:
        raise GlassnetValueError(f"{where}: the data produced no batches")
    logs = get_logs(model)
    callbacks.on_test_end(logs)
    return logs


def fit(model, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
        sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
        validation_batch_size=None, validation_freq=1):
    """Train ``model`` for ``epochs`` epochs of mini-batch gradient descent (Keras ``fit``).

    Args:
        x, y: input and target arrays (or lists of arrays for several inputs/outputs), or ``x``
            an iterable/generator of ``(x, y)``/``(x, y, sample_weight)`` batches (then y=None).
        batch_size: samples per gradient step (default 32).
        epochs: index of the last epoch (training runs ``initial_epoch..epochs-1``).
        verbose: 'auto' (= 1, progress bar), 0 silent, 1 progress bar, 2 one line per epoch.
        callbacks: a list of :class:`~glassnet.callbacks.Callback`.
        validation_split: fraction of the data held out for validation: the *last* samples,
            taken before shuffling.
        validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``.
        shuffle: reshuffle the training samples at every epoch.
        class_weight: ``{class: weight}``, turned into per-sample weights of the loss.
        sample_weight: per-sample loss weights, shape (N,).
        initial_epoch: the epoch to start from, to resume a run: after loading the checkpoint
            that ``ModelCheckpoint`` wrote at the end of epoch ``k`` (1-based in its file
            name), ``fit(..., epochs=n, initial_epoch=k)`` finishes bit-identical to an
            uninterrupted ``fit(..., epochs=n)``.
        steps_per_epoch: batches per epoch (default: all the data / the whole iterable).
        validation_steps: batches per validation run.
        validation_batch_size: batch size for validation (default: ``batch_size``).
        validation_freq: validate every ``validation_freq`` epochs (or at the listed epochs,
            1-based).

    NaN or inf in ``x``, ``y`` or ``sample_weight`` give a RuntimeWarning naming the array, the
    count and the first position; ``gn.config.check_inputs = 'raise'`` makes it an error and
    ``'ignore'`` skips the check (``evaluate`` and ``predict`` follow the same setting).

    Returns:
        A :class:`~glassnet.callbacks.History`; ``history.history`` maps ``'loss'``, each
        metric and each ``'val_*'`` to its per-epoch values.
    """
    where = "fit"
    _compiled(model, where)
    _check_model(model, where)
    if config.retain_memory:  # speed only: steps reuse warm memory (see gn.config)
        backend.retain_freed_memory()
    verbose = _resolve_verbose(verbose, where)
    batch_size = _check_batch_size(batch_size, where)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, xp.integer)) or epochs < 0:
        raise GlassnetValueError(f"fit: epochs must be a non-negative integer, received {epochs!r}")
    if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, (int, xp.integer)) \
            or not 0 <= initial_epoch <= epochs:
        raise GlassnetValueError(
            f"fit: initial_epoch must be an integer in [0, epochs={epochs}] (epochs is the index "
            f"of the last epoch, not a count of extra epochs), received {initial_epoch!r}"
        )
    if steps_per_epoch is not None and int(steps_per_epoch) <= 0:
        raise GlassnetValueError(
            f"fit: steps_per_epoch must be a positive integer or None, received "
            f"{steps_per_epoch!r}"
        )
    if validation_split and validation_data is None:
        if not _is_array_like(x):
            raise GlassnetValueError(
                "fit: validation_split is only supported for array inputs; pass "
                "validation_data=(x_val, y_val) with a generator"
            )
        (x, y, sample_weight), validation_data = _split_validation(
            x, y, sample_weight, validation_split)
    train, summaries = _make_data(x, y, sample_weight, batch_size, shuffle, where, class_weight)
    val = None
    if validation_data is not None:
        val_batch = _check_batch_size(validation_batch_size or batch_size, where,
                                      "validation_batch_size")
        if isinstance(validation_data, (list, tuple)) and len(validation_data) in (2, 3):
            vx, vy, vsw = _unpack(validation_data)
            val, _ = _make_data(vx, vy, vsw, val_batch, False, "fit (validation_data)")
        elif isinstance(validation_data, (list, tuple)):
            raise GlassnetValueError(
                f"fit: validation_data must be (x_val, y_val) or (x_val, y_val, "
                f"sample_weight_val), received a {type(validation_data).__name__} of length "
                f"{len(validation_data)}"
            )
        else:
            val, _ = _make_data(validation_data, None, None, val_batch, False,
                                "fit (validation_data)")
    if summaries is not None and all(s is not None for s in summaries):
        _compiled(model, where).target_check = ("fit", summaries)
    steps = train.steps(steps_per_epoch)
    callback_list = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                 model=model, verbose=verbose, epochs=epochs, steps=steps)
    step_fn = _model_step(model, "train_step", train_step)
    state = _compiled(model, where)
    model.stop_training = False
    callback_list.on_train_begin()
    state.params, state.in_fit = None, True
    try:
        logs = _epochs(model, state, train, val, callback_list, step_fn, initial_epoch, epochs,
                       steps_per_epoch, validation_steps, validation_freq)
    finally:
        state.params, state.in_fit = None, False
    callback_list.on_train_end(logs)
    model.history = callback_list.history
    return callback_list.history


def _epochs(model, state, train, val, callback_list, step_fn, initial_epoch, epochs,
            steps_per_epoch, validation_steps, validation_freq):
    """The epoch loop of :func:`fit`; returns the last epoch's logs."""
    logs = {}
    for epoch in range(int(initial_epoch), epochs):
        state.reset()
        callback_list.on_epoch_begin(epoch)
        ran = 0
        for step, batch in enumerate(train.batches(steps_per_epoch)):
            callback_list.on_train_batch_begin(step)
            logs = step_fn(batch)
            callback_list.on_train_batch_end(step, logs)
            ran += 1
            if model.stop_training:
                break
        if ran == 0:
            warnings.warn("fit: the training data ran out of batches; interrupting training",
                          stacklevel=3)
            break
        epoch_logs = dict(get_logs(model))
        if val is not None and _should_validate(epoch, validation_freq):
            val_logs = _run_test_loop(model, val, validation_steps, callback_list, "fit")
            epoch_logs.update({f"val_{key}": value for key, value in val_logs.items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        logs = epoch_logs
        if model.stop_training:
            break
    return logs


def _should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int):
        if validation_freq <= 0:
            raise GlassnetValueError(
                f"fit: validation_freq must be a positive integer, received {validation_freq}"
            )
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def evaluate(model, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
             steps=None, callbacks=None, return_dict=False):
    """Loss and metrics on the given data, in inference mode (Keras ``evaluate``).

    Returns:
        The loss if no metrics were compiled, else ``[loss, metric1, ...]`` in compile order;
        with ``return_dict=True`` a dict ``{'loss': ..., name: ...}``.
    """
    where = "evaluate"
    _compiled(model, where)
    _check_model(model, where)
    verbose = _resolve_verbose(verbose, where)
    batch_size = _check_batch_size(batch_size, where)
    data, summaries = _make_data(x, y, sample_weight, batch_size, False, where)
    if summaries is not None:
        _compiled(model, where).target_check = (where, summaries)
    callback_list = CallbackList(callbacks, add_progbar=verbose != 0, model=model,
                                 verbose=verbose, epochs=1, steps=data.steps(steps))
    logs = _run_test_loop(model, data, steps, callback_list, where)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
    """The model's outputs for ``x``, computed batch by batch under ``no_grad``.

    Returns:
        An ndarray (a list of ndarrays for several outputs) with one row per sample.
    """
    where = "predict"
    _check_model(model, where)
    verbose = _resolve_verbose(verbose, where)
    batch_size = _check_batch_size(batch_size, where)
    data, _ = _make_data(x, None, None, batch_size, False, where)
    callback_list = CallbackList(callbacks, add_progbar=verbose != 0, model=model,
                                 verbose=verbose, epochs=1, steps=data.steps(steps))
    step_fn = _model_step(model, "predict_step", predict_step)
    outputs = []
    callback_list.on_predict_begin()
    for step, batch in enumerate(data.batches(steps)):
        callback_list.on_predict_batch_begin(step)
        result = step_fn(batch)
        outputs.append(result)
        callback_list.on_predict_batch_end(step, {"outputs": result})
    callback_list.on_predict_end()
    if not outputs:
        raise GlassnetValueError(f"{where}: the data produced no batches")
    if isinstance(outputs[0], list):
        return [xp.concatenate([o[i] for o in outputs]) for i in range(len(outputs[0]))]
    return xp.concatenate(outputs)


def train_on_batch(model, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
    """One gradient step on exactly this batch; returns the loss (and metrics)."""
    _compiled(model, "train_on_batch")
    data, summaries = _make_data(x, y, sample_weight, len(_arrays(x, "x", "train_on_batch")[0]),
                                 False, "train_on_batch", class_weight)
    _compiled(model, "train_on_batch").reset()
    logs = _model_step(model, "train_step", train_step)(next(data.batches()))
    return logs if return_dict else _values(logs)


def test_on_batch(model, x, y=None, sample_weight=None, return_dict=False):
    """Loss (and metrics) of exactly this batch in inference mode."""
    _compiled(model, "test_on_batch")
    data, _ = _make_data(x, y, sample_weight, len(_arrays(x, "x", "test_on_batch")[0]), False,
                         "test_on_batch")
    _compiled(model, "test_on_batch").reset()
    logs = _model_step(model, "test_step", test_step)(next(data.batches()))
    return logs if return_dict else _values(logs)


def predict_on_batch(model, x):
    """The outputs for exactly this batch (an ndarray)."""
    return predict_step(model, (_cast_x(_to_array(x, "x", "predict_on_batch")),))


def _values(logs):
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
