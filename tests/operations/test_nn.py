"""keras.ops' neural-network ops against their published formulas (NumPy), with gradchecks."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.keras import ops
from tests.conftest import assert_gradcheck

_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": _sigmoid,
    "log_sigmoid": lambda x: np.log(_sigmoid(x)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "tanh": np.tanh,
    "celu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "soft_shrink": lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_match_their_formulas_and_gradcheck(name, rng):
    x = rng.uniform(0.2, 4.0, size=(3, 5)) * rng.choice([-1.0, 1.0], size=(3, 5))
    for kink in (0.5, 1.0, 3.0, 6.0):  # away from the kinks of the piecewise ones
        x[np.abs(np.abs(x) - kink) < 0.05] = 1.7
    y = getattr(ops, name)(x.astype(np.float32))
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y.numpy(), ACTIVATIONS[name](x), rtol=1e-5, atol=1e-6)
    assert_gradcheck(getattr(ops, name), gn.tensor(x))


def test_gelu_exact_and_arguments(rng):
    x = rng.normal(size=(4,))
    exact = 0.5 * x * (1 + _erf(x / np.sqrt(2)))
    np.testing.assert_allclose(ops.gelu(x, approximate=False).numpy(), exact, rtol=1e-10)
    np.testing.assert_allclose(ops.elu(x, alpha=0.5).numpy(),
                               np.where(x > 0, x, 0.5 * np.expm1(x)))
    np.testing.assert_allclose(ops.leaky_relu(x, negative_slope=0.1).numpy(),
                               np.where(x > 0, x, 0.1 * x))


@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
def test_softmax_and_log_softmax(axis, rng):
    x = rng.normal(size=(3, 4))
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    expected = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(ops.softmax(x, axis=axis).numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(ops.log_softmax(x, axis=axis).numpy(), np.log(expected),
                               rtol=1e-10)
    assert_gradcheck(lambda t: ops.softmax(t, axis=axis), gn.tensor(x))
    assert_gradcheck(lambda t: ops.log_softmax(t, axis=axis), gn.tensor(x))


def test_one_hot_and_multi_hot():
    labels = np.array([[0, 2], [1, 5]])
    hot = ops.one_hot(labels, 3)
    assert hot.shape == (2, 2, 3) and hot.dtype == np.float32
    np.testing.assert_array_equal(hot.numpy(), (labels[..., None] == np.arange(3)))
    assert ops.one_hot(labels, 3, axis=0).shape == (3, 2, 2)
    assert ops.one_hot([1], 2, dtype="int32").dtype == np.int32
    np.testing.assert_array_equal(ops.multi_hot([[0, 2], [1, 1]], 3).numpy(),
                                  [[1, 0, 1], [0, 1, 0]])


def _conv2d_reference(x, w, stride):
    n, h, wd, _ = x.shape
    kh, kw, _, f = w.shape
    out = np.zeros((n, (h - kh) // stride + 1, (wd - kw) // stride + 1, f))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))
    return out


def test_conv_1d_and_2d(rng):
    x, w = rng.normal(size=(2, 5, 6, 3)), rng.normal(size=(3, 2, 3, 4))
    np.testing.assert_allclose(ops.conv(x, w, strides=1).numpy(), _conv2d_reference(x, w, 1),
                               rtol=1e-9)
    assert ops.conv(x, w, padding="same").shape == (2, 5, 6, 4)
    assert_gradcheck(lambda a, b: ops.conv(a, b, strides=2), gn.tensor(x), gn.tensor(w))
    x1, w1 = rng.normal(size=(2, 7, 3)), rng.normal(size=(3, 3, 2))
    expected = _conv2d_reference(x1[:, None], w1[None], 1)[:, 0]
    np.testing.assert_allclose(ops.conv(x1, w1).numpy(), expected, rtol=1e-9)
    with pytest.raises(gn.ShapeError, match="conv"):
        ops.conv(rng.normal(size=(2, 3)), w)


def test_pooling(rng):
    x = rng.normal(size=(2, 4, 6, 3))
    windows = x.reshape(2, 2, 2, 3, 2, 3)
    np.testing.assert_allclose(ops.max_pool(x, 2).numpy(), windows.max(axis=(2, 4)))
    np.testing.assert_allclose(ops.average_pool(x, (2, 2)).numpy(), windows.mean(axis=(2, 4)))
    x1 = rng.normal(size=(2, 6, 3))
    np.testing.assert_allclose(ops.max_pool(x1, 3).numpy(),
                               x1.reshape(2, 2, 3, 3).max(axis=2))
    assert ops.average_pool(x1, 2, strides=1, padding="same").shape == (2, 6, 3)
    assert_gradcheck(lambda t: ops.average_pool(t, 2), gn.tensor(x))


def test_binary_crossentropy_is_elementwise(rng):
    t = rng.integers(0, 2, size=(3, 4)).astype(float)
    p = rng.uniform(0.05, 0.95, size=(3, 4))
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(ops.binary_crossentropy(t, p).numpy(), expected, rtol=1e-10)
    z = np.log(p / (1 - p))
    np.testing.assert_allclose(ops.binary_crossentropy(t, z, from_logits=True).numpy(),
                               expected, rtol=1e-9)
    assert_gradcheck(lambda a: ops.binary_crossentropy(gn.Tensor(t), a), gn.tensor(p))
    assert_gradcheck(lambda a: ops.binary_crossentropy(gn.Tensor(t), a, from_logits=True),
                     gn.tensor(z))
    clipped = ops.binary_crossentropy(np.array([1.0]), np.array([0.0])).item()
    assert np.isclose(clipped, -np.log(1e-7))


def test_categorical_crossentropies(rng):
    labels = np.array([0, 2, 1])
    t = np.eye(3)[labels]
    z = rng.normal(size=(3, 3))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.log(p[np.arange(3), labels])
    np.testing.assert_allclose(ops.categorical_crossentropy(t, p).numpy(), expected, rtol=1e-9)
    np.testing.assert_allclose(ops.categorical_crossentropy(t, z, from_logits=True).numpy(),
                               expected, rtol=1e-9)
    np.testing.assert_allclose(ops.sparse_categorical_crossentropy(labels, p).numpy(),
                               expected, rtol=1e-9)
    np.testing.assert_allclose(
        ops.sparse_categorical_crossentropy(labels, z, from_logits=True).numpy(), expected,
        rtol=1e-9)
    np.testing.assert_allclose(
        ops.categorical_crossentropy(t.T, z.T, from_logits=True, axis=0).numpy(), expected,
        rtol=1e-9)
    assert_gradcheck(lambda a: ops.categorical_crossentropy(gn.Tensor(t), a, from_logits=True),
                     gn.tensor(z))
    assert_gradcheck(lambda a: ops.sparse_categorical_crossentropy(labels, a), gn.tensor(p))


def test_moments_normalize_batch_normalization(rng):
    x = rng.normal(size=(4, 3, 2))
    mean, variance = ops.moments(x, axes=(0, 1))
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=(0, 1)))
    np.testing.assert_allclose(variance.numpy(), x.var(axis=(0, 1)))
    mean_k, variance_k = ops.moments(x, axes=[0], keepdims=True)
    assert mean_k.shape == variance_k.shape == (1, 3, 2)
    assert_gradcheck(lambda t: ops.moments(t, axes=(0, 2))[1], gn.tensor(x))
    expected = x / np.sqrt((x**2).sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(ops.normalize(x).numpy(), expected, rtol=1e-10)
    l1 = x / np.abs(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ops.normalize(x, axis=1, order=1).numpy(), l1, rtol=1e-10)
    assert_gradcheck(ops.normalize, gn.tensor(x))
    m, v = x.mean(axis=(0, 1)), x.var(axis=(0, 1))
    scale, offset = rng.normal(size=2), rng.normal(size=2)
    bn = ops.batch_normalization(x, m, v, axis=-1, offset=offset, scale=scale, epsilon=1e-3)
    np.testing.assert_allclose(bn.numpy(), (x - m) / np.sqrt(v + 1e-3) * scale + offset,
                               rtol=1e-10)


@pytest.mark.parametrize("ord_, axis", [(None, None), (None, 1), (1, 0), (np.inf, 1),
                                        (-np.inf, 1), (3, 1), ("fro", (0, 1)), (1, (0, 1)),
                                        (np.inf, (0, 1)), (-1, (1, 0))])
def test_norm(ord_, axis, rng):
    x = rng.uniform(0.2, 1.0, size=(3, 4)) * rng.choice([-1.0, 1.0], size=(3, 4))
    np.testing.assert_allclose(ops.norm(x, ord=ord_, axis=axis).numpy(),
                               np.linalg.norm(x, ord=ord_, axis=axis), rtol=1e-10)
    assert_gradcheck(lambda t: ops.norm(t, ord=ord_, axis=axis), gn.tensor(x))
    assert ops.norm(x, axis=axis, keepdims=True).ndim == 2


def test_glu_threshold_rms_normalization(rng):
    x = rng.normal(size=(3, 6))
    a, b = x[:, :3], x[:, 3:]
    np.testing.assert_allclose(ops.glu(x).numpy(), a * _sigmoid(b), rtol=1e-10)
    assert_gradcheck(ops.glu, gn.tensor(x))
    np.testing.assert_allclose(ops.celu(x, alpha=2.0).numpy(),
                               np.where(x > 0, x, 2 * np.expm1(x / 2)), rtol=1e-10)
    np.testing.assert_array_equal(ops.threshold(x, 0.1, -5.0).numpy(),
                                  np.where(x > 0.1, x, -5.0))
    rms = x / np.sqrt((x**2).mean(axis=-1, keepdims=True) + 1e-7)
    np.testing.assert_allclose(ops.rms_normalization(x).numpy(), rms, rtol=1e-10)
    scale = rng.normal(size=(6,))
    np.testing.assert_allclose(ops.rms_normalization(x, scale).numpy(), rms * scale,
                               rtol=1e-10)
    assert_gradcheck(ops.rms_normalization, gn.tensor(x))


@pytest.mark.parametrize("causal", [False, True])
def test_dot_product_attention(causal, rng):
    q, k, v = (rng.normal(size=(2, 4, 3, 5)), rng.normal(size=(2, 6, 3, 5)),
               rng.normal(size=(2, 6, 3, 5)))
    mask = rng.uniform(size=(2, 1, 4, 6)) > 0.3
    mask[..., 0] = True
    logits = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(5)
    allowed = mask & (np.tril(np.ones((4, 6), bool)) if causal else True)
    logits = np.where(allowed, logits, -np.inf)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    expected = np.einsum("bnts,bsnh->btnh", weights, v)
    got = ops.dot_product_attention(q, k, v, mask=mask, is_causal=causal)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9, atol=1e-12)
    assert_gradcheck(lambda a, b, c: ops.dot_product_attention(a, b, c, mask=mask,
                                                               is_causal=causal),
                     gn.tensor(q), gn.tensor(k), gn.tensor(v))
