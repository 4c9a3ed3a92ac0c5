"""NumPy's own BLAS, called from inside kernels: GEMMs by row blocks in numba's threads.

A kernel that runs a recurrence for a block of batch rows (an LSTM's timesteps: row r of h_t
depends only on row r of h_{t-1}) calls the GEMM of each step itself, so that each thread runs
its rows' whole sequence with no synchronisation, instead of one multi-threaded BLAS call and
one parallel element-wise pass per step. The GEMM is the one NumPy uses: the OpenBLAS that
NumPy's wheels bundle (ILP64, ``scipy_cblas_sgemm64_``), found in the loaded library's file.
While such a kernel runs, :func:`one_thread` holds OpenBLAS at one thread (OpenBLAS's count
is process-wide), so the two pools never share a core; it is restored afterwards. The LSTM's
other GEMMs (the input projection, the weight gradients) go through :func:`matmul`, blocks
of rows in numba's threads too, so that OpenBLAS's own threads stay asleep during its
training: after a multi-threaded OpenBLAS call its worker spins for a while, and a numba
kernel that starts then shares a core with it (LSTM(128) on 2 vCPUs: 60 ms a batch that way
against 44 ms with every GEMM in numba's pool and 47 ms on the per-step path).

:func:`functions` is None where that BLAS is not found (another BLAS, NumPy built from source
against the system's): the callers then use their per-step path.

Inside a kernel (the address and the pointers as integers, so that compiled code is cacheable)::

    gemm(address, ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, alpha, a_ptr, lda, b_ptr, ldb,
         beta, c_ptr, ldc)     # C = alpha op(A) op(B) + beta C, row-major
"""

import contextlib
import ctypes
import glob
import os
import threading
import types as _pytypes

import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from glassnet.kernels import kernel

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112  # CBLAS enums

# (sgemm, dgemm, set_num_threads, get_num_threads) symbol names, in the order tried:
# NumPy 2's scipy-openblas wheels, then NumPy 1's openblas64_ ones
_SYMBOLS = (
    ("scipy_cblas_sgemm64_", "scipy_cblas_dgemm64_", "scipy_openblas_set_num_threads64_",
     "scipy_openblas_get_num_threads64_"),
    ("cblas_sgemm64_", "cblas_dgemm64_", "openblas_set_num_threads64_",
     "openblas_get_num_threads64_"),
)
_found = None


def _library_files():
    """NumPy's bundled OpenBLAS files (Linux and Windows wheels: numpy.libs; macOS: .dylibs)."""
    root = os.path.dirname(np.__file__)
    paths = []
    for folder in (os.path.join(os.path.dirname(root), "numpy.libs"),
                   os.path.join(root, ".dylibs")):
        paths += sorted(glob.glob(os.path.join(folder, "*openblas*")))
    return paths


def functions():
    """NumPy's OpenBLAS: ``sgemm``, ``dgemm`` (addresses), ``set_threads``, ``get_threads``
    (ctypes functions) and ``library`` (its file), looked up once; None where not found."""
    global _found
    if _found is None:
        _found = False
        for path in _library_files():
            try:
                library = ctypes.CDLL(path)
            except OSError:
                continue
            for names in _SYMBOLS:
                try:
                    found = [getattr(library, name) for name in names]
                except AttributeError:
                    continue
                sgemm, dgemm, set_threads, get_threads = found
                set_threads.argtypes, set_threads.restype = [ctypes.c_int], None
                get_threads.argtypes, get_threads.restype = [], ctypes.c_int
                _found = _pytypes.SimpleNamespace(
                    sgemm=ctypes.cast(sgemm, ctypes.c_void_p).value,
                    dgemm=ctypes.cast(dgemm, ctypes.c_void_p).value,
                    set_threads=set_threads, get_threads=get_threads, library=path)
                break
            if _found:
                break
    return _found or None


_lock = threading.Lock()
_depth = 0  # how many one_thread() blocks are open (in any Python thread)
_saved = None  # OpenBLAS's thread count before the first of them


@contextlib.contextmanager
def one_thread():
    """OpenBLAS at one thread inside the block, its previous count restored after the last
    open block ends (blocks in several Python threads share one save: the count is global)."""
    global _depth, _saved
    fns = functions()
    with _lock:
        if _depth == 0:
            _saved = fns.get_threads()
            if _saved != 1:
                fns.set_threads(1)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved != 1:
                fns.set_threads(_saved)


def gemm_address(dtype):
    """The GEMM for float32 or float64 arrays (an address), or None."""
    fns = functions()
    if fns is None:
        return None
    return {"float32": fns.sgemm, "float64": fns.dgemm}.get(np.dtype(dtype).name)


def _call(context, builder, address, signature, values, ret):
    """Call the C function at ``address`` with ``values`` cast to ``signature``'s LLVM types."""
    llvm_args = [context.get_value_type(t) for t in signature]
    fnty = ir.FunctionType(ret, llvm_args)
    fn = builder.inttoptr(address, fnty.as_pointer())
    return builder.call(fn, values)


@intrinsic
def gemm(typingctx, address, order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta,
         c, ldc):
    """``cblas_?gemm`` at ``address`` (ILP64): C = alpha op(A) op(B) + beta C (kernels only).

    ``a``, ``b``, ``c`` are data pointers (``array.ctypes.data``); ``alpha`` and ``beta`` are
    float32 for sgemm, float64 for dgemm.
    """
    if (alpha not in (types.float32, types.float64) or beta != alpha
            or not isinstance(address, types.Integer)):
        return None
    c_types = (types.int32, types.int32, types.int32, types.int64, types.int64, types.int64,
               alpha, types.voidptr, types.int64, types.voidptr, types.int64, alpha,
               types.voidptr, types.int64)
    args = (address, order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    sig = types.void(*args)

    def codegen(context, builder, signature, llargs):
        addr = context.cast(builder, llargs[0], signature.args[0], types.intp)
        values = []
        for value, from_type, to_type in zip(llargs[1:], signature.args[1:], c_types,
                                             strict=True):
            if to_type is types.voidptr:
                value = context.cast(builder, value, from_type, types.intp)
                value = builder.inttoptr(value, context.get_value_type(types.voidptr))
            else:
                value = context.cast(builder, value, from_type, to_type)
            values.append(value)
        _call(context, builder, addr, c_types, values, ir.VoidType())
        return context.get_dummy_value()

    return sig, codegen


# ------------------------------------------------------------------------ blocked GEMM
def _gemm_blocks(address, trans_a, trans_b, a, b, c, k, alpha, beta, block):
    """c = alpha op(a) op(b) + beta c by blocks of ``block`` rows of c, one GEMM call each;
    ``a``, ``b`` C-contiguous (op = transpose where ``trans_*`` is TRANS)."""
    m, n = c.shape
    lda = a.shape[1]
    ldb = b.shape[1]
    size = c.itemsize
    for i in prange((m + block - 1) // block):
        lo = i * block
        rows = min(m, lo + block) - lo
        offset = lo if trans_a == TRANS else lo * lda
        gemm(address, ROW_MAJOR, trans_a, trans_b, rows, n, k, alpha,
             a.ctypes.data + size * offset, lda, b.ctypes.data, ldb, beta,
             c.ctypes.data + size * lo * n, n)


gemm_blocks = kernel(min_parallel_size=1 << 12)(_gemm_blocks)


def block_rows(rows, minimum=16):
    """Rows per block when ``rows`` rows are cut into one block per core (numba's pool size,
    ``numba.config.NUMBA_NUM_THREADS``), at least ``minimum``. It depends on the shape and the
    machine only, not on :func:`glassnet.kernels.set_num_threads`: a product's bits can
    depend on its blocks, and results must not depend on the thread count."""
    return max(minimum, -(-rows // _numba_pool_size()))


def _numba_pool_size():
    import numba

    return numba.config.NUMBA_NUM_THREADS


def _operand(x):
    """(C-contiguous base, CBLAS transpose flag) of a 2-D operand; copies only when neither x
    nor x.T is C-contiguous."""
    if x.flags.c_contiguous:
        return x, NO_TRANS
    if x.flags.f_contiguous:
        return x.T, TRANS
    return np.ascontiguousarray(x), NO_TRANS


#: rows per block of :func:`matmul`'s product: a multiple of the GEMM's 16-row micro-tiles
MATMUL_ALIGN = 16


def matmul(a, b, out=None):
    """``a @ b`` for non-empty 2-D float32/float64 arrays of one dtype: one block of rows of
    the product per core (:func:`block_rows`, rounded up to ``MATMUL_ALIGN`` rows), or of its
    transpose when the product has fewer than 2 * ``MATMUL_ALIGN`` rows, in numba's threads,
    with NumPy's GEMM at one thread (:func:`one_thread`). Other arguments go to ``np.matmul``.

    Args:
        a: (m, k) array; C- or Fortran-contiguous (a transpose) is used in place.
        b: (k, n) array, the same.
        out: optional C-contiguous (m, n) output.

    Returns:
        The (m, n) product (``out`` when given).

    Example:
        >>> import numpy as np
        >>> from glassnet.kernels import blas
        >>> a = np.arange(6, dtype=np.float32).reshape(3, 2)
        >>> blas.matmul(a, a.T).tolist()
        [[1.0, 3.0, 5.0], [3.0, 13.0, 23.0], [5.0, 23.0, 41.0]]
    """
    address = gemm_address(a.dtype) if a.dtype == b.dtype else None
    if (address is None or a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]
            or 0 in a.shape or 0 in b.shape
            or (out is not None and not (out.flags.c_contiguous and out.dtype == a.dtype))):
        return np.matmul(a, b, out=out)
    m, k = a.shape
    n = b.shape[1]
    if out is None:
        out = np.empty((m, n), dtype=a.dtype)
    # Row blocks of C (OpenBLAS ran column blocks of a transposed-A product, [X H]^T dZ, three
    # times slower than one call), of C^T = B^T A^T where C has too few rows to cut. Blocks of
    # whole micro-tiles: in the LSTM's training on a 2-vCPU Zen 4, its weight gradient
    # [X 1 H]^T dZ (157 x 512, K = 3584) took 4.26 ms as two blocks of 80 and 77 rows against
    # 4.78 ms as row blocks of dZ^T [X 1 H] (in-process A/B, 2 threads; 1 thread: the same).
    wide = m < 2 * MATMUL_ALIGN <= n
    product, (left, right) = (np.empty((n, m), a.dtype), (b.T, a.T)) if wide else (out, (a, b))
    base_a, trans_a = _operand(left)
    base_b, trans_b = _operand(right)
    one = a.dtype.type(1.0)
    block = -(-block_rows(product.shape[0]) // MATMUL_ALIGN) * MATMUL_ALIGN
    with one_thread():
        gemm_blocks(address, trans_a, trans_b, base_a, base_b, product, k, one, one - one,
                    block)
    if product is not out:
        out[...] = product.T
    return out
