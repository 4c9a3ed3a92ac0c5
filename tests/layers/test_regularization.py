"""Tests for glassnet.layers.regularization: SpatialDropout1D/2D/3D, GaussianNoise,
GaussianDropout, ActivityRegularization."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers import (
    ActivityRegularization,
    Dense,
    GaussianDropout,
    GaussianNoise,
    Input,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from tests.conftest import assert_config_round_trip, assert_gradcheck


# ------------------------------------------------------------------------ SpatialDropout
def test_spatial_dropout1d_drops_whole_channels():
    x = np.ones((8, 5, 6))
    y = SpatialDropout1D(0.5, seed=3)(x, training=True).data
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))  # same every step
    assert set(np.unique(y)) <= {0.0, 2.0} and (y == 0).any() and (y == 2).any()
    np.testing.assert_array_equal(SpatialDropout1D(0.5)(x).data, x)  # inference: identity
    clone = assert_config_round_trip(SpatialDropout1D(0.25, seed=1))
    assert (clone.rate, clone.seed) == (0.25, 1)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_dropout2d_drops_whole_feature_maps(data_format):
    x = np.ones((6, 3, 4, 5))
    y = SpatialDropout2D(0.5, data_format=data_format, seed=0)(x, training=True).data
    reference = y[:, :1, :1, :] if data_format == "channels_last" else y[:, :, :1, :1]
    np.testing.assert_array_equal(y, np.broadcast_to(reference, y.shape))
    assert set(np.unique(y)) <= {0.0, 2.0}
    clone = assert_config_round_trip(SpatialDropout2D(0.5, data_format=data_format))
    assert clone.data_format == data_format


def test_spatial_dropout3d_and_rank_errors():
    y = SpatialDropout3D(0.5, seed=2)(np.ones((4, 2, 2, 2, 3)), training=True).data
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :1, :1, :], y.shape))
    with pytest.raises(ShapeError, match="'sd'.*rank 4"):
        SpatialDropout2D(0.5, name="sd")(np.ones((2, 3, 4)), training=True)
    with pytest.raises(GlassnetValueError, match="rate"):
        SpatialDropout1D(1.5)


def test_spatial_dropout_is_deterministic_under_manual_seed_and_gradchecks():
    x = np.ones((4, 3, 5))
    gn.manual_seed(7)
    first = SpatialDropout1D(0.4)(x, training=True).data
    gn.manual_seed(7)
    np.testing.assert_array_equal(SpatialDropout1D(0.4)(x, training=True).data, first)
    layer = SpatialDropout1D(0.4, dtype="float64")

    def fn(v):
        gn.manual_seed(11)  # the same mask at every evaluation
        return layer(v, training=True)

    x64 = gn.tensor(np.random.default_rng(0).normal(size=(3, 4, 5)))
    assert_gradcheck(fn, x64)


# ------------------------------------------------------------------------ GaussianNoise
def test_gaussian_noise_training_only_and_seeded():
    x = np.zeros((2000, 10))
    layer = GaussianNoise(0.5, seed=4)
    np.testing.assert_array_equal(layer(x).data, x)  # inference
    noise = layer(x, training=True).data
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 0.5) < 0.02
    expected = np.random.default_rng(4).normal(0.0, 0.5, size=x.shape).astype(np.float32)
    np.testing.assert_array_equal(GaussianNoise(0.5, seed=4)(x, training=True).data, expected)
    gn.manual_seed(5)
    first = GaussianNoise(0.5)(x[:3], training=True).data
    gn.manual_seed(5)
    np.testing.assert_array_equal(GaussianNoise(0.5)(x[:3], training=True).data, first)
    clone = assert_config_round_trip(GaussianNoise(0.5, seed=4))
    assert (clone.stddev, clone.seed) == (0.5, 4)
    with pytest.raises(GlassnetValueError, match="'gn'.*stddev"):
        GaussianNoise(-1.0, name="gn")


def test_gaussian_noise_gradient_is_identity(rng):
    layer = GaussianNoise(0.3, dtype="float64")

    def fn(v):
        gn.manual_seed(0)
        return layer(v, training=True)

    assert_gradcheck(fn, gn.tensor(rng.normal(size=(3, 4))))


# ------------------------------------------------------------------------ GaussianDropout
def test_gaussian_dropout_formula_and_statistics():
    x = np.full((4000, 10), 2.0)
    layer = GaussianDropout(0.2, seed=9)
    np.testing.assert_array_equal(layer(x).data, x)
    y = layer(x, training=True).data
    stddev = np.sqrt(0.2 / 0.8)
    assert abs(y.mean() - 2.0) < 0.02 and abs(y.std() - 2.0 * stddev) < 0.02
    noise = np.random.default_rng(9).normal(1.0, stddev, size=x.shape).astype(np.float32)
    np.testing.assert_allclose(GaussianDropout(0.2, seed=9)(x, training=True).data, x * noise,
                               rtol=1e-6)
    clone = assert_config_round_trip(GaussianDropout(0.2, seed=9))
    assert (clone.rate, clone.seed) == (0.2, 9)
    with pytest.raises(GlassnetValueError, match="'gd'.*rate"):
        GaussianDropout(1.0, name="gd")


def test_gaussian_dropout_gradcheck(rng):
    layer = GaussianDropout(0.3, dtype="float64")

    def fn(v):
        gn.manual_seed(1)
        return layer(v, training=True)

    assert_gradcheck(fn, gn.tensor(rng.normal(size=(3, 4))))


# ------------------------------------------------------------------------ ActivityRegularization
def test_activity_regularization_adds_the_penalty(rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    layer = ActivityRegularization(l1=0.01, l2=0.1)
    np.testing.assert_array_equal(layer(x).data, x)
    assert len(layer.losses) == 1
    expected = 0.01 * np.abs(x).sum() + 0.1 * (x ** 2).sum()
    np.testing.assert_allclose(layer.losses[0].item(), expected, rtol=1e-5)
    clone = assert_config_round_trip(layer)
    assert (clone.l1, clone.l2) == (0.01, 0.1)
    assert (ActivityRegularization().l1, ActivityRegularization().l2) == (0.0, 0.0)
    with pytest.raises(GlassnetValueError, match="l2"):
        ActivityRegularization(l2=-1)


def test_activity_regularization_gradcheck_of_the_penalty(rng):
    layer = ActivityRegularization(l1=0.5, l2=0.25, dtype="float64")

    def penalty(v):
        layer(v)
        return layer.losses[0]

    assert_gradcheck(penalty, gn.tensor(rng.uniform(0.1, 1.0, size=(2, 3))))


def test_noise_layers_in_a_trained_and_saved_model(tmp_path, rng):
    x = rng.normal(size=(16, 4, 3)).astype(np.float32)
    y = rng.normal(size=(16, 4, 2)).astype(np.float32)
    model = gn.Sequential([Input((4, 3)), GaussianNoise(0.1, seed=1), SpatialDropout1D(0.2),
                           Dense(2), GaussianDropout(0.1), ActivityRegularization(l2=1e-3)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = gn.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "GaussianNoise", "SpatialDropout1D", "Dense", "GaussianDropout",
        "ActivityRegularization"]
