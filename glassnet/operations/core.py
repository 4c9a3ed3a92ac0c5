"""``keras.ops`` core: conversion, casting, dtypes, control flow, scatter and slices.

Also the helpers the other ``glassnet.operations`` modules share: :func:`to_tensor` (Keras's
conversion: Python floats become float32, Python ints int32, NumPy keeps its dtype) and
:func:`promote` (Keras's dtype promotion for two operands: an integer or bool operand meets a
float one at the float's dtype; a Python number is "weak" and takes the other operand's dtype
when it can).

Example:
    >>> from glassnet import operations as ops
    >>> ops.convert_to_tensor([1, 2]).dtype, ops.convert_to_tensor([1.5]).dtype
    (dtype('int32'), dtype('float32'))
    >>> ops.shape(ops.zeros((2, 3)))
    (2, 3)
"""

import builtins

from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.layers.symbolic import KerasTensor
from glassnet.operations.symbolic import operation
from glassnet.ops import math as _math
from glassnet.ops import shape as _shape
from glassnet.ops.shape import GetItemGradFunction
from glassnet.tensor import Tensor

_PY_SCALARS = (bool, int, float)


def standardize_dtype(dtype):
    """A NumPy dtype from a Keras dtype argument (None stays None; 'float' = floatx)."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype in ("float", "floatx"):
        return xp.dtype(config.default_float)
    try:
        return xp.dtype(dtype)
    except TypeError:
        raise GlassnetTypeError(f"keras.ops: unknown dtype {dtype!r}") from None


def to_tensor(x, dtype=None):
    """A Tensor for ``x`` (Keras's conversion rules); a Tensor is returned as it is."""
    dtype = standardize_dtype(dtype)
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == dtype else _math.cast(x, dtype)
    if isinstance(x, KerasTensor):
        raise GlassnetTypeError(
            "keras.ops: a KerasTensor has no values here; call this op on it directly "
            "(ops calls on Input() tensors build layers)"
        )
    if isinstance(x, (list, tuple)) and any(isinstance(v, Tensor) for v in x):
        from glassnet.operations.manipulation import stack  # a list of tensors: stacked

        return to_tensor(stack([to_tensor(v) for v in x]), dtype)
    if isinstance(x, (xp.ndarray, xp.generic)):
        array = xp.asarray(x)
    else:
        try:
            array = xp.asarray(x)
        except (TypeError, ValueError) as error:
            raise GlassnetTypeError(
                f"keras.ops: expected a tensor, an array or numbers, received "
                f"{type(x).__name__} ({error})"
            ) from None
        if array.dtype == xp.float64:
            array = array.astype(config.default_float)
        elif array.dtype.kind in "iu":
            array = array.astype(xp.int32)
    if array.dtype.kind not in "biuf":
        raise GlassnetTypeError(f"keras.ops: expected numeric data, received dtype {array.dtype}")
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return Tensor(array)


def result_dtype(*dtypes):
    """Keras's promotion: any float operand wins over ints and bools (widest float kept)."""
    dtypes = [xp.dtype(d) for d in dtypes]
    floats = [d for d in dtypes if d.kind == "f"]
    if floats and len(floats) < len(dtypes):
        return xp.result_type(*floats)
    return xp.result_type(*dtypes)


def _weak_dtype(value, other):
    """The dtype a Python number takes next to a tensor of dtype ``other``."""
    if isinstance(value, bool):
        return other
    if isinstance(value, int):
        return other if other.kind in "iuf" else xp.dtype(xp.int32)
    return other if other.kind == "f" else xp.dtype(config.default_float)


def promote(a, b):
    """Two Tensors of one dtype for a binary op (see the module docstring)."""
    a_weak, b_weak = isinstance(a, _PY_SCALARS), isinstance(b, _PY_SCALARS)
    if a_weak and not b_weak:
        b = to_tensor(b)
        a = Tensor(xp.asarray(a, dtype=_weak_dtype(a, b.dtype)))
    elif b_weak and not a_weak:
        a = to_tensor(a)
        b = Tensor(xp.asarray(b, dtype=_weak_dtype(b, a.dtype)))
    else:
        a, b = to_tensor(a), to_tensor(b)
    dtype = result_dtype(a.dtype, b.dtype)
    return cast_to(a, dtype), cast_to(b, dtype)


def cast_to(x, dtype):
    return x if x.dtype == dtype else _math.cast(x, dtype)


def float_tensor(x):
    """``x`` as a float Tensor (ints and bools become float32, as Keras's float ops do)."""
    x = to_tensor(x)
    return x if x.dtype.kind == "f" else _math.cast(x, config.default_float)


def constant(array):
    """A Tensor of an array computed without gradient (comparisons, rounding, indices)."""
    return Tensor(xp.asarray(array))


def normalize_axis(axis, ndim, name="axis"):
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for a in axes:
        a = int(a)
        if not -builtins.max(ndim, 1) <= a < builtins.max(ndim, 1):
            raise ShapeError(f"keras.ops: {name} {a} is out of range for a tensor with {ndim} "
                             f"dimensions")
        result.append(a % builtins.max(ndim, 1))
    return tuple(result)


# ------------------------------------------------------------------------ conversion
def shape(x):
    """The shape as a tuple (None where a symbolic dimension is unknown)."""
    return tuple(x.shape) if hasattr(x, "shape") else xp.shape(x)


def dtype(x):
    """The dtype's name (``'float32'``)."""
    return xp.dtype(x.dtype if hasattr(x, "dtype") else to_tensor(x).dtype).name


def is_tensor(x):
    return isinstance(x, Tensor)


def convert_to_tensor(x, dtype=None, sparse=None):  # noqa: ARG001 - Keras's signature
    """A Tensor of ``x`` (float32 for Python floats, int32 for Python ints)."""
    return to_tensor(x, dtype)


def convert_to_numpy(x):
    """The values as an ndarray."""
    return xp.asarray(x.data if isinstance(x, Tensor) else x)


@operation
def cast(x, dtype):
    """``x`` converted to ``dtype`` (differentiable between float types)."""
    return to_tensor(x, dtype)


@operation
def stop_gradient(variable):
    """The same values, cut from the graph (no gradient flows back)."""
    return Tensor(to_tensor(variable).data)


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()`` (eager: only the chosen branch runs)."""
    return true_fn() if bool(pred) else false_fn()


def while_loop(cond, body, loop_vars, maximum_iterations=None):  # noqa: A002 - Keras's name
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``; returns loop_vars."""
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)
    count = 0
    while bool(cond(*state)):
        if maximum_iterations is not None and count >= maximum_iterations:
            break
        state = body(*state)
        state = (state,) if single or not isinstance(state, (list, tuple)) else tuple(state)
        count += 1
    if single:
        return state[0]
    return list(state) if isinstance(loop_vars, list) else state


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for i in [lower, upper); returns val."""
    value = init_val
    for i in range(int(lower), int(upper)):
        value = body_fun(i, value)
    return value


def _index_tuple(indices):
    index = xp.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if index.ndim < 1:
        raise ShapeError(f"scatter: indices must have shape (n, k), received {index.shape}")
    index = index.reshape(-1, index.shape[-1]) if index.ndim > 1 else index[:, None]
    return tuple(index.astype(xp.intp).T)


@operation
def scatter(indices, values, shape):  # noqa: A002
    """Zeros of ``shape`` with ``values`` added at ``indices`` (rows of k coordinates).

    Values at repeated indices add up; the gradient of values is gathered back.
    """
    values = to_tensor(values)
    index = _index_tuple(indices)
    count = len(index[0])
    values = _shape.reshape(values, (count,) + tuple(shape)[len(index):])
    return GetItemGradFunction(index, tuple(int(n) for n in shape))(values)


@operation
def scatter_update(inputs, indices, updates):
    """``inputs`` with the entries at ``indices`` replaced by ``updates``."""
    inputs = to_tensor(inputs)
    index = _index_tuple(indices)
    mask = xp.zeros(inputs.shape, bool)
    mask[index] = True
    scattered = scatter(indices, cast_to(to_tensor(updates), inputs.dtype), inputs.shape)
    return _math.where(mask, scattered, inputs)


@operation
def slice(inputs, start_indices, shape):  # noqa: A001,A002 - Keras's names
    """``inputs[start : start + shape]`` on every axis."""
    inputs = to_tensor(inputs)
    index = tuple(builtins.slice(int(s), int(s) + int(n))
                  for s, n in zip(start_indices, shape, strict=True))
    return inputs[index]


@operation
def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block starting at ``start_indices`` replaced by ``updates``."""
    inputs = to_tensor(inputs)
    updates = cast_to(to_tensor(updates), inputs.dtype)
    width = [(int(s), n - int(s) - u) for s, n, u in zip(start_indices, inputs.shape,
                                                         updates.shape, strict=True)]
    if any(hi < 0 for _, hi in width):
        raise ShapeError(f"slice_update: updates of shape {updates.shape} at {start_indices} "
                         f"do not fit in inputs of shape {inputs.shape}")
    mask = xp.pad(xp.ones(updates.shape, bool), width)
    return _math.where(mask, _shape.pad(updates, width), inputs)


@operation
def get_item(x, key):
    """``x[key]`` (what indexing a KerasTensor records)."""
    return to_tensor(x)[key]


@operation
def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list."""
    x = to_tensor(x)
    axis = normalize_axis(axis, x.ndim)[0]
    if num is not None and num != x.shape[axis]:
        raise GlassnetValueError(f"unstack: num={num} but axis {axis} has length "
                                 f"{x.shape[axis]}")
    lead = (builtins.slice(None),) * axis
    return [x[lead + (i,)] for i in range(x.shape[axis])]


def map(f, xs):  # noqa: A001 - Keras's name
    """``stack([f(x) for x in xs])`` along the first axis."""
    from glassnet.operations.manipulation import stack

    return stack([f(x) for x in to_tensor(xs)], axis=0)


def vectorized_map(function, elements):
    """Like :func:`map` (computed one element at a time)."""
    return map(function, elements)


__all__ = [
    "cast", "cond", "get_item", "convert_to_numpy", "convert_to_tensor", "dtype", "fori_loop",
    "is_tensor", "map", "scatter", "scatter_update", "shape", "slice", "slice_update",
    "standardize_dtype", "stop_gradient", "unstack", "vectorized_map", "while_loop",
]
