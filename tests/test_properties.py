"""Property tests: random broadcastable shapes and random small compositions of ops.

Each drawn function is built from glassnet ops; its analytic gradients (backward) must match
central differences in float64, and its forward value must match the same composition on
plain NumPy arrays.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glassnet as gn

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)

# op name -> (glassnet function, numpy function); inputs are kept in (0.5, 2) in magnitude
# by the "safe" wrappers so that log/sqrt/div stay smooth
UNARY = {
    "exp": (lambda x: gn.exp(x * 0.3), lambda x: np.exp(x * 0.3)),
    "tanh": (gn.tanh, np.tanh),
    "sin": (gn.sin, np.sin),
    "cos": (gn.cos, np.cos),
    "log": (lambda x: gn.log(x * x + 1), lambda x: np.log(x * x + 1)),
    "sqrt": (lambda x: gn.sqrt(x * x + 1), lambda x: np.sqrt(x * x + 1)),
    "square": (lambda x: x**2, lambda x: x**2),
    "neg": (lambda x: -x, np.negative),
}
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
    "pow": (lambda a, b: (a * a + 1) ** (b * 0.5), lambda a, b: (a * a + 1) ** (b * 0.5)),
}


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                    max_side=3))
    a, b = shapes.input_shapes
    values = st.floats(-1.5, 1.5, allow_nan=False, allow_subnormal=False)
    x = draw(hnp.arrays(np.float64, a, elements=values))
    y = draw(hnp.arrays(np.float64, b, elements=values))
    return x, y


def _numeric_grad(fn, arrays, index, eps=1e-6):
    grad = np.zeros_like(arrays[index])
    for i in np.ndindex(arrays[index].shape):
        up = [a.copy() for a in arrays]
        down = [a.copy() for a in arrays]
        up[index][i] += eps
        down[index][i] -= eps
        grad[i] = (fn(*up).sum() - fn(*down).sum()) / (2 * eps)
    return grad


@SETTINGS
@given(pair=broadcastable_pair(), op=st.sampled_from(sorted(BINARY)))
def test_binary_ops_on_broadcastable_shapes(pair, op):
    fn, ref = BINARY[op]
    x, y = pair
    a, b = gn.tensor(x, requires_grad=True), gn.tensor(y, requires_grad=True)
    out = fn(a, b)
    np.testing.assert_allclose(out.data, ref(x, y), rtol=1e-12, atol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(a.grad.data, _numeric_grad(ref, [x, y], 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.grad.data, _numeric_grad(ref, [x, y], 1), rtol=1e-5, atol=1e-6)


@st.composite
def composition(draw):
    """A random chain of 1-5 steps; each step is unary, or binary with the second input."""
    steps = draw(st.lists(
        st.one_of(
            st.tuples(st.just("unary"), st.sampled_from(sorted(UNARY))),
            st.tuples(st.just("binary"), st.sampled_from(sorted(BINARY))),
        ),
        min_size=1,
        max_size=5,
    ))
    reduction = draw(st.sampled_from(["sum", "mean", "max", "none"]))
    return steps, reduction


def _apply(steps, reduction, a, b, table_index):
    y = a
    for kind, name in steps:
        if kind == "unary":
            y = UNARY[name][table_index](y)
        else:
            y = BINARY[name][table_index](y, b)
    if reduction == "none":
        return y
    if table_index == 0:
        return getattr(y, reduction)(axis=-1, keepdims=True) if y.ndim else y
    return getattr(np, reduction)(y, axis=-1, keepdims=True) if np.ndim(y) else y


@SETTINGS
@given(pair=broadcastable_pair(), program=composition())
def test_random_compositions_match_numpy_and_numerical_gradients(pair, program):
    steps, reduction = program
    if reduction == "max":  # max is not differentiable at ties; break them
        ramp = np.arange(pair[0].size).reshape(pair[0].shape) * 1e-3
        pair = (np.asarray(pair[0] + ramp), pair[1])
    x, y = pair
    a, b = gn.tensor(x, requires_grad=True), gn.tensor(y, requires_grad=True)
    out = _apply(steps, reduction, a, b, 0)
    expected = _apply(steps, reduction, x, y, 1)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)
    out.sum().backward()

    def ref(x, y):
        return np.asarray(_apply(steps, reduction, x, y, 1))

    for tensor, index in ((a, 0), (b, 1)):
        analytic = tensor.grad.data if tensor.grad is not None else np.zeros_like(tensor.data)
        np.testing.assert_allclose(analytic, _numeric_grad(ref, [x, y], index),
                                   rtol=1e-4, atol=1e-5)


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    data=st.data(),
)
def test_shape_ops_preserve_gradient_mass(shape, data):
    """Reshape/transpose/index/concat only move values: d sum(w * op(x)) / dx is w moved back."""
    x = gn.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    perm = data.draw(st.permutations(range(len(shape))))
    y = x.transpose(*perm).reshape(-1)
    weights = np.arange(1.0, y.shape[0] + 1)
    (y * gn.tensor(weights)).sum().backward()
    expected = weights.reshape(np.transpose(x.data, perm).shape).transpose(np.argsort(perm))
    np.testing.assert_allclose(x.grad.data, expected)


@SETTINGS
@given(
    n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4),
    batch=st.sampled_from([(), (2,), (3, 1)]),
)
def test_matmul_gradients_on_random_shapes(n, k, m, batch):
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    a = gn.tensor(rng.standard_normal(batch + (n, k)))
    b = gn.tensor(rng.standard_normal((k, m)))
    assert gn.gradcheck(lambda a, b: a @ b, a, b)
