"""Loss and metric resolution: which loss each output gets, label checks, ``'accuracy'``.

The total loss of one batch is

    loss = sum_i w_i * mean(loss_i(y_i, y_pred_i, sample_weight)) + sum(model.losses)

(``w_i`` the compiled ``loss_weights``, 1 by default). The string ``'accuracy'`` (or ``'acc'``)
becomes binary, sparse categorical or categorical accuracy from the loss and the shapes of the
labels and outputs, as in Keras. Metrics are built on the first batch (that rule needs shapes).

Example:
    >>> import glassnet as gn
    >>> loss_kind(gn.losses.CategoricalCrossentropy()), loss_kind("mse")
    ('categorical_crossentropy', 'mean_squared_error')
"""


from glassnet import metrics as metrics_module
from glassnet.backend import xp
from glassnet.errors import GlassnetValueError
from glassnet.registry import to_snake_case
from glassnet.tensor import Tensor


def loss_kind(loss_fn):
    """The canonical snake_case name of a loss object/function ('categorical_crossentropy')."""
    if isinstance(loss_fn, str):
        name = loss_fn
    elif hasattr(loss_fn, "fn") and hasattr(loss_fn.fn, "__name__"):
        name = loss_fn.fn.__name__
    elif isinstance(loss_fn, type) or not hasattr(loss_fn, "__name__"):
        name = to_snake_case(type(loss_fn).__name__ if not isinstance(loss_fn, type) else
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


def output_names_for(state, n_outputs):
    """The names of the outputs: the model's (dict keys, output layer names) when they fit,
    else ``output_1``, ``output_2``..."""
    names = state.output_names
    if names and len(names) == n_outputs:
        return list(names)
    return [f"output_{i + 1}" for i in range(n_outputs)]


def align(state, y, y_pred):
    """``(names, targets, preds)``, one entry per output in the model's output order.

    A dict of predictions gives its keys; dict targets are matched to the outputs by name
    (an output without a target gets None), as in Keras 3.
    """
    if isinstance(y_pred, dict):
        names, preds = list(y_pred), list(y_pred.values())
    else:
        preds = _as_list(y_pred)
        names = output_names_for(state, len(preds))
    if isinstance(y, dict):
        unknown = [key for key in y if key not in names]
        if unknown:
            raise GlassnetValueError(
                f"fit: y has keys {unknown} that are not output names; the model's outputs "
                f"are {names}"
            )
        targets = [y.get(name) for name in names]
    elif y is None:
        targets = [None] * len(preds)
    else:
        targets = _as_list(y)
    return names, targets, preds


def check_output_keys(state, names):
    """Refuse ``compile(loss={...})``/``loss_weights``/``metrics`` keys naming no output."""
    for what, given in (("loss", state.loss_fns), ("loss_weights", state.loss_weights)):
        if not isinstance(given, dict):
            continue
        bad = [k for k in given if k not in names and not (
            str(k).isdigit() and 0 <= int(k) < len(names))]
        if bad:
            raise GlassnetValueError(
                f"compile: {what} given for {bad}, which are not outputs of the model; the "
                f"outputs are {names}"
            )


def _loss_for(state, index, n_outputs, name=None):
    fns = state.loss_fns
    if isinstance(fns, dict):
        if name is not None and name in fns:
            return fns[name]
        return fns.get(index, fns.get(str(index)))
    if len(fns) == 1:
        return fns[0]
    if len(fns) != n_outputs:
        raise GlassnetValueError(
            f"compile: got {len(fns)} losses for a model with {n_outputs} outputs"
        )
    return fns[index]


def _weight_for(state, index, name=None):
    weights = state.loss_weights
    if weights is None:
        return 1.0
    if isinstance(weights, dict):
        if name is not None and name in weights:
            return float(weights[name])
        return float(weights.get(index, weights.get(str(index), 1.0)))
    return weights[index] if index < len(weights) else 1.0


def total_loss(state, model, y, y_pred, sample_weight=None):
    """The total loss of one batch: sum_i w_i * loss_i(y_i, y_pred_i) + sum(model.losses).

    Args:
        state: the model's :class:`~glassnet.training.compile_state.CompiledState`.
        model: the model (for ``model.losses``: regularization and ``add_loss`` penalties).
        y, y_pred: targets and predictions (Tensors/arrays, or lists for several outputs).
        sample_weight: optional per-sample weights.

    Returns:
        A scalar Tensor (part of the graph, ready for ``backward()``).
    """
    if state.loss_fns is None:
        penalties = getattr(model, "losses", None) or ()
        if penalties:  # Keras: a model whose only losses come from add_loss()/regularizers
            total = None
            for penalty in penalties:
                penalty = penalty if penalty.ndim == 0 else penalty.sum()
                total = penalty if total is None else total + penalty
            return total
        raise GlassnetValueError(
            "compile: no loss was given; call model.compile(loss=...) (for example "
            "loss='categorical_crossentropy') before fit/evaluate"
        )
    names, targets, preds = align(state, y, y_pred)
    if len(targets) != len(preds):
        raise GlassnetValueError(
            f"fit: the model has {len(preds)} outputs but y has {len(targets)} target arrays"
        )
    if not state.keys_checked and (isinstance(state.loss_fns, dict)
                                   or isinstance(state.loss_weights, dict)):
        check_output_keys(state, names)
        state.keys_checked = True
    if state.target_check is not None:
        check, state.target_check = state.target_check, None
        for i, (summary, pred) in enumerate(zip(check[1], preds, strict=False)):
            if summary is not None:
                loss_fn = _loss_for(state, i, len(preds), names[i])
                if loss_fn is not None:
                    _check_targets(check[0], loss_kind(loss_fn), summary, pred.shape)
    sw = None if sample_weight is None else Tensor(sample_weight)
    total = None
    several = len(preds) > 1
    if several and state.output_loss_trackers is None:
        state.output_loss_trackers = {
            name: metrics_module.Mean(name=f"{name}_loss")
            for i, name in enumerate(names) if _loss_for(state, i, len(preds), name) is not None}
        state.metrics_cache = None
    for i, (target, pred) in enumerate(zip(targets, preds, strict=True)):
        loss_fn = _loss_for(state, i, len(preds), names[i])
        if loss_fn is None:
            continue
        if target is None:
            raise GlassnetValueError(
                f"fit: output '{names[i]}' has a loss but y has no target for it; give y as "
                f"a dict with the key '{names[i]}' (outputs: {names}) or a list in output order"
            )
        target = target if isinstance(target, Tensor) else Tensor(xp.asarray(target))
        value = loss_fn(target, pred, sample_weight=sw) if sw is not None else loss_fn(target, pred)
        if not isinstance(value, Tensor):
            value = Tensor(xp.asarray(value))
        if value.ndim:
            value = value.mean()
        weight = _weight_for(state, i, names[i])
        if weight != 1.0:
            value = value * weight
        if several and names[i] in state.output_loss_trackers:  # Keras 3's '<output>_loss'
            state.output_loss_trackers[names[i]].update_state(
                float(value.data), sample_weight=len(pred))
        total = value if total is None else total + value
    for penalty in getattr(model, "losses", None) or ():
        penalty = penalty if penalty.ndim == 0 else penalty.sum()
        total = penalty if total is None else total + penalty
    if total is None:
        raise GlassnetValueError(
            f"fit: none of the model's outputs {names} has a loss: compile(loss=...) names "
            f"{sorted(map(str, state.loss_fns)) if isinstance(state.loss_fns, dict) else 'none'}"
            f"; give one loss per output (a dict keyed by output name or a list)"
        )
    return total


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


def build_metrics(state, targets, preds, names=None):
    """Create the compiled metrics (one list entry per output and spec) from a first batch."""
    built = []
    names = names or output_names_for(state, len(preds))
    for weighted, specs in ((False, state.metric_specs), (True, state.weighted_metric_specs)):
        if isinstance(specs, dict):
            per_output = {names.index(k) if k in names else int(k) if str(k).isdigit() else k:
                          v for k, v in specs.items()}
        elif len(preds) > 1 and specs and all(isinstance(s, (list, tuple)) for s in specs):
            per_output = dict(enumerate(specs))
        else:
            per_output = {i: specs for i in range(len(preds))}
        for index, items in per_output.items():
            if not isinstance(index, int) or not 0 <= index < len(preds):
                raise GlassnetValueError(
                    f"compile: metrics given for output {index!r}, but the model has "
                    f"{len(preds)} outputs {names} (use their names or indices 0.."
                    f"{len(preds) - 1})"
                )
            for spec in _as_list(items):
                if isinstance(spec, str) and spec.lower() in ("accuracy", "acc"):
                    loss_fn = _loss_for(state, index, len(preds), names[index]) \
                        if state.loss_fns else None
                    kind = loss_kind(loss_fn) if loss_fn is not None else ""
                    metric = _resolve_accuracy(spec, kind, xp.asarray(targets[index]),
                                               preds[index])
                else:
                    metric = metrics_module.get(spec)
                if len(preds) > 1:  # Keras 3: '<output name>_<metric>'
                    metric.name = f"{names[index]}_{metric.name}"
                if weighted and not metric.name.startswith("weighted_") and any(
                        m.name == metric.name for _, m, _ in built):
                    metric.name = "weighted_" + metric.name
                built.append((index, metric, weighted))
    state.metrics = built


def update_compiled_metrics(state, y, y_pred, sample_weight=None):
    """Update the compiled metrics (not the loss tracker) with one batch, building them first.

    A masked sequence output (``y_pred._keras_mask``) counts only its unmasked steps.
    """
    names, targets, as_list = align(state, y, y_pred)
    masks = [p._keras_mask if isinstance(p, Tensor) else None for p in as_list]
    preds = [p.data if isinstance(p, Tensor) else xp.asarray(p) for p in as_list]
    targets = [t.data if isinstance(t, Tensor) else t for t in targets]
    if state.metrics is None:
        build_metrics(state, targets, preds, names)
        state.metrics_cache = None
    for index, metric, weighted in state.metrics:
        if targets[index] is None:
            continue
        weight = sample_weight if weighted else None
        if masks[index] is not None:
            weight = _mask_as_weight(weight, masks[index])
        metric.update_state(targets[index], preds[index], weight)


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


class CompiledLoss:
    """``model.compiled_loss``: the tf.keras 2 idiom for a custom ``train_step``.

    ``self.compiled_loss(y, y_pred, sample_weight=None, regularization_losses=None)`` returns
    sum_i w_i * loss_i (the compiled losses) plus ``sum(regularization_losses)`` when given
    (tf.keras passes ``self.losses``), and adds it to the ``loss`` tracker, so that
    ``{m.name: m.result() for m in self.metrics}`` reports it. In Keras 3 the same is
    ``self.compute_loss(x, y, y_pred, sample_weight)`` (which always includes ``model.losses``).
    """

    def __init__(self, model, state):
        self.model, self.state = model, state

    def __call__(self, y, y_pred, sample_weight=None, regularization_losses=None):
        total = total_loss(self.state, None, y, y_pred, sample_weight)
        for penalty in regularization_losses or ():
            total = total + penalty
        first = _as_list(list(y_pred.values()) if isinstance(y_pred, dict) else y_pred)[0]
        self.state.loss_tracker.update_state(float(total.data), sample_weight=len(first))
        return total


class CompiledMetrics:
    """``model.compiled_metrics``: ``update_state(y, y_pred, sample_weight=None)`` updates every
    compiled metric (built on the first call), as tf.keras 2's custom ``train_step`` expects."""

    def __init__(self, state):
        self.state = state

    def update_state(self, y, y_pred, sample_weight=None):
        update_compiled_metrics(self.state, y, y_pred, sample_weight)

    def reset_state(self):
        for _, metric, _ in self.state.metrics or ():
            metric.reset_state()

    @property
    def metrics(self):
        """The compiled metrics (empty until the first batch built them)."""
        return [metric for _, metric, _ in self.state.metrics or ()]
