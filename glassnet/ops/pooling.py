"""Pooling ops: max and average pooling over windows, 1-D pooling, global pooling.

Both loop over the pool_h * pool_w window positions (never over pixels): position (a, b) of
every window is one strided slice of the padded input; when the windows tile the input
(strides = pool size, nothing padded or cropped) they run on reshapes of the input in two
contiguous stages. Geometry and padding rules: :mod:`glassnet.ops.windows`.

With the optional accelerator (``glassnet.kernels``, numba) both run as one fused pass over
the windows instead (:mod:`glassnet.kernels.conv`: max pooling keeps the winning position of
each window, the backward scatters to it), with the same results; this module's NumPy code is
the reference.

Both ops are linear in the input's routing: the backward of max pooling scatters dL/dy to the
(first) maximum of each window and that of average pooling spreads dL/dy / count over each
window. These backwards are ops themselves (:class:`MaxPool2DScatterFunction`, whose own
backward is the gather at the same positions, and :class:`AvgPool2DGradFunction`, whose
backward is average pooling again), so pooling is differentiable to any order.
"""

from glassnet import kernels
from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import ShapeError
from glassnet.ops.windows import (
    check_image,
    from_nhwc,
    geometry,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    pad_nhwc,
    position_slices,
    to_nhwc,
    unpad,
)
from glassnet.tensor import Function, Tensor, as_tensor

# ------------------------------------------------------------------------ pooling
_FLOATS = (xp.float32, xp.float64)
# The general fused kernels run over vector lanes of channels; below 16 channels NumPy's two
# contiguous stages (tiled windows) were as fast on a 2-core AVX2 machine, so they stay there.
# 2x2 windows that tile the input (LeNet, the CIFAR CNN) have their own max pooling kernels at
# any channel count (4x faster than NumPy at 6 channels, 3x than the general kernel at 32).
MIN_FUSED_CHANNELS = 16


def _fused(name, x, min_channels=None):
    """The kernel ``name`` of :mod:`glassnet.kernels.conv` when the accelerator is on, x is a
    float32/float64 array and has at least ``min_channels`` (default ``MIN_FUSED_CHANNELS``)
    channels (NHWC), else None (the NumPy reference runs)."""
    least = MIN_FUSED_CHANNELS if min_channels is None else min_channels
    if x.dtype.type not in _FLOATS or x.size == 0 or x.shape[3] < least:
        return None
    return kernels.get("conv", name)


def _pool_setup(x, pool_size, strides, padding, data_format, name):
    pool = normalize_tuple(pool_size, 2, "pool_size")
    strides = pool if strides is None else normalize_tuple(strides, 2, "strides")
    padding = normalize_padding(padding)
    data_format = normalize_data_format(data_format)
    check_image(x, name, data_format)
    return pool, strides, padding, data_format


class _Pool2D(Function):
    """Shared geometry of max and average pooling (NHWC inside).

    Both loop over the pool_h * pool_w window positions (never over pixels): position (a, b)
    of every window is one strided slice of the padded input. (Max pooling has a faster path
    for windows that tile the input.)
    """

    def __init__(self, pool_size, strides, padding, data_format):
        self.pool, self.strides, self.padding, self.data_format = (
            pool_size, strides, padding, data_format)

    def _prepare(self, x, pad_value):
        """Pad the NHWC input; record the geometry."""
        pad_h, pad_w, out_hw = geometry(x.shape[1:3], self.pool, self.strides, (1, 1),
                                         self.padding)
        self.pads, self.out_hw = (pad_h, pad_w), out_hw
        xpad = pad_nhwc(x, pad_h, pad_w, pad_value)
        self.padded_shape = xpad.shape
        return xpad

    def _tiles(self, x):
        """Whether the windows tile the NHWC input exactly (strides = pool, nothing padded or
        cropped): then pooling runs on reshapes of the input, in two contiguous stages."""
        _, _, out_hw = geometry(x.shape[1:3], self.pool, self.strides, (1, 1), self.padding)
        return tuple(self.strides) == tuple(self.pool) and all(
            o * p == size for o, p, size in zip(out_hw, self.pool, x.shape[1:3], strict=True))

    def _window_rows(self, x):
        """(N*OH, ph, OW*pw*C), no copy for a contiguous input: the ph image rows under each
        row of windows. ``rows[:, a]`` is row a of every window, contiguous in NHWC; reshaped
        to (N*OH, OW, pw, C), its ``[:, :, b]`` is the window column b."""
        n, h, w, c = x.shape
        ph, pw = self.pool
        oh, ow = self.out_hw = h // ph, w // pw
        return xp.ascontiguousarray(x).reshape(n * oh, ph, ow * pw * c)

    def _positions(self, column_major=False):
        pairs = ((a, b) for a in range(self.pool[0]) for b in range(self.pool[1]))
        if column_major:
            pairs = ((a, b) for b in range(self.pool[1]) for a in range(self.pool[0]))
        for a, b in pairs:
            yield position_slices(a, b, self.strides, (1, 1), self.out_hw)


def _combine(ufunc, arrays):
    """ufunc (xp.maximum, xp.add) folded over a list of arrays into one new array
    (faster than .max(axis) / .sum(axis) over a middle axis)."""
    first, *rest = arrays
    y = ufunc(first, rest[0]) if rest else first.copy()
    for array in rest[1:]:
        ufunc(y, array, out=y)
    return y


def _first_maximum_masks(candidates, maximum):
    """Boolean masks, one per candidate array: where it holds the first of the maxima."""
    masks, taken = [], None
    for k, candidate in enumerate(candidates):
        if k == len(candidates) - 1:  # the maximum is somewhere: the last takes what is left
            masks.append(xp.ones_like(maximum, dtype=bool) if taken is None else ~taken)
            break
        mask = xp.equal(candidate, maximum)
        if taken is None:
            taken = mask
        else:
            xp.greater(mask, taken, out=mask)  # mask and not taken
            taken = taken | mask
        masks.append(mask)
    return masks


class MaxPool2DFunction(_Pool2D):
    """y = max over each window; the gradient goes to one maximum of each window.

    Ties: the first maximum in column-major order takes the gradient (in the leftmost window
    column holding the maximum, the topmost). When the windows tile the input (strides =
    pool size, nothing padded or cropped) the max is taken in two stages, first down each
    window column (whole image rows at a time, contiguous in NHWC), then across the columns,
    and backward routes the gradient back through the same two stages.

    The backward is linear in dL/dy (a scatter to fixed positions): on arrays on the
    first-order path, as :class:`MaxPool2DScatterFunction` under create_graph.
    """

    fused = None  # the kernels (forward, backward, gather) when the accelerator ran forward

    def forward(self, x):
        x = to_nhwc(x, self.data_format)
        self.tiled = self._tiles(x)
        self.two_by_two = self._two_by_two(x)
        if self.two_by_two:  # the 2x2 kernels run at any channel count
            forward = _fused("max_pool_2x2_forward", x, min_channels=1)
        else:
            forward = _fused("max_pool_forward", x)
        if forward is not None:
            y = self._forward_fused(x, forward)
        else:
            y = self._forward_tiled(x) if self.tiled else self._forward_windows(x)
        return from_nhwc(y, self.data_format)

    def backward(self, gy):
        if config.enable_grad:  # create_graph: the scatter as an op, differentiable in gy
            return MaxPool2DScatterFunction(self)(gy)
        return Tensor(self._scatter(gy.data))

    def _scatter(self, gy):
        """dL/dx from dL/dy (arrays): each window's gradient to its first maximum."""
        g = to_nhwc(gy, self.data_format)
        if self.fused is not None:
            gx = self._fused_call(1, g, self.in_shape)
        else:
            gx = self._backward_tiled(g) if self.tiled else self._backward_windows(g)
        return from_nhwc(gx, self.data_format)

    def _gather(self, gx):
        """The adjoint of :meth:`_scatter`: each window's entry of ``gx`` at its first maximum."""
        g = to_nhwc(gx, self.data_format)
        if self.fused is not None:
            gy = self._fused_call(2, g, self.index.shape)
        else:
            gy = self._gather_tiled(g) if self.tiled else self._gather_windows(g)
        return from_nhwc(gy, self.data_format)

    # ---------------------------------------------------------------- the accelerator
    def _forward_fused(self, x, forward):
        """One pass: every window's maximum and the position (a * pool_w + b) taking its
        gradient, by the same rule as the reference (see :mod:`glassnet.kernels.conv`)."""
        pad_h, pad_w, out_hw = geometry(x.shape[1:3], self.pool, self.strides, (1, 1),
                                         self.padding)
        if self.tiled:
            pad_h, pad_w = (0, 0), (0, 0)
            out_hw = tuple(s // p for s, p in zip(x.shape[1:3], self.pool, strict=True))
        self.pads, self.out_hw, self.in_shape = (pad_h, pad_w), out_hw, x.shape
        x = xp.ascontiguousarray(x)
        y = xp.empty((x.shape[0],) + tuple(out_hw) + (x.shape[3],), dtype=x.dtype)
        if self.two_by_two:  # unpadded 2x2 windows at stride 2: positions 0..3
            self.index = xp.empty(y.shape, dtype=xp.int8)
            forward(x, y, self.index, self.tiled)
            backward = kernels.get("conv", "max_pool_2x2_backward")
        else:
            self.index = xp.empty(y.shape, dtype=xp.int32)
            nan = xp.empty((x.shape[0], x.shape[3]), dtype=bool)  # the kernel's scratch
            forward(x, y, self.index, nan, *self._window_args(), self.tiled,
                    x.dtype.type(-xp.inf))
            backward = kernels.get("conv", "max_pool_backward")
        self.fused = (forward, backward, kernels.get("conv", "max_pool_gather"))
        self.y = y
        return y

    def _two_by_two(self, x):
        """Whether the windows are 2x2 at stride 2 with nothing padded (a last odd row or
        column may be cropped): the accelerator's own max pooling kernels for them."""
        pad_h, pad_w, _ = geometry(x.shape[1:3], self.pool, self.strides, (1, 1), self.padding)
        return (tuple(self.pool) == (2, 2) and tuple(self.strides) == (2, 2)
                and not any(pad_h) and not any(pad_w))

    def _window_args(self):
        return (self.pool[0], self.pool[1], self.strides[0], self.strides[1],
                self.pads[0][0], self.pads[1][0])

    def _fused_call(self, which, g, out_shape):
        """The scatter (which=1) into an NHWC array of ``out_shape`` or the gather (2)."""
        g = xp.ascontiguousarray(g)
        if g.dtype.type not in _FLOATS:
            g = g.astype(self.y.dtype)
        out = xp.empty(out_shape, dtype=g.dtype)
        zero = g.dtype.type(0)
        if which == 1 and self.two_by_two:
            self.fused[1](g, self.index, out, zero)
        elif which == 1:
            overlap = any(s < p for s, p in zip(self.strides, self.pool, strict=True))
            self.fused[1](g, self.index, out, *self._window_args(), overlap, zero)
        else:
            self.fused[2](g, self.index, out, *self._window_args(), zero)
        return out

    def _gather_tiled(self, g):
        (ph, pw), (oh, ow) = self.pool, self.out_hw
        n, c = g.shape[0], g.shape[3]
        rows = xp.ascontiguousarray(g).reshape(n * oh, ph, ow * pw * c)
        masks = _first_maximum_masks([self.rows[:, a] for a in range(ph)], self.column_max)
        g_columns = sum(rows[:, a] * mask for a, mask in enumerate(masks))
        g_columns = g_columns.reshape(n * oh, ow, pw, c)
        columns = self.column_max.reshape(n * oh, ow, pw, c)
        masks = _first_maximum_masks([columns[:, :, b] for b in range(pw)], self.y)
        gy = sum(g_columns[:, :, b] * mask for b, mask in enumerate(masks))
        return gy.reshape(n, oh, ow, c)

    def _gather_windows(self, g):
        gpad = pad_nhwc(g, *self.pads, 0.0)
        positions = list(self._positions(column_major=True))
        masks = _first_maximum_masks([self.xpad[index] for index in positions], self.y)
        return sum(gpad[index] * mask for index, mask in zip(positions, masks, strict=True))

    # ---------------------------------------------------------------- windows tile the input
    def _forward_tiled(self, x):
        n, c = x.shape[0], x.shape[3]
        self.rows = self._window_rows(x)
        (ph, pw), (oh, ow) = self.pool, self.out_hw
        self.column_max = _combine(xp.maximum, [self.rows[:, a] for a in range(ph)])
        columns = self.column_max.reshape(n * oh, ow, pw, c)
        self.y = _combine(xp.maximum, [columns[:, :, b] for b in range(pw)])
        return self.y.reshape(n, oh, ow, c)

    def _backward_tiled(self, g):
        (ph, pw), (oh, ow) = self.pool, self.out_hw
        n, c = g.shape[0], g.shape[3]
        columns = self.column_max.reshape(n * oh, ow, pw, c)
        g = g.reshape(n * oh, ow, c)
        # across the columns: the leftmost column holding the window's maximum
        g_columns = xp.empty((n * oh, ow, pw, c), dtype=g.dtype)
        masks = _first_maximum_masks([columns[:, :, b] for b in range(pw)], self.y)
        for b, mask in enumerate(masks):
            xp.multiply(g, mask, out=g_columns[:, :, b])
        # down each column: its topmost maximum (g_columns is a separate array: NumPy copies
        # an input that shares memory with the output)
        g_columns = g_columns.reshape(n * oh, ow * pw * c)
        gx = xp.empty((n * oh, ph, ow * pw * c), dtype=g.dtype)
        masks = _first_maximum_masks([self.rows[:, a] for a in range(ph)], self.column_max)
        for a, mask in enumerate(masks):
            xp.multiply(g_columns, mask, out=gx[:, a])
        return gx.reshape(n, oh * ph, ow * pw, c)

    # ---------------------------------------------------------------- general windows
    def _forward_windows(self, x):
        self.xpad = self._prepare(x, -xp.inf)
        self.y = _combine(xp.maximum, [self.xpad[index] for index in self._positions()])
        return self.y

    def _backward_windows(self, g):
        # windows that do not overlap write their slices once: no read-modify-write
        disjoint = all(s >= p for s, p in zip(self.strides, self.pool, strict=True))
        gpad = xp.zeros(self.padded_shape, dtype=g.dtype)
        positions = list(self._positions(column_major=True))
        masks = _first_maximum_masks([self.xpad[index] for index in positions], self.y)
        for index, mask in zip(positions, masks, strict=True):
            if disjoint:
                xp.multiply(g, mask, out=gpad[index])
            else:
                gpad[index] += g * mask
        return unpad(gpad, *self.pads)


class AvgPool2DFunction(_Pool2D):
    """y = mean over each window (padding excluded from the count, like Keras 'same').

    When the windows tile the input, sums run in two contiguous stages as in
    :class:`MaxPool2DFunction`, and backward spreads dy / (pool_h * pool_w) back the same way.

    The backward (spreading dL/dy over each window) is linear and does not depend on x: on
    arrays on the first-order path, as :class:`AvgPool2DGradFunction` under create_graph.
    """

    fused = None  # the backward kernel when the accelerator ran forward

    def forward(self, x):
        x = to_nhwc(x, self.data_format)
        self.tiled = self._tiles(x)
        forward = _fused("avg_pool_forward", x)
        if forward is not None:
            return from_nhwc(self._forward_fused(x, forward), self.data_format)
        if self.tiled:
            n, c = x.shape[0], x.shape[3]
            rows = self._window_rows(x)
            (ph, pw), (oh, ow) = self.pool, self.out_hw
            columns = _combine(xp.add, [rows[:, a] for a in range(ph)]).reshape(n * oh, ow, pw, c)
            total = _combine(xp.add, [columns[:, :, b] for b in range(pw)]).reshape(n, oh, ow, c)
            self.scale = xp.asarray(1.0 / (ph * pw), dtype=total.dtype)
            total *= self.scale
            return from_nhwc(total, self.data_format)
        xpad = self._prepare(x, 0.0)
        total = _combine(xp.add, [xpad[index] for index in self._positions()])
        if any(self.pads[0]) or any(self.pads[1]):
            ones = pad_nhwc(xp.ones((1,) + tuple(s - sum(p) for s, p in zip(
                self.padded_shape[1:3], self.pads, strict=True)) + (1,), dtype=xpad.dtype),
                *self.pads)
            count = sum(ones[index] for index in self._positions())
        else:
            count = xp.asarray(self.pool[0] * self.pool[1], dtype=xpad.dtype)
        self.scale = (1.0 / count).astype(xpad.dtype)
        total *= self.scale
        return from_nhwc(total, self.data_format)

    def backward(self, gy):
        if config.enable_grad:  # create_graph: the spreading as an op, differentiable in gy
            return AvgPool2DGradFunction(self)(gy)
        return Tensor(self._spread(gy.data))

    def _forward_fused(self, x, forward):
        """One pass: every window's sum (in the reference's order) times 1 / its count."""
        if self.tiled:
            (ph, pw), (h, w) = self.pool, x.shape[1:3]
            self.pads, self.out_hw = ((0, 0), (0, 0)), (h // ph, w // pw)
            self.padded_shape = x.shape
            self.scale = xp.asarray(1.0 / (ph * pw), dtype=x.dtype)
        else:
            pad_h, pad_w, self.out_hw = geometry(x.shape[1:3], self.pool, self.strides, (1, 1),
                                                 self.padding)
            self.pads = (pad_h, pad_w)
            self.padded_shape = (x.shape[0], x.shape[1] + sum(pad_h), x.shape[2] + sum(pad_w),
                                 x.shape[3])
            if any(pad_h) or any(pad_w):
                ones = pad_nhwc(xp.ones((1,) + x.shape[1:3] + (1,), dtype=x.dtype), pad_h, pad_w)
                count = sum(ones[index] for index in self._positions())
            else:
                count = xp.asarray(self.pool[0] * self.pool[1], dtype=x.dtype)
            self.scale = (1.0 / count).astype(x.dtype)
        self.in_shape = x.shape
        x = xp.ascontiguousarray(x)
        y = xp.empty((x.shape[0],) + tuple(self.out_hw) + (x.shape[3],), dtype=x.dtype)
        scale = self.scale.reshape((1,) * (4 - self.scale.ndim) + self.scale.shape)
        forward(x, scale, y, *self._window_args(), self.tiled, x.dtype.type(0))
        self.fused = kernels.get("conv", "avg_pool_backward")
        return y

    def _two_by_two(self, x):
        """Whether the windows are 2x2 at stride 2 with nothing padded (a last odd row or
        column may be cropped): the accelerator's own max pooling kernels for them."""
        pad_h, pad_w, _ = geometry(x.shape[1:3], self.pool, self.strides, (1, 1), self.padding)
        return (tuple(self.pool) == (2, 2) and tuple(self.strides) == (2, 2)
                and not any(pad_h) and not any(pad_w))

    def _window_args(self):
        return (self.pool[0], self.pool[1], self.strides[0], self.strides[1],
                self.pads[0][0], self.pads[1][0])

    def _spread(self, gy):
        """dL/dx from dL/dy (arrays): dy[window] * scale added to every cell of the window."""
        if self.fused is not None:
            g = xp.ascontiguousarray(to_nhwc(gy, self.data_format))
            if g.dtype.type not in _FLOATS:
                g = g.astype(self.scale.dtype)
            scale = self.scale.reshape((1,) * (4 - self.scale.ndim) + self.scale.shape)
            gx = xp.empty(self.in_shape, dtype=xp.result_type(g, scale))
            self.fused(g, scale, gx, *self._window_args(), not self.tiled)
            return from_nhwc(gx, self.data_format)
        g = to_nhwc(gy, self.data_format) * self.scale
        if self.tiled:  # every pixel of a window gets its dy / (pool_h * pool_w)
            n, c = g.shape[0], g.shape[3]
            (ph, pw), (oh, ow) = self.pool, self.out_hw
            g_columns = xp.empty((n * oh, ow, pw, c), dtype=g.dtype)
            g_columns[...] = g.reshape(n * oh, ow, 1, c)
            gx = xp.empty((n * oh, ph, ow * pw * c), dtype=g.dtype)
            gx[...] = g_columns.reshape(n * oh, 1, ow * pw * c)
            return from_nhwc(gx.reshape(n, oh * ph, ow * pw, c), self.data_format)
        gpad = xp.zeros(self.padded_shape, dtype=g.dtype)
        for index in self._positions():
            gpad[index] += g
        return from_nhwc(unpad(gpad, *self.pads), self.data_format)


class MaxPool2DScatterFunction(Function):
    """dL/dx = scatter of dL/dy to each window's first maximum (the backward of max pooling).

    Linear in dL/dy with positions fixed by the forward pass of ``pool``; its own backward is
    the gather at the same positions (:class:`MaxPool2DGatherFunction`).
    """

    def __init__(self, pool):
        self.pool = pool

    def forward(self, gy):
        return self.pool._scatter(gy)

    def backward(self, ggx):
        return MaxPool2DGatherFunction(self.pool)(ggx)


class MaxPool2DGatherFunction(Function):
    """y = each window's entry at the first maximum of ``pool``'s input (the adjoint of
    :class:`MaxPool2DScatterFunction`); its backward is that scatter."""

    def __init__(self, pool):
        self.pool = pool

    def forward(self, gx):
        return self.pool._gather(gx)

    def backward(self, gy):
        return MaxPool2DScatterFunction(self.pool)(gy)


class AvgPool2DGradFunction(Function):
    """dL/dx = dL/dy * scale spread over each window (the backward of average pooling).

    Linear in dL/dy; its adjoint, and so its backward, is average pooling itself with the same
    geometry.
    """

    def __init__(self, pool):
        self.pool = pool

    def forward(self, gy):
        return self.pool._spread(gy)

    def backward(self, ggx):
        pool = self.pool
        return AvgPool2DFunction(pool.pool, pool.strides, pool.padding, pool.data_format)(ggx)


def max_pool2d(x, pool_size=(2, 2), strides=None, padding="valid", data_format=None):
    """Max pooling over (pool_h, pool_w) windows (strides default to pool_size, like Keras).

    y[n, i, j, c] = max_{a, b} x_pad[n, i*s_h + a, j*s_w + b, c]  ('same' pads with -inf).

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.pooling import max_pool2d
        >>> max_pool2d(np.arange(16.0).reshape(1, 4, 4, 1)).data[0, :, :, 0]
        array([[ 5.,  7.],
               [13., 15.]])
    """
    x = as_tensor(x)
    pool, strides, padding, fmt = _pool_setup(x, pool_size, strides, padding, data_format,
                                              "max_pool2d")
    return MaxPool2DFunction(pool, strides, padding, fmt)(x)


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding="valid", data_format=None):
    """Average pooling; with 'same' padding the padded cells are not counted (Keras/TF).

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.pooling import avg_pool2d
        >>> avg_pool2d(np.arange(16.0).reshape(1, 4, 4, 1)).data[0, :, :, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]])
    """
    x = as_tensor(x)
    pool, strides, padding, fmt = _pool_setup(x, pool_size, strides, padding, data_format,
                                              "avg_pool2d")
    return AvgPool2DFunction(pool, strides, padding, fmt)(x)


def _pool1d(fn, x, pool_size, strides, padding, data_format):
    fmt = normalize_data_format(data_format)
    x = as_tensor(x)
    if x.ndim != 3:
        raise ShapeError(f"pooling 1-D: expected a 3-D input (batch, steps, channels), got "
                         f"{x.shape}")
    (p,) = normalize_tuple(pool_size, 1, "pool_size")
    s = p if strides is None else normalize_tuple(strides, 1, "strides")[0]
    axis = 1 if fmt == "channels_last" else 2
    return fn(x.unsqueeze(axis), (1, p), (1, s), padding, fmt).squeeze(axis)


def max_pool1d(x, pool_size=2, strides=None, padding="valid", data_format=None):
    """Max pooling over steps of (N, steps, C) (computed as a 2-D pool of height 1)."""
    return _pool1d(max_pool2d, x, pool_size, strides, padding, data_format)


def avg_pool1d(x, pool_size=2, strides=None, padding="valid", data_format=None):
    """Average pooling over steps of (N, steps, C)."""
    return _pool1d(avg_pool2d, x, pool_size, strides, padding, data_format)


def _spatial_axes(x, data_format, name):
    fmt = normalize_data_format(data_format)
    if x.ndim < 3:
        raise ShapeError(f"{name}: expected an input with spatial axes, got shape {x.shape}")
    return tuple(range(1, x.ndim - 1)) if fmt == "channels_last" else tuple(range(2, x.ndim))


def global_avg_pool2d(x, data_format=None, keepdims=False):
    """Mean over the spatial axes: (N, H, W, C) -> (N, C).

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.pooling import global_avg_pool2d
        >>> global_avg_pool2d(np.ones((2, 3, 3, 4), np.float32)).shape
        (2, 4)
    """
    x = as_tensor(x)
    return x.mean(axis=_spatial_axes(x, data_format, "global_avg_pool2d"), keepdims=keepdims)


def global_max_pool2d(x, data_format=None, keepdims=False):
    """Maximum over the spatial axes: (N, H, W, C) -> (N, C)."""
    x = as_tensor(x)
    return x.max(axis=_spatial_axes(x, data_format, "global_max_pool2d"), keepdims=keepdims)


global_avg_pool1d = global_avg_pool2d
global_max_pool1d = global_max_pool2d


__all__ = [
    "MaxPool2DFunction", "MaxPool2DScatterFunction", "MaxPool2DGatherFunction",
    "AvgPool2DFunction",
    "AvgPool2DGradFunction", "max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d",
    "global_avg_pool2d", "global_max_pool2d", "global_avg_pool1d", "global_max_pool1d",
    "normalize_tuple", "normalize_padding", "normalize_data_format",
]
