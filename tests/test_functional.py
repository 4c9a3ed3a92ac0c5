"""glassnet.functional: activations (seed values), linear, dropout, docstrings."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from tests.conftest import assert_gradcheck, f64

ACTIVATION_NAMES = ["step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus",
                    "softmax", "log_softmax", "gelu", "swish", "silu", "hard_sigmoid"]


def test_seed004_activation_values_on_minus_one_zero_one():
    # Seed 004 prints these for x = [-1, 0, 1].
    x = gn.tensor([-1.0, 0.0, 1.0])
    np.testing.assert_allclose(F.sigmoid(x).data, [0.26894142, 0.5, 0.73105858], atol=1e-7)
    np.testing.assert_array_equal(F.relu(x).data, [0, 0, 1])
    np.testing.assert_allclose(F.tanh(x).data, [-0.76159416, 0.0, 0.76159416], atol=1e-7)


def test_seed003_softmax_of_1_2_5_3():
    # The seed says "about 0.01, 0.04, 0.83, 0.11": those digits are truncated, not rounded.
    p = F.softmax([1.0, 2.0, 5.0, 3.0]).data
    e = np.exp([1.0, 2.0, 5.0, 3.0])
    np.testing.assert_allclose(p, e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(p, [0.015, 0.041, 0.831, 0.112], atol=6e-4)
    np.testing.assert_array_equal(np.floor(p * 100) / 100, np.array([0.01, 0.04, 0.83, 0.11],
                                                                   dtype=np.float32))


def test_step_is_heaviside_with_zero_gradient():
    x = gn.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    y = F.step(x)
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_accepts_lists_and_ints(name):
    y = getattr(F, name)([[-1, 0, 2]])
    assert isinstance(y, gn.Tensor) and y.dtype == np.float32 and y.shape == (1, 3)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_docstring_has_formula_and_derivative(name):
    doc = getattr(F, name).__doc__
    assert "f(x)" in doc or "f(x)_i" in doc
    assert "f'(x)" in doc or "df_i/dx_j" in doc


def test_leaky_relu_alias_and_keras_default_slope():
    x = gn.tensor([-1.0, 1.0])
    np.testing.assert_allclose(F.leaky_relu(x).data, [-0.2, 1.0])  # Keras 3 default 0.2
    np.testing.assert_allclose(F.leaky_relu(x, alpha=0.01).data, [-0.01, 1.0])
    np.testing.assert_allclose(F.leaky_relu(x, negative_slope=0.3).data, [-0.3, 1.0])


def test_gelu_exact_and_approximate_values():
    # Phi(1) = 0.841344746...; tanh form at 1: 0.5 (1 + tanh(sqrt(2/pi) * 1.044715))
    np.testing.assert_allclose(F.gelu([1.0]).data, [0.8413447], rtol=1e-6)
    expected = 0.5 * (1 + np.tanh(np.sqrt(2 / np.pi) * 1.044715))
    np.testing.assert_allclose(F.gelu([1.0], approximate=True).data, [expected], rtol=1e-6)


def test_silu_is_swish():
    assert F.silu is F.swish


def test_linear_layer_math(rng):
    x, w, b = f64(rng, 4, 3), f64(rng, 3, 2), f64(rng, 2)
    np.testing.assert_allclose(F.linear(x, w, b).data, x.data @ w.data + b.data, rtol=1e-12)
    assert_gradcheck(F.linear, x, w, b)
    assert_gradcheck(lambda a, c: F.linear(a, c), x, w)


def test_linear_without_weight_is_identity():
    x = gn.tensor([1.0, -2.0])
    assert F.linear(x) is x


def test_linear_shape_error_names_shapes():
    with pytest.raises(gn.ShapeError, match=r"\(4, 3\).*\(2, 2\)"):
        F.linear(gn.tensor(np.zeros((4, 3))), gn.tensor(np.zeros((2, 2))))


# ------------------------------------------------------------------------ dropout
def test_dropout_is_identity_when_not_training():
    x = gn.tensor(np.ones((10, 10)))
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0, training=True) is x


def test_dropout_inverted_scaling_and_rate():
    x = gn.tensor(np.ones((200, 500), dtype=np.float32), requires_grad=True)
    y = F.dropout(x, 0.3, training=True)
    assert y.dtype == np.float32
    kept = y.data != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01  # 100k Bernoulli draws: std 0.0015
    np.testing.assert_allclose(y.data[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, kept / 0.7, rtol=1e-6)


def test_dropout_reproducible_under_manual_seed():
    x = gn.tensor(np.ones((8, 8)))
    gn.manual_seed(3)
    a = F.dropout(x, 0.5, training=True).data
    gn.manual_seed(3)
    b = F.dropout(x, 0.5, training=True).data
    c = F.dropout(x, 0.5, training=True).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_dropout_noise_shape_and_bad_rate():
    x = gn.tensor(np.ones((4, 50)))
    y = F.dropout(x, 0.5, training=True, noise_shape=(1, None)).data
    assert np.all(y == y[0])  # same mask for every row
    assert np.all(F.dropout(x, 1.0, training=True).data == 0)
    with pytest.raises(ValueError, match="rate"):
        F.dropout(x, 1.5, training=True)
