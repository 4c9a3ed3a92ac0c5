"""Forward values and gradchecks for every op in glassnet.ops.math (with broadcasting)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError
from tests.conftest import assert_gradcheck, f64

# pairs of broadcastable shapes: equal, scalar, trailing vector, column x row, leading batch
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), ()), ((2, 3, 4), (4,)), ((3, 1), (1, 4)),
                    ((4,), (2, 3, 4)), ((2, 1, 4), (3, 1))]


@pytest.mark.parametrize("shape_a, shape_b", BROADCAST_SHAPES)
@pytest.mark.parametrize(
    "op, ref",
    [
        (lambda a, b: a + b, np.add),
        (lambda a, b: a - b, np.subtract),
        (lambda a, b: a * b, np.multiply),
        (lambda a, b: a / b, np.divide),
        (gn.maximum, np.maximum),
        (gn.minimum, np.minimum),
    ],
    ids=["add", "sub", "mul", "div", "maximum", "minimum"],
)
def test_binary_ops_forward_and_grad(rng, op, ref, shape_a, shape_b):
    a = f64(rng, *shape_a)
    b = gn.tensor(rng.uniform(0.5, 1.5, size=shape_b) * rng.choice([-1, 1], size=shape_b))
    np.testing.assert_allclose(op(a, b).data, ref(a.data, b.data))
    assert_gradcheck(op, a, b)


def test_functional_forms_match_operators(rng):
    a, b = f64(rng, 2, 3), f64(rng, 3)
    for fn, expected in [(gn.add, a.data + b.data), (gn.sub, a.data - b.data),
                         (gn.mul, a.data * b.data), (gn.div, a.data / b.data),
                         (gn.neg, -a.data)]:
        result = fn(a, b) if fn is not gn.neg else fn(a)
        np.testing.assert_allclose(result.data, expected)


def test_scalar_operands_on_either_side(rng):
    x = f64(rng, 3)
    assert_gradcheck(lambda x: 2.0 - x, x)
    assert_gradcheck(lambda x: 3.0 / (x + 2.0), x)
    assert_gradcheck(lambda x: -x * 4 + 1, x)


def test_maximum_minimum_split_ties_evenly():
    a = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = gn.tensor([2.0, 2.0, 2.0], requires_grad=True)
    gn.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(b.grad.data, [1.0, 0.5, 0.0])
    a.zero_grad(), b.zero_grad()
    gn.minimum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [1.0, 0.5, 0.0])


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5, 1, 0])
def test_power_with_scalar_exponent(rng, exponent):
    x = gn.tensor(rng.uniform(0.5, 2.0, size=(3, 2)))
    np.testing.assert_allclose((x**exponent).data, x.data**exponent)
    assert_gradcheck(lambda x: x**exponent, x)


def test_power_zero_exponent_has_zero_gradient_at_zero():
    x = gn.tensor([0.0, 2.0], requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


@pytest.mark.parametrize("shape_a, shape_b", [((3, 2), (3, 2)), ((3, 2), (2,)), ((), (4,))])
def test_power_with_tensor_exponent(rng, shape_a, shape_b):
    a = gn.tensor(rng.uniform(0.5, 2.0, size=shape_a))
    b = f64(rng, *shape_b, low=-2.0, high=2.0)
    np.testing.assert_allclose((a**b).data, a.data**b.data)
    assert_gradcheck(lambda a, b: a**b, a, b)
    assert_gradcheck(lambda b: 2.0**b, b)  # __rpow__
    assert_gradcheck(lambda a, b: gn.power(a, b), a, b)


@pytest.mark.parametrize(
    "fn, ref, low, high",
    [
        (gn.exp, np.exp, -2, 2),
        (gn.log, np.log, 0.2, 3),
        (gn.sqrt, np.sqrt, 0.2, 3),
        (gn.sin, np.sin, -3, 3),
        (gn.cos, np.cos, -3, 3),
        (gn.tanh, np.tanh, -2, 2),
        (gn.abs, np.abs, -2, 2),
        (gn.neg, np.negative, -2, 2),
    ],
    ids=["exp", "log", "sqrt", "sin", "cos", "tanh", "abs", "neg"],
)
def test_unary_ops_forward_and_grad(rng, fn, ref, low, high):
    x = gn.tensor(rng.uniform(low, high, size=(2, 3)))
    if fn is gn.abs:  # keep away from the kink at 0
        x = gn.tensor(np.where(np.abs(x.data) < 0.1, 0.5, x.data))
    np.testing.assert_allclose(fn(x).data, ref(x.data))
    assert_gradcheck(fn, x)


def test_unary_methods_match_functions(rng):
    x = gn.tensor(rng.uniform(0.5, 2.0, size=4))
    for method, fn in [("exp", gn.exp), ("log", gn.log), ("sqrt", gn.sqrt), ("sin", gn.sin),
                       ("cos", gn.cos), ("tanh", gn.tanh), ("abs", gn.abs)]:
        np.testing.assert_allclose(getattr(x, method)().data, fn(x).data)
    np.testing.assert_allclose((-x).data, -x.data)
    np.testing.assert_allclose(abs(-x).data, x.data)


def test_abs_gradient_is_sign_and_zero_at_zero():
    x = gn.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    gn.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("lo, hi", [(-0.5, 0.5), (None, 0.2), (-0.3, None)])
def test_clip(rng, lo, hi):
    x = f64(rng, 4, 3)
    x = gn.tensor(np.where(np.isclose(x.data, lo or 9) | np.isclose(x.data, hi or 9), 0, x.data))
    np.testing.assert_allclose(gn.clip(x, lo, hi).data, np.clip(x.data, lo, hi))
    assert_gradcheck(lambda x: x.clip(lo, hi), x)
    y = gn.tensor(x.data, requires_grad=True)
    gn.clip(y, lo, hi).sum().backward()
    inside = np.ones(x.shape, bool)
    if lo is not None:
        inside &= x.data >= lo
    if hi is not None:
        inside &= x.data <= hi
    np.testing.assert_array_equal(y.grad.data, inside.astype(float))


def test_clip_argument_errors():
    x = gn.tensor([1.0])
    with pytest.raises(gn.GlassnetError, match="at least one"):
        gn.clip(x)
    with pytest.raises(gn.GlassnetError, match="must not exceed"):
        gn.clip(x, 2.0, 1.0)


@pytest.mark.parametrize("shape_c, shape_a, shape_b", [((3, 4), (3, 4), (3, 4)),
                                                       ((3, 4), (4,), ()),
                                                       ((3, 1), (1, 4), (3, 4))])
def test_where(rng, shape_c, shape_a, shape_b):
    condition = rng.uniform(size=shape_c) > 0.5
    a, b = f64(rng, *shape_a), f64(rng, *shape_b)
    np.testing.assert_allclose(gn.where(condition, a, b).data,
                               np.where(condition, a.data, b.data))
    assert_gradcheck(lambda a, b: gn.where(gn.tensor(condition), a, b), a, b)


def test_where_with_scalar_branch_keeps_dtype():
    x = gn.tensor([1.0, -2.0], requires_grad=True)
    y = gn.where(x > 0, x, 0.0)
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0])


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)),
     ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 2))],
)
def test_matmul_shapes_and_grad(rng, shape_a, shape_b):
    a, b = f64(rng, *shape_a), f64(rng, *shape_b)
    np.testing.assert_allclose((a @ b).data, a.data @ b.data)
    assert (a @ b).shape == np.matmul(a.data, b.data).shape
    assert_gradcheck(lambda a, b: a @ b, a, b)
    assert_gradcheck(gn.matmul, a, b)


def test_matmul_with_numpy_on_the_left(rng):
    a, b = rng.standard_normal((2, 3)), f64(rng, 3, 2)
    result = a @ b
    assert isinstance(result, gn.Tensor)
    np.testing.assert_allclose(result.data, a @ b.data)


def test_matmul_rejects_scalars():
    with pytest.raises(ShapeError, match=r"matmul.*\(\).*\(3,\)"):
        gn.matmul(gn.tensor(2.0), gn.tensor([1.0, 2.0, 3.0]))


def test_cast_is_differentiable_and_casts_the_gradient_back():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x.astype(gn.float64)
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_float32_stays_float32_through_ops_and_grads():
    x = gn.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    w = gn.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    y = (gn.tanh(x @ w) * 0.5 + 1).exp().mean()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_matmul_batch_mismatch_names_both_shapes():
    a, b = gn.tensor(np.ones((2, 2, 3))), gn.tensor(np.ones((3, 3, 4)))
    with pytest.raises(ShapeError, match=r"matmul.*batch.*\(2, 2, 3\).*\(3, 3, 4\)"):
        a @ b
