"""Intersection-over-union metrics (IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU), from a
running confusion matrix, with Keras 3's definitions.

The confusion matrix C (rows: true class, columns: predicted class) sums the sample weights of
each (true, predicted) pair seen; entries whose class is outside [0, num_classes) or equal to
``ignore_class`` are left out. For class c:

    IoU_c = C[c, c] / (sum_j C[c, j] + sum_i C[i, c] - C[c, c])

and the result is the mean of IoU_c over the ``target_class_ids`` whose denominator is > 0.

Example:
    >>> m = MeanIoU(num_classes=2)
    >>> float(m([0, 0, 1, 1], [0, 1, 0, 1]))  # C = [[1, 1], [1, 1]]: IoU = 1/3 for both
    0.3333333432674408
"""

from glassnet.backend import xp
from glassnet.metrics.base import Metric, _array, _result, register_metric


class _IoUBase(Metric):
    """The running confusion matrix; subclasses read it in ``result``."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(name=name, dtype=dtype)
        self.num_classes, self.ignore_class = int(num_classes), ignore_class
        self.sparse_y_true, self.sparse_y_pred, self.axis = sparse_y_true, sparse_y_pred, axis
        self.total_cm = self.add_variable((self.num_classes, self.num_classes),
                                          dtype="float64", name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _array(y_true), _array(y_pred)
        if not self.sparse_y_true:
            y_true = y_true.argmax(axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(axis=self.axis)
        y_true = xp.asarray(y_true, dtype=xp.float64).reshape(-1).astype(xp.int64)
        y_pred = xp.asarray(y_pred, dtype=xp.float64).reshape(-1).astype(xp.int64)
        weights = (xp.ones(y_true.shape) if sample_weight is None else xp.broadcast_to(
            xp.asarray(_array(sample_weight), dtype=xp.float64).reshape(-1), y_true.shape))
        n = self.num_classes
        keep = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        matrix = xp.bincount(y_true[keep] * n + y_pred[keep], weights=weights[keep],
                             minlength=n * n).reshape(n, n)
        self.total_cm.assign_add(matrix)

    def _per_class(self):
        matrix = self.total_cm.data
        true_positives = xp.diag(matrix)
        return true_positives, matrix.sum(axis=0) + matrix.sum(axis=1) - true_positives

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


@register_metric()
class IoU(_IoUBase):
    """The mean IoU over ``target_class_ids`` (classes with an empty denominator left out).

    Args:
        num_classes: the number of classes (the confusion matrix is num_classes squared).
        target_class_ids: the classes to average over.
        ignore_class: a class id left out of the matrix (e.g. a "void" class).
        sparse_y_true, sparse_y_pred: False for one-hot / score vectors (argmax on ``axis``).

    Example:
        >>> float(IoU(num_classes=2, target_class_ids=[0])([0, 0, 1, 1], [0, 1, 0, 1]))
        0.3333333432674408
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        self.target_class_ids = list(target_class_ids)
        bad = [c for c in self.target_class_ids if not 0 <= c < self.num_classes]
        if bad:
            from glassnet.errors import GlassnetValueError

            raise GlassnetValueError(
                f"{type(self).__name__}: target_class_ids must be in [0, num_classes="
                f"{self.num_classes}), received {bad}")

    def result(self):
        true_positives, denominator = self._per_class()
        ids = xp.asarray(self.target_class_ids, dtype=xp.int64)
        true_positives, denominator = true_positives[ids], denominator[ids]
        valid = denominator > 1e-9
        if not valid.any():
            return _result(0.0)
        return _result((true_positives[valid] / denominator[valid]).sum() / valid.sum())

    def get_config(self):
        return {**super().get_config(), "target_class_ids": self.target_class_ids}


@register_metric()
class BinaryIoU(IoU):
    """IoU of a binary problem: predictions >= ``threshold`` are class 1, others class 0.

    Example:
        >>> float(BinaryIoU(threshold=0.3)([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7]))
        0.3333333432674408
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = xp.asarray(_array(y_pred), dtype=xp.float32) >= xp.float32(self.threshold)
        super().update_state(y_true, predicted.astype(xp.float64), sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                "target_class_ids": self.target_class_ids, "threshold": self.threshold}


@register_metric()
class MeanIoU(IoU):
    """The IoU averaged over every class (target_class_ids = range(num_classes))."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


@register_metric()
class OneHotIoU(IoU):
    """:class:`IoU` for one-hot labels (and score vectors unless ``sparse_y_pred``)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


@register_metric()
class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot labels (and score vectors unless ``sparse_y_pred``)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
