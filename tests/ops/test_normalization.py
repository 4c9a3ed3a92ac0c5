"""Tests for glassnet.ops.normalization: batch_norm and layer_norm."""

import numpy as np
import pytest

from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.ops.normalization import batch_norm, layer_norm
from tests.conftest import assert_gradcheck, f64


def test_batch_norm_training_uses_batch_statistics(rng):
    x = rng.normal(2.0, 3.0, size=(8, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    y = batch_norm(x, gamma, beta, training=True, epsilon=1e-3).data
    mu, var = x.mean(axis=0), ((x - x.mean(axis=0)) ** 2).mean(axis=0)
    np.testing.assert_allclose(y, gamma * (x - mu) / np.sqrt(var + 1e-3) + beta, rtol=1e-12)


def test_batch_norm_updates_moving_statistics_with_momentum(rng):
    x = rng.normal(1.0, 2.0, size=(6, 3, 3, 2))
    mean, var = np.zeros(2), np.ones(2)
    batch_norm(x, moving_mean=mean, moving_variance=var, training=True)
    flat = x.reshape(-1, 2)
    np.testing.assert_allclose(mean, 0.01 * flat.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(var, 0.99 + 0.01 * flat.var(axis=0), rtol=1e-12)  # biased


def test_batch_norm_inference_uses_moving_statistics(rng):
    x = rng.normal(size=(5, 3))
    mean, var = np.array([1.0, -1.0, 0.5]), np.array([4.0, 1.0, 0.25])
    y = batch_norm(x, np.full(3, 2.0), np.full(3, 0.5), mean, var, epsilon=0.0).data
    np.testing.assert_allclose(y, 2.0 * (x - mean) / np.sqrt(var) + 0.5, rtol=1e-12)
    train = batch_norm(x, moving_mean=mean.copy(), moving_variance=var.copy(),
                       training=True).data
    assert not np.allclose(train, y)


def test_batch_norm_channels_first_axis(rng):
    x = rng.normal(size=(4, 3, 2, 2))
    y = batch_norm(x, training=True, axis=1, epsilon=0.0).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1.0, rtol=1e-10)


@pytest.mark.parametrize("axis,shape", [(-1, (4, 3, 5)), (1, (4, 3, 5))])
def test_batch_norm_gradcheck(rng, axis, shape):
    c = shape[axis]
    assert_gradcheck(lambda x, g, b: batch_norm(x, g, b, training=True, axis=axis),
                     f64(rng, *shape), f64(rng, c), f64(rng, c))
    assert_gradcheck(lambda x, g, b: batch_norm(x, g, b, np.zeros(c), np.ones(c), axis=axis),
                     f64(rng, *shape), f64(rng, c), f64(rng, c))


def test_layer_norm_values_and_gradcheck(rng):
    x = rng.normal(size=(3, 4))
    y = layer_norm(x, epsilon=1e-3).data
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    np.testing.assert_allclose(y, (x - mu) / np.sqrt(var + 1e-3), rtol=1e-12)
    assert_gradcheck(lambda x, g, b: layer_norm(x, g, b), f64(rng, 2, 3, 4), f64(rng, 4),
                     f64(rng, 4))
    assert_gradcheck(lambda x, g, b: layer_norm(x, g, b, axis=(1, 2)), f64(rng, 2, 3, 4),
                     f64(rng, 3, 4), f64(rng, 3, 4))


def test_normalization_keeps_float32(rng):
    x = rng.normal(size=(4, 3)).astype(np.float32)
    assert batch_norm(x, training=True).dtype == np.float32
    mm, mv = np.zeros(3, np.float32), np.ones(3, np.float32)
    assert batch_norm(x, moving_mean=mm, moving_variance=mv).dtype == np.float32
    assert layer_norm(x).dtype == np.float32


def test_normalization_errors():
    with pytest.raises(GlassnetValueError, match="moving_mean"):
        batch_norm(np.zeros((2, 3)))
    with pytest.raises(ShapeError, match="axis 3"):
        batch_norm(np.zeros((2, 3)), training=True, axis=3)
    with pytest.raises(ShapeError, match="parameter"):
        layer_norm(np.zeros((2, 3)), np.ones(4))
