"""Shape ops: reshape, transpose, broadcast/sum_to, indexing, concat, stack, split, pad."""

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.tensor import Function, Tensor, as_tensor, register_op


def _shape_arg(shape):
    """Accept reshape(2, 3) and reshape((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class ReshapeFunction(Function):
    """y = x viewed with a new shape;  the gradient is reshaped back."""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {self.shape}"
            ) from None

    def backward(self, gy):
        return gy.reshape(self.inputs[0].shape)


class TransposeFunction(Function):
    """y = x with its axes permuted;  the gradient is permuted back."""

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        if self.axes is not None and sorted(a % max(x.ndim, 1) for a in self.axes) != list(
            range(x.ndim)
        ):
            raise ShapeError(
                f"transpose: axes {self.axes} are not a permutation of the {x.ndim} axes of a "
                f"tensor of shape {x.shape}"
            )
        return xp.transpose(x, self.axes)

    def backward(self, gy):
        if self.axes is None:
            return gy.transpose()
        inverse = tuple(xp.argsort([a % gy.ndim for a in self.axes]))
        return gy.transpose(*inverse)


class BroadcastToFunction(Function):
    """y = x broadcast to a larger shape;  the gradient is summed back (sum_to)."""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        try:
            return xp.broadcast_to(x, self.shape)
        except ValueError:
            raise ShapeError(
                f"broadcast_to: cannot broadcast shape {x.shape} to {self.shape}"
            ) from None

    def backward(self, gy):
        return gy.sum_to(self.inputs[0].shape)


_BLAS_FLOATS = (xp.dtype(xp.float32), xp.dtype(xp.float64))


def sum_leading(x, n_axes=1):
    """Sum an array over its first ``n_axes`` axes: the bias gradient of a batch.

    For a C-contiguous float32/float64 array this is the matrix-vector product
    ``ones(rows) @ x.reshape(rows, -1)`` (one BLAS call), several times faster than
    ``x.sum(axis=0)`` on tall, narrow arrays such as a convolution's (N*H*W, channels)
    gradient (both accumulate in the array's dtype); other arrays use ``ndarray.sum``.

    Example:
        >>> import numpy as np
        >>> sum_leading(np.ones((4, 3), np.float32)).tolist()
        [4.0, 4.0, 4.0]
    """
    if x.dtype in _BLAS_FLOATS and x.flags.c_contiguous and x.size and n_axes:
        rows = 1
        for n in x.shape[:n_axes]:
            rows *= n
        return (xp.ones(rows, x.dtype) @ x.reshape(rows, -1)).reshape(x.shape[n_axes:])
    return x.sum(axis=tuple(range(n_axes)))


def _sum_to_array(x, shape):
    """Sum an array over the axes that broadcasting added or stretched, to get ``shape``."""
    lead = x.ndim - len(shape)
    stretched = [lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1]
    if not stretched or stretched == list(range(lead, stretched[-1] + 1)):
        # only leading axes are summed (a bias): one BLAS matrix-vector product
        n_axes = stretched[-1] + 1 if stretched else lead
        if n_axes:
            return sum_leading(x, n_axes).reshape(shape)
    axes = tuple(range(lead)) + tuple(stretched)
    y = x.sum(axis=axes, keepdims=True) if axes else x
    return y.reshape(shape) if lead else y


class SumToFunction(Function):
    """y = x summed down to ``shape`` (the adjoint of broadcasting);  gradient: broadcast."""

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return _sum_to_array(x, self.shape)

    def backward(self, gy):
        return gy.broadcast_to(self.inputs[0].shape)


def _plain_index(index):
    """Tensors inside an index become their arrays (integer-array and boolean indexing)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _is_basic(index):
    """True for NumPy basic indexing (ints, slices, None, ...), which never repeats an element."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice, type(None), type(Ellipsis))) for i in parts)


class GetItemFunction(Function):
    """y = x[index] (slices, integers, integer arrays, boolean masks);  gradient: scattered."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        try:
            return x[self.index]
        except IndexError as error:
            raise ShapeError(f"indexing a tensor of shape {x.shape}: {error}") from None

    def backward(self, gy):
        return GetItemGradFunction(self.index, self.inputs[0].shape)(gy)


class GetItemGradFunction(Function):
    """Scatter-add gy into zeros of the input's shape (repeated indices add up)."""

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if _is_basic(self.index):
            gx[self.index] = gy  # slices pick each element at most once: plain assignment
        else:
            xp.add.at(gx, self.index, gy)  # integer arrays may repeat an index: add them up
        return gx

    def backward(self, ggx):
        return ggx[self.index]


class ConcatFunction(Function):
    """y = [x1; x2; ...] along ``axis``;  each input's gradient is its slice of gy."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return xp.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        bounds = xp.cumsum([x.shape[self.axis] for x in self.inputs])[:-1]
        return tuple(split(gy, list(bounds), axis=self.axis))


class PadFunction(Function):
    """y = x with constant padding;  the gradient is the unpadded centre of gy."""

    def __init__(self, pad_width, value):
        self.pad_width, self.value = pad_width, value

    def forward(self, x):
        return xp.pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def backward(self, gy):
        index = tuple(slice(lo, gy.shape[i] - hi) for i, (lo, hi) in enumerate(self.pad_width))
        return gy[index]


# ------------------------------------------------------------------------ functional forms
@register_op
def reshape(x, *shape):
    """Same data, new shape (one axis may be -1); ``x`` itself when the shape is unchanged."""
    shape = _shape_arg(shape)
    if isinstance(x, Tensor) and shape == x.shape:
        return x
    return ReshapeFunction(shape)(x)


@register_op
def transpose(x, *axes):
    """Permute axes (reverse them when none are given)."""
    axes = _shape_arg(axes) if axes else None
    return TransposeFunction(axes)(x)


permute = transpose


@register_op
def broadcast_to(x, *shape):
    """Broadcast to ``shape`` with NumPy's rules."""
    return BroadcastToFunction(_shape_arg(shape))(x)


expand = broadcast_to


@register_op
def sum_to(x, shape):
    """Sum over broadcast axes so the result has ``shape`` (no-op when it already has)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumToFunction(shape)(x)


@register_op
def squeeze(x, axis=None):
    """Drop axes of length 1 (all of them, or just ``axis``)."""
    if axis is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        axes = {a % x.ndim for a in (axis if isinstance(axis, (tuple, list)) else (axis,))}
        for a in axes:
            if x.shape[a] != 1:
                raise ShapeError(f"squeeze: axis {a} of shape {x.shape} has length {x.shape[a]}")
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    return reshape(x, shape)


@register_op
def unsqueeze(x, axis):
    """Insert an axis of length 1 at ``axis``."""
    axis = axis % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


@register_op
def getitem(x, index):
    """x[index] with NumPy's basic and advanced indexing."""
    return GetItemFunction(_plain_index(index))(x)


def concat(tensors, axis=0):
    """Join tensors along an existing axis."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concat: expected at least one tensor, got none")
    return ConcatFunction(axis)(*tensors)


def stack(tensors, axis=0):
    """Join tensors along a new axis (built from unsqueeze and concat)."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected at least one tensor, got none")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    return concat([unsqueeze(t, axis) for t in tensors], axis=axis)


def split(x, indices_or_sections, axis=0):
    """Split into pieces along ``axis`` (NumPy's meaning of ``indices_or_sections``)."""
    length = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0 or length % indices_or_sections:
            raise ShapeError(
                f"split: cannot split axis {axis} of length {length} into "
                f"{indices_or_sections} equal sections"
            )
        step = length // indices_or_sections
        bounds = list(range(step, length, step))
    else:
        bounds = [int(b) for b in indices_or_sections]
    edges = [0, *bounds, length]
    pieces = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        index = [slice(None)] * x.ndim
        index[axis] = slice(lo, hi)
        pieces.append(x[tuple(index)])
    return pieces


def pad(x, pad_width, value=0.0):
    """Constant padding; ``pad_width`` as in numpy.pad (an int, a pair, or one pair per axis)."""
    width = xp.broadcast_to(xp.asarray(pad_width, dtype=int), (x.ndim, 2))
    if (width < 0).any():
        raise GlassnetValueError(f"pad: pad_width must be non-negative, got {pad_width}")
    return PadFunction(tuple(map(tuple, width.tolist())), value)(x)
