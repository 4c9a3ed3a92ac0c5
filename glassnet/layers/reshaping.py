"""Reshaping layers (Keras 3): RepeatVector, Permute, UpSampling1D/2D, ZeroPadding1D/2D,
Cropping1D/2D.

All are composed from shape ops (indexing, broadcast, reshape, transpose, pad), so their
gradients are those ops' (a repeat's gradient sums the copies, a crop's pads with zeros).
"""

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers.base import Layer
from glassnet.layers.serialization import register_layer
from glassnet.ops.shape import broadcast_to, pad, reshape, transpose
from glassnet.ops.windows import normalize_data_format, normalize_tuple


def _spatial_axes(data_format, rank):
    """The spatial axes of a channels_last / channels_first input with ``rank`` of them."""
    return tuple(range(1, rank + 1)) if data_format == "channels_last" else tuple(
        range(2, rank + 2))


def _pairs(value, rank, what, layer):
    """Keras's padding / cropping argument -> one (before, after) pair of ints >= 0 per axis.

    Accepted: an int (the same on every side), a tuple of ``rank`` ints (symmetric per axis)
    or a tuple of ``rank`` pairs; for rank 1 also one pair ``(before, after)``.
    """
    def fail():
        return GlassnetValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}): {what} must be an int, a tuple "
            f"of {rank} ints or a tuple of {rank} (before, after) pairs of non-negative ints, "
            f"got {value!r}")

    def whole(v):
        if isinstance(v, bool) or not isinstance(v, (int, xp.integer)) or v < 0:
            raise fail()
        return int(v)

    if isinstance(value, (int, xp.integer)) and not isinstance(value, bool):
        return ((whole(value),) * 2,) * rank
    try:
        items = list(value)
    except TypeError:
        raise fail() from None
    if rank == 1 and len(items) == 2 and all(not isinstance(v, (list, tuple)) for v in items):
        return ((whole(items[0]), whole(items[1])),)
    if len(items) != rank:
        raise fail()
    pairs = []
    for item in items:
        if isinstance(item, (list, tuple)):
            if len(item) != 2:
                raise fail()
            pairs.append((whole(item[0]), whole(item[1])))
        else:
            pairs.append((whole(item),) * 2)
    return tuple(pairs)


def _check_rank(layer, shape, rank):
    if len(shape) != rank:
        raise ShapeError(
            f"Layer '{layer.name}' ({type(layer).__name__}): expected an input of rank {rank}, "
            f"received shape {tuple(shape)}")


# ------------------------------------------------------------------------ RepeatVector
@register_layer
class RepeatVector(Layer):
    """Repeats each input vector n times: (batch, features) -> (batch, n, features).

    Args:
        n: how many times (a positive int).

    Example:
        >>> import numpy as np
        >>> RepeatVector(3)(np.ones((2, 4))).shape
        (2, 3, 4)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, (int, xp.integer)) or n <= 0:
            raise GlassnetValueError(
                f"Layer '{self.name}' (RepeatVector): n must be a positive integer, got {n!r}")
        self.n = int(n)

    def call(self, inputs):
        _check_rank(self, inputs.shape, 2)
        batch, features = inputs.shape
        return broadcast_to(inputs.reshape(batch, 1, features), (batch, self.n, features))

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, 2)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


# ------------------------------------------------------------------------ Permute
@register_layer
class Permute(Layer):
    """Permutes the axes of each sample: y = transpose(x, (0,) + dims).

    Args:
        dims: a permutation of 1..rank (the batch axis 0 is not included), e.g. ``(2, 1)``
            swaps the two axes of a (batch, steps, features) input.

    Example:
        >>> import numpy as np
        >>> Permute((2, 1))(np.zeros((5, 10, 64))).shape
        (5, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(int(d) for d in dims)
        except (TypeError, ValueError):
            dims = None
        if dims is None or sorted(dims) != list(range(1, len(dims) + 1)):
            raise GlassnetValueError(
                f"Layer '{self.name}' (Permute): dims must be a permutation of 1..rank (the "
                f"batch axis excluded), e.g. (2, 1); got {dims!r}")
        self.dims = dims

    def call(self, inputs):
        _check_rank(self, inputs.shape, len(self.dims) + 1)
        return transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, len(self.dims) + 1)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


# ------------------------------------------------------------------------ UpSampling
def _repeat(x, axis, times):
    """Each entry of ``x`` along ``axis`` repeated ``times`` times (nearest-neighbour)."""
    if times == 1:
        return x
    shape = x.shape
    expanded = reshape(x, shape[:axis + 1] + (1,) + shape[axis + 1:])
    tiled = broadcast_to(expanded, shape[:axis + 1] + (times,) + shape[axis + 1:])
    return reshape(tiled, shape[:axis] + (shape[axis] * times,) + shape[axis + 1:])


def _bilinear_axis(x, axis, times):
    """Linear interpolation along ``axis`` to ``times`` x its size with half-pixel centres
    (source coordinate (i + 0.5) / times - 0.5, clamped to the edges), as image resizing
    with bilinear interpolation does."""
    size = x.shape[axis]
    source = (xp.arange(size * times) + 0.5) / times - 0.5
    source = xp.clip(source, 0, size - 1)
    low = xp.floor(source).astype(xp.int64)
    high = xp.minimum(low + 1, size - 1)
    weight_shape = [1] * x.ndim
    weight_shape[axis] = size * times
    weight = (source - low).astype(x.dtype).reshape(weight_shape)
    index = (slice(None),) * axis
    return x[index + (low,)] * (1.0 - weight) + x[index + (high,)] * weight


@register_layer
class UpSampling1D(Layer):
    """Repeats each timestep ``size`` times: (batch, steps, features) -> (batch, steps *
    size, features).

    Args:
        size: the upsampling factor (default 2).

    Example:
        >>> import numpy as np
        >>> UpSampling1D(2)(np.array([[[1.0], [2.0]]])).numpy()[0, :, 0]
        array([1., 1., 2., 2.], dtype=float32)
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 1, f"Layer '{self.name}' (UpSampling1D): size")[0]

    def call(self, inputs):
        _check_rank(self, inputs.shape, 3)
        return _repeat(inputs, 1, self.size)

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, 3)
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


@register_layer
class UpSampling2D(Layer):
    """Upsamples images by (size_rows, size_cols): rows and columns are repeated
    (``interpolation="nearest"``) or linearly interpolated (``"bilinear"``, half-pixel
    centres, edges clamped).

    Args:
        size: int or (rows, cols) factors (default (2, 2)).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        interpolation: ``"nearest"`` or ``"bilinear"``.

    Example:
        >>> import numpy as np
        >>> UpSampling2D()(np.arange(4.0).reshape(1, 2, 2, 1)).numpy()[0, :, :, 0]
        array([[0., 0., 1., 1.],
               [0., 0., 1., 1.],
               [2., 2., 3., 3.],
               [2., 2., 3., 3.]], dtype=float32)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 2, f"Layer '{self.name}' (UpSampling2D): size")
        self.data_format = normalize_data_format(data_format)
        if interpolation not in ("nearest", "bilinear"):
            raise GlassnetValueError(
                f"Layer '{self.name}' (UpSampling2D): interpolation must be 'nearest' or "
                f"'bilinear', got {interpolation!r}")
        self.interpolation = interpolation

    def call(self, inputs):
        _check_rank(self, inputs.shape, 4)
        step = _repeat if self.interpolation == "nearest" else _bilinear_axis
        y = inputs
        for axis, times in zip(_spatial_axes(self.data_format, 2), self.size, strict=True):
            y = step(y, axis, times)
        return y

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, 4)
        shape = list(input_shape)
        for axis, times in zip(_spatial_axes(self.data_format, 2), self.size, strict=True):
            shape[axis] = None if shape[axis] is None else shape[axis] * times
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": list(self.size),
                "data_format": self.data_format, "interpolation": self.interpolation}


# ------------------------------------------------------------------------ ZeroPadding
class _Padding(Layer):
    rank = 1

    def _widths(self, ndim):
        width = [(0, 0)] * ndim
        for axis, pair in zip(_spatial_axes(self.data_format, self.rank), self.padding,
                              strict=True):
            width[axis] = pair
        return width

    def call(self, inputs):
        _check_rank(self, inputs.shape, self.rank + 2)
        return pad(inputs, self._widths(inputs.ndim))

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, self.rank + 2)
        return tuple(None if d is None else d + a + b
                     for d, (a, b) in zip(input_shape, self._widths(len(input_shape)),
                                          strict=True))


@register_layer
class ZeroPadding1D(_Padding):
    """Pads the time axis with zeros: (batch, steps, features) -> (batch, steps + left +
    right, features).

    Args:
        padding: int (both sides) or (left, right); default 1.

    Example:
        >>> import numpy as np
        >>> ZeroPadding1D((1, 2))(np.ones((1, 2, 1))).numpy()[0, :, 0]
        array([0., 1., 1., 0., 0.], dtype=float32)
    """

    rank = 1
    data_format = "channels_last"

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, 1, "padding", self)

    def get_config(self):
        return {**super().get_config(), "padding": list(self.padding[0])}


@register_layer
class ZeroPadding2D(_Padding):
    """Pads images with zero rows and columns.

    Args:
        padding: int (all sides), (rows, cols) (symmetric) or ((top, bottom), (left,
            right)); default (1, 1).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> ZeroPadding2D(((1, 0), (0, 2)))(np.ones((1, 2, 2, 3))).shape
        (1, 3, 4, 3)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, 2, "padding", self)
        self.data_format = normalize_data_format(data_format)

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding],
                "data_format": self.data_format}


# ------------------------------------------------------------------------ Cropping
class _Cropping(Layer):
    rank = 1

    def _index(self, shape):
        index = [slice(None)] * len(shape)
        for axis, (a, b) in zip(_spatial_axes(self.data_format, self.rank), self.cropping,
                                strict=True):
            if shape[axis] is not None and a + b >= shape[axis]:
                raise ShapeError(
                    f"Layer '{self.name}' ({type(self).__name__}): cropping {(a, b)} leaves "
                    f"nothing of axis {axis} of size {shape[axis]} (input shape "
                    f"{tuple(shape)})")
            index[axis] = slice(a, None if shape[axis] is None else shape[axis] - b)
        return tuple(index)

    def call(self, inputs):
        _check_rank(self, inputs.shape, self.rank + 2)
        return inputs[self._index(inputs.shape)]

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, self.rank + 2)
        self._index(input_shape)
        shape = list(input_shape)
        for axis, (a, b) in zip(_spatial_axes(self.data_format, self.rank), self.cropping,
                                strict=True):
            shape[axis] = None if shape[axis] is None else shape[axis] - a - b
        return tuple(shape)


@register_layer
class Cropping1D(_Cropping):
    """Crops the time axis: (batch, steps, features) -> (batch, steps - start - end,
    features).

    Args:
        cropping: int (both ends) or (start, end); default (1, 1).

    Example:
        >>> import numpy as np
        >>> Cropping1D((1, 2))(np.arange(5.0).reshape(1, 5, 1)).numpy()[0, :, 0]
        array([1., 2.], dtype=float32)
    """

    rank = 1
    data_format = "channels_last"

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, 1, "cropping", self)

    def get_config(self):
        return {**super().get_config(), "cropping": list(self.cropping[0])}


@register_layer
class Cropping2D(_Cropping):
    """Crops rows and columns of images.

    Args:
        cropping: int (all sides), (rows, cols) (symmetric) or ((top, bottom), (left,
            right)); default ((0, 0), (0, 0)).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np
        >>> Cropping2D(((2, 2), (4, 4)))(np.zeros((2, 28, 28, 3))).shape
        (2, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, 2, "cropping", self)
        self.data_format = normalize_data_format(data_format)

    def get_config(self):
        return {**super().get_config(), "cropping": [list(p) for p in self.cropping],
                "data_format": self.data_format}
