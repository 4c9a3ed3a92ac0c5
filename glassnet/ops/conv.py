"""Convolution and pooling ops: conv2d/conv1d by im2col + GEMM, max/avg pooling, global pooling.

Layout. Images are ``channels_last`` (NHWC, Keras's default) or ``channels_first`` (NCHW);
kernels are always ``(kh, kw, in_channels, filters)`` like Keras. Internally everything runs
in NHWC.

Convolution as a matrix product (im2col). Every output pixel (n, i, j) sees the window
``x[n, i*s_h + a*d_h, j*s_w + b*d_w, c]`` for kernel positions (a, b) and channels c. Laying
each window out as one row gives the matrix ``cols`` of shape (N*OH*OW, kh*kw*C) — one copy of
a strided *view* of the padded input (for images with few channels, the transposed matrix is
filled instead, one contiguous block per kernel position, which copies faster) — and then

    y = cols @ W.reshape(kh*kw*C, filters) + b            (one GEMM for the whole batch)
    dL/dW = cols^T @ dL/dy                                (one GEMM)
    dL/dx_pad[window position (a, b)] += dL/dy @ W[a, b]^T  (col2im: one GEMM per kernel
                                                            row, each block added to a strided
                                                            slice)

Padding follows Keras (TensorFlow) rules: ``'valid'`` adds none; ``'same'`` makes
``out = ceil(in / stride)`` and pads ``total = max((out - 1) * stride + (k - 1) * d + 1 - in, 0)``
with ``total // 2`` before and the rest after (so the extra pixel goes after, at the bottom/
right, for even kernels); ``'causal'`` (1-D only) pads ``(k - 1) * d`` on the left.

The ops in this module are fused: their backward is computed on arrays, so they are
differentiable once (first order only; ``create_graph=True`` does not give second derivatives
through them).
"""

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.tensor import Function, Tensor, as_tensor

_FORMATS = ("channels_last", "channels_first")


# ------------------------------------------------------------------------ argument helpers
def normalize_tuple(value, n, name):
    """An int or a sequence of n ints -> a tuple of n positive ints (Keras's convention)."""
    if isinstance(value, (int, xp.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(int(v) for v in value)
        except TypeError:
            raise GlassnetValueError(
                f"{name}: expected an int or a tuple of {n} ints, got {value!r}"
            ) from None
    if len(values) != n or any(v <= 0 for v in values):
        raise GlassnetValueError(
            f"{name}: expected an int or a tuple of {n} positive ints, got {value!r}"
        )
    return values


def normalize_data_format(data_format):
    """None -> 'channels_last'; otherwise checked."""
    if data_format is None:
        return "channels_last"
    fmt = str(data_format).lower()
    if fmt not in _FORMATS:
        raise GlassnetValueError(
            f"data_format: expected 'channels_last' or 'channels_first', got {data_format!r}"
        )
    return fmt


def normalize_padding(padding, allow_causal=False):
    """'valid' / 'same' (/ 'causal'), case-insensitive, or explicit per-axis (before, after)."""
    if isinstance(padding, str):
        mode = padding.lower()
        valid = ("valid", "same", "causal") if allow_causal else ("valid", "same")
        if mode not in valid:
            raise GlassnetValueError(
                f"padding: expected one of {', '.join(repr(v) for v in valid)}, got {padding!r}"
            )
        return mode
    return padding


def _pad_and_out(size, k, stride, dilation, padding, axis):
    """(pad_before, pad_after, out_size) along one spatial axis, Keras/TensorFlow rules."""
    effective = (k - 1) * dilation + 1
    if padding == "valid":
        before = after = 0
    elif padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + effective - size, 0)
        before, after = total // 2, total - total // 2
    elif padding == "causal":
        before, after = effective - 1, 0
    else:
        before, after = padding[axis] if isinstance(padding[axis], (tuple, list)) else (
            padding[axis], padding[axis])
    out = (size + before + after - effective) // stride + 1
    if out <= 0:
        raise ShapeError(
            f"the window (size {k}, dilation {dilation}, effective size {effective}) does not "
            f"fit in a spatial size of {size} with padding {padding!r}; the output would be "
            f"empty"
        )
    return before, after, out


def _geometry(hw, kernel, strides, dilation, padding):
    ph = _pad_and_out(hw[0], kernel[0], strides[0], dilation[0], padding, 0)
    pw = _pad_and_out(hw[1], kernel[1], strides[1], dilation[1], padding, 1)
    return (ph[0], ph[1]), (pw[0], pw[1]), (ph[2], pw[2])


def _to_nhwc(x, data_format):
    return x.transpose(0, 2, 3, 1) if data_format == "channels_first" else x


def _from_nhwc(y, data_format):
    return y.transpose(0, 3, 1, 2) if data_format == "channels_first" else y


def _pad_nhwc(x, pad_h, pad_w, value=0.0):
    if not any(pad_h) and not any(pad_w):
        return x
    n, h, w, c = x.shape
    out = xp.full((n, h + sum(pad_h), w + sum(pad_w), c), value, dtype=x.dtype)
    out[:, pad_h[0] : pad_h[0] + h, pad_w[0] : pad_w[0] + w] = x
    return out


def _windows(xpad, kernel, strides, dilation, out_hw):
    """A strided view (N, OH, OW, kh, kw, C) of the padded input: no copy."""
    sn, sh, sw, sc = xpad.strides
    shape = (xpad.shape[0], out_hw[0], out_hw[1], kernel[0], kernel[1], xpad.shape[3])
    view_strides = (sn, sh * strides[0], sw * strides[1], sh * dilation[0], sw * dilation[1], sc)
    return xp.lib.stride_tricks.as_strided(xpad, shape, view_strides, writeable=False)


def _position_slices(a, b, strides, dilation, out_hw):
    """Index of the padded input read by kernel position (a, b) for every output pixel."""
    top, left = a * dilation[0], b * dilation[1]
    return (slice(None), slice(top, top + strides[0] * (out_hw[0] - 1) + 1, strides[0]),
            slice(left, left + strides[1] * (out_hw[1] - 1) + 1, strides[1]))


def _im2col(xpad, kernel, strides, dilation, out_hw):
    """The im2col matrix, in the layout that copies fastest for this channel count.

    Returns (cols, k_major): cols is (N*OH*OW, kh*kw*C) (rows = output pixels) when
    k_major is False — one copy of a strided view, efficient when each window row holds many
    channels — else (kh*kw*C, N*OH*OW), filled by one contiguous copy per kernel position and
    channel, which is several times faster for images with few channels (the first layer).
    """
    n, c = xpad.shape[0], xpad.shape[3]
    kh, kw = kernel
    if c > 4:
        cols = _windows(xpad, kernel, strides, dilation, out_hw)
        return cols.reshape(-1, kh * kw * c), False
    cols = xp.empty((kh, kw, c, n) + tuple(out_hw), dtype=xpad.dtype)
    channels = xpad.transpose(3, 0, 1, 2)  # (C, N, Hp, Wp) view
    for a in range(kh):
        for b in range(kw):
            _, rows, cols_ = _position_slices(a, b, strides, dilation, out_hw)
            cols[a, b] = channels[:, :, rows, cols_]
    return cols.reshape(kh * kw * c, -1), True


def _unpad(g, pad_h, pad_w):
    h, w = g.shape[1] - sum(pad_h), g.shape[2] - sum(pad_w)
    return g[:, pad_h[0] : pad_h[0] + h, pad_w[0] : pad_w[0] + w]


def _check_image(x, name, data_format):
    if x.ndim != 4:
        layout = "(batch, height, width, channels)" if data_format == "channels_last" else (
            "(batch, channels, height, width)")
        raise ShapeError(f"{name}: expected a 4-D input {layout}, got shape {x.shape}")


# ------------------------------------------------------------------------ convolution
class Conv2D(Function):
    """2-D convolution (cross-correlation, like Keras) by im2col and one GEMM.

    y[n, i, j, o] = b[o] + sum_{a, b', c} x_pad[n, i*s_h + a*d_h, j*s_w + b'*d_w, c]
    * W[a, b', c, o].  Backward: dW = cols^T dy, dx = col2im(dy W^T) (per kernel position),
    db = sum dy.
    First order only (backward on arrays).
    """

    def __init__(self, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
                 data_format="channels_last"):
        self.strides = normalize_tuple(strides, 2, "strides")
        self.dilation = normalize_tuple(dilation_rate, 2, "dilation_rate")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)

    def forward(self, x, w, b=None):
        _check_image(x, "conv2d", self.data_format)
        if w.ndim != 4:
            raise ShapeError(
                f"conv2d: expected a 4-D kernel (kh, kw, in_channels, filters), got {w.shape}"
            )
        x = _to_nhwc(x, self.data_format)
        kh, kw, cin, cout = w.shape
        if x.shape[3] != cin:
            raise ShapeError(
                f"conv2d: the input has {x.shape[3]} channels but the kernel {w.shape} expects "
                f"{cin} (input shape in NHWC {x.shape})"
            )
        pad_h, pad_w, out_hw = _geometry(x.shape[1:3], (kh, kw), self.strides, self.dilation,
                                         self.padding)
        xpad = _pad_nhwc(x, pad_h, pad_w)
        cols, self.k_major = _im2col(xpad, (kh, kw), self.strides, self.dilation, out_hw)
        w2 = w.reshape(-1, cout)
        if self.k_major:  # (filters, pixels): the bias add runs along long rows
            yt = w2.T @ cols
            if b is not None:
                yt += b[:, None]
            y = xp.ascontiguousarray(yt.T)  # row-major like every other array downstream
        else:
            y = cols @ w2
            if b is not None:
                y += b
        self.cols, self.pads, self.out_hw, self.padded_shape = cols, (pad_h, pad_w), out_hw, (
            xpad.shape)
        return _from_nhwc(y.reshape(x.shape[0], out_hw[0], out_hw[1], cout), self.data_format)

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        kh, kw, cin, cout = w.shape
        g = xp.ascontiguousarray(_to_nhwc(gy.data, self.data_format)).reshape(-1, cout)
        gw = None
        if w.requires_grad:
            gw = (self.cols @ g) if self.k_major else (g.T @ self.cols).T
            gw = Tensor(gw.reshape(w.shape))
        gx = None
        if x.requires_grad:
            # col2im: dL/dx_pad[window (a, b)] += W[a, b] dy, one GEMM per kernel row a.
            # Worked in (C, H, W, N) order, so that each added block is contiguous and the
            # strided adds run along long rows (N-fastest), not along the few channels.
            n, (oh, ow) = x.shape[0], self.out_hw
            gt = xp.ascontiguousarray(g.reshape(n, oh, ow, cout).transpose(3, 1, 2, 0))
            gt = gt.reshape(cout, -1)                                  # (filters, OH*OW*N)
            hp, wp = self.padded_shape[1:3]
            gpad = xp.zeros((cin, hp, wp, n), dtype=g.dtype)
            for a in range(kh):
                rows = (w.data[a].reshape(kw * cin, cout) @ gt).reshape(kw, cin, oh, ow, n)
                for b in range(kw):
                    index = _position_slices(a, b, self.strides, self.dilation, self.out_hw)
                    gpad[index] += rows[b]
            gx = xp.ascontiguousarray(_unpad(gpad.transpose(3, 1, 2, 0), *self.pads))
            gx = Tensor(_from_nhwc(gx, self.data_format))
        if len(self.inputs) == 3:
            # column sums as a GEMV (much faster than g.sum(axis=0) for few filters)
            ones = xp.ones(g.shape[0], dtype=g.dtype)
            gb = Tensor(ones @ g) if self.inputs[2].requires_grad else None
            return gx, gw, gb
        return gx, gw


def conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
           data_format=None):
    """2-D convolution with Keras's arguments (kernel (kh, kw, in, filters)).

    y[n, i, j, o] = bias[o] + sum_{a, b, c} x_pad[n, i*s_h + a*d_h, j*s_w + b*d_w, c] W[a, b, c, o]

    Args:
        x: images, (N, H, W, C) for channels_last (default) or (N, C, H, W).
        kernel: (kh, kw, C, filters).
        bias: optional (filters,).
        strides, dilation_rate: int or pair.
        padding: 'valid', 'same' (Keras rules) or explicit ((top, bottom), (left, right)).
        data_format: 'channels_last' (None) or 'channels_first'.

    Returns:
        (N, OH, OW, filters) (or (N, filters, OH, OW)).

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.conv import conv2d
        >>> conv2d(np.ones((1, 4, 4, 1), np.float32), np.ones((3, 3, 1, 2), np.float32)).shape
        (1, 2, 2, 2)
    """
    op = Conv2D(strides, padding, dilation_rate, data_format)
    if bias is None:
        return op(x, kernel)
    return op(x, kernel, bias)


def conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, data_format=None):
    """1-D convolution over (N, steps, C) (or (N, C, steps)); kernel (k, C, filters).

    Computed as a conv2d with a height of 1. ``padding='causal'`` pads (k - 1) * d steps on the
    left, so output t only sees inputs <= t.

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.conv import conv1d
        >>> conv1d(np.ones((2, 10, 3), np.float32), np.ones((3, 3, 4), np.float32)).shape
        (2, 8, 4)
    """
    data_format = normalize_data_format(data_format)
    x, kernel = as_tensor(x), as_tensor(kernel)
    if x.ndim != 3:
        raise ShapeError(f"conv1d: expected a 3-D input (batch, steps, channels), got {x.shape}")
    if kernel.ndim != 3:
        raise ShapeError(f"conv1d: expected a 3-D kernel (k, in, filters), got {kernel.shape}")
    (s,) = normalize_tuple(strides, 1, "strides")
    (d,) = normalize_tuple(dilation_rate, 1, "dilation_rate")
    padding = normalize_padding(padding, allow_causal=True)
    if padding == "causal":
        padding = ((0, 0), ((kernel.shape[0] - 1) * d, 0))
    elif not isinstance(padding, str):
        p = padding[0] if isinstance(padding, (tuple, list)) and len(padding) == 1 else padding
        padding = ((0, 0), tuple(p) if isinstance(p, (tuple, list)) else (p, p))
    axis = 1 if data_format == "channels_last" else 2
    y = conv2d(x.unsqueeze(axis), kernel.unsqueeze(0), bias, (1, s), padding, (1, d),
               data_format)
    return y.squeeze(axis)


# ------------------------------------------------------------------------ pooling
def _pool_setup(x, pool_size, strides, padding, data_format, name):
    pool = normalize_tuple(pool_size, 2, "pool_size")
    strides = pool if strides is None else normalize_tuple(strides, 2, "strides")
    padding = normalize_padding(padding)
    data_format = normalize_data_format(data_format)
    _check_image(x, name, data_format)
    return pool, strides, padding, data_format


class _Pool2D(Function):
    """Shared geometry of max and average pooling (NHWC inside).

    Both loop over the pool_h * pool_w window positions (never over pixels): position (a, b)
    of every window is one strided slice of the padded input.
    """

    def __init__(self, pool_size, strides, padding, data_format):
        self.pool, self.strides, self.padding, self.data_format = (
            pool_size, strides, padding, data_format)

    def _prepare(self, x, pad_value):
        x = _to_nhwc(x, self.data_format)
        pad_h, pad_w, out_hw = _geometry(x.shape[1:3], self.pool, self.strides, (1, 1),
                                         self.padding)
        self.pads, self.out_hw = (pad_h, pad_w), out_hw
        xpad = _pad_nhwc(x, pad_h, pad_w, pad_value)
        self.padded_shape = xpad.shape
        return xpad

    def _positions(self):
        for a in range(self.pool[0]):
            for b in range(self.pool[1]):
                yield _position_slices(a, b, self.strides, (1, 1), self.out_hw)


class MaxPool2D(_Pool2D):
    """y = max over each window; the gradient goes to the (first) argmax of each window.

    First order only (backward on arrays).
    """

    def forward(self, x):
        xpad = self._prepare(x, -xp.inf)
        first, *rest = [xpad[index] for index in self._positions()]
        y = xp.maximum(first, rest[0]) if rest else first.copy()
        for window in rest[1:]:
            xp.maximum(y, window, out=y)
        self.xpad, self.y = xpad, y
        return _from_nhwc(y, self.data_format)

    def backward(self, gy):
        g = _to_nhwc(gy.data, self.data_format)
        # windows that do not overlap write their slices once: no read-modify-write
        disjoint = all(s >= p for s, p in zip(self.strides, self.pool, strict=True))
        tiled = tuple(self.strides) == tuple(self.pool) and all(  # every pixel in one window
            o * p == size for o, p, size in zip(self.out_hw, self.pool, self.padded_shape[1:3],
                                                strict=True))
        gpad = (xp.empty if tiled else xp.zeros)(self.padded_shape, dtype=g.dtype)
        positions = list(self._positions())
        taken = first = None
        for k, index in enumerate(positions):
            first = xp.equal(self.xpad[index], self.y, out=first)
            if k:  # ties: only the first maximum (row-major) takes the gradient
                xp.greater(first, taken, out=first)
            if k < len(positions) - 1:
                taken = first.copy() if taken is None else xp.logical_or(taken, first,
                                                                         out=taken)
            if disjoint:
                xp.multiply(g, first, out=gpad[index])
            else:
                gpad[index] += g * first
        return Tensor(_from_nhwc(_unpad(gpad, *self.pads), self.data_format))


class AvgPool2D(_Pool2D):
    """y = mean over each window (padding excluded from the count, like Keras 'same').

    First order only (backward on arrays).
    """

    def forward(self, x):
        xpad = self._prepare(x, 0.0)
        total = None
        for index in self._positions():
            total = xpad[index].copy() if total is None else xp.add(total, xpad[index],
                                                                    out=total)
        if any(self.pads[0]) or any(self.pads[1]):
            ones = _pad_nhwc(xp.ones((1,) + tuple(s - sum(p) for s, p in zip(
                self.padded_shape[1:3], self.pads, strict=True)) + (1,), dtype=xpad.dtype),
                *self.pads)
            count = sum(ones[index] for index in self._positions())
        else:
            count = xp.asarray(self.pool[0] * self.pool[1], dtype=xpad.dtype)
        self.scale = (1.0 / count).astype(xpad.dtype)
        total *= self.scale
        return _from_nhwc(total, self.data_format)

    def backward(self, gy):
        g = _to_nhwc(gy.data, self.data_format) * self.scale
        gpad = xp.zeros(self.padded_shape, dtype=g.dtype)
        for index in self._positions():
            gpad[index] += g
        return Tensor(_from_nhwc(_unpad(gpad, *self.pads), self.data_format))


def max_pool2d(x, pool_size=(2, 2), strides=None, padding="valid", data_format=None):
    """Max pooling over (pool_h, pool_w) windows (strides default to pool_size, like Keras).

    y[n, i, j, c] = max_{a, b} x_pad[n, i*s_h + a, j*s_w + b, c]  ('same' pads with -inf).

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.conv import max_pool2d
        >>> max_pool2d(np.arange(16.0).reshape(1, 4, 4, 1)).data[0, :, :, 0]
        array([[ 5.,  7.],
               [13., 15.]])
    """
    x = as_tensor(x)
    pool, strides, padding, fmt = _pool_setup(x, pool_size, strides, padding, data_format,
                                              "max_pool2d")
    return MaxPool2D(pool, strides, padding, fmt)(x)


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding="valid", data_format=None):
    """Average pooling; with 'same' padding the padded cells are not counted (Keras/TF).

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.conv import avg_pool2d
        >>> avg_pool2d(np.arange(16.0).reshape(1, 4, 4, 1)).data[0, :, :, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]])
    """
    x = as_tensor(x)
    pool, strides, padding, fmt = _pool_setup(x, pool_size, strides, padding, data_format,
                                              "avg_pool2d")
    return AvgPool2D(pool, strides, padding, fmt)(x)


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
        >>> from glassnet.ops.conv import global_avg_pool2d
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
    "Conv2D", "MaxPool2D", "AvgPool2D", "conv2d", "conv1d", "max_pool2d", "avg_pool2d",
    "max_pool1d", "avg_pool1d", "global_avg_pool2d", "global_max_pool2d", "global_avg_pool1d",
    "global_max_pool1d", "normalize_tuple", "normalize_padding", "normalize_data_format",
]
