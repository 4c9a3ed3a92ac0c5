"""Tests for glassnet.layers.core: Dense, Activation, Flatten, Reshape, Dropout, Input."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers.core import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    Reshape,
    dense,
)
from tests.conftest import assert_gradcheck, f64


# ------------------------------------------------------------------------ Dense
def test_dense_shapes_and_keras_weight_layout():
    layer = Dense(5)
    y = layer(np.ones((4, 3)))
    assert y.shape == (4, 5)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 5) and bias.shape == (5,)
    assert kernel.dtype == np.float32
    np.testing.assert_array_equal(bias, 0.0)  # bias_initializer="zeros"
    assert layer.count_params() == 3 * 5 + 5


def test_dense_formula_with_known_weights():
    layer = Dense(2, activation="sigmoid")
    layer(np.zeros((1, 3)))
    w = np.array([[1.0, -1.0], [2.0, 0.0], [0.5, 3.0]])
    b = np.array([0.1, -0.2])
    layer.set_weights([w, b])
    x = np.array([[1.0, 2.0, 3.0]])
    z = x @ w + b  # [[6.6, 8.8]]
    expected = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-6)


def test_dense_on_rank_3_inputs_uses_last_axis():
    layer = Dense(4, kernel_initializer="ones", bias_initializer="ones")
    y = layer(np.ones((2, 5, 3)))
    assert y.shape == (2, 5, 4)
    np.testing.assert_allclose(y.numpy(), 4.0)  # 3 * 1 + 1
    assert layer.compute_output_shape((None, 5, 3)) == (None, 5, 4)


def test_dense_without_bias_and_invalid_units():
    layer = Dense(3, use_bias=False)
    layer(np.ones((1, 2)))
    assert [w.name for w in layer.weights] == ["kernel"]
    assert layer.count_params() == 6
    for bad in (0, -1, 2.5, True):
        with pytest.raises(GlassnetValueError, match="units"):
            Dense(bad)


def test_dense_needs_known_feature_axis():
    with pytest.raises(ShapeError, match="rank >= 2"):
        Dense(2)(np.ones(3))


def test_dense_gradcheck_float64_layer(rng):
    layer = Dense(3, activation="tanh", dtype="float64")
    layer(np.zeros((1, 4)))

    def fn(x, kernel, bias):
        layer.kernel, layer.bias = kernel, bias
        return layer(x)

    assert_gradcheck(fn, f64(rng, 5, 4), f64(rng, 4, 3), f64(rng, 3))


def test_dense_gradcheck_rank_3(rng):
    assert_gradcheck(lambda x, w, b: dense(x, w, b), f64(rng, 2, 3, 4), f64(rng, 4, 2),
                     f64(rng, 2))
    assert_gradcheck(lambda x, w: dense(x, w), f64(rng, 3, 4), f64(rng, 4, 2))


def test_fused_dense_gradients_equal_formulas(rng):
    x = gn.tensor(rng.normal(size=(6, 4)).astype(np.float32), requires_grad=True)
    w = gn.tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    b = gn.tensor(rng.normal(size=3).astype(np.float32), requires_grad=True)
    g = rng.normal(size=(6, 3)).astype(np.float32)
    z = dense(x, w, b)
    assert z.dtype == np.float32
    z.backward(g)
    np.testing.assert_allclose(z.numpy(), x.data @ w.data + b.data, rtol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), x.data.T @ g, rtol=1e-5)  # dW = x^T dz
    np.testing.assert_allclose(b.grad.numpy(), g.sum(axis=0), rtol=1e-5)  # db = sum dz
    np.testing.assert_allclose(x.grad.numpy(), g @ w.data.T, rtol=1e-5)  # dx = dz W^T
    assert w.grad.dtype == np.float32 and x.grad.dtype == np.float32


def test_fused_dense_second_derivatives_match_composed(rng):
    x_data = rng.normal(size=(3, 4))

    def second(linear):
        x = gn.tensor(x_data, requires_grad=True)
        w = gn.tensor(np.linspace(-1, 1, 8).reshape(4, 2), requires_grad=True)
        b = gn.tensor(np.array([0.1, -0.3]), requires_grad=True)
        linear(x, w, b).tanh().sum().backward(create_graph=True)
        gx = x.grad
        x.grad = w.grad = b.grad = None
        (gx * gx).sum().backward()
        return w.grad.numpy(), b.grad.numpy()

    fused = second(dense)
    composed = second(lambda x, w, b: x @ w + b)
    for a, c in zip(fused, composed, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-10)


def test_dense_config_round_trip_keeps_numbers():
    layer = Dense(3, activation="relu", kernel_initializer="he_normal",
                  kernel_regularizer="l2", name="dd")
    clone = Dense.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.get_config()["kernel_regularizer"] == {
        "class_name": "L2", "config": {"l2": 0.01}
    }


# ------------------------------------------------------------------------ Activation / shape
def test_activation_layer():
    y = Activation("relu")(np.array([[-1.0, 0.5]]))
    np.testing.assert_array_equal(y.numpy(), [[0.0, 0.5]])
    assert Activation("softmax").get_config()["activation"] == "softmax"


def test_flatten_and_reshape():
    x = np.arange(24.0).reshape(2, 3, 4)
    y = Flatten()(x)
    assert y.shape == (2, 12)
    np.testing.assert_array_equal(y.numpy(), x.reshape(2, 12))
    assert Flatten().compute_output_shape((None, 28, 28, 1)) == (None, 784)
    r = Reshape((4, -1))
    assert r(x).shape == (2, 4, 3)
    assert r.compute_output_shape((None, 3, 4)) == (None, 4, 3)
    with pytest.raises(ShapeError, match="reshape"):
        Reshape((5,))(x)
    with pytest.raises(GlassnetValueError, match="-1"):
        Reshape((-1, -1))


# ------------------------------------------------------------------------ Dropout
def test_dropout_inverted_scaling_in_training():
    x = np.ones((1000, 100), dtype=np.float32)
    y = Dropout(0.25)(x, training=True).numpy()
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.75], rtol=1e-6)
    dropped = (y == 0).mean()
    assert abs(dropped - 0.25) < 0.01  # 1e5 draws: standard deviation 0.0014
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation
    assert y.dtype == np.float32


def test_dropout_inactive_at_inference():
    x = gn.tensor(np.ones((3, 4), dtype=np.float32))
    layer = Dropout(0.9)
    assert layer(x) is x
    assert layer(x, training=False) is x


def test_dropout_gradient_is_the_mask():
    x = gn.tensor(np.ones((50, 20)), requires_grad=True)
    y = Dropout(0.5)(x, training=True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # both are mask / (1 - rate)


def test_dropout_noise_shape_seed_and_reproducibility():
    x = np.ones((4, 6, 8))
    y = Dropout(0.5, noise_shape=(None, 1, 8))(x, training=True).numpy()
    assert np.all(y == y[:, :1, :])  # the same mask along axis 1
    a = Dropout(0.5, seed=3)(x, training=True).numpy()
    b = Dropout(0.5, seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    gn.manual_seed(11)
    c = Dropout(0.5)(x, training=True).numpy()
    gn.manual_seed(11)
    d = Dropout(0.5)(x, training=True).numpy()
    np.testing.assert_array_equal(c, d)
    for bad in (1.0, -0.1, "0.5"):
        with pytest.raises(GlassnetValueError, match="rate"):
            Dropout(bad)


# ------------------------------------------------------------------------ Input
def test_input_and_input_layer():
    x = Input(shape=(5,), name="pixels")
    assert x.shape == (None, 5)
    assert isinstance(x.node.layer, InputLayer) and x.node.layer.name == "pixels"
    y = Dense(3)(x)
    assert y.shape == (None, 3) and y.node.layer.built
    ints = Input(shape=(7,), dtype="int32")
    assert ints.dtype == np.int32
    assert Input(batch_shape=(8, 2)).shape == (8, 2)
    assert InputLayer.from_config(x.node.layer.get_config()).output.shape == (None, 5)


def test_default_activation_is_keras_linear_and_named_ones_resolve():
    from glassnet import activations

    assert gn.layers.Dense(3).activation is activations.linear
    assert gn.layers.Dense(3, activation="relu").activation is activations.relu
    layer = gn.layers.Dense(2, activation=None, kernel_initializer="ones", bias_initializer="ones")
    x = np.array([[-3.0, -4.0]], dtype=np.float32)
    np.testing.assert_allclose(layer(x).data, [[-6.0, -6.0]])  # no ReLU clipped it
