import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import SGD, clip_grad_norm, clip_grad_value


def with_grads(*grads):
    params = []
    for g in grads:
        p = gn.tensor(np.zeros_like(np.asarray(g, dtype=float)), requires_grad=True)
        p.grad = gn.tensor(np.asarray(g, dtype=float))
        params.append(p)
    return params


def test_clip_grad_norm_by_hand():
    a, b = with_grads([3.0], [4.0])          # total norm 5
    total = clip_grad_norm([a, b], 1.0)
    assert total.item() == pytest.approx(5.0)
    coefficient = 1.0 / (5.0 + 1e-6)         # PyTorch's formula
    np.testing.assert_allclose([a.grad.item(), b.grad.item()],
                               [3 * coefficient, 4 * coefficient], rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_alone():
    (a,) = with_grads([0.3, 0.4])
    total = clip_grad_norm(a, 1.0)           # a single Tensor is accepted
    assert total.item() == pytest.approx(0.5)
    np.testing.assert_array_equal(a.grad.data, [0.3, 0.4])


@pytest.mark.parametrize("norm_type,expected", [(1.0, 9.0), (math.inf, 4.0), (3.0, 99 ** (1 / 3))])
def test_clip_grad_norm_other_norms(norm_type, expected):
    a, b = with_grads([2.0, -3.0], [4.0])    # |.|_1 = 9, max = 4, (8 + 27 + 64)^(1/3)
    total = clip_grad_norm([a, b], 2.0, norm_type=norm_type)
    assert total.item() == pytest.approx(expected)
    coefficient = 2.0 / (expected + 1e-6)
    np.testing.assert_allclose(b.grad.data, [4.0 * coefficient])


def test_clip_grad_norm_skips_params_without_grad_and_handles_none():
    (a,) = with_grads([3.0, 4.0])
    b = gn.tensor([1.0], requires_grad=True)
    assert clip_grad_norm([a, b], 1.0).item() == pytest.approx(5.0)
    assert b.grad is None
    assert clip_grad_norm([b], 1.0).item() == 0.0


def test_shared_gradient_is_clipped_once_per_parameter():
    a = gn.tensor([3.0], requires_grad=True)
    b = gn.tensor([4.0], requires_grad=True)
    shared = gn.tensor([10.0])
    a.grad = b.grad = shared                  # autograd may hand one Tensor to several inputs
    clip_grad_norm([a, b], 1.0)
    expected = 10.0 / (math.sqrt(200.0) + 1e-6)
    np.testing.assert_allclose([a.grad.item(), b.grad.item()], [expected, expected])


def test_clip_grad_norm_nonfinite():
    (a,) = with_grads([np.inf])
    with pytest.raises(ValueError, match="norm"):
        clip_grad_norm([a], 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    a, b = with_grads([3.0, -0.2], [-4.0])
    assert clip_grad_value([a, b], 0.5) is None
    np.testing.assert_array_equal(a.grad.data, [0.5, -0.2])
    np.testing.assert_array_equal(b.grad.data, [-0.5])


@pytest.mark.parametrize("fn,arg", [(clip_grad_norm, "max_norm"), (clip_grad_value, "clip_value")])
def test_invalid_bounds(fn, arg):
    (a,) = with_grads([1.0])
    with pytest.raises(gn.GlassnetValueError, match=arg):
        fn([a], 0.0)


def test_clip_then_step_matches_hand_computation():
    w = gn.tensor([3.0, 4.0], dtype=gn.float64, requires_grad=True)
    (w * w).sum().backward()                  # grad [6, 8], norm 10
    clip_grad_norm([w], 5.0)
    SGD(1.0).step([w])
    scale = 5.0 / (10.0 + 1e-6)
    np.testing.assert_allclose(w.data, [3.0 - 6 * scale, 4.0 - 8 * scale], rtol=1e-6)


def test_float32_gradients_stay_float32():
    w = gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    w.grad = gn.tensor(np.full(2, 10.0, dtype=np.float32))
    clip_grad_norm([w], 1.0)
    clip_grad_value([w], 0.5)
    assert w.grad.dtype == np.float32
