"""NumPy's own GEMM called from kernels (glassnet/kernels/blas.py).

``matmul`` (row blocks of the product in numba's threads, OpenBLAS at one thread) against
``np.matmul`` for every operand layout, float32 and float64, tall and wide products; its bits
do not depend on the thread count; ``one_thread`` holds OpenBLAS's count at one and restores
it, nested and from several Python threads at once.
"""

import threading

import numpy as np
import pytest

pytest.importorskip("numba")

from glassnet.kernels import blas  # noqa: E402


def _numpy_uses_scipy_openblas():
    try:
        return np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"] == \
            "scipy-openblas"
    except Exception:  # another NumPy build: nothing to look for
        return False


needs_blas = pytest.mark.skipif(blas.functions() is None,
                                reason="NumPy's bundled OpenBLAS was not found")


def test_numpys_openblas_is_found_where_numpy_bundles_it():
    if not _numpy_uses_scipy_openblas():
        pytest.skip("this NumPy does not bundle scipy-openblas")
    fns = blas.functions()
    assert fns is not None and "openblas" in fns.library
    assert blas.gemm_address(np.float32) == fns.sgemm != fns.dgemm == blas.gemm_address("float64")
    assert blas.gemm_address(np.int32) is None


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(300, 7, 40), (9, 50, 300), (1, 5, 3), (157, 600, 64)])
@pytest.mark.parametrize("layouts", ["CC", "CF", "FC", "FF", "strided"])
def test_matmul_matches_numpy(dtype, shape, layouts):
    m, k, n = shape
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    if layouts == "strided":  # neither C nor F: copied first
        a = np.repeat(a, 2, axis=1)[:, ::2]
        assert not (a.flags.c_contiguous or a.flags.f_contiguous)
    else:
        a = a if layouts[0] == "C" else np.asfortranarray(a)
        b = b if layouts[1] == "C" else np.asfortranarray(b)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    got = blas.matmul(a, b)
    assert got.dtype == dtype and got.shape == (m, n) and got.flags.c_contiguous
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * np.abs(expected).max())
    out = np.full((m, n), np.nan, dtype=dtype)
    assert blas.matmul(a, b, out=out) is out
    np.testing.assert_array_equal(out, got)


@needs_blas
def test_matmul_bits_do_not_depend_on_the_thread_count(kernel_threads):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((517, 61)).astype(np.float32)
    b = rng.standard_normal((61, 93)).astype(np.float32)
    results = []
    for threads in (1, 2):
        kernel_threads(min(threads, blas._numba_pool_size()))
        results.append((blas.matmul(a, b), blas.matmul(b.T, a.T)))
    for x, y in zip(*results, strict=True):
        np.testing.assert_array_equal(x, y)


def test_matmul_hands_other_arguments_to_numpy():
    a = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(blas.matmul(a, a.T), a @ a.T)  # integers
    x = np.ones((2, 3), np.float32)
    assert blas.matmul(x, np.ones((3, 2), np.float64)).dtype == np.float64  # mixed dtypes
    assert blas.matmul(np.ones((0, 3), np.float32), np.ones((3, 2), np.float32)).shape == (0, 2)
    np.testing.assert_array_equal(blas.matmul(np.ones((2, 3, 4), np.float32),
                                              np.ones((4, 2), np.float32)),
                                  np.full((2, 3, 2), 4.0, np.float32))
    with pytest.raises(ValueError):
        blas.matmul(x, x)


def test_block_rows_follow_the_pool_not_the_thread_setting(kernel_threads):
    pool = blas._numba_pool_size()
    assert blas.block_rows(128, 32) == max(32, -(-128 // pool))
    assert blas.block_rows(3, 16) == 16
    kernel_threads(1)
    assert blas.block_rows(1000) == max(16, -(-1000 // pool))


@pytest.fixture
def openblas_at_two():
    """NumPy's OpenBLAS at 2 threads for the test (its functions); restored after it."""
    if blas.functions() is None:
        pytest.skip("NumPy's bundled OpenBLAS was not found")
    fns = blas.functions()
    before = fns.get_threads()
    fns.set_threads(2)
    yield fns
    fns.set_threads(before)


def test_one_thread_holds_and_restores_openblas_threads(openblas_at_two):
    fns = openblas_at_two
    with blas.one_thread():
        assert fns.get_threads() == 1
        with blas.one_thread():
            assert fns.get_threads() == 1
        assert fns.get_threads() == 1
    assert fns.get_threads() == 2
    with pytest.raises(RuntimeError), blas.one_thread():
        raise RuntimeError("inside")
    assert fns.get_threads() == 2


def test_one_thread_from_several_python_threads_restores_once(openblas_at_two):
    fns = openblas_at_two
    inside = threading.Barrier(3)
    seen = []

    def work():
        with blas.one_thread():
            inside.wait()  # all three are inside at once
            seen.append(fns.get_threads())
            inside.wait()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [1, 1, 1] and fns.get_threads() == 2
