"""Tests for glassnet.layers.activation: LeakyReLU, ReLU, PReLU, ELU, Softmax (Keras 3)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError
from glassnet.layers import ELU, Dense, Input, LeakyReLU, PReLU, ReLU, Softmax
from tests.conftest import assert_config_round_trip, assert_gradcheck, assert_save_load


def _away_from(rng, shape, kinks, gap=0.05):
    """Uniform values in [-3, 3] kept ``gap`` away from the kinks (for central differences)."""
    x = rng.uniform(-3, 3, size=shape)
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.sign(x[near] - k + 1e-12) * gap * 2
    return gn.tensor(x)






# ------------------------------------------------------------------------ LeakyReLU
def test_leaky_relu_keras3_default_and_formula():
    layer = LeakyReLU()
    assert layer.negative_slope == 0.3  # Keras 3's default (Keras 2's alpha also 0.3)
    x = np.array([[-2.0, -0.5, 0.0, 1.5]])
    np.testing.assert_allclose(layer(x).data, np.where(x >= 0, x, 0.3 * x), rtol=1e-6)
    assert LeakyReLU(alpha=0.1).negative_slope == 0.1  # the Keras 2 name
    assert assert_config_round_trip(LeakyReLU(0.2)).negative_slope == 0.2


def test_leaky_relu_gradcheck(rng):
    layer = LeakyReLU(0.2, dtype="float64")
    assert_gradcheck(lambda x: layer(x), _away_from(rng, (3, 4), [0.0]))


def test_leaky_relu_rejects_a_negative_slope():
    with pytest.raises(GlassnetValueError, match="negative_slope"):
        LeakyReLU(-0.1, name="leaky")


# ------------------------------------------------------------------------ ReLU
def _relu_reference(x, max_value, negative_slope, threshold):
    y = np.where(x >= threshold, x, negative_slope * (x - threshold))
    return y if max_value is None else np.where(x >= max_value, max_value, y)


@pytest.mark.parametrize("max_value, negative_slope, threshold", [
    (None, 0.0, 0.0), (6.0, 0.0, 0.0), (None, 0.1, 0.0), (2.0, 0.5, 1.0), (None, 0.0, 0.5)])
def test_relu_formula(max_value, negative_slope, threshold):
    x = np.linspace(-3, 3, 25).reshape(5, 5)
    layer = ReLU(max_value=max_value, negative_slope=negative_slope, threshold=threshold)
    np.testing.assert_allclose(layer(x).data,
                               _relu_reference(x, max_value, negative_slope, threshold),
                               rtol=1e-6, atol=1e-7)
    clone = assert_config_round_trip(layer)
    assert (clone.max_value, clone.negative_slope, clone.threshold) == (
        max_value, negative_slope, threshold)


def test_relu_gradcheck(rng):
    layer = ReLU(max_value=2.0, negative_slope=0.3, threshold=0.5, dtype="float64")
    assert_gradcheck(lambda x: layer(x), _away_from(rng, (4, 5), [0.5, 2.0]))


@pytest.mark.parametrize("kwargs, argument", [
    ({"max_value": -1.0}, "max_value"), ({"negative_slope": -0.5}, "negative_slope"),
    ({"threshold": -1.0}, "threshold"), ({"threshold": None}, "threshold")])
def test_relu_rejects_bad_arguments(kwargs, argument):
    with pytest.raises(GlassnetValueError, match=f"'my_relu'.*{argument}"):
        ReLU(name="my_relu", **kwargs)


# ------------------------------------------------------------------------ PReLU
def test_prelu_weight_shape_and_formula():
    layer = PReLU()
    x = np.array([[[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]]])
    np.testing.assert_allclose(layer(x).data, np.maximum(x, 0))  # alpha starts at zeros
    assert [w.shape for w in layer.get_weights()] == [(2, 3)]
    assert layer.weights[0].path.endswith("alpha")
    alpha = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], dtype=np.float32)
    layer.set_weights([alpha])
    np.testing.assert_allclose(layer(x).data, np.where(x >= 0, x, alpha * x), rtol=1e-6)


def test_prelu_shared_axes():
    layer = PReLU(alpha_initializer="ones", shared_axes=[1, 2])
    layer(np.zeros((2, 4, 5, 3)))
    assert layer.get_weights()[0].shape == (1, 1, 3)  # one slope per channel
    assert PReLU(shared_axes=1).shared_axes == [1]
    with pytest.raises(GlassnetValueError, match="'p'.*shared_axes"):
        PReLU(shared_axes=[0], name="p")


def test_prelu_gradcheck_input_and_alpha(rng):
    layer = PReLU(dtype="float64", shared_axes=[1])
    x = _away_from(rng, (3, 2, 4), [0.0])
    layer(x)
    alpha = gn.tensor(rng.uniform(0.1, 0.5, size=(1, 4)))

    def fn(inputs, a):
        layer.alpha = a
        return layer(inputs)

    assert_gradcheck(fn, x, alpha)


def test_prelu_save_load(tmp_path, rng):
    model = gn.Sequential([Input((4,)), Dense(4), PReLU(alpha_initializer="random_uniform")])
    assert_save_load(model, rng.uniform(-1, 1, (3, 4)).astype("float32"), tmp_path)


# ------------------------------------------------------------------------ ELU
def test_elu_formula_and_gradcheck(rng):
    x = np.linspace(-3, 3, 13).reshape(1, 13)
    layer = ELU(alpha=0.7)
    np.testing.assert_allclose(layer(x).data, np.where(x > 0, x, 0.7 * (np.exp(x) - 1)),
                               rtol=1e-6, atol=1e-7)
    assert assert_config_round_trip(layer).alpha == 0.7
    assert ELU().alpha == 1.0
    assert_gradcheck(lambda v: ELU(0.7, dtype="float64")(v), _away_from(rng, (3, 4), [0.0]))


# ------------------------------------------------------------------------ Softmax
def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 1, (1, 2)])
def test_softmax_formula(rng, axis):
    x = rng.normal(size=(2, 3, 4))
    layer = Softmax(axis=axis, dtype="float64")
    np.testing.assert_allclose(layer(x).data, _softmax(x, axis), rtol=1e-10)
    assert assert_config_round_trip(layer).axis == axis
    assert_gradcheck(lambda v: layer(v), gn.tensor(x))


def test_softmax_mask_gives_masked_positions_zero_probability(rng):
    x = rng.normal(size=(2, 4))
    mask = np.array([[True, False, True, True], [False, False, True, False]])
    y = Softmax(dtype="float64")(x, mask=mask).data
    expected = np.where(mask, np.exp(x), 0.0)
    expected /= expected.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-300)
    assert (y[~mask] == 0).all()
    layer = Softmax(dtype="float64")
    assert_gradcheck(lambda v: layer(v, mask=mask), gn.tensor(x))


def test_softmax_rejects_a_mask_of_the_wrong_shape():
    with pytest.raises(GlassnetValueError, match="'sm'.*mask"):
        Softmax(name="sm")(np.zeros((2, 4)), mask=np.ones((3, 4), dtype=bool))


def test_activation_layers_in_a_saved_model(tmp_path, rng):
    model = gn.Sequential([Input((5,)), Dense(6), LeakyReLU(0.1), Dense(6), ReLU(max_value=1.0),
                           Dense(6), ELU(0.5), Dense(3), Softmax()])
    loaded = assert_save_load(model, rng.normal(size=(4, 5)).astype("float32"), tmp_path)
    assert [type(layer).__name__ for layer in loaded.layers][-1] == "Softmax"


def test_activation_layers_keep_the_mask():
    x = gn.layers.Embedding(5, 3, mask_zero=True)(np.array([[1, 2, 0]]))
    for layer in (LeakyReLU(), ReLU(), ELU(), PReLU()):
        np.testing.assert_array_equal(layer(x)._keras_mask, [[True, True, False]])


def test_keras_documented_examples():
    """The examples on keras.io's LeakyReLU and ReLU pages."""
    x = np.array([-10, -5, 0.0, 5, 10])
    np.testing.assert_allclose(LeakyReLU(negative_slope=0.5)(x).data, [-5.0, -2.5, 0, 5, 10])
    relu = ReLU(max_value=10, negative_slope=0.5, threshold=0)
    np.testing.assert_allclose(relu(x).data, [-5.0, -2.5, 0.0, 5.0, 10.0])
    np.testing.assert_allclose(ReLU(threshold=1.5)(np.array([-3.0, -1.0, 1.0, 2.0])).data,
                               [0.0, 0.0, 0.0, 2.0])
