"""Reductions: sum, mean, max, min (with axis and keepdims)."""

import builtins

from glassnet.backend import xp
from glassnet.errors import ShapeError
from glassnet.tensor import Function, Tensor, register_op


def _normalize_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    normalized = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ShapeError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        normalized.append(a % builtins.max(ndim, 1))
    return tuple(normalized)


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class SumFunction(Function):
    """y = sum of x over axes;  dy/dx = 1, so the gradient is broadcast back."""

    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes = _normalize_axis(self.axis, x.ndim)
        return xp.sum(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0]
        return gy.reshape(_keepdims_shape(x.shape, self.axes)).broadcast_to(x.shape)


class MaxMinFunction(Function):
    """y = max (or min) of x over axes;  the gradient goes to the extreme entries (ties share)."""

    def __init__(self, axis, keepdims, largest):
        self.axis, self.keepdims, self.largest = axis, keepdims, largest

    def forward(self, x):
        self.axes = _normalize_axis(self.axis, x.ndim)
        if x.size == 0:
            raise ShapeError(f"{'max' if self.largest else 'min'} of an empty tensor")
        reduce = xp.max if self.largest else xp.min
        return reduce(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x = self.inputs[0]
        shape = _keepdims_shape(x.shape, self.axes)
        y = self.output().data.reshape(shape)
        mask = (x.data == y).astype(gy.dtype)
        mask /= mask.sum(axis=self.axes, keepdims=True)
        return gy.reshape(shape).broadcast_to(x.shape) * Tensor(mask)


@register_op
def sum(x, axis=None, keepdims=False):  # noqa: A001 - mirrors numpy.sum
    """Sum over ``axis`` (None: all axes)."""
    return SumFunction(axis, keepdims)(x)


@register_op
def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``; built from sum, so it needs no backward of its own."""
    axes = _normalize_axis(axis, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    return sum(x, axis, keepdims) * (1.0 / count)


@register_op
def max(x, axis=None, keepdims=False):  # noqa: A001
    """Largest value over ``axis``."""
    return MaxMinFunction(axis, keepdims, True)(x)


@register_op
def min(x, axis=None, keepdims=False):  # noqa: A001
    """Smallest value over ``axis``."""
    return MaxMinFunction(axis, keepdims, False)(x)
