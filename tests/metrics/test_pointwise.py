"""Per-sample metrics of Keras 3 against their published formulas, computed here in NumPy."""

import numpy as np
import pytest

from glassnet import metrics

EPS = 1e-7


@pytest.fixture
def data(rng):
    y_true = rng.uniform(0.0, 2.0, size=(6, 3))
    y_pred = rng.uniform(0.0, 2.0, size=(6, 3))
    weights = rng.uniform(0.5, 2.0, size=6)
    return y_true, y_pred, weights


def weighted_mean(per_sample, weights):
    return float((per_sample * weights).sum() / weights.sum())


def log_cosh_reference(t, p):
    return np.log(np.cosh(p - t)).mean(axis=-1)


def cosine_reference(t, p):
    return np.array([a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
                     for a, b in zip(t, p, strict=True)])


REFERENCES = {
    "MeanAbsolutePercentageError": lambda t, p: 100 * (np.abs(t - p) / np.abs(t)).mean(-1),
    "MeanSquaredLogarithmicError":
        lambda t, p: ((np.log(p + 1) - np.log(t + 1)) ** 2).mean(-1),
    "LogCoshError": log_cosh_reference,
    "CosineSimilarity": cosine_reference,
    "Poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "MeanSquaredError": lambda t, p: ((t - p) ** 2).mean(-1),
    "MeanAbsoluteError": lambda t, p: np.abs(t - p).mean(-1),
}


@pytest.mark.parametrize("class_name", sorted(REFERENCES))
def test_regression_metrics_against_their_formulas(class_name, data):
    y_true, y_pred, weights = data
    reference = REFERENCES[class_name](y_true, y_pred)
    plain = getattr(metrics, class_name)()
    plain.update_state(y_true[:3], y_pred[:3])
    plain.update_state(y_true[3:], y_pred[3:])  # accumulates over batches
    assert float(plain.result()) == pytest.approx(reference.mean(), rel=1e-5)
    weighted = getattr(metrics, class_name)()
    weighted.update_state(y_true, y_pred, sample_weight=weights)
    assert float(weighted.result()) == pytest.approx(weighted_mean(reference, weights), rel=1e-5)


def test_root_mean_squared_error(data):
    y_true, y_pred, weights = data
    m = metrics.RootMeanSquaredError()
    m.update_state(y_true, y_pred, sample_weight=weights)
    squared = (y_true - y_pred) ** 2 * weights[:, None]
    assert float(m.result()) == pytest.approx(np.sqrt(squared.sum() / (3 * weights.sum())))


def test_mape_guards_zero_labels_with_epsilon():
    m = metrics.MeanAbsolutePercentageError()
    assert float(m([[0.0]], [[1e-9]])) == pytest.approx(100 * 1e-9 / EPS, rel=1e-5)


def test_probabilistic_metrics(rng):
    y_true = rng.dirichlet(np.ones(4), size=5)
    y_pred = rng.dirichlet(np.ones(4), size=5)
    kld = (y_true * np.log(y_true / y_pred)).sum(-1).mean()
    assert float(metrics.KLDivergence()(y_true, y_pred)) == pytest.approx(kld, rel=1e-5)
    bce = -(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)).mean(-1).mean()
    assert float(metrics.BinaryCrossentropy()(y_true, y_pred)) == pytest.approx(bce, rel=1e-4)
    cce = -(y_true * np.log(y_pred)).sum(-1).mean()
    assert float(metrics.CategoricalCrossentropy()(y_true, y_pred)) == pytest.approx(cce,
                                                                                      rel=1e-4)
    labels = y_true.argmax(-1)
    scce = -np.log(y_pred[np.arange(5), labels]).mean()
    assert float(metrics.SparseCategoricalCrossentropy()(labels, y_pred)) == pytest.approx(
        scce, rel=1e-4)
    logits = np.log(y_pred)
    from_logits = metrics.CategoricalCrossentropy(from_logits=True)(y_true, logits)
    assert float(from_logits) == pytest.approx(cce, rel=1e-4)


def test_hinge_family_with_0_1_and_signed_labels(rng):
    y_pred = rng.normal(size=(5, 3))
    labels01 = rng.integers(0, 2, size=(5, 3)).astype(float)
    signed = 2 * labels01 - 1
    hinge = np.maximum(1 - signed * y_pred, 0).mean(-1).mean()
    assert float(metrics.Hinge()(labels01, y_pred)) == pytest.approx(hinge, rel=1e-5)
    assert float(metrics.Hinge()(signed, y_pred)) == pytest.approx(hinge, rel=1e-5)
    squared = (np.maximum(1 - signed * y_pred, 0) ** 2).mean(-1).mean()
    assert float(metrics.SquaredHinge()(labels01, y_pred)) == pytest.approx(squared, rel=1e-5)
    one_hot = np.eye(3)[[0, 2, 1, 1, 0]]
    positive = (one_hot * y_pred).sum(-1)
    negative = ((1 - one_hot) * y_pred).max(-1)
    categorical = np.maximum(negative - positive + 1, 0).mean()
    assert float(metrics.CategoricalHinge()(one_hot, y_pred)) == pytest.approx(categorical,
                                                                               rel=1e-5)


def test_keras_documented_values():
    # the examples printed in Keras 3's metric docs
    assert float(metrics.MeanAbsolutePercentageError()(
        [[0, 1], [0, 0]], [[1, 1], [0, 0]])) == pytest.approx(250000000.0, rel=1e-6)
    assert float(metrics.MeanSquaredLogarithmicError()(
        [[0, 1], [0, 0]], [[1, 1], [0, 0]])) == pytest.approx(0.12011322, rel=1e-5)
    assert float(metrics.CosineSimilarity(axis=1)(
        [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])) == pytest.approx(0.5, rel=1e-6)
    assert float(metrics.LogCoshError()(
        [[0, 1], [0, 0]], [[1, 1], [0, 0]])) == pytest.approx(0.10844523, rel=1e-5)
    assert float(metrics.Poisson()(
        [[0, 1], [0, 0]], [[1, 1], [0, 0]])) == pytest.approx(0.49999997, rel=1e-5)
    assert float(metrics.Hinge()(
        [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])) == pytest.approx(1.3, rel=1e-6)
    assert float(metrics.SquaredHinge()(
        [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])) == pytest.approx(1.86, rel=1e-6)
    assert float(metrics.CategoricalHinge()(
        [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])) == pytest.approx(1.4000001, rel=1e-6)
    assert float(metrics.KLDivergence()(
        [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])) == pytest.approx(0.45814306, rel=1e-5)


@pytest.mark.parametrize("name, cls", [
    ("mape", "MeanAbsolutePercentageError"), ("msle", "MeanSquaredLogarithmicError"),
    ("logcosh", "LogCoshError"), ("cosine_similarity", "CosineSimilarity"),
    ("poisson", "Poisson"), ("kl_divergence", "KLDivergence"), ("hinge", "Hinge"),
    ("squared_hinge", "SquaredHinge"), ("categorical_hinge", "CategoricalHinge"),
    ("binary_crossentropy", "BinaryCrossentropy"), ("rmse", "RootMeanSquaredError"),
])
def test_string_names(name, cls):
    metric = metrics.get(name)
    assert type(metric) is getattr(metrics, cls) and metric.name == name


def test_config_round_trip():
    for metric in (metrics.CosineSimilarity(axis=0), metrics.TopKCategoricalAccuracy(k=3),
                   metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)):
        again = metrics.deserialize(metrics.serialize(metric))
        assert type(again) is type(metric) and again.get_config() == metric.get_config()


def test_correlation_metrics(rng):
    y_true = rng.normal(size=(6, 5))
    y_pred = y_true + rng.normal(size=(6, 5))
    pearson = [np.corrcoef(t, p)[0, 1] for t, p in zip(y_true, y_pred, strict=True)]
    assert float(metrics.PearsonCorrelation()(y_true, y_pred)) == pytest.approx(
        np.mean(pearson), rel=1e-5)
    ccc = [2 * np.mean((t - t.mean()) * (p - p.mean()))
           / (t.var() + p.var() + (t.mean() - p.mean()) ** 2 + EPS)
           for t, p in zip(y_true, y_pred, strict=True)]
    assert float(metrics.ConcordanceCorrelation()(y_true, y_pred)) == pytest.approx(
        np.mean(ccc), rel=1e-5)
    # Keras's documented per-sample values
    t, p = np.array([[0, 1, 0.5], [1, 1, 0.2]]), np.array([[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    np.testing.assert_allclose(metrics.pearson_correlation(t, p), [1.0, 0.99339927], rtol=1e-6)
    np.testing.assert_allclose(metrics.concordance_correlation(t, p), [0.97560976, 0.98765432],
                               rtol=1e-5)
