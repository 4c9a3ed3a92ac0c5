"""sum, mean, max, min with axis/keepdims: values, shapes and gradients."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError
from tests.conftest import assert_gradcheck, f64

AXES = [None, 0, 1, -1, (0, 2), (0, 1, 2)]


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_reductions(rng, name, axis, keepdims):
    x = f64(rng, 2, 3, 4)
    y = getattr(x, name)(axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(x.data, axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(expected)
    np.testing.assert_allclose(y.data, expected)
    np.testing.assert_allclose(getattr(gn, name)(x, axis, keepdims).data, expected)
    assert_gradcheck(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), x)


def test_sum_of_a_scalar_and_mean_of_float32():
    assert gn.tensor(2.0).sum().item() == 2.0
    assert gn.tensor([1.0, 2.0]).mean().dtype == np.float32


def test_max_gradient_goes_to_the_maximum_and_ties_share():
    x = gn.tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 3.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [1, 0, 0]])
    y = gn.tensor([[1.0, 5.0], [0.0, 3.0]], requires_grad=True)
    y.min().backward()
    np.testing.assert_allclose(y.grad.data, [[0, 0], [1, 0]])


def test_mean_gradient_is_one_over_count():
    x = gn.tensor(np.zeros((4, 5)), requires_grad=True)
    x.mean(axis=0).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full((4, 5), 0.25))


def test_reduction_errors_name_the_axis_and_shape():
    x = gn.tensor(np.zeros((2, 3)))
    with pytest.raises(ShapeError, match="axis 2 is out of range.*2 dimensions"):
        x.sum(axis=2)
    with pytest.raises(ShapeError, match="empty"):
        gn.tensor(np.zeros((0,))).max()
