"""``keras.ops``'s NumPy-like ops over glassnet Tensors, differentiable where Keras's are.

Each op is composed from glassnet's differentiable ops (``glassnet.ops``), so gradients flow
through it and no backward is written here: ``sort`` and ``top_k`` gather with integer
indices, ``cumsum`` is a product with a triangular matrix of ones, ``prod`` multiplies slices.
Ops that Keras does not differentiate (comparisons, rounding, argmax, ...) return constants.

Dtypes follow Keras 3: float32 by default; integer inputs stay integer where Keras keeps them
(``add``, ``sum``, ``max``, ``abs``...) and become float32 in float ops (``mean``, ``sqrt``,
``exp``, ``divide``...); an int operand meets a float one at the float's dtype; Python numbers
are weak (``x * 2`` keeps ``x``'s dtype). Every op accepts KerasTensors (see
:mod:`glassnet.operations.symbolic`).

Example:
    >>> from glassnet import operations as ops
    >>> x = ops.arange(6)
    >>> x.dtype, ops.mean(x).dtype
    (dtype('int32'), dtype('float32'))
    >>> ops.reshape(ops.cumsum(ops.ones((4,))), (2, 2)).tolist()
    [[1.0, 2.0], [3.0, 4.0]]
"""

import builtins

from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import GlassnetValueError
from glassnet.operations.core import (
    constant,
    float_tensor,
    normalize_axis,
    promote,
    standardize_dtype,
    to_tensor,
)
from glassnet.operations.symbolic import operation
from glassnet.ops import math as _math
from glassnet.ops import nn as _nn
from glassnet.ops import shape as _shape
from glassnet.tensor import Tensor

_ALL = builtins.slice(None)


def _float_dtype(dtype):
    return standardize_dtype(dtype) or xp.dtype(config.default_float)


def _is_float(x):
    return x.dtype.kind == "f"


def _shape_tuple(shape):
    return (int(shape),) if isinstance(shape, (int, xp.integer)) else tuple(int(n) for n in shape)


# ------------------------------------------------------------------------ creation
def zeros(shape, dtype=None):
    """A tensor of zeros (float32 unless ``dtype`` is given)."""
    return Tensor(xp.zeros(_shape_tuple(shape), _float_dtype(dtype)))


def ones(shape, dtype=None):
    """A tensor of ones (float32 unless ``dtype`` is given)."""
    return Tensor(xp.ones(_shape_tuple(shape), _float_dtype(dtype)))


def full(shape, fill_value, dtype=None):
    """A tensor filled with ``fill_value`` (its dtype as for convert_to_tensor by default)."""
    value = to_tensor(fill_value, dtype)
    return Tensor(xp.full(_shape_tuple(shape), value.data, value.dtype))


@operation
def zeros_like(x, dtype=None):
    x = to_tensor(x)
    return Tensor(xp.zeros(x.shape, standardize_dtype(dtype) or x.dtype))


@operation
def ones_like(x, dtype=None):
    x = to_tensor(x)
    return Tensor(xp.ones(x.shape, standardize_dtype(dtype) or x.dtype))


@operation
def full_like(x, fill_value, dtype=None):
    x = to_tensor(x)
    return Tensor(xp.full(x.shape, fill_value, standardize_dtype(dtype) or x.dtype))


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in [start, stop); int32 for integer arguments, else float32."""
    values = xp.arange(start, stop, step) if stop is not None else xp.arange(start)
    if dtype is None:
        dtype = xp.int32 if values.dtype.kind in "iu" else config.default_float
    return Tensor(values.astype(standardize_dtype(dtype)))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras's names
    """Ones on the k-th diagonal of an N x M matrix."""
    return Tensor(xp.eye(int(N), None if M is None else int(M), int(k), _float_dtype(dtype)))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from start to stop (float32 by default)."""
    values, step = xp.linspace(xp.asarray(start), xp.asarray(stop), int(num), endpoint=endpoint,
                               retstep=True, axis=axis)
    result = Tensor(values.astype(_float_dtype(dtype)))
    return (result, step) if retstep else result


@operation
def tri(N, M=None, k=0, dtype=None):  # noqa: N803
    return Tensor(xp.tri(int(N), None if M is None else int(M), int(k), _float_dtype(dtype)))


# ------------------------------------------------------------------------ elementwise
def _binary(op, a, b, integer=None):
    """Promote, then apply the differentiable ``op`` (or ``integer`` on int arrays)."""
    a, b = promote(a, b)
    if not _is_float(a) and integer is not None:
        return constant(integer(a.data, b.data))
    return op(a, b)


@operation
def add(x1, x2):
    return _binary(_math.add, x1, x2, xp.add)


@operation
def subtract(x1, x2):
    return _binary(_math.sub, x1, x2, xp.subtract)


@operation
def multiply(x1, x2):
    return _binary(_math.mul, x1, x2, xp.multiply)


@operation
def divide(x1, x2):
    """x1 / x2; integer operands give float32 (true division)."""
    x1, x2 = promote(x1, x2)
    if not _is_float(x1):
        x1, x2 = float_tensor(x1), float_tensor(x2)
    return _math.div(x1, x2)


@operation
def true_divide(x1, x2):
    return divide(x1, x2)


@operation
def floor_divide(x1, x2):
    """floor(x1 / x2) (no gradient, as in Keras)."""
    x1, x2 = promote(x1, x2)
    return constant(xp.floor_divide(x1.data, x2.data))


@operation
def mod(x1, x2):
    """x1 - floor(x1 / x2) * x2; differentiable in x1 (slope 1)."""
    x1, x2 = promote(x1, x2)
    if not _is_float(x1):
        return constant(xp.mod(x1.data, x2.data))
    return x1 - constant(xp.floor_divide(x1.data, x2.data)) * x2


@operation
def power(x1, x2):
    """x1 ** x2 (an int tensor to an int power stays int)."""
    if isinstance(x2, (int, float)) and not isinstance(x2, bool):
        x1 = to_tensor(x1)
        if not _is_float(x1):
            if isinstance(x2, float):
                return _math.power(float_tensor(x1), x2)
            return constant(x1.data ** x2)
        return _math.power(x1, x2)
    x1, x2 = promote(x1, x2)
    if not _is_float(x1):
        return constant(x1.data ** x2.data)
    return _math.power(x1, x2)


@operation
def maximum(x1, x2):
    return _binary(_math.maximum, x1, x2, xp.maximum)


@operation
def minimum(x1, x2):
    return _binary(_math.minimum, x1, x2, xp.minimum)


def _unary_int_kept(x, op, integer):
    x = to_tensor(x)
    return op(x) if _is_float(x) else constant(integer(x.data))


@operation
def negative(x):
    return _unary_int_kept(x, _math.neg, xp.negative)


@operation
def abs(x):  # noqa: A001 - Keras's name
    return _unary_int_kept(x, _math.abs, xp.abs)


absolute = abs


@operation
def square(x):
    return _unary_int_kept(x, lambda t: t * t, xp.square)


@operation
def sign(x):
    return constant(xp.sign(to_tensor(x).data))


@operation
def sqrt(x):
    return _math.sqrt(float_tensor(x))


@operation
def rsqrt(x):
    return 1.0 / _math.sqrt(float_tensor(x))


@operation
def exp(x):
    return _math.exp(float_tensor(x))


@operation
def expm1(x):
    return _math.exp(float_tensor(x)) - 1.0


@operation
def log(x):
    return _math.log(float_tensor(x))


@operation
def log1p(x):
    return _math.log(float_tensor(x) + 1.0)


@operation
def log2(x):
    return _math.log(float_tensor(x)) * (1.0 / xp.log(2.0))


@operation
def log10(x):
    return _math.log(float_tensor(x)) * (1.0 / xp.log(10.0))


@operation
def sin(x):
    return _math.sin(float_tensor(x))


@operation
def cos(x):
    return _math.cos(float_tensor(x))


@operation
def tan(x):
    x = float_tensor(x)
    return _math.sin(x) / _math.cos(x)


@operation
def tanh(x):
    return _math.tanh(float_tensor(x))


@operation
def sinh(x):
    x = float_tensor(x)
    return (_math.exp(x) - _math.exp(-x)) * 0.5


@operation
def cosh(x):
    x = float_tensor(x)
    return (_math.exp(x) + _math.exp(-x)) * 0.5


@operation
def reciprocal(x):
    return 1.0 / float_tensor(x)


@operation
def erf(x):
    return _nn.erf(float_tensor(x))


@operation
def floor(x):
    x = float_tensor(x)
    return constant(xp.floor(x.data))


@operation
def ceil(x):
    x = float_tensor(x)
    return constant(xp.ceil(x.data))


@operation
def round(x, decimals=0):  # noqa: A001 - Keras's name
    """Round half to even (as NumPy and Keras); no gradient."""
    x = to_tensor(x)
    return constant(xp.round(x.data, decimals))


@operation
def trunc(x):
    x = to_tensor(x)
    return constant(xp.trunc(x.data))


@operation
def clip(x, x_min, x_max):
    """Values limited to [x_min, x_max]; the gradient is 1 inside, 0 outside."""
    x = to_tensor(x)
    if not _is_float(x):
        return constant(xp.clip(x.data, x_min, x_max))
    return _math.clip(x, x_min, x_max)


def _compare(ufunc):
    def compare(x1, x2):
        x1, x2 = promote(x1, x2)
        return constant(ufunc(x1.data, x2.data))

    return compare


@operation
def equal(x1, x2):
    return _compare(xp.equal)(x1, x2)


@operation
def not_equal(x1, x2):
    return _compare(xp.not_equal)(x1, x2)


@operation
def greater(x1, x2):
    return _compare(xp.greater)(x1, x2)


@operation
def greater_equal(x1, x2):
    return _compare(xp.greater_equal)(x1, x2)


@operation
def less(x1, x2):
    return _compare(xp.less)(x1, x2)


@operation
def less_equal(x1, x2):
    return _compare(xp.less_equal)(x1, x2)


@operation
def logical_and(x1, x2):
    return constant(xp.logical_and(to_tensor(x1).data, to_tensor(x2).data))


@operation
def logical_or(x1, x2):
    return constant(xp.logical_or(to_tensor(x1).data, to_tensor(x2).data))


@operation
def logical_xor(x1, x2):
    return constant(xp.logical_xor(to_tensor(x1).data, to_tensor(x2).data))


@operation
def logical_not(x):
    return constant(xp.logical_not(to_tensor(x).data))


@operation
def isnan(x):
    return constant(xp.isnan(to_tensor(x).data))


@operation
def isinf(x):
    return constant(xp.isinf(to_tensor(x).data))


@operation
def isfinite(x):
    return constant(xp.isfinite(to_tensor(x).data))


@operation
def where(condition, x1=None, x2=None):
    """x1 where condition else x2 (gradients follow the choice); with neither x1 nor x2, the
    indices of the true entries (a tuple of int32 tensors, one per axis)."""
    condition = to_tensor(condition).data.astype(bool)
    if x1 is None and x2 is None:
        return tuple(constant(i.astype(xp.int32)) for i in xp.nonzero(condition))
    if x1 is None or x2 is None:
        raise GlassnetValueError("where: give both x1 and x2, or neither")
    x1, x2 = promote(x1, x2)
    if not _is_float(x1):
        return constant(xp.where(condition, x1.data, x2.data))
    return _math.where(condition, x1, x2)


# ------------------------------------------------------------------------ products
@operation
def matmul(x1, x2):
    """Matrix product with NumPy's rules (1-D operands, batch broadcasting)."""
    return _binary(_math.matmul, x1, x2, xp.matmul)


@operation
def tensordot(x1, x2, axes=2):
    """Sum over the last ``axes`` axes of x1 and the first of x2 (or the listed pairs)."""
    x1, x2 = promote(x1, x2)
    if isinstance(axes, int):
        a_axes, b_axes = list(range(x1.ndim - axes, x1.ndim)), list(range(axes))
    else:
        a_axes, b_axes = axes
        a_axes = [a_axes] if isinstance(a_axes, int) else list(a_axes)
        b_axes = [b_axes] if isinstance(b_axes, int) else list(b_axes)
    a_axes = list(normalize_axis(a_axes, x1.ndim)) if a_axes else []
    b_axes = list(normalize_axis(b_axes, x2.ndim)) if b_axes else []
    a_free = [i for i in range(x1.ndim) if i not in a_axes]
    b_free = [i for i in range(x2.ndim) if i not in b_axes]
    k = 1
    for i in a_axes:
        k *= x1.shape[i]
    a = _shape.transpose(x1, *(a_free + a_axes)).reshape(-1, k) if x1.ndim else x1.reshape(1, 1)
    b = _shape.transpose(x2, *(b_axes + b_free)).reshape(k, -1) if x2.ndim else x2.reshape(1, 1)
    out_shape = tuple(x1.shape[i] for i in a_free) + tuple(x2.shape[i] for i in b_free)
    product = _math.matmul(a, b) if _is_float(a) else constant(a.data @ b.data)
    return product.reshape(out_shape)


@operation
def dot(x1, x2):
    """NumPy's dot: a product for scalars, matmul up to 2-D, else the last axis of x1 with
    the second-to-last of x2."""
    x1, x2 = promote(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return multiply(x1, x2)
    if x2.ndim <= 2:
        return matmul(x1, x2)
    return tensordot(x1, x2, axes=([x1.ndim - 1], [x2.ndim - 2]))


@operation
def outer(x1, x2):
    x1, x2 = promote(x1, x2)
    return multiply(x1.reshape(-1, 1), x2.reshape(1, -1))


@operation
def inner(x1, x2):
    x1, x2 = promote(x1, x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([x1.ndim - 1], [x2.ndim - 1]))


__all__ = [
    "abs", "absolute", "add", "arange", "ceil", "clip", "cos", "cosh", "divide", "dot", "equal",
    "erf", "exp", "expm1", "eye", "floor", "floor_divide", "full", "full_like", "greater",
    "greater_equal", "identity", "inner", "isfinite", "isinf", "isnan", "less", "less_equal",
    "linspace", "log", "log10", "log1p", "log2", "logical_and", "logical_not", "logical_or",
    "logical_xor", "matmul", "maximum", "minimum", "mod", "multiply", "negative", "not_equal",
    "ones", "ones_like", "outer", "power", "reciprocal", "round", "rsqrt", "sign", "sin", "sinh",
    "sqrt", "square", "subtract", "tan", "tanh", "tensordot", "tri", "true_divide", "trunc",
    "where", "zeros", "zeros_like",
]
