"""Confusion-count metrics (TP..FN, Precision, Recall, AUC, at-constraint) against counts and
curves computed here from their definitions."""

import numpy as np
import pytest

from glassnet import metrics
from glassnet.errors import GlassnetValueError


@pytest.fixture
def binary(rng):
    y_true = rng.integers(0, 2, size=(30, 3))
    y_pred = rng.uniform(0, 1, size=(30, 3))
    weights = rng.uniform(0.5, 2.0, size=30)
    return y_true, y_pred, weights


def counts(y_true, y_pred, threshold, weights=None):
    """Naive loop: weighted TP, FP, TN, FN of p > threshold."""
    weights = np.ones(len(y_true)) if weights is None else weights
    tp = fp = tn = fn = 0.0
    for row_t, row_p, w in zip(y_true, y_pred, weights, strict=True):
        for t, p in zip(np.atleast_1d(row_t), np.atleast_1d(row_p), strict=True):
            positive = np.float32(p) > np.float32(threshold)
            if t and positive:
                tp += w
            elif positive:
                fp += w
            elif t:
                fn += w
            else:
                tn += w
    return tp, fp, tn, fn


def test_counts_and_precision_recall_at_thresholds(binary):
    y_true, y_pred, weights = binary
    thresholds = [0.2, 0.5, 0.7]
    expected = np.array([counts(y_true, y_pred, t, weights) for t in thresholds])
    for index, name in enumerate(["TruePositives", "FalsePositives", "TrueNegatives",
                                  "FalseNegatives"]):
        m = getattr(metrics, name)(thresholds=thresholds)
        m.update_state(y_true[:10], y_pred[:10], sample_weight=weights[:10])
        m.update_state(y_true[10:], y_pred[10:], sample_weight=weights[10:])
        np.testing.assert_allclose(m.result().numpy(), expected[:, index], rtol=1e-5)
    tp, fp, tn, fn = expected.T
    precision = metrics.Precision(thresholds=thresholds)
    precision.update_state(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(precision.result().numpy(), tp / (tp + fp), rtol=1e-5)
    recall = metrics.Recall(thresholds=thresholds)
    recall.update_state(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(recall.result().numpy(), tp / (tp + fn), rtol=1e-5)
    assert metrics.Precision(thresholds=0.5)(y_true, y_pred).shape == ()  # one -> scalar


def test_top_k_and_class_id(binary):
    y_true, y_pred, _ = binary
    order = np.argsort(-y_pred, axis=-1, kind="stable")[:, :1]
    kept = np.zeros(y_pred.shape, bool)
    np.put_along_axis(kept, order, True, axis=-1)
    tp = (kept & (y_true == 1)).sum()
    fp = (kept & (y_true == 0)).sum()
    fn = (~kept & (y_true == 1)).sum()
    assert float(metrics.Precision(top_k=1)(y_true, y_pred)) == pytest.approx(tp / (tp + fp))
    assert float(metrics.Recall(top_k=1)(y_true, y_pred)) == pytest.approx(tp / (tp + fn))
    tp, fp, _, fn = counts(y_true[:, 1], y_pred[:, 1], 0.5)
    assert float(metrics.Precision(class_id=1)(y_true, y_pred)) == pytest.approx(tp / (tp + fp))
    assert float(metrics.Recall(class_id=1)(y_true, y_pred)) == pytest.approx(tp / (tp + fn))


def test_keras_documented_precision_recall_values():
    m = metrics.Precision()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert float(m.result()) == pytest.approx(2 / 3)
    m.reset_state()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert float(m.result()) == 1.0
    assert float(metrics.Precision(top_k=2)([0, 0, 1, 1], [1, 1, 1, 1])) == 0.0
    assert float(metrics.Precision(top_k=4)([0, 0, 1, 1], [1, 1, 1, 1])) == 0.5
    m = metrics.Recall()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert float(m.result()) == 1.0


def roc_pr_reference(y_true, y_pred, num_thresholds, weights=None):
    """ROC-AUC and PR-AUC (trapezoids) from counts at Keras's thresholds, predictions clipped."""
    grid = [-1e-7] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] \
        + [1 + 1e-7]
    c = np.array([counts(y_true, np.clip(y_pred, 0, 1), t, weights) for t in grid])
    tp, fp, tn, fn = c.T
    tpr = tp / (tp + fn)
    fpr = fp / (fp + tn)
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    roc = sum((fpr[i] - fpr[i + 1]) * (tpr[i] + tpr[i + 1]) / 2 for i in range(len(grid) - 1))
    pr = sum((tpr[i] - tpr[i + 1]) * (precision[i] + precision[i + 1]) / 2
             for i in range(len(grid) - 1))
    return roc, pr


def test_auc_roc_and_pr_trapezoids(binary):
    y_true, y_pred, weights = binary
    roc, pr = roc_pr_reference(y_true, y_pred, 50, weights)
    m = metrics.AUC(num_thresholds=50)
    m.update_state(y_true, y_pred, sample_weight=weights)
    assert float(m.result()) == pytest.approx(roc, rel=1e-5)
    m = metrics.AUC(num_thresholds=50, curve="PR", summation_method="interpolation")
    m.update_state(y_true, y_pred, sample_weight=weights)
    value = float(m.result())  # Davis-Goadrich interpolation: close to the trapezoids
    assert abs(value - pr) < 0.02 and 0 < value < 1


def test_auc_default_matches_pairwise_ranking(rng):
    y_true = rng.integers(0, 2, size=200)
    y_pred = rng.uniform(size=200)
    positives, negatives = y_pred[y_true == 1], y_pred[y_true == 0]
    ranking = (positives[:, None] > negatives[None, :]).mean()  # Mann-Whitney U / (n1 n0)
    assert float(metrics.AUC(num_thresholds=2000)(y_true, y_pred)) == pytest.approx(
        ranking, abs=2e-3)


def test_pr_auc_interpolation_on_keras_definition():
    # counts at 3 thresholds [-eps, 0.5, 1 + eps]: tp = [2, 1, 0], fp = [2, 0, 0], fn = [0, 1, 2]
    tp, fp, fn = np.array([2.0, 1, 0]), np.array([2.0, 0, 0]), np.array([0.0, 1, 2])
    p = tp + fp
    total = 0.0
    for i in range(2):  # precision interpolated along TP between thresholds i and i + 1
        dtp, dp = tp[i] - tp[i + 1], p[i] - p[i + 1]
        slope = dtp / dp if dp > 0 else 0.0
        intercept = tp[i + 1] - slope * p[i + 1]
        ratio = p[i] / p[i + 1] if p[i] > 0 and p[i + 1] > 0 else 1.0
        if tp[i + 1] + fn[i + 1] > 0:
            total += slope * (dtp + intercept * np.log(ratio)) / (tp[i + 1] + fn[i + 1])
    m = metrics.AUC(num_thresholds=3, curve="PR")
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert float(m.result()) == pytest.approx(total, rel=1e-6)


def test_auc_keras_documented_values_and_options(rng):
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert float(m.result()) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert float(m.result()) == pytest.approx(1.0)
    logits = rng.normal(size=20)
    labels = rng.integers(0, 2, size=20)
    assert float(metrics.AUC(from_logits=True)(labels, logits)) == pytest.approx(
        float(metrics.AUC()(labels, 1 / (1 + np.exp(-logits)))))
    y_true = rng.integers(0, 2, size=(40, 2))
    y_pred = rng.uniform(size=(40, 2))
    per_label = [float(metrics.AUC()(y_true[:, j], y_pred[:, j])) for j in range(2)]
    assert float(metrics.AUC(multi_label=True)(y_true, y_pred)) == pytest.approx(
        np.mean(per_label), rel=1e-5)
    weighted = metrics.AUC(multi_label=True, label_weights=[1.0, 3.0])(y_true, y_pred)
    assert float(weighted) == pytest.approx((per_label[0] + 3 * per_label[1]) / 4, rel=1e-5)
    with pytest.raises(GlassnetValueError, match="curve"):
        metrics.AUC(curve="XYZ")


def test_at_constraint_family(binary):
    y_true, y_pred, _ = binary
    grid = [0.0] + [(i + 1) / 19 for i in range(18)] + [1.0]
    c = np.array([counts(y_true, y_pred, t) for t in grid])
    tp, fp, tn, fn = c.T
    recall = tp / (tp + fn)
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    specificity = tn / (tn + fp)

    def best(constrained, dependent, value):
        ok = constrained >= value
        return dependent[ok].max() if ok.any() else 0.0

    cases = [
        (metrics.PrecisionAtRecall(0.6, num_thresholds=20), best(recall, precision, 0.6)),
        (metrics.RecallAtPrecision(0.5, num_thresholds=20), best(precision, recall, 0.5)),
        (metrics.SensitivityAtSpecificity(0.7, num_thresholds=20),
         best(specificity, recall, 0.7)),
        (metrics.SpecificityAtSensitivity(0.7, num_thresholds=20),
         best(recall, specificity, 0.7)),
    ]
    for metric, expected in cases:
        assert float(metric(y_true, y_pred)) == pytest.approx(expected, rel=1e-5)
    # Keras's documented example
    assert float(metrics.PrecisionAtRecall(0.5)(
        [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])) == pytest.approx(0.5)


def test_names_errors_and_config():
    assert metrics.get("precision").name == "precision"
    assert isinstance(metrics.get("auc"), metrics.AUC)
    assert isinstance(metrics.get("recall"), metrics.Recall)
    with pytest.raises(GlassnetValueError, match="thresholds"):
        metrics.Precision(thresholds=[0.5, 1.5])
    for metric in (metrics.Precision(thresholds=[0.3, 0.6], class_id=1),
                   metrics.AUC(curve="PR", num_thresholds=10),
                   metrics.RecallAtPrecision(0.8, num_thresholds=30)):
        again = metrics.deserialize(metrics.serialize(metric))
        assert type(again) is type(metric) and again.get_config() == metric.get_config()
