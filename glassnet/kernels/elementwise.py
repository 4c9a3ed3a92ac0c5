"""Fused element-wise kernels: a Dense layer's bias + activation and their backward, one pass.

The NumPy reference (``glassnet.ops.dense``, ``glassnet.ops.nn``, ``glassnet.ops.
activation_arrays``) makes one pass over the array per operation: ``z += b``, ``e = exp(-z)``,
``e += 1``, ``1 / e`` forward, ``gy * y``, ``1 - y``, ``*`` and the bias gradient's column sums
backward. These kernels do each chain in one pass, in parallel over rows (or column blocks)::

    bias_sigmoid:       z = z + b;  a = 1 / (1 + e^-z)                  (z kept: the glass box)
    sigmoid:            a = 1 / (1 + e^-x)
    sigmoid_grad:       gx = gy * y * (1 - y)
    sigmoid_grad_bias:  gx = gy * y * (1 - y);  gb = sum_n gx            (y = sigmoid's output)
    bias_relu:          z = z + b;  a = max(z, 0)
    relu_grad:          gx = gy * (y > 0)
    relu_grad_bias:     gx = gy * (y > 0);      gb = sum_n gx

Same operations in the same order as the reference, so results agree bit for bit except for
e^x in float32: NumPy's vectorized ``exp`` and :func:`exp32` (below; numba without Intel's
SVML would call the scalar C library per element, slower than NumPy) each round within 2 ulps
of the exact value, and differ from each other by at most that. In float64 both call the C
library's ``exp``. The bias gradient sums the rows in order, first row first, exactly as
NumPy's ``g.sum(axis=0)`` does on a C-contiguous array: bit-identical, and the same whatever
the thread count (each column block is summed by one thread).

Every kernel takes its scalars in the arrays' dtype (``one``: 1 of that dtype), its outputs
as arguments (written in place; an output may be its input, but then the loop runs scalar:
LLVM's runtime overlap check fails, about 13x slower for the sigmoids on a Zen 5, so callers
pass a separate output) and C-contiguous arrays: 2-D ``(N, M)`` for the bias kernels, any
shape (flattened) for the others.
"""

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic, overload

from glassnet.kernels import kernel

BLOCK = 64  # columns per block of the bias-gradient kernels (one thread sums a block)
# Light passes (a multiply, a max, one add per element) run in parallel only from 2M elements.
# Right after a multi-threaded BLAS GEMM, whose worker spins on the second core for a while,
# their parallel builds were slower than the serial ones below that on 2 vCPUs (AVX2 KVM):
# ReLU's backward on LeNet's first convolution (600k elements) 1.25 ms against 0.89 ms.
LIGHT_PARALLEL_SIZE = 1 << 21
light_kernel = kernel(min_parallel_size=LIGHT_PARALLEL_SIZE)


# ------------------------------------------------------------------------ exp in float32
@intrinsic
def _float32_from_bits(typingctx, bits):
    """The float32 whose IEEE-754 bit pattern is the low 32 bits of the integer ``bits``."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        value = args[0]
        if bits.bitwidth > 32:
            value = builder.trunc(value, ir.IntType(32))
        return builder.bitcast(value, ir.FloatType())

    return types.float32(bits), codegen


_LOG2_E = np.float32(1.44269504088896341)
_LN2_HIGH = np.float32(0.693359375)       # ln 2 = _LN2_HIGH + _LN2_LOW (Cody-Waite)
_LN2_LOW = np.float32(-2.12194440e-4)
_EXP_MAX = np.float32(88.72283935546875)  # ln(largest float32): above it e^x = inf
_EXP_MIN = np.float32(-87.33654022216797)  # ln(smallest normal float32): below it 0
_EXP_POLY = tuple(np.float32(c) for c in (
    1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
    5.0000001201e-1))


@njit(inline="always", error_model="numpy")
def exp32(x):
    """e^x for a float32 x, within 1 ulp (Cephes' ``expf``), in a form LLVM vectorizes.

    x = n ln 2 + r with n = round(x / ln 2) and |r| <= ln(2) / 2, e^r by a degree-7
    polynomial, then times 2^n built from its bits (in two factors, so that n = 128 and
    n = -126 stay in range). x > ln(max float32) gives inf, NaN gives NaN, and x below
    ln(min normal float32) gives 0 (NumPy gives a subnormal there; a sigmoid, 1 / (1 + e^x),
    rounds both to 1).
    """
    w = min(max(x, _EXP_MIN), _EXP_MAX)
    n = np.floor(w * _LOG2_E + np.float32(0.5))
    r = w - n * _LN2_HIGH
    r = r - n * _LN2_LOW
    c0, c1, c2, c3, c4, c5 = _EXP_POLY
    p = c0 * r + c1
    p = p * r + c2
    p = p * r + c3
    p = p * r + c4
    p = p * r + c5
    p = p * r * r + r + np.float32(1.0)
    k = np.int32(n)
    half = k >> 1
    p = p * _float32_from_bits((half + 127) << 23) * _float32_from_bits((k - half + 127) << 23)
    p = np.float32(np.inf) if x > _EXP_MAX else p
    p = np.float32(0.0) if x < _EXP_MIN else p
    return x if x != x else p


def _exp(x):
    """e^x in a kernel: :func:`exp32` for float32, the C library's ``exp`` otherwise."""
    return np.exp(x)


@overload(_exp, inline="always")
def _exp_overload(x):
    if x == types.float32:
        return lambda x: exp32(x)
    return lambda x: np.exp(x)


@njit(inline="always", error_model="numpy")
def _sigmoid(z, one):
    """1 / (1 + e^-z), as NumPy's reference computes it (e^-z = inf gives 0)."""
    return one / (one + _exp(-z))


# ------------------------------------------------------------------------ sigmoid
@kernel
def sigmoid(x, out, one):
    """out = 1 / (1 + e^-x) (any shape; ``out`` may be ``x``)."""
    xf = x.reshape(-1)
    of = out.reshape(-1)
    for i in prange(xf.size):
        of[i] = _sigmoid(xf[i], one)


@kernel
def bias_sigmoid(z, bias, out, one):
    """z = z + bias (in place, per row), out = 1 / (1 + e^-z); ``out`` may be ``z``."""
    n, m = z.shape
    for i in prange(n):
        for j in range(m):
            v = z[i, j] + bias[j]
            z[i, j] = v
            out[i, j] = _sigmoid(v, one)


@light_kernel
def sigmoid_grad(gy, y, gx, one):
    """gx = gy * y * (1 - y), the sigmoid's backward from its output y (any shape)."""
    g = gy.reshape(-1)
    yf = y.reshape(-1)
    gf = gx.reshape(-1)
    for i in prange(g.size):
        gf[i] = g[i] * yf[i] * (one - yf[i])


@light_kernel
def sigmoid_grad_bias(gy, y, gx, gb, one):
    """gx = gy * y * (1 - y) and gb = sum over rows of gx (2-D, rows summed in order)."""
    n, m = gy.shape
    for block in prange((m + BLOCK - 1) // BLOCK):
        start = block * BLOCK
        stop = min(start + BLOCK, m)
        total = np.zeros(stop - start, gb.dtype)  # a local sum: the loop vectorizes
        for i in range(n):
            g = gy[i, start:stop]
            yi = y[i, start:stop]
            out = gx[i, start:stop]
            for j in range(stop - start):
                v = g[j] * yi[j] * (one - yi[j])
                out[j] = v
                total[j] = v if i == 0 else total[j] + v
        gb[start:stop] = total


# ------------------------------------------------------------------------ relu
@light_kernel
def bias_relu(z, bias, out, one):
    """z = z + bias (in place, per row), out = max(z, 0) (NaN stays NaN); ``out`` may be z."""
    n, m = z.shape
    zero = one - one
    for i in prange(n):
        for j in range(m):
            v = z[i, j] + bias[j]
            z[i, j] = v
            out[i, j] = zero if v < zero else v


@light_kernel
def relu_grad(gy, y, gx, one):
    """gx = gy * (y > 0), the ReLU's backward from its output y (any shape)."""
    g = gy.reshape(-1)
    yf = y.reshape(-1)
    gf = gx.reshape(-1)
    zero = one - one
    for i in prange(g.size):
        gf[i] = g[i] * (one if yf[i] > zero else zero)


@light_kernel
def relu_grad_bias(gy, y, gx, gb, one):
    """gx = gy * (y > 0) and gb = sum over rows of gx (2-D, rows summed in order)."""
    n, m = gy.shape
    zero = one - one
    for block in prange((m + BLOCK - 1) // BLOCK):
        start = block * BLOCK
        stop = min(start + BLOCK, m)
        total = np.zeros(stop - start, gb.dtype)
        for i in range(n):
            g = gy[i, start:stop]
            yi = y[i, start:stop]
            out = gx[i, start:stop]
            for j in range(stop - start):
                v = g[j] * (one if yi[j] > zero else zero)
                out[j] = v
                total[j] = v if i == 0 else total[j] + v
        gb[start:stop] = total
