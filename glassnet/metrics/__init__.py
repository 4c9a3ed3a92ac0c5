"""Stateful Keras-style metrics: ``update_state`` accumulates, ``result`` reads, ``reset_state``.

A metric keeps running totals over many batches (a whole epoch), so the value shown after batch
*k* is the metric over batches 1..k, exactly as Keras reports it. Most metrics are a weighted
mean of a per-sample value v_i with sample weights w_i (1 by default):

    result = sum_i w_i * v_i / sum_i w_i

The package, by concern: ``base`` (Metric, add_variable, the registry, Mean, Sum,
MeanMetricWrapper), ``pointwise`` (accuracies, regression, probabilistic and hinge metrics),
``confusion`` (counts at thresholds, Precision, Recall, AUC, PrecisionAtRecall...), ``scores``
(F1Score, FBetaScore, R2Score), ``iou`` (the IoU family).

Names: every class registers itself under its snake_case name and a few Keras aliases
(``'acc'``, ``'mse'``, ``'mae'``, ``'mape'``, ``'msle'``...), so ``get('categorical_accuracy')``
works. The special name ``'accuracy'`` is resolved by ``compile`` from the loss and label shapes
(binary, categorical or sparse categorical accuracy), like Keras.

Example:
    >>> from glassnet.metrics import CategoricalAccuracy
    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    >>> float(m.result())
    0.5
"""

from glassnet.errors import unknown_identifier
from glassnet.functional import (
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    sparse_categorical_crossentropy,
)
from glassnet.metrics.base import (
    METRICS,
    REGISTRY,
    Mean,
    MeanMetricWrapper,
    Metric,
    MetricVariable,
    Sum,
    register_metric,
)
from glassnet.metrics.confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from glassnet.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from glassnet.metrics.pointwise import (
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    Accuracy,
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    CategoricalHinge,
    ConcordanceCorrelation,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    PearsonCorrelation,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    SquaredHinge,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    categorical_hinge,
    concordance_correlation,
    cosine_similarity,
    hinge,
    kl_divergence,
    kld,
    kullback_leibler_divergence,
    log_cosh,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    pearson_correlation,
    poisson,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    squared_hinge,
    top_k_categorical_accuracy,
)
from glassnet.metrics.scores import F1Score, FBetaScore, R2Score


def _loss_metric(loss_name):
    """A Mean of a glassnet loss (e.g. 'huber' used as a metric)."""
    from glassnet import losses
    from glassnet.tensor import Tensor

    loss = losses.get(loss_name)

    def fn(y_true, y_pred):
        from glassnet.config import no_grad
        from glassnet.metrics.base import _array

        with no_grad():
            if hasattr(loss, "call"):
                value = loss.call(Tensor(y_true), Tensor(y_pred))
            else:
                value = loss(Tensor(y_true), Tensor(y_pred))
        return _array(value)

    return MeanMetricWrapper(fn, name=loss_name)


# loss names that are metrics too, without a metric class of their own
_LOSS_METRICS = ("huber",)


def get(identifier):
    """A metric from a name (``'mae'``, ``'CategoricalAccuracy'``...), instance or class.

    ``'accuracy'``/``'acc'`` give :class:`Accuracy` here; ``compile`` resolves them to the
    accuracy matching the loss instead. A lower-case name (``'mse'``) becomes the metric's
    name, as Keras logs it. Plain functions ``fn(y_true, y_pred)`` are wrapped in a
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
        if identifier[:1].islower():
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
    "AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU",
    "CategoricalAccuracy", "CategoricalCrossentropy", "CategoricalHinge",
    "ConcordanceCorrelation", "CosineSimilarity",
    "F1Score", "FBetaScore", "FalseNegatives", "FalsePositives", "Hinge", "IoU", "KLD",
    "KLDivergence", "LogCoshError", "MAE", "MAPE", "METRICS", "MSE", "MSLE", "Mean",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanIoU", "MeanMetricWrapper",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Metric", "MetricVariable", "OneHotIoU",
    "OneHotMeanIoU", "PearsonCorrelation", "Poisson", "Precision", "PrecisionAtRecall",
    "R2Score", "Recall",
    "RecallAtPrecision", "RootMeanSquaredError", "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "SpecificityAtSensitivity", "SquaredHinge", "Sum",
    "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives", "accuracy", "binary_accuracy",
    "binary_crossentropy", "categorical_accuracy", "categorical_crossentropy",
    "categorical_hinge", "concordance_correlation", "cosine_similarity", "deserialize", "get",
    "hinge", "huber", "kl_divergence", "kld", "kullback_leibler_divergence", "log_cosh", "logcosh",
    "mae", "mape", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "mse", "msle",
    "pearson_correlation", "poisson",
    "register_metric", "serialize", "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy", "squared_hinge", "top_k_categorical_accuracy",
]
