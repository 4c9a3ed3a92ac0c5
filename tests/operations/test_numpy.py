"""keras.ops' NumPy-like set against NumPy: values, dtypes, shapes; gradients in float64."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.keras import ops
from tests.conftest import assert_gradcheck


def _np(t):
    return np.asarray(t.numpy() if isinstance(t, gn.Tensor) else t)


# name -> (NumPy reference, input sampler)
POSITIVE = (0.2, 2.0)
UNARY = {
    "exp": (np.exp, (-1, 1)),
    "expm1": (np.expm1, (-1, 1)),
    "log": (np.log, POSITIVE),
    "log1p": (np.log1p, POSITIVE),
    "log2": (np.log2, POSITIVE),
    "log10": (np.log10, POSITIVE),
    "sqrt": (np.sqrt, POSITIVE),
    "rsqrt": (lambda x: 1 / np.sqrt(x), POSITIVE),
    "square": (np.square, (-2, 2)),
    "abs": (np.abs, POSITIVE),
    "negative": (np.negative, (-2, 2)),
    "sin": (np.sin, (-2, 2)),
    "cos": (np.cos, (-2, 2)),
    "tan": (np.tan, (-1, 1)),
    "tanh": (np.tanh, (-2, 2)),
    "sinh": (np.sinh, (-2, 2)),
    "cosh": (np.cosh, (-2, 2)),
    "reciprocal": (np.reciprocal, POSITIVE),
    "erf": (np.vectorize(__import__("math").erf), (-2, 2)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float_ops_match_numpy_and_gradcheck(name, rng):
    reference, (low, high) = UNARY[name]
    x = rng.uniform(low, high, size=(3, 4))
    y = getattr(ops, name)(x.astype(np.float32))
    assert y.dtype == np.float32 and y.shape == (3, 4)
    np.testing.assert_allclose(_np(y), reference(x), rtol=1e-5, atol=1e-6)
    assert_gradcheck(getattr(ops, name), gn.tensor(x))


@pytest.mark.parametrize("name", ["sqrt", "exp", "log", "sin", "mean", "erf"])
def test_float_ops_turn_ints_into_float32(name):
    y = getattr(ops, name)(ops.convert_to_tensor([1, 2, 3]))
    assert y.dtype == np.float32


@pytest.mark.parametrize("name", ["abs", "square", "negative", "sum", "max", "min", "prod"])
def test_int_ops_stay_int(name):
    x = ops.convert_to_tensor([[1, -2, 3]])
    assert x.dtype == np.int32
    y = getattr(ops, name)(x)
    assert y.dtype == np.int32  # not NumPy's int64 accumulator
    np.testing.assert_array_equal(_np(y), getattr(np, name)(_np(x)))


@pytest.mark.parametrize("name, reference", [
    ("floor", np.floor), ("ceil", np.ceil), ("round", np.round), ("sign", np.sign),
    ("trunc", np.trunc), ("isnan", np.isnan), ("isfinite", np.isfinite), ("isinf", np.isinf),
    ("logical_not", np.logical_not),
])
def test_non_differentiable_elementwise(name, reference):
    x = np.array([-1.5, -0.5, 0.0, 0.5, 2.5, np.inf, np.nan], np.float32)
    y = getattr(ops, name)(x)
    np.testing.assert_array_equal(_np(y), reference(x))
    assert y.dtype == reference(x).dtype
    assert not y.requires_grad


BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
    "true_divide": np.true_divide, "maximum": np.maximum, "minimum": np.minimum,
    "power": np.power, "mod": np.mod,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_broadcast_like_numpy_and_gradcheck(name, rng):
    a = rng.uniform(0.5, 2.0, size=(3, 1, 4))
    b = rng.uniform(0.5, 2.0, size=(2, 4)) * rng.choice([1.0, 1.3], size=(2, 4))
    y = getattr(ops, name)(a.astype(np.float32), b.astype(np.float32))
    assert y.shape == (3, 2, 4) and y.dtype == np.float32
    np.testing.assert_allclose(_np(y), BINARY[name](a, b), rtol=1e-5, atol=1e-6)
    if name != "mod":
        assert_gradcheck(getattr(ops, name), gn.tensor(a), gn.tensor(b))
    else:  # differentiable in x1 only (slope 1)
        assert_gradcheck(lambda x: ops.mod(x, gn.Tensor(b)), gn.tensor(a))


def test_dtype_promotion_follows_keras():
    i32 = ops.convert_to_tensor([1, 2])
    f32 = ops.ones((2,))
    f64 = gn.tensor(np.ones(2))
    assert ops.add(i32, f32).dtype == np.float32  # int meets float at the float's dtype
    assert ops.add(f32, f64).dtype == np.float64
    assert ops.add(i32, 1).dtype == np.int32  # Python numbers are weak
    assert ops.add(i32, 1.5).dtype == np.float32
    assert ops.multiply(f32, 2).dtype == np.float32
    assert ops.divide(i32, i32).dtype == np.float32  # true division
    assert ops.floor_divide(i32, 2).dtype == np.int32
    assert ops.power(i32, 2).dtype == np.int32
    assert ops.equal(i32, f32).dtype == bool


@pytest.mark.parametrize("name, reference", [
    ("equal", np.equal), ("not_equal", np.not_equal), ("greater", np.greater),
    ("greater_equal", np.greater_equal), ("less", np.less), ("less_equal", np.less_equal),
    ("logical_and", np.logical_and), ("logical_or", np.logical_or),
    ("logical_xor", np.logical_xor),
])
def test_comparisons_and_logic(name, reference):
    a = np.array([[0, 1, 2], [2, 1, 0]])
    b = np.array([1, 1, 1])
    np.testing.assert_array_equal(_np(getattr(ops, name)(a, b)), reference(a, b))


def test_where_and_clip(rng):
    c = rng.uniform(size=(3, 4)) > 0.5
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4,))
    np.testing.assert_allclose(_np(ops.where(c, a, b)), np.where(c, a, b))
    assert_gradcheck(lambda x, y: ops.where(c, x, y), gn.tensor(a), gn.tensor(b))
    rows, cols = ops.where(c)
    np.testing.assert_array_equal(_np(rows), np.nonzero(c)[0])
    assert rows.dtype == np.int32
    x = rng.uniform(-2, 2, size=(5,))
    x[np.abs(np.abs(x) - 1) < 0.05] = 0.3
    np.testing.assert_allclose(_np(ops.clip(x, -1.0, 1.0)), np.clip(x, -1, 1))
    assert_gradcheck(lambda t: ops.clip(t, -1.0, 1.0), gn.tensor(x))
    assert ops.clip(ops.convert_to_tensor([5, -5]), -1, 1).tolist() == [1, -1]


@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((2, 3, 4), (4,)), ((4,), (4,)),
                                    ((2, 3, 4), (2, 4, 5))])
def test_matmul(shapes, rng):
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    np.testing.assert_allclose(_np(ops.matmul(a, b)), np.matmul(a, b), rtol=1e-6)
    assert_gradcheck(ops.matmul, gn.tensor(a), gn.tensor(b))


@pytest.mark.parametrize("shapes", [((), (3,)), ((3,), (3,)), ((2, 3), (3, 4)),
                                    ((2, 3), (4, 3, 5))])
def test_dot(shapes, rng):
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    np.testing.assert_allclose(_np(ops.dot(a, b)), np.dot(a, b), rtol=1e-6)
    assert_gradcheck(ops.dot, gn.tensor(a), gn.tensor(b))


@pytest.mark.parametrize("axes", [2, 1, 0, ([1, 0], [0, 1]), ([2], [0])])
def test_tensordot(axes, rng):
    a, b = rng.normal(size=(3, 4, 2)), rng.normal(size=(4, 3, 2)) if axes != ([2], [0]) else (
        None)
    if axes == ([2], [0]):
        b = rng.normal(size=(2, 5))
    if axes == 2:
        b = rng.normal(size=(4, 2, 5))
    if axes == 1:
        b = rng.normal(size=(2, 5))
    np.testing.assert_allclose(_np(ops.tensordot(a, b, axes)), np.tensordot(a, b, axes),
                               rtol=1e-6, atol=1e-12)
    assert_gradcheck(lambda x, y: ops.tensordot(x, y, axes), gn.tensor(a), gn.tensor(b))


def test_outer_and_inner(rng):
    a, b = rng.normal(size=(3,)), rng.normal(size=(4,))
    np.testing.assert_allclose(_np(ops.outer(a, b)), np.outer(a, b))
    np.testing.assert_allclose(_np(ops.inner(a, a)), np.inner(a, a))


REDUCTIONS = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod,
    "std": np.std, "var": np.var,
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, False), (-1, True),
                                            ((0, 2), False), ((0, 2), True)])
def test_reductions(name, axis, keepdims, rng):
    x = rng.uniform(0.5, 1.5, size=(2, 3, 4))
    y = getattr(ops, name)(x.astype(np.float32), axis=axis, keepdims=keepdims)
    expected = REDUCTIONS[name](x, axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(expected) and y.dtype == np.float32
    np.testing.assert_allclose(_np(y), expected, rtol=2e-5)
    assert_gradcheck(lambda t: getattr(ops, name)(t, axis=axis, keepdims=keepdims),
                     gn.tensor(x))


def test_prod_gradient_at_zero():
    x = gn.tensor([0.0, 2.0, 3.0])
    assert_gradcheck(ops.prod, x)


def test_logsumexp(rng):
    x = rng.normal(size=(3, 4)) * 10
    expected = np.log(np.exp(x).sum(axis=1))
    np.testing.assert_allclose(_np(ops.logsumexp(x, axis=1)), expected, rtol=1e-10)
    assert ops.logsumexp(x, axis=1, keepdims=True).shape == (3, 1)
    np.testing.assert_allclose(_np(ops.logsumexp(x)), np.log(np.exp(x).sum()))
    assert_gradcheck(lambda t: ops.logsumexp(t, axis=0), gn.tensor(x))
    big = ops.logsumexp(np.array([1000.0, 1000.0], np.float32))
    assert np.isclose(big.item(), 1000 + np.log(2))


def test_all_any_argmax_argmin(rng):
    x = rng.normal(size=(3, 4))
    assert ops.argmax(x).dtype == np.int32
    np.testing.assert_array_equal(_np(ops.argmax(x, axis=1)), np.argmax(x, axis=1))
    np.testing.assert_array_equal(_np(ops.argmin(x, axis=0, keepdims=True)),
                                  np.argmin(x, axis=0, keepdims=True))
    b = x > 0
    np.testing.assert_array_equal(_np(ops.all(b, axis=1)), b.all(axis=1))
    np.testing.assert_array_equal(_np(ops.any(b, axis=0, keepdims=True)),
                                  b.any(axis=0, keepdims=True))
    assert ops.count_nonzero(b).item() == np.count_nonzero(b)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumsum_and_cumprod(axis, rng):
    x = rng.uniform(0.5, 1.5, size=(3, 4))
    np.testing.assert_allclose(_np(ops.cumsum(x, axis=axis)), np.cumsum(x, axis=axis))
    np.testing.assert_allclose(_np(ops.cumprod(x, axis=axis)), np.cumprod(x, axis=axis))
    assert_gradcheck(lambda t: ops.cumsum(t, axis=axis), gn.tensor(x))
    assert_gradcheck(lambda t: ops.cumprod(t, axis=axis), gn.tensor(x))
    ints = ops.cumsum(ops.convert_to_tensor([1, 2, 3]))
    assert ints.tolist() == [1, 3, 6] and ints.dtype == np.int32
    assert ops.sum(ops.convert_to_tensor([True, True])).dtype == np.int32


def test_creation_ops():
    assert ops.zeros((2, 3)).dtype == np.float32 and ops.zeros((2, 3)).shape == (2, 3)
    assert ops.ones(4, dtype="int32").dtype == np.int32
    np.testing.assert_array_equal(_np(ops.full((2,), 7)), [7, 7])
    assert ops.full((2,), 7).dtype == np.int32 and ops.full((2,), 0.5).dtype == np.float32
    x = ops.ones((2, 3), "float64")
    assert ops.zeros_like(x).dtype == np.float64 and ops.ones_like(x, "int32").dtype == np.int32
    np.testing.assert_array_equal(_np(ops.full_like(x, 3)), np.full((2, 3), 3.0))
    assert ops.arange(5).dtype == np.int32 and ops.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_array_equal(_np(ops.arange(2, 10, 3)), np.arange(2, 10, 3))
    np.testing.assert_array_equal(_np(ops.eye(3, 4, k=1)), np.eye(3, 4, 1))
    np.testing.assert_array_equal(_np(ops.identity(2)), np.eye(2))
    np.testing.assert_allclose(_np(ops.linspace(0, 1, 5)), np.linspace(0, 1, 5))
    assert ops.linspace(0, 1, 5).dtype == np.float32
    np.testing.assert_array_equal(_np(ops.tri(3)), np.tri(3))


# name -> (keras.ops call, NumPy reference), both on the same array of shape (2, 3, 4)
SHAPE_OPS = {
    "reshape": (lambda x: ops.reshape(x, (4, -1)), lambda x: x.reshape(4, -1)),
    "transpose": (lambda x: ops.transpose(x), np.transpose),
    "transpose_axes": (lambda x: ops.transpose(x, (1, 0, 2)),
                       lambda x: np.transpose(x, (1, 0, 2))),
    "expand_dims": (lambda x: ops.expand_dims(x, 1), lambda x: np.expand_dims(x, 1)),
    "expand_dims_tuple": (lambda x: ops.expand_dims(x, (0, -1)),
                          lambda x: np.expand_dims(x, (0, -1))),
    "squeeze": (lambda x: ops.squeeze(ops.expand_dims(x, 0), 0), lambda x: x),
    "ravel": (ops.ravel, np.ravel),
    "broadcast_to": (lambda x: ops.broadcast_to(x, (5, 2, 3, 4)),
                     lambda x: np.broadcast_to(x, (5, 2, 3, 4))),
    "tile": (lambda x: ops.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3))),
    "tile_short": (lambda x: ops.tile(x, [2]), lambda x: np.tile(x, [2])),
    "tile_long": (lambda x: ops.tile(x, [2, 1, 1, 2]), lambda x: np.tile(x, [2, 1, 1, 2])),
    "repeat": (lambda x: ops.repeat(x, 2, axis=1), lambda x: np.repeat(x, 2, axis=1)),
    "repeat_flat": (lambda x: ops.repeat(x, 2), lambda x: np.repeat(x, 2)),
    "repeat_list": (lambda x: ops.repeat(x, [1, 0, 2], axis=1),
                    lambda x: np.repeat(x, [1, 0, 2], axis=1)),
    "take": (lambda x: ops.take(x, [2, 0, 2], axis=1), lambda x: np.take(x, [2, 0, 2], axis=1)),
    "take_flat": (lambda x: ops.take(x, [[0, 5], [23, 5]]),
                  lambda x: np.take(x, [[0, 5], [23, 5]])),
    "take_negative": (lambda x: ops.take(x, [-1], axis=2), lambda x: np.take(x, [-1], axis=2)),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.argsort(x, axis=2)[..., :2], 2),
                        lambda x: np.take_along_axis(x, np.argsort(x, axis=2)[..., :2], 2)),
    "flip": (lambda x: ops.flip(x, axis=1), lambda x: np.flip(x, axis=1)),
    "flip_all": (ops.flip, np.flip),
    "roll": (lambda x: ops.roll(x, 1, axis=2), lambda x: np.roll(x, 1, axis=2)),
    "roll_flat": (lambda x: ops.roll(x, 5), lambda x: np.roll(x, 5)),
    "moveaxis": (lambda x: ops.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1)),
    "swapaxes": (lambda x: ops.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2)),
    "pad": (lambda x: ops.pad(x, ((0, 0), (1, 2), (0, 1))),
            lambda x: np.pad(x, ((0, 0), (1, 2), (0, 1)))),
    "pad_value": (lambda x: ops.pad(x, 1, constant_values=3.0),
                  lambda x: np.pad(x, 1, constant_values=3.0)),
    "pad_reflect": (lambda x: ops.pad(x, ((0, 0), (2, 1), (1, 1)), mode="reflect"),
                    lambda x: np.pad(x, ((0, 0), (2, 1), (1, 1)), mode="reflect")),
    "pad_symmetric": (lambda x: ops.pad(x, ((1, 0), (0, 0), (2, 2)), mode="symmetric"),
                      lambda x: np.pad(x, ((1, 0), (0, 0), (2, 2)), mode="symmetric")),
    "pad_edge": (lambda x: ops.pad(x, 1, mode="edge"), lambda x: np.pad(x, 1, mode="edge")),
    "sort": (lambda x: ops.sort(x, axis=1), lambda x: np.sort(x, axis=1)),
    "sort_last": (ops.sort, np.sort),
    "concatenate": (lambda x: ops.concatenate([x, x * 2], axis=1),
                    lambda x: np.concatenate([x, x * 2], axis=1)),
    "stack": (lambda x: ops.stack([x, x * 2], axis=-1), lambda x: np.stack([x, x * 2], -1)),
    "tril": (lambda x: ops.tril(x, -1), lambda x: np.tril(x, -1)),
    "triu": (lambda x: ops.triu(x), np.triu),
    "diagonal": (lambda x: ops.diagonal(x, 1, 1, 2), lambda x: np.diagonal(x, 1, 1, 2)),
    "trace": (lambda x: ops.trace(x, 0, 0, 2), lambda x: np.trace(x, 0, 0, 2)),
    "get_item": (lambda x: x[1, ::2, None], lambda x: x[1, ::2, None]),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_ops_match_numpy_and_gradcheck(name, rng):
    keras_op, reference = SHAPE_OPS[name]
    x = rng.normal(size=(2, 3, 4))
    y = keras_op(gn.tensor(x.astype(np.float32)))
    expected = reference(x)
    assert y.shape == expected.shape and y.dtype == np.float32
    np.testing.assert_allclose(_np(y), expected, rtol=1e-6)
    assert_gradcheck(keras_op, gn.tensor(x))


def test_split_and_top_k(rng):
    x = rng.normal(size=(2, 6))
    for pieces, expected in ((3, np.split(x, 3, axis=1)), ([1, 4], np.split(x, [1, 4], 1))):
        result = ops.split(x, pieces, axis=-1)
        assert len(result) == len(expected)
        for a, b in zip(result, expected, strict=True):
            np.testing.assert_allclose(_np(a), b)
    values, indices = ops.top_k(x, 2)
    order = np.argsort(-x, axis=-1)[:, :2]
    np.testing.assert_array_equal(_np(indices), order)
    np.testing.assert_allclose(_np(values), np.take_along_axis(x, order, -1))
    assert indices.dtype == np.int32
    assert_gradcheck(lambda t: ops.top_k(t, 3)[0], gn.tensor(x))
    np.testing.assert_array_equal(_np(ops.argsort(x)), np.argsort(x))


def test_take_gradient_adds_repeated_indices():
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ops.sum(ops.take(x, [0, 0, 2])).backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]


def test_int_shape_ops_keep_int():
    x = ops.arange(6)
    assert ops.tile(x, 2).dtype == np.int32
    assert ops.sort(-x).tolist() == [-5, -4, -3, -2, -1, 0]
    assert ops.pad(x, 1).dtype == np.int32


def test_errors_name_the_op():
    with pytest.raises(gn.GlassnetError, match="top_k"):
        ops.top_k(ops.ones((3,)), 5)
    with pytest.raises(gn.GlassnetError, match="pad"):
        ops.pad(ops.ones((3,)), 1, mode="circular")
    with pytest.raises(gn.GlassnetError, match="axis 3"):
        ops.sum(ops.ones((3,)), axis=3)
