"""Stateful Keras-style metrics: ``update_state`` accumulates, ``result`` reads, ``reset_state``.

A metric keeps running totals over many batches (a whole epoch), so the value shown after batch
*k* is the metric over batches 1..k, exactly as Keras reports it. Most metrics are a weighted
mean of a per-sample value v_i with sample weights w_i (1 by default):

    result = sum_i w_i * v_i / sum_i w_i

Names: every class registers itself under its snake_case name and a few Keras aliases
(``'acc'``, ``'mse'``, ``'mae'``...), so ``get('categorical_accuracy')`` works. The special
name ``'accuracy'`` is resolved by ``compile`` from the loss and label shapes (binary,
categorical or sparse categorical accuracy), like Keras.

Example:
    >>> from glassnet.metrics import CategoricalAccuracy
    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    >>> float(m.result())
    0.5
"""

from glassnet.backend import xp
from glassnet.errors import ShapeError, unknown_identifier
from glassnet.registry import Registry, to_snake_case
from glassnet.tensor import Tensor


def _array(value):
    """A metric input (Tensor, ndarray, list) as an ndarray, without copying when possible."""
    if isinstance(value, Tensor):
        return value.data
    return xp.asarray(value)


class Metric:
    """Base class: subclasses implement ``update_state``, ``result`` and ``reset_state``.

    Args:
        name: the key under which the metric appears in logs and History.
        dtype: accepted for Keras compatibility (results are float32).
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = dtype
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Update the state with one batch and return the running result (Keras semantics)."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


# class name and snake_case name (and aliases) -> Metric subclass
REGISTRY = Registry("metric", module="metrics", base=Metric,
                    from_callable=lambda function: MeanMetricWrapper(function))
METRICS = REGISTRY.entries


def register_metric(*aliases):
    """Class decorator: register a metric under its class name, its snake_case name and
    ``aliases``."""
    return REGISTRY.register(aliases=aliases)


def _result(value):
    return Tensor(xp.asarray(value, dtype=xp.float32))


@register_metric()
class Mean(Metric):
    """The weighted mean of all values seen: sum(w * v) / sum(w).

    Example:
        >>> m = Mean()
        >>> m.update_state([1.0, 3.0])
        >>> float(m.result())
        2.0
    """

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        values = _array(values).astype(xp.float64, copy=False)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
            return
        weights = _broadcast_weights(sample_weight, values, self.name)
        self.total += float((values * weights).sum())
        self.count += float(weights.sum())

    def result(self):
        return _result(self.total / self.count if self.count else 0.0)


@register_metric()
class Sum(Metric):
    """The weighted sum of all values seen: sum(w * v)."""

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        values = _array(values).astype(xp.float64, copy=False)
        if sample_weight is not None:
            values = values * _broadcast_weights(sample_weight, values, self.name)
        self.total += float(values.sum())

    def result(self):
        return _result(self.total)


def _broadcast_weights(sample_weight, values, name):
    """Sample weights of shape (N,) (or values' shape) broadcast against per-sample values."""
    weights = _array(sample_weight).astype(xp.float64, copy=False)
    while weights.ndim < values.ndim:
        weights = weights[..., None]
    try:
        return xp.broadcast_to(weights, values.shape)
    except ValueError:
        raise ShapeError(
            f"metric {name!r}: sample_weight of shape {_array(sample_weight).shape} does not "
            f"match values of shape {values.shape}"
        ) from None


class MeanMetricWrapper(Mean):
    """A :class:`Mean` of a per-sample function ``fn(y_true, y_pred) -> values``.

    Args:
        fn: takes ndarrays and returns one value per sample (or per sample and time step).
        name: the metric's name.
    """

    def __init__(self, fn, name=None, dtype=None, **fn_kwargs):
        self.fn = fn
        self.fn_kwargs = fn_kwargs
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric"), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self.fn(_array(y_true), _array(y_pred), **self.fn_kwargs)
        super().update_state(values, sample_weight)


# ----------------------------------------------------------------------------- per-sample fns
def _match_ranks(y_true, y_pred):
    """Give y_true y_pred's rank when it lacks or has an extra trailing axis of size 1."""
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true


def accuracy(y_true, y_pred):
    """Per-sample exact-match accuracy: 1 where y_true == y_pred."""
    y_true = _match_ranks(y_true, y_pred)
    return (y_true == y_pred).astype(xp.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """mean over the last axis of [(y_pred > threshold) == y_true]."""
    y_true = _match_ranks(y_true, y_pred)
    hits = (y_pred > threshold) == (y_true > 0.5)
    return hits.mean(axis=-1) if hits.ndim > 1 else hits.astype(xp.float32)


def categorical_accuracy(y_true, y_pred):
    """[argmax(y_true) == argmax(y_pred)] per sample (one-hot labels)."""
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"categorical_accuracy: expected one-hot y_true of shape {y_pred.shape} "
            f"(like y_pred), received {y_true.shape}; use sparse_categorical_accuracy for "
            "integer labels"
        )
    return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(xp.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    """[y_true == argmax(y_pred)] per sample (integer labels, shape (N,) or (N, 1))."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ShapeError(
            f"sparse_categorical_accuracy: expected integer y_true of shape {y_pred.shape[:-1]}, "
            f"received {y_true.shape}"
        )
    return (y_true.astype(xp.int64) == y_pred.argmax(axis=-1)).astype(xp.float32)


def _in_top_k(labels, y_pred, k):
    k = min(k, y_pred.shape[-1])
    target = xp.take_along_axis(y_pred, labels[..., None].astype(xp.int64), axis=-1)
    # the label is in the top k when fewer than k scores beat it
    return ((y_pred > target).sum(axis=-1) < k).astype(xp.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """[argmax(y_true) is among the k largest y_pred] per sample."""
    return _in_top_k(y_true.argmax(axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """[y_true is among the k largest y_pred] per sample (integer labels)."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return _in_top_k(y_true, y_pred, k)


def mean_squared_error(y_true, y_pred):
    """mean over the last axis of (y_true - y_pred)^2."""
    y_true = _match_ranks(y_true, y_pred)
    return ((y_true - y_pred) ** 2).mean(axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean over the last axis of |y_true - y_pred|."""
    y_true = _match_ranks(y_true, y_pred)
    return xp.abs(y_true - y_pred).mean(axis=-1)


# ----------------------------------------------------------------------------- classes
@register_metric()
class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly: mean [y_true == y_pred]."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


@register_metric()
class BinaryAccuracy(MeanMetricWrapper):
    """mean [(y_pred > threshold) == y_true] for 0/1 labels.

    Example:
        >>> m = BinaryAccuracy()
        >>> float(m([1, 0, 1, 0], [0.9, 0.2, 0.4, 0.6]))
        0.5
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        self.threshold = threshold
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)

    def get_config(self):
        return {"name": self.name, "threshold": self.threshold}


@register_metric()
class CategoricalAccuracy(MeanMetricWrapper):
    """mean [argmax(y_true) == argmax(y_pred)] for one-hot labels."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


@register_metric()
class SparseCategoricalAccuracy(MeanMetricWrapper):
    """mean [y_true == argmax(y_pred)] for integer labels.

    Example:
        >>> m = SparseCategoricalAccuracy()
        >>> float(m([1, 0], [[0.2, 0.8], [0.3, 0.7]]))
        0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


@register_metric()
class TopKCategoricalAccuracy(MeanMetricWrapper):
    """mean [the true class is among the k highest scores] for one-hot labels."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        self.k = k
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)

    def get_config(self):
        return {"name": self.name, "k": self.k}


@register_metric()
class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """mean [the true class is among the k highest scores] for integer labels."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        self.k = k
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)

    def get_config(self):
        return {"name": self.name, "k": self.k}


@register_metric("mse")
class MeanSquaredError(MeanMetricWrapper):
    """mean (y_true - y_pred)^2."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


@register_metric("mae")
class MeanAbsoluteError(MeanMetricWrapper):
    """mean |y_true - y_pred|."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class _ConfusionCounts(Metric):
    """Running true/false positive/negative counts of a binary classifier at ``thresholds``."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        self.thresholds = 0.5 if thresholds is None else thresholds
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.tp = self.fp = self.fn = self.tn = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _array(y_true)
        y_pred = _array(y_pred)
        y_true = _match_ranks(y_true, y_pred)
        if y_true.shape != y_pred.shape:
            raise ShapeError(
                f"metric {self.name!r}: y_true of shape {y_true.shape} does not match y_pred "
                f"of shape {y_pred.shape}"
            )
        actual = y_true > 0.5
        predicted = y_pred > self.thresholds
        weights = (
            xp.ones(actual.shape)
            if sample_weight is None
            else _broadcast_weights(sample_weight, actual, self.name)
        )
        self.tp += float(weights[actual & predicted].sum())
        self.fp += float(weights[~actual & predicted].sum())
        self.fn += float(weights[actual & ~predicted].sum())
        self.tn += float(weights[~actual & ~predicted].sum())

    def get_config(self):
        return {"name": self.name, "thresholds": self.thresholds}


@register_metric()
class Precision(_ConfusionCounts):
    """TP / (TP + FP): the fraction of predicted positives that are positive (0 if none)."""

    def result(self):
        denominator = self.tp + self.fp
        return _result(self.tp / denominator if denominator else 0.0)


@register_metric()
class Recall(_ConfusionCounts):
    """TP / (TP + FN): the fraction of actual positives that are found (0 if none)."""

    def result(self):
        denominator = self.tp + self.fn
        return _result(self.tp / denominator if denominator else 0.0)


@register_metric()
class AUC(Metric):
    """Area under the ROC curve, by the trapezoidal rule over ``num_thresholds`` thresholds.

    TPR(t) = TP(t) / (TP(t) + FN(t)), FPR(t) = FP(t) / (FP(t) + TN(t)) for thresholds t evenly
    spaced in [0, 1] (plus -eps and 1+eps endpoints, like Keras); AUC = sum of trapezoids.
    """

    def __init__(self, num_thresholds=200, name="auc", dtype=None):
        self.num_thresholds = num_thresholds
        epsilon = 1e-7
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.threshold_values = xp.asarray([-epsilon, *inner, 1.0 + epsilon])
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        size = self.num_thresholds
        self.tp, self.fp = xp.zeros(size), xp.zeros(size)
        self.fn, self.tn = xp.zeros(size), xp.zeros(size)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _array(y_pred)
        y_true = _match_ranks(_array(y_true), y_pred)
        actual = (y_true > 0.5).reshape(-1)
        scores = y_pred.reshape(-1)
        weights = (
            xp.ones(scores.shape)
            if sample_weight is None
            else _broadcast_weights(sample_weight, y_pred, self.name).reshape(-1)
        )
        predicted = scores[None, :] > self.threshold_values[:, None]
        self.tp += (predicted & actual) @ weights
        self.fp += (predicted & ~actual) @ weights
        self.fn += (~predicted & actual) @ weights
        self.tn += (~predicted & ~actual) @ weights

    def result(self):
        tpr = self.tp / xp.maximum(self.tp + self.fn, 1e-12)
        fpr = self.fp / xp.maximum(self.fp + self.tn, 1e-12)
        # thresholds increase, so fpr decreases: integrate from right to left
        area = ((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2).sum()
        return _result(area)

    def get_config(self):
        return {"name": self.name, "num_thresholds": self.num_thresholds}


def _loss_metric(loss_name):
    """A Mean of a glassnet loss (e.g. 'categorical_crossentropy' used as a metric)."""
    from glassnet import losses

    loss = losses.get(loss_name)

    def fn(y_true, y_pred):
        from glassnet.config import no_grad

        with no_grad():
            if hasattr(loss, "call"):
                value = loss.call(Tensor(y_true), Tensor(y_pred))
            else:
                value = loss(Tensor(y_true), Tensor(y_pred))
        return _array(value)

    return MeanMetricWrapper(fn, name=loss_name)


_LOSS_METRICS = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "kl_divergence",
    "hinge",
    "huber",
    "log_cosh",
)


def get(identifier):
    """A metric from a name (``'mae'``, ``'CategoricalAccuracy'``...), instance or class.

    ``'accuracy'``/``'acc'`` give :class:`Accuracy` here; ``compile`` resolves them to the
    accuracy matching the loss instead. Plain functions ``fn(y_true, y_pred)`` are wrapped in a
    :class:`MeanMetricWrapper`.

    Raises:
        UnknownIdentifierError: an unknown name (with suggestions).
    """
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            return Accuracy(name=identifier)
        if identifier in _LOSS_METRICS:
            return _loss_metric(identifier)
        if identifier not in REGISTRY:
            raise unknown_identifier("metric", identifier,
                                     [*REGISTRY.names(), *_LOSS_METRICS, "accuracy"])
        metric = REGISTRY.get(identifier)
        if identifier in ("mse", "mae"):
            metric.name = identifier
        return metric
    return REGISTRY.get(identifier)


def serialize(metric):
    """``{'class_name': ..., 'config': {...}}`` for a Metric (Keras's format)."""
    return REGISTRY.serialize(metric)


def deserialize(config):
    """Inverse of :func:`serialize` (a name is also accepted)."""
    return REGISTRY.deserialize(config)


__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "METRICS",
    "Mean",
    "MeanAbsoluteError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "Metric",
    "Precision",
    "Recall",
    "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "Sum",
    "TopKCategoricalAccuracy",
    "deserialize",
    "get",
    "register_metric",
    "serialize",
]
