"""glassnet/kernels/vmath.py: vexp and vtanh against float64 NumPy, inside a compiled loop."""

import numpy as np
import pytest

pytest.importorskip("numba")

from glassnet.kernels import vmath  # noqa: E402


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vector_exp_and_tanh_are_within_a_few_ulps(dtype):
    from numba import njit

    @njit
    def apply(x, e, t):
        for i in range(x.size):
            e[i] = vmath.vexp(x[i])
            t[i] = vmath.vtanh(x[i])

    x = np.concatenate([np.linspace(-80, 80, 20001), np.geomspace(1e-30, 1, 2001),
                        -np.geomspace(1e-30, 1, 2001), [0.0, 0.625, -0.625]]).astype(dtype)
    e, t = np.empty_like(x), np.empty_like(x)
    apply(x, e, t)
    exact_e = np.exp(x.astype(np.float64))
    exact_t = np.tanh(x.astype(np.float64))
    ulp = np.finfo(dtype).eps
    assert np.all(np.abs(e - exact_e) <= 1.0 * ulp * exact_e)
    tiny = np.finfo(dtype).tiny
    assert np.all(np.abs(t - exact_t) <= 2.0 * ulp * np.maximum(np.abs(exact_t), tiny))
    with np.errstate(over="ignore"):
        big = np.array([-1000.0, 1000.0], dtype)
        apply(big, e[:2], t[:2])
    assert e[0] < np.finfo(dtype).tiny * 2 and np.isfinite(e[1]) and list(t[:2]) == [-1.0, 1.0]


def test_outside_a_kernel_they_say_so():
    with pytest.raises(NotImplementedError, match="inside kernels"):
        vmath.vexp(1.0)
    with pytest.raises(NotImplementedError, match="inside kernels"):
        vmath.vtanh(1.0)
