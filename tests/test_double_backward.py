"""Second derivatives: backward(create_graph=True) gives gradients that gradcheck themselves."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.tensor import grad
from tests.conftest import assert_gradcheck


def _gradient_of(f):
    """x -> d sum(f(x) * weights) / dx, computed with create_graph=True (so differentiable)."""

    def gradient(x, weights):
        (gx,) = grad((f(x) * weights).sum(), x, create_graph=True)
        return gx

    return gradient


OPS = {
    "mul": lambda x: x * x * 1.5,
    "div": lambda x: 1.0 / (x + 3.0),
    "pow_scalar": lambda x: (x + 2.0) ** 2.5,
    "pow_tensor": lambda x: (x + 2.0) ** (x * 0.5),
    "exp": gn.exp,
    "log": lambda x: gn.log(x + 2.0),
    "sqrt": lambda x: gn.sqrt(x + 2.0),
    "sin": gn.sin,
    "cos": gn.cos,
    "tanh": gn.tanh,
    "matmul": lambda x: gn.tanh(x @ x.T) @ x,
    "sum_mean": lambda x: x.sum(axis=0, keepdims=True) * x.mean(axis=1, keepdims=True),
    "max": lambda x: x.max(axis=1) ** 2,
    "getitem": lambda x: x[[0, 0, 1]] ** 3,
    "concat_transpose": lambda x: gn.concat([x, x * x], axis=1).T ** 2,
    "broadcast": lambda x: (x.sum(axis=0) * x) ** 2,
    "where_clip_abs": lambda x: gn.where(x > 0, x**3, gn.abs(x) ** 2) + x.clip(-0.5, 0.5) * x,
    "maximum": lambda x: gn.maximum(x, x * 0.5) ** 2,
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_derivatives(rng, name):
    x = gn.tensor(rng.uniform(-1.0, 1.0, size=(2, 3)))
    x = gn.tensor(np.where(np.abs(x.data) < 0.1, 0.3, x.data))  # away from kinks
    weights = gn.tensor(rng.uniform(0.5, 1.5, size=OPS[name](x).shape))
    assert_gradcheck(_gradient_of(OPS[name]), x, weights)


def test_grad_returns_gradients_without_touching_dot_grad():
    x = gn.tensor(np.array([1.0, 2.0]), requires_grad=True)
    w = gn.tensor(np.array([3.0, 4.0]), requires_grad=True)
    h = x * w
    y = (h * h).sum()
    gx, gh, gw = grad(y, [x, h, w])
    np.testing.assert_allclose(gx.data, 2 * h.data * w.data)
    np.testing.assert_allclose(gh.data, 2 * h.data)  # an intermediate result
    np.testing.assert_allclose(gw.data, 2 * h.data * x.data)
    assert x.grad is None and w.grad is None and h.grad is None
    assert not gx.requires_grad
    unrelated = gn.tensor(1.0, requires_grad=True)
    assert grad(y, unrelated) == [None]
    with pytest.raises(ValueError, match=r"grad\(\).*one element"):
        grad(h, x)
    (gh2,) = grad(h, x, grad_output=np.ones(2))
    np.testing.assert_allclose(gh2.data, w.data)


def test_gradient_penalty_style_use():
    """Differentiate a function of a gradient: d/dx |df/dx|^2 with f = sum(x^3)."""
    x = gn.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    (g,) = grad((x**3).sum(), x, create_graph=True)
    (g * g).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * (3 * x.data**2) * (6 * x.data))
