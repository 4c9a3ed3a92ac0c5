"""glassnet.losses: formulas, Keras's documented numbers, reductions, label checks, registry."""

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import losses as L
from tests.conftest import assert_gradcheck

EPS = 1e-7
# The examples of Keras's loss documentation.
Y_TRUE = [[0.0, 1.0], [0.0, 0.0]]
Y_PRED = [[0.6, 0.4], [0.4, 0.6]]


def _np_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------------ published numbers
@pytest.mark.parametrize(
    "loss, expected, weighted",
    [(L.MeanSquaredError(), 0.5, 0.25),
     (L.MeanAbsoluteError(), 0.5, 0.25),
     (L.Hinge(), 1.3, 0.55),
     (L.Huber(), 0.155, 0.09),
     (L.KLDivergence(), 0.458, 0.366),
     (L.BinaryCrossentropy(), 0.815, 0.458)],
)
def test_keras_documented_values(loss, expected, weighted):
    y_pred = [[1.0, 1.0], [1.0, 0.0]] if isinstance(loss, (L.MeanSquaredError,
                                                            L.MeanAbsoluteError)) else Y_PRED
    assert loss(Y_TRUE, y_pred).item() == pytest.approx(expected, abs=1e-3)
    sw = {L.KLDivergence: [0.8, 0.2], L.MeanSquaredError: [0.7, 0.3],
          L.MeanAbsoluteError: [0.7, 0.3]}.get(type(loss), [1.0, 0.0])
    assert loss(Y_TRUE, y_pred, sample_weight=sw).item() == pytest.approx(weighted, abs=1e-3)


def test_keras_documented_categorical_values():
    y_true = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    y_pred = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    cce = L.CategoricalCrossentropy()
    assert cce(y_true, y_pred).item() == pytest.approx(1.177, abs=1e-3)
    assert cce(y_true, y_pred, sample_weight=[0.3, 0.7]).item() == pytest.approx(0.814, abs=1e-3)
    assert L.CategoricalCrossentropy(reduction="sum")(y_true, y_pred).item() == pytest.approx(
        2.354, abs=1e-3)
    np.testing.assert_allclose(L.CategoricalCrossentropy(reduction="none")(y_true, y_pred).data,
                               [0.0513, 2.303], atol=1e-3)
    assert L.SparseCategoricalCrossentropy()([1, 2], y_pred).item() == pytest.approx(1.177,
                                                                                     abs=1e-3)


def test_keras_documented_binary_from_logits():
    y_true = [[0.0], [1.0], [0.0], [0.0]]
    logits = [[-18.6], [0.51], [2.94], [-12.8]]
    assert L.BinaryCrossentropy(from_logits=True)(y_true, logits).item() == pytest.approx(
        0.865, abs=1e-3)


# ------------------------------------------------------------------------ formulas
def test_regression_losses_match_numpy(rng):
    t, p = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    np.testing.assert_allclose(L.mean_squared_error(t, p).data, ((t - p) ** 2).mean(-1))
    np.testing.assert_allclose(L.mean_absolute_error(t, p).data, np.abs(t - p).mean(-1))
    e = np.abs(p - t)
    huber = np.where(e <= 0.5, 0.5 * e**2, 0.5 * (e - 0.25)).mean(-1)
    np.testing.assert_allclose(L.huber(t, p, delta=0.5).data, huber)
    labels = np.sign(t)
    np.testing.assert_allclose(L.exponential_loss(labels, p).data,
                               np.exp(-labels * p).mean(-1))
    np.testing.assert_allclose(L.hinge(labels, p).data,
                               np.maximum(1 - labels * p, 0).mean(-1))


def test_classification_losses_match_numpy(rng):
    p = rng.uniform(0.05, 0.95, size=(5, 4))
    t = (rng.uniform(size=(5, 4)) > 0.5) * 1.0
    bce = -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)
    np.testing.assert_allclose(L.binary_crossentropy(t, p).data, bce, rtol=1e-10)
    q = p / p.sum(-1, keepdims=True)
    onehot = np.eye(4)[[0, 3, 1, 2, 2]]
    np.testing.assert_allclose(L.categorical_crossentropy(onehot, p).data,
                               -(onehot * np.log(q)).sum(-1), rtol=1e-10)
    np.testing.assert_allclose(L.sparse_categorical_crossentropy([0, 3, 1, 2, 2], p).data,
                               -(onehot * np.log(q)).sum(-1), rtol=1e-10)
    tt = rng.uniform(0.1, 1, size=(5, 4))
    np.testing.assert_allclose(L.kl_divergence(tt, p).data, (tt * np.log(tt / p)).sum(-1),
                               rtol=1e-10)


def test_hinge_maps_zero_one_labels():
    np.testing.assert_allclose(L.hinge([[0.0, 1.0]], [[0.5, 0.5]]).data, [(1.5 + 0.5) / 2])


def test_label_smoothing():
    t, p = np.array([[0.0, 1.0, 0.0]]), np.array([[0.2, 0.5, 0.3]])
    ts = t * 0.9 + 0.1 / 3
    np.testing.assert_allclose(
        L.CategoricalCrossentropy(label_smoothing=0.1)(t, p).item(), -(ts * np.log(p)).sum())
    tb = t * 0.8 + 0.1
    bce = -(tb * np.log(p) + (1 - tb) * np.log(1 - p)).mean()
    assert L.BinaryCrossentropy(label_smoothing=0.2)(t, p).item() == pytest.approx(bce)


def test_probability_clipping_keeps_losses_finite():
    with np.errstate(divide="raise", invalid="raise"):
        bce = L.binary_crossentropy([[1.0, 0.0]], [[0.0, 1.0]]).item()
        cce = L.categorical_crossentropy([[1.0, 0.0]], [[0.0, 1.0]]).item()
    # float32: 1 - 1e-7 rounds to 1 - 2^-23, so log(1 - p) is ln(1.19e-7), not ln(1e-7)
    assert bce == pytest.approx((-np.log(EPS) - np.log(2.0**-23)) / 2, rel=1e-3)
    assert cce == pytest.approx(-np.log(EPS), rel=1e-3)


@pytest.mark.parametrize("from_logits", [False, True])
def test_cross_entropy_gradchecks(rng, from_logits):
    t = np.eye(3)[[0, 2, 1, 1]]
    z = rng.normal(size=(4, 3))
    p = gn.tensor(z if from_logits else _np_softmax(z))
    assert_gradcheck(lambda q: L.categorical_crossentropy(t, q, from_logits), p)
    assert_gradcheck(lambda q: L.sparse_categorical_crossentropy([0, 2, 1, 1], q, from_logits),
                     p)
    b = gn.tensor(z if from_logits else 1 / (1 + np.exp(-z)))
    assert_gradcheck(lambda q: L.binary_crossentropy(t, q, from_logits), b)


def test_regression_gradchecks(rng):
    t = rng.normal(size=(4, 3))
    p = gn.tensor(t + rng.uniform(0.1, 2, size=(4, 3)) * np.sign(rng.normal(size=(4, 3))))
    for fn in (L.mean_squared_error, L.mean_absolute_error, L.huber, L.exponential_loss):
        assert_gradcheck(lambda q, fn=fn: fn(t, q), p)
    labels = np.sign(t)
    assert_gradcheck(lambda q: L.hinge(labels, q), gn.tensor(rng.uniform(-3, -1.5, (4, 3))))
    assert_gradcheck(lambda q: L.kl_divergence(np.abs(t), q),
                     gn.tensor(rng.uniform(0.1, 1, (4, 3))))


def test_from_logits_equals_probability_path(rng):
    z = rng.normal(size=(5, 4))
    labels = [0, 1, 3, 2, 1]
    onehot = np.eye(4)[labels]
    a = L.CategoricalCrossentropy(from_logits=True)(onehot, z).item()
    b = L.CategoricalCrossentropy()(onehot, _np_softmax(z)).item()
    c = L.SparseCategoricalCrossentropy(from_logits=True)(labels, z).item()
    assert a == pytest.approx(b, rel=1e-6) and c == pytest.approx(b, rel=1e-6)
    t = (rng.uniform(size=(5, 4)) > 0.5) * 1.0
    d = L.BinaryCrossentropy(from_logits=True)(t, z).item()
    e = L.BinaryCrossentropy()(t, 1 / (1 + np.exp(-z))).item()
    assert d == pytest.approx(e, rel=1e-6)


def test_from_logits_cross_entropies_stable_at_extremes():
    z = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=np.float32)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        cce = L.CategoricalCrossentropy(from_logits=True)([[0.0, 1.0], [0.0, 1.0]], z)
        scce = L.SparseCategoricalCrossentropy(from_logits=True)([1, 1], z)
        bce = L.BinaryCrossentropy(from_logits=True)([[0.0, 1.0], [0.0, 1.0]], z)
    assert cce.item() == pytest.approx(1e4) and scce.item() == pytest.approx(1e4)
    assert bce.item() == pytest.approx((1e4 + 1e4 + 0 + 0) / 4)


def test_gradient_of_fused_cross_entropy_is_softmax_minus_onehot(rng):
    z = gn.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    L.SparseCategoricalCrossentropy(from_logits=True)([0, 1, 2, 0], z).backward()
    np.testing.assert_allclose(z.grad.data, (_np_softmax(z.data) - np.eye(3)[[0, 1, 2, 0]]) / 4,
                               atol=1e-12)


# ------------------------------------------------------------------------ reductions
def test_reductions_and_sample_weight():
    t, p = [[1.0], [2.0], [3.0]], [[2.0], [2.0], [5.0]]  # squared errors 1, 0, 4
    w = [2.0, 1.0, 0.5]
    assert L.MeanSquaredError()(t, p).item() == pytest.approx(5 / 3)
    assert L.MeanSquaredError(reduction="mean")(t, p).item() == pytest.approx(5 / 3)
    assert L.MeanSquaredError(reduction="sum")(t, p).item() == pytest.approx(5.0)
    np.testing.assert_allclose(L.MeanSquaredError(reduction="none")(t, p).data, [1, 0, 4])
    np.testing.assert_allclose(L.MeanSquaredError(reduction=None)(t, p, w).data, [2, 0, 2])
    assert L.MeanSquaredError()(t, p, sample_weight=w).item() == pytest.approx(4 / 3)
    assert L.MeanSquaredError(reduction="sum")(t, p, w).item() == pytest.approx(4.0)
    assert L.MeanSquaredError(reduction="mean_with_sample_weight")(t, p, w).item() == (
        pytest.approx(4 / 3.5))
    assert L.MeanSquaredError()(t, p, sample_weight=[[2.0], [1.0], [0.5]]).item() == (
        pytest.approx(4 / 3))
    assert L.MeanSquaredError()(t, p, sample_weight=2.0).item() == pytest.approx(10 / 3)


def test_sample_weight_for_sequence_losses_applies_per_sample():
    t = np.zeros((2, 3, 1))
    p = np.ones((2, 3, 1))
    assert L.MeanSquaredError(reduction="sum")(t, p, [1.0, 0.0]).item() == pytest.approx(3.0)
    with pytest.raises(gn.ShapeError, match="sample_weight"):
        L.MeanSquaredError()(t, p, [1.0, 0.0, 1.0])


def test_bad_reduction():
    with pytest.raises(ValueError, match="sum_over_batch_size"):
        L.MeanSquaredError(reduction="average")


def test_rank_one_targets_against_column_predictions():
    assert L.MeanSquaredError()([1.0, 2.0], [[1.0], [4.0]]).item() == pytest.approx(2.0)


def test_loss_output_is_float32_scalar_with_gradient():
    p = gn.tensor([[0.2, 0.8]], requires_grad=True)
    loss = L.CategoricalCrossentropy()([[0.0, 1.0]], p)
    assert loss.shape == () and loss.dtype == np.float32
    loss.backward()
    assert p.grad.dtype == np.float32


# ------------------------------------------------------------------------ checks
def test_sparse_labels_out_of_range_and_non_integer():
    p = [[0.5, 0.5], [0.1, 0.9]]
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*\[0, 2\).*\[0, 2\]"):
        L.SparseCategoricalCrossentropy()([0, 2], p)
    with pytest.raises(ValueError, match=r"\[0, 2\).*\[-1, 1\]"):
        L.SparseCategoricalCrossentropy(from_logits=True)([-1, 1], p)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy.*integer"):
        L.SparseCategoricalCrossentropy()([0.5, 1.0], p)
    assert L.SparseCategoricalCrossentropy()([[1.0], [0.0]], p).item() > 0  # floats 0./1. ok


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(gn.ShapeError, match=r"y_true \(2, 3\).*y_pred \(2, 2\)"):
        L.CategoricalCrossentropy()(np.zeros((2, 3)), np.full((2, 2), 0.5))
    with pytest.raises(gn.ShapeError, match=r"mean_squared_error.*\(3, 1\).*\(2, 1\)"):
        L.MeanSquaredError()(np.zeros((3, 1)), np.zeros((2, 1)))
    with pytest.raises(gn.ShapeError, match=r"\(3,\)"):
        L.SparseCategoricalCrossentropy()([0, 1, 1], np.full((2, 2), 0.5))


def test_warns_when_probabilities_are_passed_as_logits():
    probs = _np_softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]]))
    with pytest.warns(UserWarning, match="from_logits=True.*probabilities"):
        L.SparseCategoricalCrossentropy(from_logits=True)([0, 2], probs)
    with pytest.warns(UserWarning, match="probabilities"):
        L.CategoricalCrossentropy(from_logits=True)(np.eye(3)[[0, 2]], probs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L.SparseCategoricalCrossentropy(from_logits=True)([0, 2], np.log(probs))  # real logits
        L.SparseCategoricalCrossentropy()([0, 2], probs)


def test_zero_one_loss_is_an_error_rate():
    assert L.zero_one_loss([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.1]) == 0.25
    assert L.zero_one_loss([2, 0], [[0.1, 0.2, 0.7], [0.1, 0.8, 0.1]]) == 0.5
    assert L.zero_one_loss(np.eye(3)[[2, 0]], [[0.1, 0.2, 0.7], [0.9, 0.0, 0.1]]) == 0.0
    assert L.zero_one_loss([-1, 1, 1], [-0.3, 0.2, -0.1]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="no gradient"):
        L.get("zero_one_loss")


# ------------------------------------------------------------------------ registry
@pytest.mark.parametrize(
    "name, cls",
    [("mse", L.MeanSquaredError), ("mean_squared_error", L.MeanSquaredError),
     ("MSE", L.MeanSquaredError), ("squared_loss", L.MeanSquaredError),
     ("mae", L.MeanAbsoluteError), ("mean_absolute_error", L.MeanAbsoluteError),
     ("binary_crossentropy", L.BinaryCrossentropy), ("log_loss", L.BinaryCrossentropy),
     ("categorical_crossentropy", L.CategoricalCrossentropy),
     ("sparse_categorical_crossentropy", L.SparseCategoricalCrossentropy),
     ("SparseCategoricalCrossentropy", L.SparseCategoricalCrossentropy),
     ("hinge", L.Hinge), ("kld", L.KLDivergence), ("kl_divergence", L.KLDivergence),
     ("huber", L.Huber), ("exponential", L.Exponential), ("absolute_loss", L.MeanAbsoluteError)],
)
def test_get_resolves_keras_names(name, cls):
    assert type(L.get(name)) is cls


def test_get_accepts_instances_classes_functions_and_dicts():
    loss = L.Huber(delta=2.0)
    assert L.get(loss) is loss
    assert isinstance(L.get(L.Hinge), L.Hinge)
    assert isinstance(L.get(L.mean_squared_error), L.MeanSquaredError)
    custom = L.get(lambda t, p: (gn.tensor(p) - t).abs().mean(axis=-1))
    assert isinstance(custom, L.LossFunctionWrapper)
    assert custom([[0.0]], [[3.0]]).item() == 3.0
    clone = L.deserialize(L.serialize(L.CategoricalCrossentropy(from_logits=True,
                                                                label_smoothing=0.1)))
    assert clone.from_logits and clone.label_smoothing == 0.1


def test_get_unknown_lists_valid_names():
    with pytest.raises(ValueError) as info:
        L.get("categorical_crossentropi")
    assert "categorical_crossentropy" in str(info.value) and "mse" in str(info.value)
    assert isinstance(info.value, gn.UnknownIdentifierError)
