"""keras.ops einsum, quantiles and the smaller helpers against NumPy, with gradchecks."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.keras import ops
from tests.conftest import assert_gradcheck


@pytest.mark.parametrize("spec, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bij->bji", [(2, 3, 4)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij", [(3, 4), (3, 4)]),
    ("bqd,bkd->bqk", [(2, 3, 4), (2, 5, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij->", [(3, 4)]),
])
def test_einsum(spec, shapes, rng):
    arrays = [rng.normal(size=s) for s in shapes]
    np.testing.assert_allclose(ops.einsum(spec, *arrays).numpy(), np.einsum(spec, *arrays),
                               rtol=1e-10, atol=1e-12)
    assert_gradcheck(lambda *t: ops.einsum(spec, *t), *[gn.tensor(a) for a in arrays])
    assert ops.einsum("ij->ji", np.ones((2, 3), np.float32)).dtype == np.float32


def test_einsum_refuses_what_it_cannot_do():
    with pytest.raises(gn.GlassnetValueError, match="einsum"):
        ops.einsum("ii->i", np.ones((2, 2)))
    with pytest.raises(gn.GlassnetValueError, match="einsum"):
        ops.einsum("...i->i", np.ones((2, 2)))
    with pytest.raises(gn.GlassnetValueError, match="operand"):
        ops.einsum("ij,jk->ik", np.ones((2, 2)))


@pytest.mark.parametrize("q", [0.3, 0.5, [0.0, 0.25, 1.0]])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), (None, True)])
def test_quantile_and_median(q, axis, keepdims, rng):
    x = rng.normal(size=(4, 5))
    np.testing.assert_allclose(ops.quantile(x, q, axis=axis, keepdims=keepdims).numpy(),
                               np.quantile(x, q, axis=axis, keepdims=keepdims), rtol=1e-10)
    assert_gradcheck(lambda t: ops.quantile(t, q, axis=axis, keepdims=keepdims), gn.tensor(x))
    np.testing.assert_allclose(ops.median(x, axis=axis).numpy(), np.median(x, axis=axis))


def test_elementwise_helpers(rng):
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4,))
    np.testing.assert_allclose(ops.hypot(a, b).numpy(), np.hypot(a, b))
    np.testing.assert_allclose(ops.logaddexp(a, b).numpy(), np.logaddexp(a, b))
    np.testing.assert_allclose(ops.exp2(a).numpy(), np.exp2(a))
    assert_gradcheck(ops.hypot, gn.tensor(a), gn.tensor(b))
    assert_gradcheck(ops.logaddexp, gn.tensor(a), gn.tensor(b))
    w = rng.uniform(0.5, 1.0, size=(4,))
    np.testing.assert_allclose(ops.average(a, axis=1, weights=w).numpy(),
                               np.average(a, axis=1, weights=w))
    np.testing.assert_allclose(ops.average(a).numpy(), np.average(a))
    assert_gradcheck(lambda t: ops.average(t, axis=1, weights=w), gn.tensor(a))
    bad = np.array([1.0, np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(ops.nan_to_num(bad, posinf=9.0, neginf=-9.0).numpy(),
                                  [1, 0, 9, -9])
    np.testing.assert_array_equal(ops.isclose(a, a + 1e-9).numpy(), np.ones((3, 4), bool))


def test_stacking_helpers_and_constants(rng):
    a, b = rng.normal(size=(3,)), rng.normal(size=(3,))
    np.testing.assert_array_equal(ops.vstack([a, b]).numpy(), np.vstack([a, b]))
    np.testing.assert_array_equal(ops.hstack([a, b]).numpy(), np.hstack([a, b]))
    m = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(ops.hstack([m, m]).numpy(), np.hstack([m, m]))
    np.testing.assert_array_equal(ops.append(m, m, axis=0).numpy(), np.append(m, m, axis=0))
    np.testing.assert_array_equal(ops.append(m, a).numpy(), np.append(m, a))
    gx, gy = ops.meshgrid(np.arange(3), np.arange(2))
    np.testing.assert_array_equal(gx.numpy(), np.meshgrid(np.arange(3), np.arange(2))[0])
    assert ops.array([1.0]).dtype == np.float32 and ops.empty((2, 2)).shape == (2, 2)
