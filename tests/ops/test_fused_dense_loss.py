"""The fused ops of the seed MLP against the compositions they replace (NumPy path).

``DenseActivationFunction`` (Dense + sigmoid/ReLU as one op) and
``CategoricalCrossentropyFunction`` (Keras's cross-entropy on probabilities as one op) do the
same array operations in the same order as DenseFunction + the activation op and as the
seven-op composition sum / divide / clip / log / multiply / sum / negate: values and gradients
are compared bit for bit, in float32 and float64, plus float64 gradchecks.
"""

import numpy as np
import pytest

import glassnet as gn
from glassnet.config import using_config
from glassnet.ops import nn
from glassnet.ops.dense import dense, dense_activation

DTYPES = (np.float32, np.float64)


def _composed_cce(p, t, epsilon=1e-7):
    q = p / p.sum(axis=-1, keepdims=True)
    return -(t * q.clip(epsilon, 1.0 - epsilon).log()).sum(axis=-1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_crossentropy_equals_the_composition(dtype):
    rng = np.random.default_rng(0)
    p0 = rng.random((50, 10)).astype(dtype)
    p0[0, 0], p0[1] = 0.0, 0.9999999  # one clipped below, a row clipped above
    t0 = rng.random((50, 10)).astype(dtype)
    results = []
    for loss_of in (_composed_cce, lambda p, t: nn.categorical_crossentropy(p, t, 1e-7)):
        p, t = gn.Tensor(p0.copy(), requires_grad=True), gn.Tensor(t0.copy(), requires_grad=True)
        loss = loss_of(p, t)
        (loss * gn.Tensor(np.linspace(0.5, 1.5, 50).astype(dtype))).sum().backward()
        results.append((loss.data, p.grad.data, t.grad.data))
    for a, b in zip(*results, strict=True):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a, b)


def test_categorical_crossentropy_gradcheck():
    rng = np.random.default_rng(1)
    p, t = rng.uniform(0.1, 1.0, (4, 3)), rng.random((4, 3))
    assert gn.gradcheck(lambda p, t: nn.categorical_crossentropy(p, t, 1e-7), p, t)
    assert gn.gradcheck(lambda p, t: nn.categorical_crossentropy(p, t, 1e-7, axis=0), p, t)


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(30, 20), (3, 10, 20)], ids=["2d", "3d"])
def test_dense_activation_equals_dense_then_activation(activation, dtype, shape):
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal(shape).astype(dtype)
    w0, b0 = rng.standard_normal((20, 15)).astype(dtype), rng.standard_normal(15).astype(dtype)
    gy = rng.standard_normal(shape[:-1] + (15,)).astype(dtype)
    act = nn.sigmoid if activation == "sigmoid" else nn.relu
    results = []
    with using_config("accelerator", "numpy"):
        for f in (lambda x, w, b: act(dense(x, w, b)),
                  lambda x, w, b: dense_activation(x, w, b, activation)):
            x, w, b = (gn.Tensor(a.copy(), requires_grad=True) for a in (x0, w0, b0))
            y = f(x, w, b)
            y.backward(gy)
            results.append((y.data, x.grad.data, w.grad.data, b.grad.data))
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("accelerator", ["numpy", "auto"])
@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_dense_activation_gradcheck(accelerator, activation):
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    with using_config("accelerator", accelerator):
        assert gn.gradcheck(lambda x, w, b: dense_activation(x, w, b, activation), x, w, b)
        assert gn.gradcheck(lambda x, w: dense_activation(x, w, None, activation), x, w)


def test_a_trace_sees_z():
    """Under gn.trace the two ops run separately, so that the table shows the pre-activation."""
    rng = np.random.default_rng(4)
    with gn.trace() as table:
        dense_activation(rng.random((2, 3)), rng.random((3, 2)), np.zeros(2), "sigmoid")
    ops = [row["op"] for row in table.rows()]
    assert "Dense" in ops and "Sigmoid" in ops, ops
