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
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.operations.core import (
    cast_to,
    constant,
    float_tensor,
    normalize_axis,
    promote,
    result_dtype,
    standardize_dtype,
    to_tensor,
)
from glassnet.operations.symbolic import operation
from glassnet.ops import math as _math
from glassnet.ops import nn as _nn
from glassnet.ops import reduce as _reduce
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


# ------------------------------------------------------------------------ reductions
def _axes(axis, ndim):
    return tuple(range(ndim)) if axis is None else normalize_axis(axis, ndim)


@operation
def sum(x, axis=None, keepdims=False):  # noqa: A001
    x = to_tensor(x)
    if not _is_float(x):
        data = x.data.astype(xp.int32) if x.dtype == bool else x.data
        return constant(data.sum(axis=_axes(axis, x.ndim), keepdims=keepdims))
    return _reduce.sum(x, _axes(axis, x.ndim), keepdims)


@operation
def mean(x, axis=None, keepdims=False):
    x = float_tensor(x)
    return _reduce.mean(x, _axes(axis, x.ndim), keepdims)


@operation
def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    x = to_tensor(x)
    if not _is_float(x):
        result = constant(x.data.max(axis=_axes(axis, x.ndim), keepdims=keepdims))
    else:
        result = _reduce.max(x, _axes(axis, x.ndim), keepdims)
    return result if initial is None else maximum(result, initial)


@operation
def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    x = to_tensor(x)
    if not _is_float(x):
        result = constant(x.data.min(axis=_axes(axis, x.ndim), keepdims=keepdims))
    else:
        result = _reduce.min(x, _axes(axis, x.ndim), keepdims)
    return result if initial is None else minimum(result, initial)


amax, amin = max, min


def _to_last(x, axes):
    """x with ``axes`` moved to the end and flattened into one axis; and the kept shape."""
    kept = [i for i in range(x.ndim) if i not in axes]
    moved = _shape.transpose(x, *(kept + list(axes))) if x.ndim else x
    return moved.reshape(tuple(x.shape[i] for i in kept) + (-1,)), kept


def _restore_keepdims(y, x, axes, keepdims):
    if not keepdims:
        return y
    return y.reshape(tuple(1 if i in axes else n for i, n in enumerate(x.shape)))


@operation
def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over ``axis`` (a differentiable product of slices: exact at zeros too)."""
    x = to_tensor(x, dtype)
    axes = _axes(axis, x.ndim)
    if not _is_float(x):
        return constant(x.data.prod(axis=axes, keepdims=keepdims))
    flat, _ = _to_last(x, axes)
    result = Tensor(xp.ones(flat.shape[:-1], x.dtype))
    for i in range(flat.shape[-1]):
        result = result * flat[..., i]
    return _restore_keepdims(result, x, axes, keepdims)


@operation
def var(x, axis=None, keepdims=False):
    """Population variance: mean((x - mean(x))^2) over ``axis``."""
    x = float_tensor(x)
    axes = _axes(axis, x.ndim)
    centred = x - _reduce.mean(x, axes, keepdims=True)
    return _reduce.mean(centred * centred, axes, keepdims)


@operation
def std(x, axis=None, keepdims=False):
    return _math.sqrt(var(x, axis, keepdims))


@operation
def all(x, axis=None, keepdims=False):  # noqa: A001
    x = to_tensor(x)
    return constant(x.data.all(axis=_axes(axis, x.ndim), keepdims=keepdims))


@operation
def any(x, axis=None, keepdims=False):  # noqa: A001
    x = to_tensor(x)
    return constant(x.data.any(axis=_axes(axis, x.ndim), keepdims=keepdims))


@operation
def count_nonzero(x, axis=None):
    x = to_tensor(x)
    return constant(xp.count_nonzero(x.data, axis=_axes(axis, x.ndim)).astype(xp.int32))


@operation
def argmax(x, axis=None, keepdims=False):
    """Index of the largest value (int32; over the flattened tensor when axis is None)."""
    x = to_tensor(x)
    return constant(xp.argmax(x.data, axis=axis, keepdims=keepdims).astype(xp.int32))


@operation
def argmin(x, axis=None, keepdims=False):
    x = to_tensor(x)
    return constant(xp.argmin(x.data, axis=axis, keepdims=keepdims).astype(xp.int32))


@operation
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis``, computed stably as m + log(sum(exp(x - m)))."""
    x = float_tensor(x)
    axes = _axes(axis, x.ndim)
    m = x.data.max(axis=axes, keepdims=True)
    m = Tensor(xp.where(xp.isfinite(m), m, 0).astype(x.dtype))
    y = _math.log(_reduce.sum(_math.exp(x - m), axes, keepdims=True)) + m
    return y if keepdims else _shape.squeeze(y, axes)


@operation
def cumsum(x, axis=None, dtype=None):
    """Running sums along ``axis`` (flattened when None): a product with a triangular matrix
    of ones, y = x @ U with U[i, j] = 1 for i <= j."""
    x = to_tensor(x, dtype)
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = normalize_axis(axis, x.ndim)[0]
    if not _is_float(x):
        return constant(xp.cumsum(x.data, axis=axis))
    n = x.shape[axis]
    moved = _shape.transpose(x, *([i for i in range(x.ndim) if i != axis] + [axis]))
    y = _math.matmul(moved, Tensor(xp.triu(xp.ones((n, n), x.dtype))))
    return moveaxis(y, -1, axis)


@operation
def cumprod(x, axis=None, dtype=None):
    """Running products along ``axis`` (flattened when None)."""
    x = to_tensor(x, dtype)
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = normalize_axis(axis, x.ndim)[0]
    if not _is_float(x):
        return constant(xp.cumprod(x.data, axis=axis))
    lead = (_ALL,) * axis
    running, pieces = None, []
    for i in range(x.shape[axis]):
        item = x[lead + (builtins.slice(i, i + 1),)]
        running = item if running is None else running * item
        pieces.append(running)
    return _shape.concat(pieces, axis=axis)


# ------------------------------------------------------------------------ shapes
@operation
def reshape(x, newshape):
    return to_tensor(x).reshape(_shape_tuple(newshape))


@operation
def transpose(x, axes=None):
    x = to_tensor(x)
    return _shape.transpose(x) if axes is None else _shape.transpose(x, *axes)


@operation
def moveaxis(x, source, destination):
    x = to_tensor(x)
    source = normalize_axis(source, x.ndim)
    destination = normalize_axis(destination, x.ndim)
    order = [i for i in range(x.ndim) if i not in source]
    for dest, src in sorted(zip(destination, source, strict=True)):
        order.insert(dest, src)
    return _shape.transpose(x, *order)


@operation
def swapaxes(x, axis1, axis2):
    x = to_tensor(x)
    order = list(range(x.ndim))
    a, b = normalize_axis((axis1, axis2), x.ndim)
    order[a], order[b] = order[b], order[a]
    return _shape.transpose(x, *order)


@operation
def expand_dims(x, axis):
    """Insert axes of length 1 at ``axis`` (an int or a tuple)."""
    x = to_tensor(x)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = x.ndim + len(axes)
    axes = sorted(normalize_axis(axes, ndim))
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return x.reshape(tuple(shape))


@operation
def squeeze(x, axis=None):
    x = to_tensor(x)
    return _shape.squeeze(x, None if axis is None else normalize_axis(axis, x.ndim))


@operation
def ravel(x):
    return to_tensor(x).reshape(-1)


@operation
def broadcast_to(x, shape):
    return _shape.broadcast_to(to_tensor(x), _shape_tuple(shape))


def _common(xs):
    tensors = [to_tensor(x) for x in xs]
    if not tensors:
        raise GlassnetValueError("keras.ops: expected at least one tensor, got none")
    dtype = result_dtype(*[t.dtype for t in tensors])
    return [cast_to(t, dtype) for t in tensors]


@operation
def concatenate(xs, axis=0):
    return _shape.concat(_common(xs), axis=axis)


@operation
def stack(x, axis=0):
    tensors = _common(x)
    axis = normalize_axis(axis, tensors[0].ndim + 1)[0]
    return _shape.stack(tensors, axis=axis)


@operation
def split(x, indices_or_sections, axis=0):
    """Pieces of ``x`` along ``axis``: n equal sections, or cut at the given indices."""
    x = to_tensor(x)
    axis = normalize_axis(axis, x.ndim)[0]
    return _shape.split(x, indices_or_sections, axis=axis)


def _take_axis(x, index, axis):
    return x[(_ALL,) * axis + (xp.asarray(index, dtype=xp.intp),)]


@operation
def take(x, indices, axis=None):
    """Elements (axis None: of the flattened x) or slices along ``axis`` at ``indices``."""
    x = to_tensor(x)
    index = xp.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if index.dtype.kind not in "iu":
        index = index.astype(xp.intp)
    if axis is None:
        return _take_axis(x.reshape(-1), index, 0)
    return _take_axis(x, index, normalize_axis(axis, x.ndim)[0])


@operation
def take_along_axis(x, indices, axis=None):
    """``x`` gathered along ``axis`` at ``indices`` (shaped like x, or broadcastable)."""
    x = to_tensor(x)
    index = xp.asarray(indices.data if isinstance(indices, Tensor) else indices, xp.intp)
    if axis is None:
        x, axis = x.reshape(-1), 0
        index = index.reshape(-1)
    axis = normalize_axis(axis, x.ndim)[0]
    if index.ndim != x.ndim:
        raise ShapeError(f"take_along_axis: indices must have the rank of x ({x.ndim}), "
                         f"received shape {index.shape}")
    parts = []
    for d in range(x.ndim):
        if d == axis:
            parts.append(index)
        else:
            shape = [1] * x.ndim
            shape[d] = x.shape[d]
            parts.append(xp.arange(x.shape[d]).reshape(shape))
    return x[tuple(xp.broadcast_arrays(*parts))]


@operation
def repeat(x, repeats, axis=None):
    """Each element (axis None: of the flattened x) or slice repeated ``repeats`` times."""
    x = to_tensor(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = normalize_axis(axis, x.ndim)[0]
    repeats = repeats.data if isinstance(repeats, Tensor) else repeats
    return _take_axis(x, xp.repeat(xp.arange(x.shape[axis]), repeats), axis)


@operation
def tile(x, repeats):
    """``x`` repeated ``repeats[i]`` times along axis i (NumPy's tile)."""
    x = to_tensor(x)
    reps = _shape_tuple(repeats)
    if len(reps) > x.ndim:
        x = x.reshape((1,) * (len(reps) - x.ndim) + x.shape)
    reps = (1,) * (x.ndim - len(reps)) + reps
    for axis, rep in enumerate(reps):
        if rep != 1:
            x = _take_axis(x, xp.tile(xp.arange(x.shape[axis]), rep), axis)
    return x


@operation
def flip(x, axis=None):
    x = to_tensor(x)
    axes = _axes(axis, x.ndim)
    return x[tuple(builtins.slice(None, None, -1) if i in axes else _ALL for i in range(x.ndim))]


@operation
def roll(x, shift, axis=None):
    x = to_tensor(x)
    if axis is None:
        return roll(x.reshape(-1), shift, 0).reshape(x.shape)
    axes = normalize_axis(axis, x.ndim)
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,) * len(axes)
    for a, s in zip(axes, shifts, strict=True):
        x = _take_axis(x, xp.roll(xp.arange(x.shape[a]), s), a)
    return x


@operation
def pad(x, pad_width, mode="constant", constant_values=None):
    """Padding of each axis by (before, after); modes 'constant', 'edge', 'reflect',
    'symmetric', 'wrap' (the non-constant ones gather with a padded index map)."""
    x = to_tensor(x)
    width = xp.broadcast_to(xp.asarray(pad_width, dtype=int), (x.ndim, 2)).tolist()
    if mode == "constant":
        value = 0 if constant_values is None else constant_values
        if not _is_float(x):
            return constant(xp.pad(x.data, width, constant_values=value))
        return _shape.pad(x, width, value)
    if constant_values is not None:
        raise GlassnetValueError(f"pad: constant_values is only for mode='constant', not "
                                 f"{mode!r}")
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise GlassnetValueError(f"pad: mode must be 'constant', 'edge', 'reflect', "
                                 f"'symmetric' or 'wrap', received {mode!r}")
    for axis, (lo, hi) in enumerate(width):
        if lo or hi:
            index = xp.pad(xp.arange(x.shape[axis]), (lo, hi), mode=mode)
            x = _take_axis(x, index, axis)
    return x


@operation
def argsort(x, axis=-1):
    x = to_tensor(x)
    return constant(xp.argsort(x.data, axis=axis, kind="stable").astype(xp.int32))


@operation
def sort(x, axis=-1):
    """Sorted along ``axis``; differentiable (a gather at the sorting indices)."""
    x = to_tensor(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    return take_along_axis(x, argsort(x, axis), axis)


@operation
def top_k(x, k, sorted=True):  # noqa: A002 - Keras's name
    """The ``k`` largest values along the last axis and their indices (int32), largest
    first; the values are differentiable (a gather)."""
    x = to_tensor(x)
    if not 0 < int(k) <= x.shape[-1]:
        raise GlassnetValueError(f"top_k: k must be in [1, {x.shape[-1]}], received {k}")
    order = xp.argsort(-x.data if _is_float(x) else -x.data.astype(xp.int64), axis=-1,
                       kind="stable")[..., : int(k)]
    return take_along_axis(x, order, -1), constant(order.astype(xp.int32))


@operation
def tril(x, k=0):
    x = to_tensor(x)
    mask = xp.tril(xp.ones(x.shape[-2:], bool), k)
    return where(mask, x, zeros_like(x))


@operation
def triu(x, k=0):
    x = to_tensor(x)
    mask = xp.triu(xp.ones(x.shape[-2:], bool), k)
    return where(mask, x, zeros_like(x))


@operation
def diagonal(x, offset=0, axis1=0, axis2=1):
    x = moveaxis(to_tensor(x), (axis1, axis2), (-2, -1))
    n, m = x.shape[-2:]
    rows = xp.arange(builtins.max(0, -offset), builtins.min(n, m - offset))
    return x[..., rows, rows + offset]


@operation
def trace(x, offset=0, axis1=0, axis2=1):
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


@operation
def size(x):
    return int(to_tensor(x).size)


@operation
def ndim(x):
    return int(to_tensor(x).ndim)


@operation
def nonzero(x):
    return where(x)


__all__ = [
    "abs", "absolute", "add", "all", "amax", "amin", "any", "arange", "argmax", "argmin",
    "argsort", "broadcast_to", "ceil", "clip", "concatenate", "cos", "cosh", "count_nonzero",
    "cumprod", "cumsum", "diagonal", "divide", "dot", "equal", "erf", "exp", "expand_dims",
    "expm1", "eye", "flip", "floor", "floor_divide", "full", "full_like", "greater",
    "greater_equal", "identity", "inner", "isfinite", "isinf", "isnan", "less", "less_equal",
    "linspace", "log", "log10", "log1p", "log2", "logical_and", "logical_not", "logical_or",
    "logical_xor", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mod",
    "moveaxis", "multiply", "ndim", "negative", "nonzero", "not_equal", "ones", "ones_like",
    "outer", "pad", "power", "prod", "ravel", "reciprocal", "repeat", "reshape", "roll",
    "round", "rsqrt", "sign", "sin", "sinh", "size", "sort", "split", "sqrt", "square",
    "squeeze", "stack", "std", "subtract", "sum", "swapaxes", "take", "take_along_axis", "tan",
    "tanh", "tensordot", "tile", "top_k", "trace", "tri", "tril", "triu", "true_divide", "trunc",
    "var", "where", "zeros", "zeros_like",
]
