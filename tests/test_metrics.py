"""Stateful metrics (glassnet.metrics) against hand counts."""

import numpy as np
import pytest

from glassnet import metrics
from glassnet.errors import UnknownIdentifierError


def value(metric_or_result):
    """A metric's result (or the Tensor a metric call returned) as a float."""
    result = getattr(metric_or_result, "result", None)
    return float(result() if callable(result) else metric_or_result)


def test_mean_is_weighted_and_accumulates_across_batches():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0])
    m.update_state([10.0], sample_weight=[3.0])
    assert value(m) == pytest.approx((1 + 2 + 3 + 30) / 6)
    m.reset_state()
    assert value(m) == 0.0


def test_accuracy_counts_exact_matches():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert value(m) == pytest.approx(3 / 4)


def test_binary_accuracy_uses_the_threshold():
    y_true = [[1], [1], [0], [0]]
    y_pred = [[0.98], [0.6], [0.4], [0.7]]
    assert value(metrics.BinaryAccuracy()(y_true, y_pred)) == pytest.approx(3 / 4)
    # threshold 0.65: predicted [1, 0, 0, 1] vs [1, 1, 0, 0] -> 2 of 4
    assert value(metrics.BinaryAccuracy(threshold=0.65)(y_true, y_pred)) == pytest.approx(0.5)


def test_categorical_accuracy_and_running_value_over_batches():
    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.0], [0.05, 0.95, 0]])  # 1 of 2
    assert value(m) == pytest.approx(0.5)
    m.update_state([[1, 0, 0]], [[0.8, 0.1, 0.1]])  # 1 of 1
    assert value(m) == pytest.approx(2 / 3)


def test_sparse_categorical_accuracy_accepts_n_and_n_by_1_labels():
    y_pred = np.array([[0.1, 0.6, 0.3], [0.05, 0.95, 0.0], [0.5, 0.2, 0.3]])
    for labels in ([2, 1, 0], [[2], [1], [0]]):
        m = metrics.SparseCategoricalAccuracy()
        m.update_state(labels, y_pred)
        assert value(m) == pytest.approx(2 / 3)


def test_sample_weight_in_accuracy():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([0, 1], [[0.9, 0.1], [0.9, 0.1]], sample_weight=[3.0, 1.0])
    assert value(m) == pytest.approx(3 / 4)


def test_top_k_categorical_accuracy():
    y_pred = np.array([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1], [0.3, 0.3, 0.4]])
    y_true = np.eye(3)[[2, 2, 1]]
    assert value(metrics.TopKCategoricalAccuracy(k=1)(y_true, y_pred)) == pytest.approx(0)
    # row 1: class 2 is 2nd; row 2: class 2 is 3rd; row 3: class 1 ties for 2nd
    assert value(metrics.TopKCategoricalAccuracy(k=2)(y_true, y_pred)) == pytest.approx(2 / 3)
    sparse = metrics.SparseTopKCategoricalAccuracy(k=2)
    assert value(sparse([2, 2, 1], y_pred)) == pytest.approx(2 / 3)


def test_mean_squared_and_absolute_error():
    y_true = [[0.0, 1.0], [0.0, 0.0]]
    y_pred = [[1.0, 1.0], [1.0, 0.0]]
    assert value(metrics.MeanSquaredError()(y_true, y_pred)) == pytest.approx(0.5)
    assert value(metrics.MeanAbsoluteError()([[1.0], [3.0]], [[2.0], [0.0]])) == \
        pytest.approx(2.0)


def test_precision_and_recall_from_counts():
    y_true = [0, 1, 1, 1, 0, 1]
    y_pred = [0.9, 0.8, 0.2, 0.7, 0.1, 0.6]  # TP = 3, FP = 1, FN = 1, TN = 1
    assert value(metrics.Precision()(y_true, y_pred)) == pytest.approx(3 / 4)
    assert value(metrics.Recall()(y_true, y_pred)) == pytest.approx(3 / 4)
    weighted = metrics.Precision()
    weighted.update_state(y_true, y_pred, sample_weight=[2, 1, 1, 1, 1, 1])
    assert value(weighted) == pytest.approx(3 / 5)
    assert value(metrics.Precision()([1, 0], [0.1, 0.2])) == 0.0  # no predicted positive


def test_auc_perfect_and_partial_ranking():
    assert value(metrics.AUC()([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])) == pytest.approx(1.0)
    # pairs (pos, neg) ranked correctly: 3 of 4 -> 0.75
    assert value(metrics.AUC()([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])) == pytest.approx(
        0.75, abs=1e-3)


def test_get_by_name_aliases_and_functions():
    assert isinstance(metrics.get("categorical_accuracy"), metrics.CategoricalAccuracy)
    assert isinstance(metrics.get("CategoricalAccuracy"), metrics.CategoricalAccuracy)
    mse = metrics.get("mse")
    assert isinstance(mse, metrics.MeanSquaredError) and mse.name == "mse"
    assert metrics.get("acc").name == "acc"

    def half_error(y_true, y_pred):
        return np.abs(y_true - y_pred).mean(axis=-1) / 2

    wrapped = metrics.get(half_error)
    assert wrapped.name == "half_error"
    assert value(wrapped([[2.0]], [[0.0]])) == pytest.approx(1.0)


def test_unknown_metric_name_suggests_close_names():
    with pytest.raises(UnknownIdentifierError, match=r"categorical_accuracy"):
        metrics.get("categorical_acuracy")


def test_shape_mismatch_is_explained():
    with pytest.raises(ValueError, match=r"one-hot"):
        metrics.CategoricalAccuracy().update_state([0, 1], [[0.5, 0.5], [0.1, 0.9]])


def test_keras_documented_examples():
    # the numbers in Keras's metric docs
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert value(m) == pytest.approx(0.5)
    b = metrics.BinaryAccuracy()
    b.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert value(b) == pytest.approx(0.75)
