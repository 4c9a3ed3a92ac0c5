"""Metrics that are the weighted mean of one value per sample: accuracies, regression errors,
probabilistic and hinge metrics.

Each is a :class:`~glassnet.metrics.base.MeanMetricWrapper` of a per-sample NumPy function
written here from Keras 3's definition (the function is exported too, like Keras's
``keras.metrics.mean_squared_error``):

    result = sum_i w_i * v_i / sum_i w_i

Example:
    >>> m = MeanAbsolutePercentageError()
    >>> float(m([[1.0, 2.0]], [[1.5, 2.0]]))
    25.0
"""

from glassnet.backend import xp
from glassnet.errors import ShapeError
from glassnet.metrics.base import EPSILON, Mean, MeanMetricWrapper, _array, register_metric


# ----------------------------------------------------------------------------- per-sample fns
def _match_ranks(y_true, y_pred):
    """Give y_true y_pred's rank when it lacks or has an extra trailing axis of size 1."""
    if y_true.ndim == y_pred.ndim - 1:
        y_true = y_true[..., None]
    elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true


def _floats(y_true, y_pred):
    y_pred = xp.asarray(y_pred, dtype=xp.float64)
    return _match_ranks(xp.asarray(y_true, dtype=xp.float64), y_pred), y_pred


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


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean over the last axis of |y_true - y_pred| / max(|y_true|, 1e-7)."""
    y_true, y_pred = _floats(y_true, y_pred)
    return 100.0 * (xp.abs(y_true - y_pred) / xp.maximum(xp.abs(y_true), EPSILON)).mean(-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean over the last axis of (ln(max(y_pred, eps) + 1) - ln(max(y_true, eps) + 1))^2."""
    y_true, y_pred = _floats(y_true, y_pred)
    first = xp.log(xp.maximum(y_pred, EPSILON) + 1.0)
    second = xp.log(xp.maximum(y_true, EPSILON) + 1.0)
    return ((first - second) ** 2).mean(axis=-1)


def log_cosh(y_true, y_pred):
    """mean over the last axis of ln(cosh(y_pred - y_true)), computed as
    x + softplus(-2x) - ln 2 (no overflow)."""
    y_true, y_pred = _floats(y_true, y_pred)
    x = y_pred - y_true
    return (x + xp.logaddexp(0.0, -2.0 * x) - xp.log(2.0)).mean(axis=-1)


def _l2_normalize(x, axis):
    return x / xp.sqrt(xp.maximum((x * x).sum(axis=axis, keepdims=True), 1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    """sum over ``axis`` of l2_normalize(y_true) * l2_normalize(y_pred)."""
    y_true, y_pred = _floats(y_true, y_pred)
    return (_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(axis=axis)


def poisson(y_true, y_pred):
    """mean over the last axis of y_pred - y_true ln(y_pred + 1e-7)."""
    y_true, y_pred = _floats(y_true, y_pred)
    return (y_pred - y_true * xp.log(y_pred + EPSILON)).mean(axis=-1)


def kl_divergence(y_true, y_pred):
    """sum over the last axis of t ln(t / p), t and p clipped to [1e-7, 1]."""
    y_true, y_pred = _floats(y_true, y_pred)
    y_true = xp.clip(y_true, EPSILON, 1.0)
    y_pred = xp.clip(y_pred, EPSILON, 1.0)
    return (y_true * xp.log(y_true / y_pred)).sum(axis=-1)


def _signed_labels(y_true):
    """0/1 labels become -1/+1 (labels already in {-1, 1} are kept), as Keras's hinge does."""
    return xp.where(y_true == 0, -1.0, y_true) if ((y_true == 0) | (y_true == 1)).all() \
        else y_true


def hinge(y_true, y_pred):
    """mean over the last axis of max(1 - t y_pred, 0), labels t in {-1, 1} (0/1 mapped)."""
    y_true, y_pred = _floats(y_true, y_pred)
    return xp.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0).mean(axis=-1)


def squared_hinge(y_true, y_pred):
    """mean over the last axis of max(1 - t y_pred, 0)^2, labels t in {-1, 1} (0/1 mapped)."""
    y_true, y_pred = _floats(y_true, y_pred)
    return (xp.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0) ** 2).mean(axis=-1)


def categorical_hinge(y_true, y_pred):
    """max(neg - pos + 1, 0) with pos = sum(t p), neg = max((1 - t) p) over the last axis."""
    y_true, y_pred = _floats(y_true, y_pred)
    positive = (y_true * y_pred).sum(axis=-1)
    negative = ((1.0 - y_true) * y_pred).max(axis=-1)
    return xp.maximum(negative - positive + 1.0, 0.0)


def pearson_correlation(y_true, y_pred, axis=-1):
    """mean over ``axis`` of z(y_true) z(y_pred), z(x) = (x - mean(x)) / std(x) (the Pearson
    correlation of each sample's values)."""
    y_true, y_pred = _floats(y_true, y_pred)
    t = y_true - y_true.mean(axis=axis, keepdims=True)
    p = y_pred - y_pred.mean(axis=axis, keepdims=True)
    t = t / t.std(axis=axis, keepdims=True)
    p = p / p.std(axis=axis, keepdims=True)
    return (t * p).mean(axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """mean over ``axis`` of 2 (t - mean(t)) (p - mean(p)) / (var(t) + var(p) +
    (mean(t) - mean(p))^2 + 1e-7): Lin's concordance correlation of each sample's values."""
    y_true, y_pred = _floats(y_true, y_pred)
    mean_t = y_true.mean(axis=axis, keepdims=True)
    mean_p = y_pred.mean(axis=axis, keepdims=True)
    norm = (y_true.var(axis=axis, keepdims=True) + y_pred.var(axis=axis, keepdims=True)
            + (mean_t - mean_p) ** 2)
    return (2 * (y_true - mean_t) * (y_pred - mean_p) / (norm + EPSILON)).mean(axis=axis)


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


@register_metric("mape")
class MeanAbsolutePercentageError(MeanMetricWrapper):
    """100 * mean |y_true - y_pred| / max(|y_true|, 1e-7).

    Example:
        >>> float(MeanAbsolutePercentageError()([[2.0]], [[1.0]]))
        50.0
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


@register_metric("msle")
class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """mean (ln(max(y_pred, eps) + 1) - ln(max(y_true, eps) + 1))^2."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


@register_metric("logcosh", "log_cosh")
class LogCoshError(MeanMetricWrapper):
    """mean ln(cosh(y_pred - y_true))."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name=name, dtype=dtype)


@register_metric()
class CosineSimilarity(MeanMetricWrapper):
    """mean cosine of the angle between y_true and y_pred along ``axis``."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        self.axis = axis
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)

    def get_config(self):
        return {"name": self.name, "axis": self.axis}


@register_metric()
class Poisson(MeanMetricWrapper):
    """mean (y_pred - y_true ln(y_pred + 1e-7))."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(poisson, name=name, dtype=dtype)


@register_metric("kld", "kullback_leibler_divergence")
class KLDivergence(MeanMetricWrapper):
    """mean sum(t ln(t / p)) (both clipped to [1e-7, 1])."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, dtype=dtype)


@register_metric()
class Hinge(MeanMetricWrapper):
    """mean max(1 - t y_pred, 0), labels t in {-1, 1} (0/1 mapped).

    Example:
        >>> float(Hinge()([[1.0]], [[0.25]]))
        0.75
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, name=name, dtype=dtype)


@register_metric()
class SquaredHinge(MeanMetricWrapper):
    """mean max(1 - t y_pred, 0)^2, labels t in {-1, 1} (0/1 mapped)."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, dtype=dtype)


@register_metric()
class CategoricalHinge(MeanMetricWrapper):
    """mean max(neg - pos + 1, 0), pos = sum(t p), neg = max((1 - t) p)."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)


@register_metric()
class PearsonCorrelation(MeanMetricWrapper):
    """mean Pearson correlation of y_true and y_pred along ``axis``, per sample.

    Example:
        >>> m = PearsonCorrelation()
        >>> round(float(m([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])), 4)
        0.9967
    """

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        self.axis = axis
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)

    def get_config(self):
        return {"name": self.name, "axis": self.axis}


@register_metric()
class ConcordanceCorrelation(MeanMetricWrapper):
    """mean concordance correlation of y_true and y_pred along ``axis``, per sample.

    Example:
        >>> m = ConcordanceCorrelation()
        >>> round(float(m([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])), 4)
        0.9816
    """

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        self.axis = axis
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)

    def get_config(self):
        return {"name": self.name, "axis": self.axis}


@register_metric("rmse")
class RootMeanSquaredError(Mean):
    """sqrt(sum(w (y_true - y_pred)^2) / sum(w)) over every element seen.

    Example:
        >>> float(RootMeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))  # sqrt(1 / 2)
        0.7071067690849304
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _floats(_array(y_true), _array(y_pred))
        super().update_state((y_true - y_pred) ** 2, sample_weight)

    def result(self):
        return super().result() ** 0.5


class _LossMetric(MeanMetricWrapper):
    """The weighted mean of a glassnet loss's per-sample values (crossentropy metrics)."""

    loss_class = None

    def __init__(self, name=None, dtype=None, **loss_arguments):
        from glassnet import losses

        self.loss_arguments = loss_arguments
        loss = getattr(losses, self.loss_class)(**loss_arguments)

        def fn(y_true, y_pred):
            from glassnet.config import no_grad
            from glassnet.tensor import Tensor

            with no_grad():
                return _array(loss.call(Tensor(y_true), Tensor(y_pred)))

        super().__init__(fn, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self.loss_arguments}


@register_metric()
class BinaryCrossentropy(_LossMetric):
    """The mean binary crossentropy (glassnet.losses.BinaryCrossentropy per sample)."""

    loss_class = "BinaryCrossentropy"

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


@register_metric()
class CategoricalCrossentropy(_LossMetric):
    """The mean categorical crossentropy (glassnet.losses.CategoricalCrossentropy)."""

    loss_class = "CategoricalCrossentropy"

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0.0, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


@register_metric()
class SparseCategoricalCrossentropy(_LossMetric):
    """The mean sparse categorical crossentropy (glassnet.losses.SparseCategoricalCrossentropy)."""

    loss_class = "SparseCategoricalCrossentropy"

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
