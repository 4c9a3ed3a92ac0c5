"""Tests for BatchNormalization and LayerNormalization."""

import numpy as np
import pytest

from glassnet.errors import ShapeError
from glassnet.layers.normalization import BatchNormalization, LayerNormalization
from tests.conftest import assert_gradcheck, f64


def test_batch_normalization_weights_in_keras_order():
    bn = BatchNormalization()
    bn(np.zeros((4, 3), np.float32))
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in bn.non_trainable_weights] == ["moving_mean", "moving_variance"]
    assert bn.count_params() == 12
    assert bn.momentum == 0.99 and bn.epsilon == 1e-3
    gamma, beta, mean, var = bn.get_weights()
    np.testing.assert_array_equal(gamma, 1.0)
    np.testing.assert_array_equal(var, 1.0)


def test_batch_normalization_train_vs_inference_and_moving_update(rng):
    bn = BatchNormalization(dtype="float64")
    x = rng.normal(3.0, 2.0, size=(16, 4))
    y_train = bn(x, training=True).data
    mu, var = x.mean(axis=0), x.var(axis=0)
    np.testing.assert_allclose(y_train, (x - mu) / np.sqrt(var + 1e-3), rtol=1e-10)
    _, _, moving_mean, moving_var = bn.get_weights()
    np.testing.assert_allclose(moving_mean, 0.99 * 0 + 0.01 * mu, rtol=1e-12)
    np.testing.assert_allclose(moving_var, 0.99 * 1 + 0.01 * var, rtol=1e-12)
    y_infer = bn(x, training=False).data
    np.testing.assert_allclose(y_infer, (x - moving_mean) / np.sqrt(moving_var + 1e-3),
                               rtol=1e-10)
    assert not np.allclose(y_infer, y_train)
    bn(x)  # default: inference, no update
    np.testing.assert_array_equal(bn.get_weights()[2], moving_mean)


def test_frozen_batch_normalization_runs_in_inference_mode(rng):
    bn = BatchNormalization(dtype="float64")
    x = rng.normal(size=(8, 2))
    bn(x)
    bn.trainable = False
    before = bn.get_weights()[2].copy()
    np.testing.assert_allclose(bn(x, training=True).data, x / np.sqrt(1 + 1e-3), rtol=1e-12)
    np.testing.assert_array_equal(bn.get_weights()[2], before)


def test_batch_normalization_images_channels_first(rng):
    bn = BatchNormalization(axis=1, dtype="float64", center=False)
    x = rng.normal(size=(4, 3, 2, 2))
    y = bn(x, training=True).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    assert [w.name for w in bn.weights] == ["gamma", "moving_mean", "moving_variance"]


def test_batch_normalization_gradcheck(rng):
    bn = BatchNormalization(dtype="float64")
    x = f64(rng, 5, 3)
    bn(x)

    def fn(x, gamma, beta):
        bn.gamma, bn.beta = gamma, beta
        return bn(x, training=True)

    assert_gradcheck(fn, x, f64(rng, 3), f64(rng, 3))


def test_layer_normalization(rng):
    ln = LayerNormalization(dtype="float64")
    x = rng.normal(size=(3, 5))
    np.testing.assert_allclose(
        ln(x).data, (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-3),
        rtol=1e-10)
    assert [w.name for w in ln.weights] == ["gamma", "beta"]
    ln2 = LayerNormalization(axis=[1, 2], dtype="float64")
    x3 = f64(rng, 2, 3, 4)
    ln2(x3)
    assert ln2.gamma.shape == (3, 4)

    def fn(x, gamma, beta):
        ln2.gamma, ln2.beta = gamma, beta
        return ln2(x)

    assert_gradcheck(fn, x3, f64(rng, 3, 4), f64(rng, 3, 4))


def test_normalization_errors_and_config():
    bn = BatchNormalization(name="bn")
    bn(np.zeros((2, 3)))
    with pytest.raises(ShapeError, match="bn"):
        bn(np.zeros((2, 4)))
    with pytest.raises(ShapeError, match="axis 3"):
        BatchNormalization(axis=3)(np.zeros((2, 3)))
    clone = BatchNormalization.from_config(BatchNormalization(momentum=0.9).get_config())
    assert clone.momentum == 0.9
    clone = LayerNormalization.from_config(LayerNormalization(epsilon=1e-5).get_config())
    assert clone.epsilon == 1e-5
