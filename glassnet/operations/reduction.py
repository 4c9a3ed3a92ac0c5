"""``keras.ops`` reductions over glassnet Tensors: sum, mean, max, min, prod, var, std,
all, any, argmax, argmin, logsumexp, cumsum, cumprod.

Integer inputs stay integer where Keras keeps them (sum, max, min, prod, cumsum); mean, var
and std give float32. ``prod`` multiplies slices and ``cumsum`` is a product with a triangular
matrix of ones, so both are differentiable (also at zeros) without a backward of their own.

Example:
    >>> from glassnet import operations as ops
    >>> ops.prod(ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1).tolist()
    [2.0, 12.0]
"""

import builtins

from glassnet.backend import xp
from glassnet.operations.core import (
    constant,
    float_tensor,
    normalize_axis,
    to_tensor,
)
from glassnet.operations.manipulation import moveaxis
from glassnet.operations.numpy import _is_float, maximum, minimum
from glassnet.operations.symbolic import operation
from glassnet.ops import math as _math
from glassnet.ops import reduce as _reduce
from glassnet.ops import shape as _shape
from glassnet.tensor import Tensor

_ALL = builtins.slice(None)


# ------------------------------------------------------------------------ reductions
def _axes(axis, ndim):
    return tuple(range(ndim)) if axis is None else normalize_axis(axis, ndim)


@operation
def sum(x, axis=None, keepdims=False):  # noqa: A001
    x = to_tensor(x)
    if not _is_float(x):
        data = x.data.astype(xp.int32) if x.dtype == bool else x.data
        return constant(data.sum(axis=_axes(axis, x.ndim), keepdims=keepdims, dtype=data.dtype))
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
        return constant(x.data.prod(axis=axes, keepdims=keepdims, dtype=x.dtype))
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
        return constant(xp.cumsum(x.data, axis=axis, dtype=x.dtype))
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
        return constant(xp.cumprod(x.data, axis=axis, dtype=x.dtype))
    lead = (_ALL,) * axis
    running, pieces = None, []
    for i in range(x.shape[axis]):
        item = x[lead + (builtins.slice(i, i + 1),)]
        running = item if running is None else running * item
        pieces.append(running)
    return _shape.concat(pieces, axis=axis)


__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "count_nonzero", "cumprod", "cumsum",
    "logsumexp", "max", "mean", "min", "prod", "std", "sum", "var",
]
