"""Tensor construction, dtype rules, autograd mechanics and error messages."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import AnomalyError, GlassnetTypeError, ShapeError


# ----------------------------------------------------------------------------- construction
def test_python_floats_become_float32():
    assert gn.tensor(1.5).dtype == np.float32
    assert gn.tensor([1.0, 2.0]).dtype == np.float32
    assert gn.tensor([[1, 2.5]]).dtype == np.float32


def test_python_ints_and_bools_keep_integer_and_bool_dtypes():
    assert gn.tensor(3).dtype == np.int64
    assert gn.tensor([True, False]).dtype == np.bool_


def test_numpy_float64_stays_float64():
    assert gn.tensor(np.zeros(3)).dtype == np.float64
    assert gn.tensor(np.float64(2.0)).dtype == np.float64
    assert gn.tensor(np.zeros(3, dtype=np.float32)).dtype == np.float32


def test_dtype_argument_forces_the_dtype():
    assert gn.tensor(1.5, dtype=gn.float64).dtype == np.float64
    assert gn.tensor(np.zeros(2), dtype="float32").dtype == np.float32
    assert gn.tensor([1, 2], dtype=gn.float32).dtype == np.float32


def test_tensor_copies_but_Tensor_wraps():
    array = np.array([1.0, 2.0])
    copied, wrapped = gn.tensor(array), gn.Tensor(array)
    array[0] = 9.0
    assert copied.data[0] == 1.0
    assert wrapped.data[0] == 9.0


def test_properties_and_conversions():
    x = gn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert x.T.shape == (3, 2)
    assert isinstance(x.numpy(), np.ndarray)
    assert gn.tensor([7.0]).item() == 7.0
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    with pytest.raises(ShapeError, match=r"one element.*\(2, 3\)"):
        x.item()


def test_scalars_keep_the_tensor_dtype_in_operators():
    x = gn.tensor([1.0, 2.0])
    for y in (x * 2, 2 * x, x / 3, x + np.float64(1.0), x * np.int64(2), x ** np.int64(2),
              x / np.prod((2, 3)), 1 - x, 2 ** x):
        assert y.dtype == np.float32


def test_requires_grad_on_integers_is_a_type_error():
    with pytest.raises(TypeError, match="floating-point"):
        gn.tensor([1, 2], requires_grad=True)
    with pytest.raises(GlassnetTypeError):
        gn.tensor(3).requires_grad_()


@pytest.mark.parametrize("bad", ["abc", b"xy", ["a", "b"], object(), {"a": 1}, None])
def test_strings_and_objects_are_type_errors(bad):
    with pytest.raises(TypeError, match="glassnet.tensor"):
        gn.tensor(bad)


def test_comparisons_give_boolean_tensors_without_grad():
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    assert mask.tolist() == [False, True, True]


# ----------------------------------------------------------------------------- autograd basics
def test_grad_is_a_tensor_and_matches_the_seed_example():
    w = gn.tensor(3.0, requires_grad=True)
    b = gn.tensor(4.0, requires_grad=True)
    z = (2 * w + 3 * b) * (2 * b + 1)
    z.backward()
    assert isinstance(w.grad, gn.Tensor)
    assert z.item() == 162.0
    assert (w.grad.item(), b.grad.item()) == (18.0, 63.0)


def test_gradients_accumulate_across_backward_calls():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2 * 1 + 3, 2 * 2 + 3])
    x.zero_grad()
    assert x.grad is None


def test_backward_twice_on_the_same_graph_adds_up():
    x = gn.tensor(2.0, requires_grad=True)
    y = x * x * x
    y.backward()
    y.backward()
    assert x.grad.item() == pytest.approx(2 * 3 * 2.0**2)


def test_broadcasting_gradients_are_summed_back_to_each_shape():
    a = gn.tensor(np.ones((2, 3)), requires_grad=True)
    b = gn.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    c = gn.tensor(np.array([[10.0], [20.0]]), requires_grad=True)
    ((a * b) + c).sum().backward()
    np.testing.assert_allclose(a.grad.data, [[1, 2, 3], [1, 2, 3]])
    np.testing.assert_allclose(b.grad.data, [2, 2, 2])
    np.testing.assert_allclose(c.grad.data, [[3], [3]])


def test_leaf_grads_are_writable_and_not_shared():
    """Optimizers and clipping update .grad.data in place; that must not leak elsewhere."""
    a = gn.tensor([1.0, 2.0], requires_grad=True)
    b = gn.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad.data *= 10
    np.testing.assert_allclose(b.grad.data, [1.0, 1.0])
    x = gn.tensor(np.zeros((2, 3)), requires_grad=True)
    x.sum().backward()  # the gradient of sum is a broadcast (read-only) view before copying
    x.grad.data += 1
    np.testing.assert_allclose(x.grad.data, np.full((2, 3), 2.0))


def test_same_tensor_used_twice_gets_both_contributions():
    x = gn.tensor(3.0, requires_grad=True)
    (x * x + x).backward()
    assert x.grad.item() == 7.0


def test_detach_cuts_the_graph_and_shares_data():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.creator is None
    assert d.data is x.data
    y = (x * d).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 2.0])  # d is a constant: dy/dx = d


def test_no_grad_records_nothing_and_restores_state():
    x = gn.tensor(1.0, requires_grad=True)
    with gn.no_grad():
        y = x * 2
        with gn.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.creator is None
    assert z.requires_grad
    assert gn.config.enable_grad
    with pytest.raises(TypeError, match="does not require grad"):
        y.backward()


def test_no_grad_restores_state_after_an_error():
    with pytest.raises(RuntimeError), gn.no_grad():
        raise RuntimeError("boom")
    assert gn.config.enable_grad


def test_manual_seed_makes_random_numbers_reproducible():
    from glassnet.config import get_rng

    gn.manual_seed(42)
    first = get_rng().standard_normal(5)
    gn.manual_seed(42)
    np.testing.assert_array_equal(get_rng().standard_normal(5), first)
    gn.manual_seed(43)
    assert not np.array_equal(get_rng().standard_normal(5), first)
    with pytest.raises(ValueError, match="non-negative integer"):
        gn.manual_seed(-1)


def test_backward_on_non_scalar_without_grad_is_a_clear_error():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(ShapeError, match=r"one element.*shape \(2,\).*grad="):
        y.backward()
    y.backward(gn.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 20.0])
    with pytest.raises(ShapeError, match=r"grad has shape \(3,\), expected \(2,\)"):
        y.backward(np.ones(3))


def test_retain_grad_keeps_intermediate_gradients():
    w = gn.tensor(3.0, requires_grad=True)
    b = gn.tensor(4.0, requires_grad=True)
    x = (2 * w + 3 * b).retain_grad()
    y = 2 * b + 1
    z = x * y
    z.retain_grad()
    z.backward()
    assert x.grad.item() == 9.0  # dz/dx = y
    assert y.grad is None  # not retained
    assert z.grad.item() == 1.0


# ----------------------------------------------------------------------------- higher order
def test_second_derivative_of_tanh():
    x = gn.tensor(np.array([-1.5, 0.3, 0.9]), requires_grad=True)
    gn.tanh(x).sum().backward(create_graph=True)
    first = x.grad
    t = np.tanh(x.data)
    np.testing.assert_allclose(first.data, 1 - t**2)
    assert first.requires_grad  # the gradient is itself differentiable
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.data, -2 * t * (1 - t**2), rtol=1e-12)


def test_hessian_vector_product_matches_the_analytic_hessian():
    # f(x) = x0^2 x1 + sin(x0) x2 + x1 x2^3 ; H computed by hand
    x = gn.tensor(np.array([0.7, -1.2, 0.5]), requires_grad=True)
    v = np.array([0.3, -0.8, 1.1])
    f = x[0] ** 2 * x[1] + gn.sin(x[0]) * x[2] + x[1] * x[2] ** 3
    f.backward(create_graph=True)
    grad = x.grad
    x.grad = None
    (grad * gn.tensor(v)).sum().backward()
    x0, x1, x2 = x.data
    hessian = np.array(
        [
            [2 * x1 - math.sin(x0) * x2, 2 * x0, math.cos(x0)],
            [2 * x0, 0.0, 3 * x2**2],
            [math.cos(x0), 3 * x2**2, 6 * x1 * x2],
        ]
    )
    np.testing.assert_allclose(x.grad.data, hessian @ v, rtol=1e-12)


def test_first_order_backward_records_no_graph():
    x = gn.tensor(2.0, requires_grad=True)
    (x * x).backward()
    assert not x.grad.requires_grad


# ----------------------------------------------------------------------------- IEEE and errors
def test_nan_and_inf_propagate_per_ieee():
    with np.errstate(all="ignore"):
        y = gn.log(gn.tensor([0.0, -1.0, 1.0]))
        assert y.data[0] == -np.inf and np.isnan(y.data[1]) and y.data[2] == 0.0
        z = gn.tensor([1.0, -1.0, 0.0]) / gn.tensor(0.0)
        assert z.data[0] == np.inf and z.data[1] == -np.inf and np.isnan(z.data[2])
        nan = gn.tensor([np.nan, 1.0], requires_grad=True)
        (nan * 2).sum().backward()
        np.testing.assert_array_equal(nan.grad.data, [2.0, 2.0])
        s = (nan + 1).sum()
        assert np.isnan(s.item())


def test_matmul_mismatch_names_both_shapes_and_the_op():
    a, b = gn.tensor(np.ones((2, 3))), gn.tensor(np.ones((4, 5)))
    with pytest.raises(ShapeError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        a @ b
    with pytest.raises(ValueError, match="matmul"):  # ShapeError is also a ValueError
        gn.matmul(gn.tensor(np.ones(3)), gn.tensor(np.ones(4)))


def test_broadcast_mismatch_names_both_shapes_and_the_op():
    a, b = gn.tensor(np.ones((2, 3))), gn.tensor(np.ones(4))
    with pytest.raises(ShapeError, match=r"Add.*\(2, 3\).*\(4,\)"):
        a + b
    with pytest.raises(ShapeError, match=r"Mul.*\(2, 3\).*\(4,\)"):
        a * b
    with pytest.raises(ShapeError, match=r"broadcast_to.*\(2, 3\).*\(4,\)"):
        a.broadcast_to(4)


def test_detect_anomaly_names_the_op():
    x = gn.tensor([1.0, -1.0], requires_grad=True)
    with np.errstate(all="ignore"), gn.detect_anomaly():
        with pytest.raises(AnomalyError, match="Log"):
            gn.log(x)
        y = gn.sqrt(gn.tensor([0.0, 4.0], requires_grad=True))
        with pytest.raises(AnomalyError, match="Sqrt"):
            y.sum().backward()  # d sqrt(x)/dx = inf at 0
    assert not gn.config.detect_anomaly
    with np.errstate(all="ignore"):
        assert np.isnan(gn.log(x).data[1])  # off again: NaN propagates silently


def test_repr_shows_dtype_and_grad_fn():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert "grad_fn=Mul" in repr(x * 2)
    assert "dtype=float64" in repr(gn.tensor(np.ones(1)))


def test_truth_value_of_a_vector_is_ambiguous():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(gn.tensor([1.0, 2.0]))
    assert bool(gn.tensor(1.0))


def test_iterating_over_a_tensor_stops_and_is_differentiable():
    t = gn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(t)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    first, second = t
    (first.sum() + 2 * second.sum()).backward()
    np.testing.assert_array_equal(t.grad.data, [[1, 1], [2, 2]])


# ----------------------------------------------------------------------------- custom ops
class _Cube(gn.Function):
    """y = x^3 written as a user op; backward with Tensor ops, so it is twice differentiable."""

    def forward(self, x):
        return x**3

    def backward(self, gy):
        (x,) = self.inputs
        return gy * 3 * x * x


class _SplitHalves(gn.Function):
    """Two outputs: the first and second half of a vector."""

    def forward(self, x):
        n = x.shape[0] // 2
        return x[:n].copy(), x[n:].copy()

    def backward(self, g_first, g_second):
        return gn.concat([g_first, g_second])


class _Picky(gn.Function):
    def forward(self, x):
        raise gn.GlassnetValueError("_Picky: x must be positive")


def test_a_user_defined_function_with_second_derivative():
    x = gn.tensor(2.0, dtype=gn.float64, requires_grad=True)
    y = _Cube()(x)
    assert y.item() == 8.0 and isinstance(y.creator, _Cube)
    y.backward(create_graph=True)
    assert x.grad.item() == 12.0
    g = x.grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 12.0  # d2(x^3)/dx2 = 6x


def test_multi_output_function_fills_zeros_for_an_unused_output():
    x = gn.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    first, second = _SplitHalves()(x)
    (first * 5).sum().backward()  # second is not used: its gradient counts as zero
    np.testing.assert_array_equal(x.grad.data, [5, 5, 0, 0])


def test_glassnet_errors_from_forward_keep_their_class():
    with pytest.raises(gn.GlassnetValueError, match="must be positive"):
        _Picky()(gn.tensor(1.0))


def test_power_with_a_constant_base_only_differentiates_the_exponent():
    b = gn.tensor([0.5, 2.0], requires_grad=True)
    (3.0**b).sum().backward()
    np.testing.assert_allclose(b.grad.data, 3.0 ** b.data * np.log(3.0), rtol=1e-6)


@pytest.mark.parametrize("bad", ["a", None, object(), [1.0, "x"]])
def test_operators_with_unsupported_operands_are_type_errors(bad):
    x = gn.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="expected num"):
        x + bad
    with pytest.raises(TypeError):
        gn.matmul(x, bad)
