"""What a layer accepts, and the shape helpers every layer uses.

Owns :class:`InputSpec` (rank limits and fixed axis sizes, checked at each call with an error
naming the layer, the expected and the received shape), :func:`user_shape` (a shape given by
the user: ``input_shape=``, ``Input(shape=)``, ``build()``, checked) and the small helpers that
normalise shapes, drop the batch dimension and merge two candidate output shapes.
"""

from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError


def _is_shape(value):
    return isinstance(value, tuple) and all(d is None or isinstance(d, int) for d in value)


def _normalize_shape(shape):
    """A tuple of ints/None (ndarray dims become Python ints)."""
    return tuple(None if d is None else int(d) for d in shape)


def user_shape(shape, argument, owner):
    """A shape given by the user (``input_shape=``, ``Input(shape=)``, ``build()``), checked:
    a tuple of positive integers and None (unknown size), or a clear error naming the argument.
    """
    if isinstance(shape, (int, xp.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise GlassnetTypeError(
            f"{owner}: {argument} must be a tuple of positive integers (None for an unknown "
            f"size), received {type(shape).__name__} {shape!r}"
        )
    for d in shape:
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, xp.integer))):
            raise GlassnetTypeError(
                f"{owner}: {argument} must be a tuple of positive integers (None for an "
                f"unknown size), received {tuple(shape)!r} (the entry {d!r} is a "
                f"{type(d).__name__})"
            )
        if d is not None and d <= 0:
            raise GlassnetValueError(
                f"{owner}: {argument} must be a tuple of positive integers (None for an "
                f"unknown size), received {tuple(shape)!r}"
            )
    return _normalize_shape(shape)


def _as_shape(shape):
    """A shape tuple, or a list of them for several inputs (lists of ints become tuples)."""
    if shape is None or isinstance(shape, tuple):
        return None if shape is None else _normalize_shape(shape)
    if isinstance(shape, list):
        if all(d is None or isinstance(d, int) for d in shape):
            return _normalize_shape(shape)
        return [_normalize_shape(s) for s in shape]
    return shape


def _batchless(shape):
    """``shape`` with the batch dimension replaced by None (for single or several inputs)."""
    if isinstance(shape, list):
        return [_batchless(s) for s in shape]
    shape = _normalize_shape(shape)
    return (None,) + shape[1:] if shape else shape


def _shape_of(inputs):
    if isinstance(inputs, (list, tuple)):
        return [_normalize_shape(x.shape) for x in inputs]
    return _normalize_shape(inputs.shape)


class InputSpec:
    """What a layer accepts: rank limits and fixed sizes of some axes.

    Args:
        ndim: exact rank, or None.
        min_ndim: smallest rank, or None.
        max_ndim: largest rank, or None.
        axes: ``{axis: size}`` (negative axes count from the end), e.g. ``{-1: 784}``.

    Example:
        >>> from glassnet.layers.base import InputSpec
        >>> InputSpec(min_ndim=2, axes={-1: 3}).check("dense", (None, 3))
    """

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None):
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.axes = dict(axes or {})

    def expected(self):
        """A readable description such as ``(..., 784)`` or ``rank 4``."""
        if self.axes and self.ndim is not None:
            dims = ["None"] * self.ndim
            for axis, size in self.axes.items():
                if -self.ndim <= axis < self.ndim:
                    dims[axis] = str(size)
            return f"({', '.join(dims)})"
        if self.axes:
            tail = sorted(a for a in self.axes if a < 0)
            head = sorted(a for a in self.axes if a >= 0)
            parts = [f"axis {a}: {self.axes[a]}" for a in head]
            dims = ["None"] * (-tail[0]) if tail else []
            for a in tail:
                dims[a] = str(self.axes[a])
            body = ", ".join(["..."] + dims) if dims else "..."
            return f"({body})" + (f" with {', '.join(parts)}" if parts else "")
        return self._rank_text()

    def check(self, layer_name, shape):
        """Raise :class:`ShapeError` naming the layer when ``shape`` does not fit."""
        rank = len(shape)
        bad_rank = (
            (self.ndim is not None and rank != self.ndim)
            or (self.min_ndim is not None and rank < self.min_ndim)
            or (self.max_ndim is not None and rank > self.max_ndim)
        )
        if bad_rank:
            raise ShapeError(
                f"Layer '{layer_name}': expected an input of {self._rank_text()} (shape "
                f"{self.expected()}), received an input of rank {rank} with shape {shape}"
            )
        for axis, size in self.axes.items():
            if size is not None and -rank <= axis < rank and shape[axis] not in (None, size):
                raise ShapeError(
                    f"Layer '{layer_name}': expected axis {axis} of the input to have size "
                    f"{size} (input shape {self.expected()}), received an input of shape "
                    f"{shape}"
                )

    def _rank_text(self):
        if self.ndim is not None:
            return f"rank {self.ndim}"
        parts = []
        if self.min_ndim is not None:
            parts.append(f">= {self.min_ndim}")
        if self.max_ndim is not None:
            parts.append(f"<= {self.max_ndim}")
        return "rank " + " and ".join(parts) if parts else "any rank"

    def __repr__(self):
        return (
            f"InputSpec(ndim={self.ndim}, min_ndim={self.min_ndim}, max_ndim={self.max_ndim}, "
            f"axes={self.axes})"
        )



def _merge_shapes(first, second):
    if isinstance(first, list):
        return [_merge_shapes(a, b) for a, b in zip(first, second, strict=True)]
    return tuple(a if a == b else None for a, b in zip(first, second, strict=True))



def _describe_shapes(inputs):
    if isinstance(inputs, (list, tuple)):
        return ", ".join(_describe_shapes(x) for x in inputs)
    return str(tuple(getattr(inputs, "shape", ())))

