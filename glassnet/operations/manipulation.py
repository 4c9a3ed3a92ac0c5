"""``keras.ops`` array manipulation over glassnet Tensors: reshape, transpose, stack,
concatenate, split, take, tile, repeat, pad, sort, top_k, flip, ...

Every op is a composition of glassnet's differentiable shape ops; the gathers (take, repeat,
tile, sort, top_k, non-constant pad) index with integer arrays, whose gradient scatters back
and adds repeated indices.

Example:
    >>> from glassnet import operations as ops
    >>> ops.tile(ops.convert_to_tensor([1, 2]), 2).tolist()
    [1, 2, 1, 2]
"""

import builtins

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.operations.core import (
    cast_to,
    constant,
    normalize_axis,
    result_dtype,
    to_tensor,
)
from glassnet.operations.numpy import _is_float, _shape_tuple, where, zeros_like
from glassnet.operations.symbolic import operation
from glassnet.ops import reduce as _reduce
from glassnet.ops import shape as _shape
from glassnet.tensor import Tensor

_ALL = builtins.slice(None)


def _axes(axis, ndim):
    return tuple(range(ndim)) if axis is None else normalize_axis(axis, ndim)


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
    return _reduce.sum(diagonal(x, offset, axis1, axis2), axis=-1)


def size(x):
    """The number of elements (None for a symbolic tensor with an unknown dimension)."""
    shape = tuple(x.shape) if hasattr(x, "shape") else to_tensor(x).shape
    if any(n is None for n in shape):
        return None
    count = 1
    for n in shape:
        count *= int(n)
    return count


def ndim(x):
    """The number of axes (also of a KerasTensor)."""
    return len(x.shape) if hasattr(x, "shape") else to_tensor(x).ndim


@operation
def nonzero(x):
    return where(x)


__all__ = [
    "argsort", "broadcast_to", "concatenate", "diagonal", "expand_dims", "flip", "moveaxis",
    "ndim", "nonzero", "pad", "ravel", "repeat", "reshape", "roll", "size", "sort", "split",
    "squeeze", "stack", "swapaxes", "take", "take_along_axis", "tile", "top_k", "trace",
    "transpose", "tril", "triu",
]
