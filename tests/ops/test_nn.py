"""glassnet.ops.nn: activation ops and fused losses against independent NumPy formulas."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.ops import nn
from tests.conftest import assert_gradcheck, f64

_erf = np.vectorize(math.erf)


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# name -> (glassnet op, independent NumPy reference, derivative reference)
ACTIVATIONS = {
    "sigmoid": (nn.sigmoid, _np_sigmoid, lambda x: _np_sigmoid(x) * (1 - _np_sigmoid(x))),
    "relu": (nn.relu, lambda x: np.where(x > 0, x, 0.0), lambda x: (x > 0) * 1.0),
    "leaky_relu": (
        lambda x: nn.leaky_relu(x, 0.1),
        lambda x: np.where(x > 0, x, 0.1 * x),
        lambda x: np.where(x > 0, 1.0, 0.1),
    ),
    "elu": (
        lambda x: nn.elu(x, 0.7),
        lambda x: np.where(x > 0, x, 0.7 * (np.exp(x) - 1)),
        lambda x: np.where(x > 0, 1.0, 0.7 * np.exp(x)),
    ),
    "softplus": (nn.softplus, lambda x: np.log(1 + np.exp(x)), _np_sigmoid),
    "gelu": (
        nn.gelu,
        lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
        lambda x: 0.5 * (1 + _erf(x / np.sqrt(2))) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi),
    ),
    "gelu_tanh": (
        lambda x: nn.gelu(x, approximate=True),
        lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
        lambda x: (0.5 * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
                   + 0.5 * x * (1 - np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)) ** 2)
                   * np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * x**2)),
    ),
    "swish": (
        nn.swish,
        lambda x: x / (1 + np.exp(-x)),
        lambda x: _np_sigmoid(x) + x * _np_sigmoid(x) * (1 - _np_sigmoid(x)),
    ),
    "step": (nn.step, lambda x: (x > 0) * 1.0, lambda x: 0.0 * x),
    "hard_sigmoid": (
        nn.hard_sigmoid,
        lambda x: np.clip(x / 6 + 0.5, 0, 1),
        lambda x: ((x > -3) & (x < 3)) / 6.0,
    ),
}


def _away_from_kinks(rng, shape, kinks=(0.0,)):
    x = rng.uniform(-4, 4, size=shape)
    for k in kinks:
        x[np.abs(x - k) < 1e-2] += 0.05
    return x


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_forward_matches_formula(name, rng):
    op, reference, _ = ACTIVATIONS[name]
    x = rng.uniform(-5, 5, size=(4, 7))
    np.testing.assert_allclose(op(gn.tensor(x)).data, reference(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivative_matches_formula(name, rng):
    op, _, derivative = ACTIVATIONS[name]
    x = gn.tensor(_away_from_kinks(rng, (3, 5), kinks=(0.0, -3.0, 3.0)), requires_grad=True)
    op(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, derivative(x.data), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradcheck(name, rng):
    op = ACTIVATIONS[name][0]
    assert_gradcheck(op, gn.tensor(_away_from_kinks(rng, (3, 4), kinks=(0.0, -3.0, 3.0))))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_keeps_float32(name):
    op = ACTIVATIONS[name][0]
    x = gn.tensor([[-2.0, -0.5, 0.0, 0.5, 2.0]], requires_grad=True)
    y = op(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "swish", "elu", "gelu", "gelu_tanh"])
def test_activation_finite_at_extremes(name):
    op = ACTIVATIONS[name][0]
    x = gn.tensor([-1e4, -100.0, 100.0, 1e4], requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = op(x)
    y.sum().backward()
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad.data))


def test_sigmoid_and_softplus_limits_at_extremes():
    x = gn.tensor(np.array([-1e4, 1e4]))
    np.testing.assert_array_equal(nn.sigmoid(x).data, [0.0, 1.0])
    np.testing.assert_array_equal(nn.softplus(x).data, [0.0, 1e4])


def test_sigmoid_keeps_relative_precision_in_the_tails():
    x = np.array([-100.0, -30.0, 30.0])
    np.testing.assert_allclose(nn.sigmoid(gn.tensor(x)).data, 1 / (1 + np.exp(-x)), rtol=1e-14)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_on_zero_dim_tensor(name):
    op, reference, _ = ACTIVATIONS[name]
    x = gn.tensor(np.array(0.7), requires_grad=True)
    y = op(x)
    assert y.shape == () and y.item() == pytest.approx(float(reference(np.array(0.7))))
    y.backward()
    assert x.grad.shape == ()


def _first_derivative(op):
    """x -> d(sum op(x))/dx as a differentiable Tensor (for second-derivative checks)."""

    def grad_of(x):
        x.grad = None
        op(x).sum().backward(create_graph=True)
        g = x.grad
        x.grad = None
        return g

    return grad_of


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "elu", "gelu", "gelu_tanh", "swish"])
def test_activation_double_backward(name, rng):
    op = ACTIVATIONS[name][0]
    assert_gradcheck(_first_derivative(op), gn.tensor(_away_from_kinks(rng, (5,))))


def test_sigmoid_second_derivative_value():
    x = gn.tensor(np.array([0.3, -1.2]), requires_grad=True)
    g = _first_derivative(nn.sigmoid)(x)
    g.sum().backward()
    s = _np_sigmoid(x.data)
    np.testing.assert_allclose(x.grad.data, s * (1 - s) * (1 - 2 * s), rtol=1e-12)


# ------------------------------------------------------------------------ softmax family
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_forward(axis, rng):
    x = rng.normal(size=(3, 4, 5))
    np.testing.assert_allclose(nn.softmax(gn.tensor(x), axis).data, _np_softmax(x, axis),
                               rtol=1e-12)
    np.testing.assert_allclose(nn.log_softmax(gn.tensor(x), axis).data,
                               np.log(_np_softmax(x, axis)), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_family_gradcheck_and_double_backward(axis, rng):
    x = f64(rng, 3, 4)
    assert_gradcheck(lambda t: nn.softmax(t, axis), x)
    assert_gradcheck(lambda t: nn.log_softmax(t, axis), x)
    weights = gn.tensor(rng.uniform(size=(3, 4)))
    assert_gradcheck(_first_derivative(lambda t: nn.softmax(t, axis) * weights), x)
    assert_gradcheck(_first_derivative(lambda t: nn.log_softmax(t, axis) * weights), x)


def test_softmax_family_stable_at_extremes():
    x = gn.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]], requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        p = nn.softmax(x)
        logp = nn.log_softmax(x)
    np.testing.assert_allclose(p.data, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    np.testing.assert_allclose(logp.data[0], [0.0, -1e4, -2e4])
    (p.sum() + logp.sum()).backward()
    assert np.all(np.isfinite(x.grad.data))


# ------------------------------------------------------------------------ erf
def test_erf_float64_is_exact_and_float32_within_resolution(rng):
    x = rng.uniform(-5, 5, size=1000)
    np.testing.assert_allclose(nn.erf_array(x), _erf(x), rtol=0, atol=1e-15)
    x32 = x.astype(np.float32)
    out = nn.erf_array(x32)
    assert out.dtype == np.float32
    assert np.max(np.abs(out - _erf(x32.astype(np.float64)))) < 3e-7


def test_erf_op_gradcheck(rng):
    assert_gradcheck(nn.erf, f64(rng, 6, low=-2, high=2))


# ------------------------------------------------------------------------ fused losses
def _np_log_softmax(z, axis=-1):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


def test_softmax_cross_entropy_forward_and_gradient(rng):
    z = rng.normal(size=(4, 5))
    t = rng.uniform(size=(4, 5))
    t /= t.sum(axis=1, keepdims=True)
    zt = gn.tensor(z, requires_grad=True)
    loss = nn.softmax_cross_entropy(zt, t)
    np.testing.assert_allclose(loss.data, -(t * _np_log_softmax(z)).sum(axis=1), rtol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(zt.grad.data, _np_softmax(z) - t, atol=1e-12)


def test_softmax_cross_entropy_gradcheck_logits_and_targets(rng):
    t = rng.uniform(size=(3, 4))
    assert_gradcheck(nn.softmax_cross_entropy, f64(rng, 3, 4), gn.tensor(t))
    assert_gradcheck(lambda z: nn.softmax_cross_entropy(z, t, axis=0), f64(rng, 3, 4))


def test_sparse_softmax_cross_entropy(rng):
    z = rng.normal(size=(6, 3))
    labels = np.array([0, 2, 1, 1, 0, 2])
    zt = gn.tensor(z, requires_grad=True)
    loss = nn.sparse_softmax_cross_entropy(zt, labels)
    np.testing.assert_allclose(loss.data, -_np_log_softmax(z)[np.arange(6), labels], rtol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(zt.grad.data, _np_softmax(z) - np.eye(3)[labels], atol=1e-12)
    assert_gradcheck(lambda q: nn.sparse_softmax_cross_entropy(q, labels), f64(rng, 6, 3))


def test_sparse_softmax_cross_entropy_rejects_bad_labels():
    z = gn.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        nn.sparse_softmax_cross_entropy(z, [0, 3])
    with pytest.raises(TypeError, match="integers"):
        nn.sparse_softmax_cross_entropy(z, [0.5, 1.0])
    with pytest.raises(gn.ShapeError, match=r"\(2,\)"):
        nn.sparse_softmax_cross_entropy(z, [0, 1, 2])


def test_sigmoid_binary_cross_entropy(rng):
    z = rng.normal(scale=3, size=(5, 2))
    t = rng.uniform(size=(5, 2))
    zt = gn.tensor(z, requires_grad=True)
    loss = nn.sigmoid_binary_cross_entropy(zt, t)
    s = _np_sigmoid(z)
    np.testing.assert_allclose(loss.data, -(t * np.log(s) + (1 - t) * np.log(1 - s)),
                               rtol=1e-10)
    loss.sum().backward()
    np.testing.assert_allclose(zt.grad.data, s - t, atol=1e-12)
    assert_gradcheck(nn.sigmoid_binary_cross_entropy, f64(rng, 3, 2), gn.tensor(t[:3]))


def test_fused_losses_finite_at_extremes():
    z = gn.tensor([[1e4, -1e4, 0.0]], requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        dense = nn.softmax_cross_entropy(z, [[0.0, 1.0, 0.0]])
        sparse = nn.sparse_softmax_cross_entropy(z, [1])
        binary = nn.sigmoid_binary_cross_entropy(z, [[0.0, 1.0, 1.0]])
    np.testing.assert_allclose(dense.data, [2e4])
    np.testing.assert_allclose(sparse.data, [2e4])
    np.testing.assert_allclose(binary.data, [[1e4, 1e4, np.log(2)]], rtol=1e-6)
    (dense.sum() + sparse.sum() + binary.sum()).backward()
    np.testing.assert_allclose(z.grad.data, [[3.0, -3.0, -0.5]], atol=1e-6)


def test_fused_losses_keep_float32():
    z = gn.tensor([[1.0, 2.0]], requires_grad=True)
    for loss in (nn.softmax_cross_entropy(z, [[0.0, 1.0]]),
                 nn.sparse_softmax_cross_entropy(z, [1]),
                 nn.sigmoid_binary_cross_entropy(z, [[0.0, 1.0]])):
        assert loss.dtype == np.float32
        z.grad = None
        loss.sum().backward()
        assert z.grad.dtype == np.float32
