"""sum_leading / sum_to's BLAS path: results equal plain sums, dtypes and shapes are kept."""

import numpy as np
import pytest

from glassnet.ops.shape import _sum_to_array, sum_leading


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_sum_leading_equals_hand_sums(dtype):
    x = np.arange(24, dtype=dtype).reshape(2, 3, 4)
    # column sums of 0..23 arranged (6, 4): 0+4+...+20 = 60, then +6 for each next column
    assert sum_leading(x, 2).tolist() == [60, 66, 72, 78]
    assert sum_leading(x, 2).dtype == dtype
    # over axis 0 only: x[0] + x[1] = 2 * x[0] + 12
    assert sum_leading(x, 1).tolist() == (2 * x[0] + 12).tolist()
    assert sum_leading(x, 3).shape == () and sum_leading(x, 3) == 276


def test_sum_leading_non_contiguous_and_empty():
    x = np.arange(12, dtype=np.float32).reshape(3, 4).T  # (4, 3), not C-contiguous
    assert sum_leading(x).tolist() == [6.0, 22.0, 38.0]
    assert sum_leading(np.zeros((0, 5), np.float32)).tolist() == [0.0] * 5


def test_sum_leading_tall_narrow_float32():
    # 100,000 rows of 0.1: the exact sum is 10,000.0001 (float32 0.1 = 0.100000001490116...);
    # float32 accumulation (NumPy's own axis-0 sum included) is off by about 1e-4 relative
    x = np.full((100_000, 6), 0.1, dtype=np.float32)
    result = sum_leading(x)
    assert result.shape == (6,) and result.dtype == np.float32
    assert np.allclose(result, 10_000.0, rtol=1e-3)


@pytest.mark.parametrize(
    "shape, target",
    [((5, 3), (3,)), ((5, 3), (1, 3)), ((2, 5, 3), (3,)), ((2, 5, 3), (1, 1, 3)),
     ((2, 5, 3), (5, 1)), ((2, 5, 3), (2, 1, 3)), ((5, 3), ()), ((4, 1, 3), (1, 3))],
)
def test_sum_to_matches_numpy_axis_sums(shape, target):
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    lead = len(shape) - len(target)
    expected = x.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(target) if n == 1 and expected.shape[i] != 1)
    expected = expected.sum(axis=stretched, keepdims=True).reshape(target)
    result = _sum_to_array(x, target)
    assert result.shape == target and result.dtype == np.float32
    assert np.array_equal(result, expected)  # small integers: float32 sums are exact
