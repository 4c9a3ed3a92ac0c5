"""F-scores, R2Score and the IoU family against NumPy computations of their definitions."""

import numpy as np
import pytest

from glassnet import metrics
from glassnet.errors import GlassnetValueError

EPS = 1e-7


def f_beta_reference(y_true, binary, beta, weights, average):
    w = weights[:, None]
    axis = None if average == "micro" else 0
    tp = (binary * y_true * w).sum(axis)
    fp = (binary * (1 - y_true) * w).sum(axis)
    fn = ((1 - binary) * y_true * w).sum(axis)
    precision, recall = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    score = (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall + EPS)
    if average == "weighted":
        support = (y_true * w).sum(0)
        return (score * support / (support.sum() + EPS)).sum()
    return score if average is None else np.mean(score)


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.4])
def test_fbeta_score_against_its_definition(rng, average, threshold):
    y_true = rng.integers(0, 2, size=(25, 4)).astype(float)
    y_pred = rng.uniform(size=(25, 4))
    weights = rng.uniform(0.5, 2, size=25)
    if threshold is None:  # each row's maximum is the positive class
        binary = (y_pred == y_pred.max(axis=1, keepdims=True)).astype(float)
    else:
        binary = (y_pred > threshold).astype(float)
    m = metrics.FBetaScore(average=average, beta=2.0, threshold=threshold)
    m.update_state(y_true[:10], y_pred[:10], sample_weight=weights[:10])
    m.update_state(y_true[10:], y_pred[10:], sample_weight=weights[10:])
    expected = f_beta_reference(y_true, binary, 2.0, weights, average)
    np.testing.assert_allclose(m.result().numpy(), expected, rtol=1e-5)
    f1 = metrics.F1Score(average=average, threshold=threshold)
    f1.update_state(y_true, y_pred)
    np.testing.assert_allclose(
        f1.result().numpy(), f_beta_reference(y_true, binary, 1.0, np.ones(25), average),
        rtol=1e-5)


def test_f1_keras_documented_value_and_errors():
    m = metrics.F1Score(threshold=0.5)
    m.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
                   np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
    np.testing.assert_allclose(m.result().numpy(), [0.5, 0.8, 0.6666667], rtol=1e-6)
    with pytest.raises(GlassnetValueError, match="average"):
        metrics.F1Score(average="mean")
    with pytest.raises(GlassnetValueError, match="threshold"):
        metrics.F1Score(threshold=1.5)
    assert isinstance(metrics.get("f1_score"), metrics.F1Score)


def test_r2_score_against_its_definition(rng):
    y_true = rng.normal(size=(20, 3))
    y_pred = y_true + 0.3 * rng.normal(size=(20, 3))
    weights = rng.uniform(0.5, 2, size=20)
    w = weights[:, None]
    mean = (w * y_true).sum(0) / w.sum()
    ss_tot = (w * (y_true - mean) ** 2).sum(0)
    ss_res = (w * (y_true - y_pred) ** 2).sum(0)
    raw = 1 - ss_res / ss_tot
    weighted = (ss_tot * raw).sum() / ss_tot.sum()
    for aggregation, expected in [("uniform_average", raw.mean()),
                                  ("variance_weighted_average", weighted), (None, raw)]:
        m = metrics.R2Score(class_aggregation=aggregation)
        m.update_state(y_true[:8], y_pred[:8], sample_weight=weights[:8])
        m.update_state(y_true[8:], y_pred[8:], sample_weight=weights[8:])
        np.testing.assert_allclose(m.result().numpy(), expected, rtol=1e-5)
    n, p = y_true.size, 2  # Keras counts every value
    adjusted = metrics.R2Score(num_regressors=p)(y_true, y_pred, sample_weight=weights)
    assert float(adjusted) == pytest.approx(1 - (1 - raw.mean()) * (n - 1) / (n - p - 1),
                                            rel=1e-5)
    assert float(metrics.R2Score()([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])) == \
        pytest.approx(0.57142854, rel=1e-6)  # Keras's documented example


def iou_reference(y_true, y_pred, num_classes, targets, weights=None, ignore=None):
    weights = np.ones(len(y_true)) if weights is None else weights
    matrix = np.zeros((num_classes, num_classes))
    for t, p, w in zip(y_true, y_pred, weights, strict=True):
        if t != ignore:
            matrix[t, p] += w
    ious = []
    for c in targets:
        denominator = matrix[c].sum() + matrix[:, c].sum() - matrix[c, c]
        if denominator > 0:
            ious.append(matrix[c, c] / denominator)
    return np.mean(ious)


def test_iou_family(rng):
    y_true = rng.integers(0, 4, size=50)
    scores = rng.dirichlet(np.ones(4), size=50)
    y_pred = scores.argmax(-1)
    weights = rng.uniform(0.5, 2, size=50)
    m = metrics.IoU(num_classes=4, target_class_ids=[0, 2])
    m.update_state(y_true, y_pred, sample_weight=weights)
    assert float(m.result()) == pytest.approx(
        iou_reference(y_true, y_pred, 4, [0, 2], weights), rel=1e-5)
    mean = metrics.MeanIoU(num_classes=4, ignore_class=1)
    mean.update_state(y_true, y_pred)
    assert float(mean.result()) == pytest.approx(
        iou_reference(y_true, y_pred, 4, range(4), ignore=1), rel=1e-5)
    one_hot = metrics.OneHotIoU(num_classes=4, target_class_ids=[1, 3])
    one_hot.update_state(np.eye(4)[y_true], scores)
    assert float(one_hot.result()) == pytest.approx(
        iou_reference(y_true, y_pred, 4, [1, 3]), rel=1e-5)
    one_hot_mean = metrics.OneHotMeanIoU(num_classes=4)
    one_hot_mean.update_state(np.eye(4)[y_true], scores)
    assert float(one_hot_mean.result()) == pytest.approx(
        iou_reference(y_true, y_pred, 4, range(4)), rel=1e-5)
    probabilities = rng.uniform(size=50)
    labels = rng.integers(0, 2, size=50)
    binary = metrics.BinaryIoU(target_class_ids=[1], threshold=0.3)
    binary.update_state(labels, probabilities)
    assert float(binary.result()) == pytest.approx(
        iou_reference(labels, (probabilities >= 0.3).astype(int), 2, [1]), rel=1e-5)


def test_iou_keras_documented_values():
    m = metrics.IoU(num_classes=2, target_class_ids=[0])
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    assert float(m.result()) == pytest.approx(1 / 3)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert float(m.result()) == pytest.approx(0.3 / (0.6 + 0.6 - 0.3))
    assert float(metrics.MeanIoU(num_classes=2)([0, 0, 1, 1], [0, 1, 0, 1])) == \
        pytest.approx(1 / 3)
    with pytest.raises(GlassnetValueError, match="target_class_ids"):
        metrics.IoU(num_classes=2, target_class_ids=[2])
    again = metrics.deserialize(metrics.serialize(metrics.BinaryIoU(threshold=0.3)))
    assert again.threshold == 0.3
