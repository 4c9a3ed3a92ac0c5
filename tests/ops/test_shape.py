"""Shape ops: reshape, transpose, broadcasting, indexing, concat/stack/split, pad, squeeze."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError
from tests.conftest import assert_gradcheck, f64


@pytest.mark.parametrize("shape", [(6, 4), (3, -1), (2, 2, 6), (24,), (-1,)])
def test_reshape(rng, shape):
    x = f64(rng, 2, 3, 4)
    np.testing.assert_array_equal(x.reshape(*shape).data, x.data.reshape(shape))
    np.testing.assert_array_equal(gn.reshape(x, shape).data, x.data.reshape(shape))
    assert_gradcheck(lambda x: x.reshape(shape), x)
    assert x.view(shape).shape == x.data.reshape(shape).shape
    assert x.flatten().shape == (24,)


def test_reshape_error_names_both_shapes():
    with pytest.raises(ShapeError, match=r"\(2, 3\).*6 elements.*\(4, 2\)"):
        gn.tensor(np.zeros((2, 3))).reshape(4, 2)


@pytest.mark.parametrize("axes", [None, (0, 2, 1), (2, 0, 1), (-1, 0, 1)])
def test_transpose_and_permute(rng, axes):
    x = f64(rng, 2, 3, 4)
    expected = np.transpose(x.data, axes)
    args = () if axes is None else axes
    np.testing.assert_array_equal(x.transpose(*args).data, expected)
    np.testing.assert_array_equal(gn.permute(x, *args).data, expected)
    assert_gradcheck(lambda x: x.transpose(*args), x)
    if axes is not None:
        assert_gradcheck(lambda x: x.permute(axes), x)


def test_transpose_rejects_a_non_permutation():
    with pytest.raises(ShapeError, match="not a permutation"):
        gn.tensor(np.zeros((2, 3))).transpose(0, 0)


@pytest.mark.parametrize("shape, target", [((3,), (2, 3)), ((2, 1), (2, 4)), ((), (3, 2)),
                                           ((1, 3, 1), (2, 3, 4))])
def test_broadcast_to_expand_and_sum_to(rng, shape, target):
    x = f64(rng, *shape)
    np.testing.assert_array_equal(x.broadcast_to(target).data, np.broadcast_to(x.data, target))
    np.testing.assert_array_equal(gn.expand(x, *target).data, np.broadcast_to(x.data, target))
    assert_gradcheck(lambda x: x.broadcast_to(target), x)
    assert_gradcheck(lambda x: x.expand(*target), x)
    big = f64(rng, *target)
    summed = gn.sum_to(big, shape)
    assert summed.shape == shape
    lead = len(target) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1)
    np.testing.assert_allclose(summed.data, big.data.sum(axis=axes).reshape(shape))
    assert_gradcheck(lambda b: b.sum_to(shape), big)


def test_sum_to_same_shape_is_identity():
    x = gn.tensor([1.0, 2.0])
    assert gn.sum_to(x, (2,)) is x


@pytest.mark.parametrize(
    "index",
    [
        1,
        -1,
        (slice(None), 2),
        (slice(0, 2), slice(None, None, 2)),
        (Ellipsis, 1),
        (None, 0),
        (slice(None, None, -1),),
        (1, slice(1, 3), 0),
    ],
    ids=["int", "negative", "column", "strided", "ellipsis", "newaxis", "reversed", "mixed"],
)
def test_basic_indexing(rng, index):
    x = f64(rng, 3, 4, 2)
    np.testing.assert_array_equal(x[index].data, x.data[index])
    assert_gradcheck(lambda x: x[index], x)


def test_integer_array_indexing_with_repeats_adds_gradients(rng):
    x = f64(rng, 5, 3)
    rows = np.array([0, 2, 2, 4, 2])
    np.testing.assert_array_equal(x[rows].data, x.data[rows])
    assert_gradcheck(lambda x: x[rows], x)
    assert_gradcheck(lambda x: x[gn.tensor(rows), 1], x)
    assert_gradcheck(lambda x: x[[1, 1, 0], [2, 2, 0]], x)
    y = gn.tensor(np.zeros(4), requires_grad=True)
    y[[0, 0, 3, 0]].sum().backward()
    np.testing.assert_array_equal(y.grad.data, [3.0, 0.0, 0.0, 1.0])


def test_boolean_indexing(rng):
    x = f64(rng, 4, 3)
    mask = x.data > 0
    np.testing.assert_array_equal(x[mask].data, x.data[mask])
    assert_gradcheck(lambda x: x[mask], x)
    assert_gradcheck(lambda x: x[gn.tensor(mask[:, 0])], x)
    assert_gradcheck(lambda x: x[x > 0] * 2, x)


def test_index_out_of_range_is_a_shape_error():
    with pytest.raises(ShapeError, match=r"shape \(3,\)"):
        gn.tensor([1.0, 2.0, 3.0])[5]


def test_second_derivative_through_indexing():
    x = gn.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (x[[0, 0, 2]] ** 3).sum().backward(create_graph=True)
    g = x.grad
    np.testing.assert_allclose(g.data, [6.0, 0.0, 27.0])
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.data, [12.0, 0.0, 18.0])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(rng, axis):
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    for i, shape in enumerate(shapes):
        shape[axis] = i + 1
    xs = [f64(rng, *s) for s in shapes]
    expected = np.concatenate([x.data for x in xs], axis=axis)
    np.testing.assert_array_equal(gn.concat(xs, axis=axis).data, expected)
    np.testing.assert_array_equal(gn.concatenate(xs, axis=axis).data, expected)
    assert_gradcheck(lambda a, b, c: gn.concat([a, b, c], axis=axis), *xs)


def test_concat_mismatch_names_the_op_and_shapes():
    with pytest.raises(ShapeError, match=r"Concat.*\(2, 3\), \(2, 4\)"):
        gn.concat([gn.tensor(np.zeros((2, 3))), gn.tensor(np.zeros((2, 4)))], axis=0)
    with pytest.raises(ValueError, match="at least one"):
        gn.concat([])


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack(rng, axis):
    xs = [f64(rng, 2, 3) for _ in range(3)]
    expected = np.stack([x.data for x in xs], axis=axis)
    np.testing.assert_array_equal(gn.stack(xs, axis=axis).data, expected)
    assert_gradcheck(lambda a, b, c: gn.stack([a, b, c], axis=axis), *xs)
    with pytest.raises(ShapeError, match="same shape"):
        gn.stack([xs[0], f64(rng, 3, 2)])


@pytest.mark.parametrize("sections, axis", [(3, 0), ([1, 4], 1), (2, -1), ([0, 2], 0)])
def test_split(rng, sections, axis):
    x = f64(rng, 6, 5, 4)
    pieces = gn.split(x, sections, axis=axis)
    expected = np.split(x.data, sections, axis=axis)
    assert len(pieces) == len(expected)
    for piece, want in zip(pieces, expected, strict=True):
        np.testing.assert_array_equal(piece.data, want)
    weights = [float(i + 1) for i in range(len(pieces))]
    def weighted(x):
        pieces = gn.split(x, sections, axis)
        return sum(w * (p**2).sum() for w, p in zip(weights, pieces, strict=True))

    assert_gradcheck(weighted, x)
    with pytest.raises(ShapeError, match="equal sections"):
        gn.split(x, 4, axis=1)


@pytest.mark.parametrize("width", [1, (1, 2), ((0, 1), (2, 0)), ((1, 1), (0, 0))])
def test_pad(rng, width):
    x = f64(rng, 2, 3)
    np.testing.assert_array_equal(gn.pad(x, width).data, np.pad(x.data, width))
    np.testing.assert_array_equal(gn.pad(x, width, 7.0).data,
                                  np.pad(x.data, width, constant_values=7.0))
    assert_gradcheck(lambda x: gn.pad(x, width, 0.5), x)
    with pytest.raises(gn.GlassnetError, match="non-negative"):
        gn.pad(x, -1)


def test_squeeze_and_unsqueeze(rng):
    x = f64(rng, 1, 3, 1, 2)
    assert x.squeeze().shape == (3, 2)
    assert gn.squeeze(x, 2).shape == (1, 3, 2)
    assert x.squeeze((0, -2)).shape == (3, 2)
    assert gn.unsqueeze(x, 0).shape == (1, 1, 3, 1, 2)
    assert x.unsqueeze(-1).shape == (1, 3, 1, 2, 1)
    assert_gradcheck(lambda x: x.squeeze(), x)
    assert_gradcheck(lambda x: x.unsqueeze(1), x)
    with pytest.raises(ShapeError, match="axis 1.*length 3"):
        x.squeeze(1)
