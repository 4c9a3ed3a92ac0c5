"""keras.ops core: conversion, cast, stop_gradient, control flow, scatter and slices."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.keras import ops
from tests.conftest import assert_gradcheck


def test_conversion_follows_keras_dtypes():
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.convert_to_tensor([1.0, 2]).dtype == np.float32
    assert ops.convert_to_tensor(True).dtype == bool
    assert ops.convert_to_tensor(np.ones(2)).dtype == np.float64  # NumPy keeps its dtype
    assert ops.convert_to_tensor([1, 2], dtype="float64").dtype == np.float64
    x = gn.tensor([1.0])
    assert ops.convert_to_tensor(x) is x
    w = gn.tensor(2.0, requires_grad=True)
    stacked = ops.convert_to_tensor([w, w * 3])  # a list of tensors is stacked, differentiably
    stacked.sum().backward()
    assert stacked.tolist() == [2.0, 6.0] and w.grad.item() == 4.0
    assert isinstance(ops.convert_to_numpy(x), np.ndarray)
    assert ops.shape(ops.zeros((2, 3))) == (2, 3)
    assert ops.dtype(ops.zeros(1)) == "float32"
    assert ops.is_tensor(x) and not ops.is_tensor(np.ones(1))
    with pytest.raises(gn.GlassnetTypeError, match="dtype"):
        ops.cast(x, "no_such_type")


def test_cast_is_differentiable_and_keeps_ints():
    x = gn.tensor([1.5, 2.5], dtype=gn.float64)
    assert_gradcheck(lambda t: ops.cast(t, "float64") * t, x)
    w = gn.tensor([1.0, 2.0], requires_grad=True)  # float32 -> float64 -> back
    ops.sum(ops.cast(w, "float64") * 3.0).backward()
    assert w.grad.dtype == np.float32 and w.grad.tolist() == [3.0, 3.0]
    assert ops.cast(x, "int32").tolist() == [1, 2]
    assert ops.cast([True, False], "float32").dtype == np.float32


def test_stop_gradient():
    x = gn.tensor(2.0, requires_grad=True)
    y = x * ops.stop_gradient(x * 3)
    y.backward()
    assert x.grad.item() == 6.0


def test_cond_while_loop_fori_loop():
    assert ops.cond(True, lambda: 1, lambda: 2) == 1
    assert ops.cond(ops.convert_to_tensor(False), lambda: 1, lambda: 2) == 2
    i, total = ops.while_loop(lambda i, t: i < 5, lambda i, t: (i + 1, t + i), (0, 0))
    assert (i, total) == (5, 10)
    assert ops.while_loop(lambda v: v < 100, lambda v: v * 2, 1) == 128
    assert ops.while_loop(lambda v: True, lambda v: v + 1, 0, maximum_iterations=3) == 3
    assert ops.fori_loop(0, 4, lambda i, v: v + i, 10) == 16
    x = gn.tensor(1.5, requires_grad=True)
    y = ops.fori_loop(0, 3, lambda i, v: v * x, ops.ones(()))
    y.backward()
    assert np.isclose(x.grad.item(), 3 * 1.5**2)


def test_scatter_and_scatter_update():
    indices = [[0, 1], [2, 0], [0, 1]]
    values = gn.tensor([1.0, 2.0, 3.0], dtype=gn.float64)
    y = ops.scatter(indices, values, (3, 2))
    expected = np.zeros((3, 2))
    np.add.at(expected, ([0, 2, 0], [1, 0, 1]), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(y.numpy(), expected)
    assert_gradcheck(lambda v: ops.scatter(indices, v, (3, 2)), values)
    rows = ops.scatter([[1]], np.ones((1, 2)), (3, 2))
    np.testing.assert_array_equal(rows.numpy(), [[0, 0], [1, 1], [0, 0]])
    base = np.arange(6.0).reshape(3, 2)
    updated = ops.scatter_update(base, [[0, 0], [2, 1]], [10.0, 20.0])
    np.testing.assert_array_equal(updated.numpy(), [[10, 1], [2, 3], [4, 20]])
    assert_gradcheck(lambda b, u: ops.scatter_update(b, [[0, 0], [2, 1]], u),
                     gn.tensor(base), gn.tensor([1.0, 2.0]))


def test_slice_slice_update_unstack(rng):
    x = rng.normal(size=(4, 5))
    np.testing.assert_array_equal(ops.slice(x, (1, 2), (2, 3)).numpy(), x[1:3, 2:5])
    assert_gradcheck(lambda t: ops.slice(t, (1, 2), (2, 3)), gn.tensor(x))
    u = rng.normal(size=(2, 2))
    expected = x.copy()
    expected[1:3, 3:5] = u
    np.testing.assert_array_equal(ops.slice_update(x, (1, 3), u).numpy(), expected)
    assert_gradcheck(lambda t, v: ops.slice_update(t, (1, 3), v), gn.tensor(x), gn.tensor(u))
    with pytest.raises(gn.ShapeError, match="slice_update"):
        ops.slice_update(x, (3, 3), u)
    parts = ops.unstack(x, axis=1)
    assert len(parts) == 5 and parts[0].shape == (4,)
    np.testing.assert_array_equal(parts[2].numpy(), x[:, 2])


def test_map_and_vectorized_map(rng):
    x = rng.normal(size=(3, 2))
    np.testing.assert_allclose(ops.map(lambda v: v * 2, x).numpy(), x * 2)
    np.testing.assert_allclose(ops.vectorized_map(ops.sum, x).numpy(), x.sum(axis=1))
