"""F-scores (FBetaScore, F1Score) and the coefficient of determination (R2Score), with Keras 3's
definitions.

Example:
    >>> m = F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> [round(float(v), 4) for v in m.result().numpy()]
    [0.5, 0.8, 0.6667]
"""

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.metrics.base import EPSILON, Metric, _array, _result, register_metric

_AVERAGES = (None, "micro", "macro", "weighted")


def _two_dimensional(value, name, what):
    value = xp.asarray(_array(value), dtype=xp.float64)
    if value.ndim == 1:
        value = value[:, None]
    if value.ndim != 2:
        raise ShapeError(f"{name}: expected {what} of shape (samples, outputs), received "
                         f"{value.shape}")
    return value


@register_metric()
class FBetaScore(Metric):
    """F-beta score per class, or averaged.

    With predictions binarized (p > threshold; without a threshold, each row's maximum is 1,
    unless it is ~0) and counts summed over samples (per class, or over everything for
    ``average="micro"``), weighted by the sample weights:

        precision = TP / (TP + FP + eps),   recall = TP / (TP + FN + eps)
        F = (1 + beta^2) * precision * recall / (beta^2 * precision + recall + eps)

    ``average=None`` returns one score per class; "macro" their mean; "weighted" their mean
    weighted by each class's (weighted) number of true labels; "micro" the score of the
    summed counts.

    Args:
        average: None, "micro", "macro" or "weighted".
        beta: > 0, the weight of recall relative to precision.
        threshold: a float in (0, 1], or None (then each row's highest score is positive).

    Example:
        >>> m = FBetaScore(beta=2.0, threshold=0.5, average="micro")
        >>> round(float(m([[1, 0], [1, 1]], [[0.9, 0.2], [0.7, 0.3]])), 4)  # P=1, R=2/3
        0.7143
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise GlassnetValueError(
                f"{type(self).__name__}: average must be one of {list(_AVERAGES)}, received "
                f"{average!r}")
        if not isinstance(beta, (int, float)) or beta <= 0:
            raise GlassnetValueError(
                f"{type(self).__name__}: beta must be a float > 0, received {beta!r}")
        if threshold is not None and not (isinstance(threshold, (int, float))
                                          and 0 < threshold <= 1):
            raise GlassnetValueError(
                f"{type(self).__name__}: threshold must be a float in (0, 1], received "
                f"{threshold!r}")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        self.axis = None if average == "micro" else 0
        self._state = None  # tp, fp, fn, true-label weights; made by the first batch

    def reset_state(self):
        self._state = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _two_dimensional(y_true, self.name, "y_true")
        y_pred = _two_dimensional(y_pred, self.name, "y_pred")
        if y_true.shape != y_pred.shape:
            raise ShapeError(f"{self.name}: y_true of shape {y_true.shape} does not match "
                             f"y_pred of shape {y_pred.shape}")
        if self.threshold is None:
            top = y_pred.max(axis=-1, keepdims=True)
            y_pred = ((y_pred >= top) & (xp.abs(y_pred) > 1e-9)).astype(xp.float64)
        else:
            y_pred = (y_pred.astype(xp.float32) > xp.float32(self.threshold)).astype(xp.float64)
        weight = (1.0 if sample_weight is None
                  else xp.asarray(_array(sample_weight), dtype=xp.float64).reshape(-1, 1))

        def total(values):
            return (values * weight).sum(axis=self.axis)

        counts = (total(y_pred * y_true), total(y_pred * (1 - y_true)),
                  total((1 - y_pred) * y_true), total(y_true))
        self._state = counts if self._state is None else tuple(
            old + new for old, new in zip(self._state, counts, strict=True))

    def result(self):
        if self._state is None:
            return _result(0.0)
        tp, fp, fn, support = self._state
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        beta2 = self.beta ** 2
        score = (1 + beta2) * precision * recall / (beta2 * precision + recall + EPSILON)
        if self.average == "weighted":
            score = (score * support / (support.sum() + EPSILON)).sum()
        elif self.average is not None:
            score = xp.mean(score)
        return _result(score)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "average": self.average,
                "beta": self.beta, "threshold": self.threshold}


@register_metric()
class F1Score(FBetaScore):
    """:class:`FBetaScore` with beta = 1: 2 * precision * recall / (precision + recall).

    Args: average and threshold as for :class:`FBetaScore`.
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


@register_metric()
class R2Score(Metric):
    """The coefficient of determination R^2 = 1 - SS_res / SS_tot, per output then aggregated.

    Per output column j, with sample weights w: SS_res = sum w (y - y_pred)^2 and
    SS_tot = sum w y^2 - (sum w y)^2 / sum w. An infinite score (SS_tot = 0) counts as 0.
    ``class_aggregation``: "uniform_average" (mean over outputs), "variance_weighted_average"
    (weighted by SS_tot) or None (one score per output). With ``num_regressors`` p > 0 and n
    values seen (Keras counts every element of y_true), the adjusted score
    1 - (1 - R^2) (n - 1) / (n - p - 1) (when n - p - 1 > 0).

    Example:
        >>> round(float(R2Score()([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])), 6)
        0.571429
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0,
                 name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        valid = ("uniform_average", "variance_weighted_average", None)
        if class_aggregation not in valid:
            raise GlassnetValueError(
                f"R2Score: class_aggregation must be one of {list(valid)}, received "
                f"{class_aggregation!r}")
        if num_regressors < 0:
            raise GlassnetValueError(
                f"R2Score: num_regressors must be >= 0, received {num_regressors}")
        self.class_aggregation, self.num_regressors = class_aggregation, num_regressors
        self._state = None

    def reset_state(self):
        self._state = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _two_dimensional(y_true, self.name, "y_true")
        y_pred = _two_dimensional(y_pred, self.name, "y_pred")
        if y_true.shape != y_pred.shape:
            raise ShapeError(f"{self.name}: y_true of shape {y_true.shape} does not match "
                             f"y_pred of shape {y_pred.shape}")
        weight = xp.ones_like(y_true) if sample_weight is None else xp.asarray(
            _array(sample_weight), dtype=xp.float64)
        if weight.ndim == 1:
            weight = weight[:, None]
        weight = xp.broadcast_to(weight, y_true.shape)
        counts = ((y_true * weight).sum(0), (y_true * y_true * weight).sum(0),
                  ((y_true - y_pred) ** 2 * weight).sum(0), weight.sum(0),
                  float(y_true.size))
        self._state = counts if self._state is None else tuple(
            old + new for old, new in zip(self._state, counts, strict=True))

    def result(self):
        if self._state is None:
            return _result(0.0)
        total, squares, residual, count, samples = self._state
        mean = total / count
        variance = squares - total * mean
        with xp.errstate(divide="ignore", invalid="ignore"):
            raw = 1.0 - residual / variance
        raw = xp.where(xp.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (variance * raw).sum() / variance.sum()
        else:
            score = raw
        p = self.num_regressors
        if p and samples - p - 1 > 0:
            score = 1.0 - (1.0 - score) * (samples - 1) / (samples - p - 1)
        return _result(score)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
