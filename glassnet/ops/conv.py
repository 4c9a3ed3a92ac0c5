"""Convolution and pooling ops: conv2d/conv1d as one GEMM, max/avg pooling, global pooling.

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

Convolution as a banded matrix product. For narrow images with few channels the im2col matrix
is mostly copying and its GEMM is skinny (6 or 16 columns). Instead, each output *row* (n, i)
takes the kh input rows it reads, ``X[(n, i)] = x_pad[n, i*s_h + a*d_h, :, :]`` for a < kh
(kh*W*C values, one copy of a strided view), and a band matrix B of shape (kh*W*C, OW*filters)
holds the kernel at the right offsets, ``B[(a, j*s_w + b*d_w - pad, c), (j, o)] = W[a, b, c, o]``:

    y.reshape(N*OH, OW*filters) = X @ B                   (the result is NHWC, row-major)
    dL/dB = X^T @ dL/dy   -> dL/dW[a, b, c, o] = sum over j of its band entries
    dL/dX = dL/dy @ B^T   -> each of the kh row blocks added back to the rows it came from

It does ``W / kw`` times the multiplications of im2col (the zeros of the band), in GEMMs that
run several times faster; :func:`choose_lowering` picks between the two.

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
def _band_links(width, kw, stride, dilation, pad_before, out_w):
    """For each kernel column b: the (input column, output column) pairs it links.

    Output column j reads input column ``j*stride + b*dilation - pad_before``; pairs that fall
    in the padding are left out (padding contributes zeros).
    """
    j = xp.arange(out_w)
    for b in range(kw):
        columns = j * stride + b * dilation - pad_before
        inside = (columns >= 0) & (columns < width)
        yield b, columns[inside], j[inside]


def choose_lowering(width, kernel_w, in_channels, filters):
    """'banded' or 'im2col': which matrix form :class:`Conv2D` uses for these shapes.

    The banded form multiplies by ``width / kernel_w`` times more (mostly zero) weights but
    copies ``kernel_w`` times less input and runs one well-shaped GEMM with a row-major result;
    it wins on narrow images with few channels (LeNet on MNIST: both convolutions), im2col
    wins otherwise (measured on a 2-core x86 CPU with OpenBLAS: banded while
    ``width / kernel_w <= 8`` and ``in_channels * filters <= 256``). Both give the same values
    up to float rounding.
    """
    blowup = width / kernel_w
    return "banded" if blowup <= 8 and in_channels * filters <= 256 else "im2col"


class Conv2D(Function):
    """2-D convolution (cross-correlation, like Keras) as one GEMM per batch.

    y[n, i, j, o] = b[o] + sum_{a, b', c} x_pad[n, i*s_h + a*d_h, j*s_w + b'*d_w, c]
    * W[a, b', c, o].

    Two matrix forms (``lowering``; None picks by :func:`choose_lowering`):

    * ``'im2col'``: y = cols @ W.reshape(kh*kw*C, filters), cols = one row per output pixel
      holding its window. Backward: dW = cols^T dy, dx = col2im(dy W^T), db = sum dy.
    * ``'banded'``: one row per output *row*: X[(n, i)] = the kh input rows it reads,
      (kh*W*C values), and a band matrix B (kh*W*C, OW*filters) with
      B[(a, j*s_w + b*d_w - pad, c), (j, o)] = W[a, b, c, o] (zero elsewhere), so
      y.reshape(N*OH, OW*filters) = X @ B. Backward: dB = X^T dy (summed back onto W's entries),
      dX = dy B^T (each of its kh row blocks added to the input rows it came from).

    First order only (backward on arrays).
    """

    def __init__(self, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
                 data_format="channels_last", lowering=None):
        self.strides = normalize_tuple(strides, 2, "strides")
        self.dilation = normalize_tuple(dilation_rate, 2, "dilation_rate")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        if lowering not in (None, "im2col", "banded"):
            raise GlassnetValueError(
                f"lowering: expected None, 'im2col' or 'banded', got {lowering!r}")
        self.lowering = lowering

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
        self.pads = pad_h, pad_w, out_hw = _geometry(
            x.shape[1:3], (kh, kw), self.strides, self.dilation, self.padding)
        if self.lowering is None:
            self.lowering = choose_lowering(x.shape[2], kw, cin, cout)
        forward = self._forward_banded if self.lowering == "banded" else self._forward_im2col
        y = forward(x, w, b)
        return _from_nhwc(y.reshape(x.shape[0], out_hw[0], out_hw[1], cout), self.data_format)

    def backward(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        g = xp.ascontiguousarray(_to_nhwc(gy.data, self.data_format))
        if self.lowering == "banded":
            gx, gw = self._backward_banded(g, w.data, x.requires_grad, w.requires_grad)
        else:
            gx, gw = self._backward_im2col(g, w.data, x.requires_grad, w.requires_grad)
        gx = None if gx is None else Tensor(_from_nhwc(gx, self.data_format))
        gw = None if gw is None else Tensor(gw)
        if len(self.inputs) == 3:
            # column sums as a GEMV (much faster than g.sum(axis=0) for few filters)
            g2 = g.reshape(-1, w.shape[3])
            ones = xp.ones(g2.shape[0], dtype=g.dtype)
            gb = Tensor(ones @ g2) if self.inputs[2].requires_grad else None
            return gx, gw, gb
        return gx, gw

    # ---------------------------------------------------------------- im2col form
    def _forward_im2col(self, x, w, b):
        pad_h, pad_w, out_hw = self.pads
        xpad = _pad_nhwc(x, pad_h, pad_w)
        cols, self.k_major = _im2col(xpad, w.shape[:2], self.strides, self.dilation, out_hw)
        w2 = w.reshape(-1, w.shape[3])
        if self.k_major:  # (filters, pixels): the bias add runs along long rows
            yt = w2.T @ cols
            if b is not None:
                yt += b[:, None]
            y = xp.ascontiguousarray(yt.T)  # row-major like every other array downstream
        else:
            y = cols @ w2
            if b is not None:
                y += b
        self.cols, self.padded_shape = cols, xpad.shape
        return y

    def _backward_im2col(self, g, w, need_x, need_w):
        kh, kw, cin, cout = w.shape
        g = g.reshape(-1, cout)
        gw = None
        if need_w:
            gw = (self.cols @ g) if self.k_major else (g.T @ self.cols).T
            gw = gw.reshape(w.shape)
        gx = None
        if need_x:
            # col2im: dL/dx_pad[window (a, b)] += W[a, b] dy, one GEMM per kernel row a.
            # Worked in (C, H, W, N) order, so that each added block is contiguous and the
            # strided adds run along long rows (N-fastest), not along the few channels.
            pad_h, pad_w, (oh, ow) = self.pads
            n = self.padded_shape[0]
            gt = xp.ascontiguousarray(g.reshape(n, oh, ow, cout).transpose(3, 1, 2, 0))
            gt = gt.reshape(cout, -1)                                  # (filters, OH*OW*N)
            hp, wp = self.padded_shape[1:3]
            gpad = xp.zeros((cin, hp, wp, n), dtype=g.dtype)
            for a in range(kh):
                rows = (w[a].reshape(kw * cin, cout) @ gt).reshape(kw, cin, oh, ow, n)
                for b in range(kw):
                    index = _position_slices(a, b, self.strides, self.dilation, (oh, ow))
                    gpad[index] += rows[b]
            gx = xp.ascontiguousarray(_unpad(gpad.transpose(3, 1, 2, 0), pad_h, pad_w))
        return gx, gw

    # ---------------------------------------------------------------- banded form
    def _links(self, width, kw):
        pad_w, out_w = self.pads[1], self.pads[2][1]
        return _band_links(width, kw, self.strides[1], self.dilation[1], pad_w[0], out_w)

    def _forward_banded(self, x, w, b):
        kh, kw, cin, cout = w.shape
        pad_h, _, (oh, ow) = self.pads
        n, _, width, _ = x.shape
        self.in_shape = x.shape
        # pad the rows only: padded columns are left out of the band matrix
        xh = xp.ascontiguousarray(_pad_nhwc(x, pad_h, (0, 0)))
        sn, sh = xh.strides[:2]
        rows = xp.lib.stride_tricks.as_strided(
            xh, (n, oh, kh, width * cin),
            (sn, sh * self.strides[0], sh * self.dilation[0], xh.itemsize), writeable=False)
        self.rows = rows.reshape(n * oh, kh * width * cin)            # a copy: (N*OH, kh*W*C)
        band = xp.zeros((kh, width, cin, ow, cout), dtype=xp.result_type(x, w))
        for kb, columns, outs in self._links(width, kw):
            band[:, columns, :, outs, :] = w[:, kb]
        self.band = band.reshape(kh * width * cin, ow * cout)
        y = self.rows @ self.band                                        # (N*OH, OW*filters)
        if b is not None:
            y += xp.tile(b, ow)
        return y

    def _backward_banded(self, g, w, need_x, need_w):
        kh, kw, cin, cout = w.shape
        n, h, width, _ = self.in_shape
        pad_h, _, (oh, ow) = self.pads
        g = g.reshape(n * oh, ow * cout)
        gw = None
        if need_w:
            gband = (self.rows.T @ g).reshape(kh, width, cin, ow, cout)
            gw = xp.empty(w.shape, dtype=gband.dtype)
            for kb, columns, outs in self._links(width, kw):
                gw[:, kb] = gband[:, columns, :, outs, :].sum(axis=0)
        gx = None
        if need_x:
            grows = (g @ self.band.T).reshape(n, oh, kh, width * cin)
            gxh = xp.zeros((n, h + sum(pad_h), width * cin), dtype=grows.dtype)
            s, d = self.strides[0], self.dilation[0]
            for a in range(kh):
                gxh[:, a * d : a * d + s * (oh - 1) + 1 : s] += grows[:, :, a]
            gx = xp.ascontiguousarray(gxh[:, pad_h[0] : pad_h[0] + h]).reshape(n, h, width, cin)
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
    of every window is one strided slice of the padded input. (Max pooling has a faster path
    for windows that tile the input.)
    """

    def __init__(self, pool_size, strides, padding, data_format):
        self.pool, self.strides, self.padding, self.data_format = (
            pool_size, strides, padding, data_format)

    def _prepare(self, x, pad_value):
        """Pad the NHWC input; record the geometry."""
        pad_h, pad_w, out_hw = _geometry(x.shape[1:3], self.pool, self.strides, (1, 1),
                                         self.padding)
        self.pads, self.out_hw = (pad_h, pad_w), out_hw
        xpad = _pad_nhwc(x, pad_h, pad_w, pad_value)
        self.padded_shape = xpad.shape
        return xpad

    def _tiles(self, x):
        """Whether the windows tile the NHWC input exactly (strides = pool, nothing padded or
        cropped): then pooling runs on reshapes of the input, in two contiguous stages."""
        _, _, out_hw = _geometry(x.shape[1:3], self.pool, self.strides, (1, 1), self.padding)
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
            yield _position_slices(a, b, self.strides, (1, 1), self.out_hw)


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


class MaxPool2D(_Pool2D):
    """y = max over each window; the gradient goes to one maximum of each window.

    Ties: the first maximum in column-major order takes the gradient (in the leftmost window
    column holding the maximum, the topmost). When the windows tile the input (strides =
    pool size, nothing padded or cropped) the max is taken in two stages, first down each
    window column (whole image rows at a time, contiguous in NHWC), then across the columns,
    and backward routes the gradient back through the same two stages.

    First order only (backward on arrays).
    """

    def forward(self, x):
        x = _to_nhwc(x, self.data_format)
        self.tiled = self._tiles(x)
        y = self._forward_tiled(x) if self.tiled else self._forward_windows(x)
        return _from_nhwc(y, self.data_format)

    def backward(self, gy):
        g = _to_nhwc(gy.data, self.data_format)
        gx = self._backward_tiled(g) if self.tiled else self._backward_windows(g)
        return Tensor(_from_nhwc(gx, self.data_format))

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
        return _unpad(gpad, *self.pads)


class AvgPool2D(_Pool2D):
    """y = mean over each window (padding excluded from the count, like Keras 'same').

    When the windows tile the input, sums run in two contiguous stages as in
    :class:`MaxPool2D`, and backward spreads dy / (pool_h * pool_w) back the same way.

    First order only (backward on arrays).
    """

    def forward(self, x):
        x = _to_nhwc(x, self.data_format)
        self.tiled = self._tiles(x)
        if self.tiled:
            n, c = x.shape[0], x.shape[3]
            rows = self._window_rows(x)
            (ph, pw), (oh, ow) = self.pool, self.out_hw
            columns = _combine(xp.add, [rows[:, a] for a in range(ph)]).reshape(n * oh, ow, pw, c)
            total = _combine(xp.add, [columns[:, :, b] for b in range(pw)]).reshape(n, oh, ow, c)
            self.scale = xp.asarray(1.0 / (ph * pw), dtype=total.dtype)
            total *= self.scale
            return _from_nhwc(total, self.data_format)
        xpad = self._prepare(x, 0.0)
        total = _combine(xp.add, [xpad[index] for index in self._positions()])
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
        if self.tiled:  # every pixel of a window gets its dy / (pool_h * pool_w)
            n, c = g.shape[0], g.shape[3]
            (ph, pw), (oh, ow) = self.pool, self.out_hw
            g_columns = xp.empty((n * oh, ow, pw, c), dtype=g.dtype)
            g_columns[...] = g.reshape(n * oh, ow, 1, c)
            gx = xp.empty((n * oh, ph, ow * pw * c), dtype=g.dtype)
            gx[...] = g_columns.reshape(n * oh, 1, ow * pw * c)
            return Tensor(_from_nhwc(gx.reshape(n, oh * ph, ow * pw, c), self.data_format))
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
