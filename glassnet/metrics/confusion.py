"""Metrics from confusion counts at thresholds: TruePositives ... FalseNegatives, Precision,
Recall, AUC (ROC and PR) and the at-constraint family (PrecisionAtRecall, RecallAtPrecision,
SensitivityAtSpecificity, SpecificityAtSensitivity), with Keras 3's definitions.

At a threshold t, a prediction p counts as positive when p > t; a label counts as positive when
it is non-zero. With sample weights w (broadcast to y_pred's shape):

    TP(t) = sum w [y != 0 and p > t]    FP(t) = sum w [y == 0 and p > t]
    FN(t) = sum w [y != 0 and p <= t]   TN(t) = sum w [y == 0 and p <= t]

``top_k`` keeps only each row's k highest predictions (the others become -1e10; ties go to the
lower index); ``class_id`` then keeps one column.

Example:
    >>> m = Precision()
    >>> round(float(m([0, 1, 1, 1], [1, 0, 1, 1])), 4)  # TP = 2, FP = 1
    0.6667
"""

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.metrics.base import (
    EPSILON,
    Metric,
    _array,
    _broadcast_weights,
    _divide_no_nan,
    _result,
    register_metric,
)
from glassnet.metrics.pointwise import _match_ranks

NEG_INF = -1e10


def _thresholds(thresholds, default, name):
    """A list of thresholds (one number becomes a list of one), each checked in [0, 1]."""
    if thresholds is None:
        return [default], True
    single = not isinstance(thresholds, (list, tuple)) and xp.ndim(thresholds) == 0
    values = [float(thresholds)] if single else [float(t) for t in thresholds]
    bad = [t for t in values if not 0.0 <= t <= 1.0]
    if bad:
        raise GlassnetValueError(
            f"metric {name!r}: thresholds must be in [0, 1], received {bad}")
    return values, single


def _filter_top_k(y_pred, k):
    """Keep each row's k highest values (ties: the lower index first); others become -1e10."""
    order = xp.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    keep = xp.zeros(y_pred.shape, dtype=bool)
    xp.put_along_axis(keep, order, True, axis=-1)
    return xp.where(keep, y_pred, NEG_INF)


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None, class_id=None,
                     multi_label=False, label_weights=None, clip=False, name="metric"):
    """(TP, FP, TN, FN) at each threshold: arrays of shape (T,), or (T, labels) if multi_label.

    Args:
        y_true, y_pred: arrays of the same shape (y_true may lack a trailing axis of 1).
        thresholds: a sequence of T thresholds.
        sample_weight: optional weights broadcast to y_pred's shape.
        top_k, class_id: as in :class:`Precision`.
        multi_label: keep the last axis (one count per label) instead of flattening.
        label_weights: optional per-label weights (the last axis).
        clip: clip y_pred to [0, 1] first (AUC and the at-constraint metrics do).
    """
    y_pred = xp.asarray(y_pred, dtype=xp.float64)
    y_true = _match_ranks(xp.asarray(y_true), y_pred)
    if y_true.shape != y_pred.shape:
        raise ShapeError(f"metric {name!r}: y_true of shape {y_true.shape} does not match "
                         f"y_pred of shape {y_pred.shape}")
    weights = (xp.ones(y_pred.shape) if sample_weight is None
               else _broadcast_weights(sample_weight, y_pred, name))
    if label_weights is not None:
        weights = weights * xp.asarray(label_weights, dtype=xp.float64)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ShapeError(f"metric {name!r}: class_id needs y_pred of shape "
                             f"(samples, classes), received {y_pred.shape}")
        y_true, y_pred = y_true[..., class_id], y_pred[..., class_id]
        weights = weights[..., class_id]
    if clip:
        y_pred = xp.clip(y_pred, 0.0, 1.0)
    actual = y_true != 0
    if multi_label:
        labels = y_pred.shape[-1]
        actual, y_pred, weights = (a.reshape(-1, labels) for a in (actual, y_pred, weights))
    else:
        actual, y_pred, weights = actual.reshape(-1), y_pred.reshape(-1), weights.reshape(-1)
    # compared in float32, as Keras does (0.2 as a float32 prediction is not above 0.2)
    thresholds = xp.asarray(thresholds, dtype=xp.float32).reshape((-1,) + (1,) * y_pred.ndim)
    predicted = y_pred.astype(xp.float32)[None] > thresholds
    positive_weights, negative_weights = weights * actual, weights * ~actual
    tp = (predicted * positive_weights).sum(axis=1)
    fp = (predicted * negative_weights).sum(axis=1)
    fn = positive_weights.sum(axis=0) - tp
    tn = negative_weights.sum(axis=0) - fp
    return tp, fp, tn, fn


_COUNT_NAMES = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def _add_count_variables(metric, size):
    """The four count variables (one value per threshold) of a thresholded metric."""
    for name in _COUNT_NAMES:
        setattr(metric, name, metric.add_variable((size,), dtype="float64", name=name))


def _accumulate(metric, counts):
    for name, count in zip(_COUNT_NAMES, counts, strict=True):
        getattr(metric, name).assign_add(count)


class _Thresholded(Metric):
    """Running TP/FP/TN/FN at ``thresholds`` (0.5 by default), kept as metric variables."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k, self.class_id = top_k, class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds, self._single = _thresholds(thresholds, default, self.name)
        _add_count_variables(self, len(self.thresholds))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(_array(y_true), _array(y_pred), self.thresholds,
                                  sample_weight, self.top_k, self.class_id, name=self.name)
        _accumulate(self, counts)

    def _value(self, values):
        return _result(values[0] if self._single else values)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


@register_metric()
class TruePositives(_Thresholded):
    """The weighted number of true positives: sum w [y != 0 and p > t].

    One value per threshold when ``thresholds`` is a list (default: one threshold, 0.5).

    Example:
        >>> float(TruePositives()([0, 1, 1, 1], [1, 0, 1, 1]))
        2.0
    """

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self):
        return self._value(self.true_positives.data)


@register_metric()
class FalsePositives(_Thresholded):
    """The weighted number of false positives: sum w [y == 0 and p > t].

    One value per threshold when ``thresholds`` is a list (default: one threshold, 0.5).

    Example:
        >>> float(FalsePositives()([0, 1, 0, 0], [0, 0, 1, 1]))
        2.0
    """

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self):
        return self._value(self.false_positives.data)


@register_metric()
class TrueNegatives(_Thresholded):
    """The weighted number of true negatives: sum w [y == 0 and p <= t].

    One value per threshold when ``thresholds`` is a list (default: one threshold, 0.5).

    Example:
        >>> float(TrueNegatives()([0, 1, 0, 0], [1, 1, 0, 0]))
        2.0
    """

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self):
        return self._value(self.true_negatives.data)


@register_metric()
class FalseNegatives(_Thresholded):
    """The weighted number of false negatives: sum w [y != 0 and p <= t].

    One value per threshold when ``thresholds`` is a list (default: one threshold, 0.5).

    Example:
        >>> float(FalseNegatives()([0, 1, 1, 1], [0, 1, 0, 0]))
        2.0
    """

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds, name=name, dtype=dtype)

    def result(self):
        return self._value(self.false_negatives.data)


@register_metric()
class Precision(_Thresholded):
    """TP / (TP + FP): the fraction of predicted positives that are positive (0 if none).

    Args:
        thresholds: a float or list of floats in [0, 1] (a list gives one value per
            threshold); default 0.5, or "any value in the top k" when ``top_k`` is set.
        top_k: count only each row's k highest predictions as positive.
        class_id: compute the metric for this column only.

    Example:
        >>> float(Precision(top_k=2)([0, 0, 1, 1], [1, 1, 1, 1]))  # keeps the first two
        0.0
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)

    def result(self):
        tp, fp = self.true_positives.data, self.false_positives.data
        return self._value(_divide_no_nan(tp, tp + fp))

    def get_config(self):
        return {**super().get_config(), "top_k": self.top_k, "class_id": self.class_id}


@register_metric()
class Recall(Precision):
    """TP / (TP + FN): the fraction of actual positives that are found (0 if none).

    Args: as for :class:`Precision`.

    Example:
        >>> round(float(Recall()([0, 1, 1, 1], [1, 0, 1, 1])), 4)  # TP = 2, FN = 1
        0.6667
    """

    def result(self):
        tp, fn = self.true_positives.data, self.false_negatives.data
        return self._value(_divide_no_nan(tp, tp + fn))


def _even_thresholds(num_thresholds, epsilon):
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - epsilon, *inner, 1.0 + epsilon]


@register_metric()
class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at ``num_thresholds``
    thresholds (Keras 3's definition).

    Thresholds: -1e-7, i/(n-1) for i = 1..n-2, 1 + 1e-7 (or the given ``thresholds`` between
    the two endpoints); predictions are clipped to [0, 1]. With x the false positive rate
    (ROC) or the recall (PR) and y the recall (ROC) or the precision (PR) at each threshold,
    ``summation_method="interpolation"`` sums (x_i - x_{i+1}) (y_i + y_{i+1}) / 2
    ("minoring"/"majoring": the min/max of y_i, y_{i+1}); for PR, "interpolation" is Davis and
    Goadrich's: between two thresholds precision is interpolated along the true positives,
    slope = dTP / dP (P = TP + FP), and the area is
    sum slope (dTP + (TP_{i+1} - slope P_{i+1}) ln(P_i / P_{i+1})) / (TP_{i+1} + FN_{i+1}).

    Args:
        num_thresholds: the number of thresholds (> 1), default 200.
        curve: "ROC" or "PR".
        summation_method: "interpolation", "minoring" or "majoring".
        thresholds: optional list of thresholds in [0, 1] (then num_thresholds = len + 2).
        multi_label: keep one curve per label (the last axis) and average their areas.
        num_labels: accepted for Keras compatibility (labels are read from the data).
        label_weights: per-label weights: of the average (multi_label) or of the counts.
        from_logits: apply a sigmoid to y_pred first.

    Example:
        >>> round(float(AUC()([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9])), 4)
        0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        curve, summation_method = str(curve).upper(), str(summation_method).lower()
        if curve not in ("ROC", "PR"):
            raise GlassnetValueError(
                f"AUC: curve must be 'ROC' or 'PR', received {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise GlassnetValueError(
                "AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', "
                f"received {summation_method!r}")
        if thresholds is not None:
            values, _ = _thresholds(thresholds, 0.5, self.name)
            self.thresholds = [0.0 - EPSILON, *sorted(values), 1.0 + EPSILON]
            num_thresholds = len(self.thresholds)
        else:
            if num_thresholds <= 1:
                raise GlassnetValueError(
                    f"AUC: num_thresholds must be > 1, received {num_thresholds}")
            self.thresholds = _even_thresholds(num_thresholds, EPSILON)
        self.num_thresholds, self.curve = num_thresholds, curve
        self.summation_method, self.multi_label = summation_method, multi_label
        self.num_labels, self.from_logits = num_labels, from_logits
        self.init_thresholds = thresholds
        self.label_weights = (None if label_weights is None
                              else xp.asarray(label_weights, dtype=xp.float64))
        self._counts = None  # (tp, fp, tn, fn) arrays, made by the first batch

    def reset_state(self):
        self._counts = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = xp.asarray(_array(y_pred), dtype=xp.float64)
        if self.from_logits:
            y_pred = 1.0 / (1.0 + xp.exp(-y_pred))
        if self.multi_label and y_pred.ndim != 2:
            raise ShapeError(f"AUC: multi_label needs y_pred of shape (samples, labels), "
                             f"received {y_pred.shape}")
        counts = confusion_counts(
            _array(y_true), y_pred, self.thresholds, sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
            clip=True, name=self.name)
        self._counts = counts if self._counts is None else tuple(
            old + new for old, new in zip(self._counts, counts, strict=True))

    @property
    def true_positives(self):
        return self._count(0)

    @property
    def false_positives(self):
        return self._count(1)

    @property
    def true_negatives(self):
        return self._count(2)

    @property
    def false_negatives(self):
        return self._count(3)

    def _count(self, index):
        return xp.zeros(self.num_thresholds) if self._counts is None else self._counts[index]

    def _average(self, by_label):
        if not self.multi_label:
            return by_label
        if self.label_weights is None:
            return by_label.mean()
        return _divide_no_nan((by_label * self.label_weights).sum(), self.label_weights.sum())

    def _interpolate_pr_auc(self, tp, fp, fn):
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, xp.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = xp.where(both, _divide_no_nan(p[:-1], xp.maximum(p[1:], 0.0)), 1.0)
        ratio = xp.where(ratio > 0, ratio, 1.0)  # ln(0) never reached
        increments = _divide_no_nan(slope * (dtp + intercept * xp.log(ratio)),
                                    xp.maximum(tp[1:] + fn[1:], 0.0))
        return increments.sum(axis=0)

    def result(self):
        if self._counts is None:
            return _result(0.0)
        tp, fp, tn, fn = self._counts
        if self.curve == "PR" and self.summation_method == "interpolation":
            return _result(self._average(self._interpolate_pr_auc(tp, fp, fn)))
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = xp.minimum(y[:-1], y[1:])
        else:
            heights = xp.maximum(y[:-1], y[1:])
        return _result(self._average(((x[:-1] - x[1:]) * heights).sum(axis=0)))

    def get_config(self):
        return {
            "name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds,
            "curve": self.curve, "summation_method": self.summation_method,
            "thresholds": self.init_thresholds, "multi_label": self.multi_label,
            "num_labels": self.num_labels, "from_logits": self.from_logits,
            "label_weights": (None if self.label_weights is None
                              else self.label_weights.tolist()),
        }


class _AtConstraint(Metric):
    """Counts at num_thresholds thresholds 0, 1/(n-1), ..., 1 (or 0.5 alone if n = 1), then
    the best ``dependent`` statistic among thresholds where ``constrained`` >= ``value``."""

    value_name = "value"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if not 0.0 <= value <= 1.0:
            raise GlassnetValueError(
                f"{type(self).__name__}: {self.value_name} must be in [0, 1], "
                f"received {value}")
        if num_thresholds <= 0:
            raise GlassnetValueError(
                f"{type(self).__name__}: num_thresholds must be > 0, received "
                f"{num_thresholds}")
        self.value, self.num_thresholds, self.class_id = value, num_thresholds, class_id
        self.thresholds = ([0.5] if num_thresholds == 1
                           else _even_thresholds(num_thresholds, 0.0))
        _add_count_variables(self, len(self.thresholds))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(_array(y_true), _array(y_pred), self.thresholds,
                                  sample_weight, class_id=self.class_id, clip=True,
                                  name=self.name)
        _accumulate(self, counts)

    def _rates(self):
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        return {"recall": _divide_no_nan(tp, tp + fn), "precision": _divide_no_nan(tp, tp + fp),
                "specificity": _divide_no_nan(tn, tn + fp)}

    def _best(self, constrained, dependent):
        feasible = constrained >= self.value
        return _result(dependent[feasible].max() if feasible.any() else 0.0)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, self.value_name: self.value,
                "num_thresholds": self.num_thresholds, "class_id": self.class_id}


@register_metric()
class PrecisionAtRecall(_AtConstraint):
    """The best precision among thresholds whose recall is >= ``recall`` (0 if none).

    Example:
        >>> float(PrecisionAtRecall(0.5)([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]))
        0.5
    """

    value_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._best(rates["recall"], rates["precision"])


@register_metric()
class RecallAtPrecision(_AtConstraint):
    """The best recall among thresholds whose precision is >= ``precision`` (0 if none)."""

    value_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._best(rates["precision"], rates["recall"])


@register_metric()
class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) among thresholds whose specificity TN / (TN + FP) is >=
    ``specificity`` (0 if none)."""

    value_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._best(rates["specificity"], rates["recall"])


@register_metric()
class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity among thresholds whose sensitivity (recall) is >= ``sensitivity``
    (0 if none)."""

    value_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._best(rates["recall"], rates["specificity"])
