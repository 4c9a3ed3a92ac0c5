"""Convolution ops: conv2d and conv1d as one GEMM (im2col or banded), and im2col/col2im.

Layout and padding: :mod:`glassnet.ops.windows` (NHWC inside; kernels (kh, kw, in, filters)).

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
is mostly copying and its GEMM is skinny (6 or 16 columns). Instead, cut each output row into
tiles of T columns (:func:`band_tile`); tile t of output row (n, i) reads the kh input rows
``x_pad[n, i*s_h + a*d_h]`` over the tin = (T-1)*s_w + (kw-1)*d_w + 1 columns starting at
``t*T*s_w``. Laid out as one row ``X[(n, i, t)]`` of kh*tin*C values (one copy of a strided
view), it meets one band matrix B of shape (kh*tin*C, T*filters), the same for every tile, that
holds the kernel at the right offsets, ``B[(a, q*s_w + b*d_w, c), (q, o)] = W[a, b, c, o]``:

    y.reshape(N*OH*OW/T, T*filters) = X @ B              (the result is NHWC, row-major)
    dL/dB = X^T @ dL/dy   -> dL/dW[a, b, c, o] = sum over q of its band entries
    dL/dX = dL/dy @ B^T   -> each tile's kh row blocks added back to the columns it came from

It does about (T + kw - 1) / kw times the multiplications of im2col (the zeros of the band), in
GEMMs T times wider; T = 1 is im2col itself, T = OW one band per image row.
:func:`choose_lowering` picks between the two forms.

With the optional accelerator (``glassnet.kernels``, numba), the im2col form copies its
windows with one fused pass (padding included, in parallel over the images) and its backward
computes dL/dcols = dL/dy @ W^T in one GEMM and adds it back with a fused col2im
(:mod:`glassnet.kernels.conv`), instead of the padded copy, the transposes and the strided
adds; the banded form adds its dL/dX rows back with one fused pass (``band_col2im``, the
reference's additions in the reference's order). The GEMMs are the same. The NumPy code here
is the reference.

Padding follows Keras (TensorFlow) rules (see :mod:`glassnet.ops.windows`). Pooling lives in
:mod:`glassnet.ops.pooling`.

Higher order. The fused backward runs on arrays on the first-order path; while a create_graph
backward records, it is built from differentiable ops instead (im2col as an op whose backward
is col2im, and matmuls), so convolution is differentiable to any order.
"""

from glassnet import kernels
from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.ops.dense import ACTIVATION_GRADS, ACTIVATIONS, activation_backward_graph
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
    window_view,
)
from glassnet.tensor import Function, Tensor, _op_hooks, as_tensor

# ------------------------------------------------------------------------ im2col
MAX_K_MAJOR_CHANNELS = 4  # up to this many channels im2col fills the transposed matrix


def _im2col(xpad, kernel, strides, dilation, out_hw):
    """The im2col matrix, in the layout that copies fastest for this channel count.

    Returns (cols, k_major): cols is (N*OH*OW, kh*kw*C) (rows = output pixels) when
    k_major is False — one copy of a strided view, efficient when each window row holds many
    channels — else (kh*kw*C, N*OH*OW), filled by one contiguous copy per kernel position and
    channel, which is several times faster for images with few channels (the first layer).
    """
    n, c = xpad.shape[0], xpad.shape[3]
    kh, kw = kernel
    if c > MAX_K_MAJOR_CHANNELS:
        cols = window_view(xpad, kernel, strides, dilation, out_hw)
        return cols.reshape(-1, kh * kw * c), False
    cols = xp.empty((kh, kw, c, n) + tuple(out_hw), dtype=xpad.dtype)
    channels = xpad.transpose(3, 0, 1, 2)  # (C, N, Hp, Wp) view
    for a in range(kh):
        for b in range(kw):
            _, rows, cols_ = position_slices(a, b, strides, dilation, out_hw)
            cols[a, b] = channels[:, :, rows, cols_]
    return cols.reshape(kh * kw * c, -1), True


def _fused(name, *arrays):
    """The kernel ``name`` of :mod:`glassnet.kernels.conv` when the accelerator is on and every
    array is float32 or float64 of one dtype, else None (the NumPy reference runs)."""
    dtype = arrays[0].dtype
    if dtype.type not in (xp.float32, xp.float64) or any(a.dtype != dtype for a in arrays):
        return None
    return kernels.get("conv", name)


# ------------------------------------------------------------------------ convolution
def choose_lowering(width, kernel_w, in_channels, filters):
    """'banded' or 'im2col': which matrix form :class:`Conv2DFunction` uses for these shapes.

    The banded form copies each input row once per tile instead of once per kernel column and
    runs GEMMs of ``tile * filters`` columns instead of ``filters``; it wins on narrow images
    with few channels (LeNet on MNIST: both convolutions), im2col wins otherwise (measured on
    a 2-core x86 CPU with OpenBLAS: banded while ``width / kernel_w <= 8`` and
    ``in_channels * filters <= 256``). Both give the same values up to float rounding.
    """
    blowup = width / kernel_w
    return "banded" if blowup <= 8 and in_channels * filters <= 256 else "im2col"


MIN_BAND_COLUMNS = 32  # band_tile widens tiles of few-filter convolutions to this many columns


def band_tile(out_w, kernel_w, filters=None):
    """The tile width T of the banded form: the divisor of ``out_w`` nearest a target width.

    A tile of T output columns reads ``(T - 1) * s + (kw - 1) * d + 1`` input columns, so the
    band multiplies by about ``(T + kw - 1) / kw`` times the useful products: T = 1 is im2col
    (skinny GEMMs of ``filters`` columns), T = OW one band over the whole row (W / kw times the
    products). The target is kw - 1, which keeps the excess under 2x, raised for few filters
    until the GEMMs have ``MIN_BAND_COLUMNS`` (32) columns, T * filters, so that two threads
    each get a useful share of them (LeNet: T = 7 of 28 for 6 filters, 5 of 10 for 16;
    measured on a 2-core AVX2 CPU: T = 7 for the first convolution trained 1-6 % faster at 2
    threads than T = 4, and the same at 1). Ties go to the larger tile.
    """
    target = kernel_w - 1
    if filters is not None:
        target = max(target, -(-MIN_BAND_COLUMNS // filters))
    divisors = [t for t in range(1, out_w + 1) if out_w % t == 0]
    return min(divisors, key=lambda t: (abs(t - target), -t))


class Conv2DFunction(Function):
    """2-D convolution (cross-correlation, like Keras) as one GEMM per batch.

    y[n, i, j, o] = b[o] + sum_{a, b', c} x_pad[n, i*s_h + a*d_h, j*s_w + b'*d_w, c]
    * W[a, b', c, o].

    Two matrix forms (``lowering``; None picks by :func:`choose_lowering`):

    * ``'im2col'``: y = cols @ W.reshape(kh*kw*C, filters), cols = one row per output pixel
      holding its window. Backward: dW = cols^T dy, dx = col2im(dy W^T), db = sum dy.
    * ``'banded'``: one row per tile of T output columns (``tile``; None picks by
      :func:`band_tile`): X[(n, i, t)] = the kh input rows it reads over its tin columns
      (kh*tin*C values), and one band matrix B (kh*tin*C, T*filters) with
      B[(a, q*s_w + b*d_w, c), (q, o)] = W[a, b, c, o] (zero elsewhere), so
      y.reshape(N*OH*OW/T, T*filters) = X @ B. Backward: dB = X^T dy (summed back onto W's
      entries), dX = dy B^T (each tile's kh row blocks added to the input it came from).

    Backward runs on arrays on the first-order path; under create_graph it is built from
    differentiable ops instead (:class:`Im2ColFunction`, matmuls, :class:`Col2ImFunction`),
    so convolution is differentiable to any order.
    """

    fused = False  # whether the im2col form ran on the accelerator's kernels

    def __init__(self, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
                 data_format="channels_last", lowering=None, tile=None, activation=None):
        self.strides = normalize_tuple(strides, 2, "strides")
        self.dilation = normalize_tuple(dilation_rate, 2, "dilation_rate")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        if lowering not in (None, "im2col", "banded"):
            raise GlassnetValueError(
                f"lowering: expected None, 'im2col' or 'banded', got {lowering!r}")
        self.lowering = lowering
        if tile is not None and (not isinstance(tile, int) or tile < 1):
            raise GlassnetValueError(f"tile: expected None or a positive int, got {tile!r}")
        self.tile = tile
        if activation is not None and activation not in ACTIVATIONS:
            raise GlassnetValueError(
                f"activation: expected None or one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.activation = activation
        if activation is not None:
            self.op_name = f"Conv2D({activation})"

    def forward(self, x, w, b=None):
        check_image(x, "conv2d", self.data_format)
        if w.ndim != 4:
            raise ShapeError(
                f"conv2d: expected a 4-D kernel (kh, kw, in_channels, filters), got {w.shape}"
            )
        x = to_nhwc(x, self.data_format)
        kh, kw, cin, cout = w.shape
        if x.shape[3] != cin:
            raise ShapeError(
                f"conv2d: the input has {x.shape[3]} channels but the kernel {w.shape} expects "
                f"{cin} (input shape in NHWC {x.shape})"
            )
        self.pads = pad_h, pad_w, out_hw = geometry(
            x.shape[1:3], (kh, kw), self.strides, self.dilation, self.padding)
        if self.lowering is None:
            self.lowering = choose_lowering(x.shape[2], kw, cin, cout)
        forward = self._forward_banded if self.lowering == "banded" else self._forward_im2col
        if self.activation is None:
            y = forward(x, w, b)
        else:  # y = f(z + b) in one pass over z (in place), one row per image row (long
            # rows: the kernels' per-row cost is paid N*OH times, not N*OH*OW times)
            y = forward(x, w, None).reshape(-1, out_hw[1] * cout)
            y = ACTIVATIONS[self.activation][0](y, () if b is None else (xp.tile(b, out_hw[1]),))
        return from_nhwc(y.reshape(x.shape[0], out_hw[0], out_hw[1], cout), self.data_format)

    def backward(self, gy):
        if config.enable_grad:  # create_graph: the same GEMMs from differentiable ops
            return self._backward_graph(gy)
        x, w = self.inputs[0], self.inputs[1]
        g = xp.ascontiguousarray(to_nhwc(gy.data, self.data_format))
        if self.activation is not None:  # dL/dz = dL/da f'(z) in one pass, from the output a
            a = xp.ascontiguousarray(to_nhwc(self.output().data, self.data_format))
            # (dL/db is the GEMV below, as without the activation, so that fit gives the same
            # bits whether or not layers record z)
            g = ACTIVATION_GRADS[self.activation](g, a)
        if self.lowering == "banded":
            gx, gw = self._backward_banded(g, w.data, x.requires_grad, w.requires_grad)
        else:
            gx, gw = self._backward_im2col(g, w.data, x.requires_grad, w.requires_grad)
        gx = None if gx is None else Tensor(from_nhwc(gx, self.data_format))
        gw = None if gw is None else Tensor(gw)
        if len(self.inputs) == 3:
            if not self.inputs[2].requires_grad:
                return gx, gw, None
            # column sums as a GEMV (much faster than g.sum(axis=0) for few filters)
            g2 = g.reshape(-1, w.shape[3])
            return gx, gw, Tensor(xp.ones(g2.shape[0], dtype=g.dtype) @ g2)
        return gx, gw

    def _backward_graph(self, gy):
        """dz = dy f'(z), dx = col2im(dz W^T), dW = im2col(x)^T dz, db = sum dz, as Tensor ops."""
        x, w = self.inputs[0], self.inputs[1]
        if self.activation is not None:
            gy = activation_backward_graph(self.activation, gy, self.output())
        kh, kw, cin, cout = w.shape
        first = self.data_format == "channels_first"
        x_nhwc = x.transpose(0, 2, 3, 1) if first else x
        g = (gy.transpose(0, 2, 3, 1) if first else gy).reshape(-1, cout)
        pad_h, pad_w, out_hw = self.pads
        geometry_args = ((kh, kw), self.strides, self.dilation, (pad_h, pad_w), out_hw)
        gx = gw = None
        if x.requires_grad:
            gcols = g @ w.reshape(kh * kw * cin, cout).T
            gx = Col2ImFunction(*geometry_args, x_nhwc.shape)(gcols)
            gx = gx.transpose(0, 3, 1, 2) if first else gx
        if w.requires_grad:
            gw = (Im2ColFunction(*geometry_args)(x_nhwc).T @ g).reshape(w.shape)
        if len(self.inputs) == 3:
            return gx, gw, (g.sum(axis=0) if self.inputs[2].requires_grad else None)
        return gx, gw

    # ---------------------------------------------------------------- im2col form
    def _forward_im2col(self, x, w, b):
        pad_h, pad_w, out_hw = self.pads
        # the fused copy for images with many channels; with few (<= 4), NumPy's
        # per-position copies of the transposed matrix below were faster (2-core AVX2)
        im2col = _fused("im2col", x, w) if x.shape[3] > MAX_K_MAJOR_CHANNELS else None
        if im2col is not None:  # one fused pass: padding and windows (pixel-major rows)
            kh, kw, cin, cout = w.shape
            n = x.shape[0]
            cols = xp.empty((n,) + tuple(out_hw) + (kh, kw, cin), dtype=x.dtype)
            im2col(xp.ascontiguousarray(x), cols, kh, kw, *self.strides, *self.dilation,
                   pad_h[0], pad_w[0])
            self.cols = cols.reshape(-1, kh * kw * cin)
            self.k_major, self.fused = False, True
            self.padded_shape = (n, x.shape[1] + sum(pad_h), x.shape[2] + sum(pad_w), cin)
            y = self.cols @ w.reshape(-1, cout)
            if b is not None:
                y += b
            return y
        self.fused = False
        xpad = pad_nhwc(x, pad_h, pad_w)
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
        col2im = _fused("col2im", g, w) if need_x and self.fused else None
        if col2im is not None:  # dL/dcols in one GEMM, added back by one fused col2im
            pad_h, pad_w, _ = self.pads
            n, hp, wp, _ = self.padded_shape
            gcols = (g @ w.reshape(-1, cout).T).reshape(n, *self.pads[2], kh, kw, cin)
            gx = xp.empty((n, hp - sum(pad_h), wp - sum(pad_w), cin), dtype=g.dtype)
            col2im(gcols, gx, *self.strides, *self.dilation, pad_h[0], pad_w[0])
        elif need_x:
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
                    index = position_slices(a, b, self.strides, self.dilation, (oh, ow))
                    gpad[index] += rows[b]
            gx = xp.ascontiguousarray(unpad(gpad.transpose(3, 1, 2, 0), pad_h, pad_w))
        return gx, gw

    # ---------------------------------------------------------------- banded form
    def _tile_geometry(self, kw, filters):
        """(T, tiles, tin): tile width, tiles per output row, input columns a tile reads."""
        ow = self.pads[2][1]
        tile = self.tile if self.tile is not None else band_tile(ow, kw, filters)
        if ow % tile:
            raise GlassnetValueError(
                f"conv2d: tile must divide the output width {ow}, got {tile}")
        s, d = self.strides[1], self.dilation[1]
        return tile, ow // tile, (tile - 1) * s + (kw - 1) * d + 1

    def _forward_banded(self, x, w, b):
        kh, kw, cin, cout = w.shape
        pad_h, pad_w, (oh, ow) = self.pads
        tile, tiles, tin = self._tile_geometry(kw, cout)
        n = x.shape[0]
        self.in_shape = x.shape
        (s_h, s_w), (d_h, _) = self.strides, self.dilation
        band_rows = _fused("band_rows", x, w)
        if band_rows is not None:  # the padding and the copy in one pass, the same values
            self.rows = xp.empty((n * oh * tiles, kh * tin * cin), dtype=x.dtype)
            band_rows(xp.ascontiguousarray(x), self.rows.reshape(n, oh, tiles, kh, tin * cin),
                      s_h, d_h, s_w * tile, pad_h[0], pad_w[0])
        else:
            xpad = xp.ascontiguousarray(pad_nhwc(x, pad_h, pad_w))
            sn, sh, sw, sc = xpad.strides
            view = xp.lib.stride_tricks.as_strided(
                xpad, (n, oh, tiles, kh, tin, cin),
                (sn, sh * s_h, sw * s_w * tile, sh * d_h, sw, sc), writeable=False)
            self.rows = view.reshape(n * oh * tiles, kh * tin * cin)  # a copy: a row per tile
        band = xp.zeros((kh, tin, cin, tile, cout), dtype=xp.result_type(x, w))
        q = xp.arange(tile)
        for kb in range(kw):
            band[:, q * s_w + kb * self.dilation[1], :, q, :] = w[:, kb]
        self.band = band.reshape(kh * tin * cin, tile * cout)
        y = self.rows @ self.band                        # (N*OH*tiles, T*filters) = NHWC rows
        if b is not None:
            y += xp.tile(b, tile)
        return y

    def _backward_banded(self, g, w, need_x, need_w):
        kh, kw, cin, cout = w.shape
        n, h, width, _ = self.in_shape
        pad_h, pad_w, (oh, ow) = self.pads
        tile, tiles, tin = self._tile_geometry(kw, cout)
        (s_h, s_w), (d_h, d_w) = self.strides, self.dilation
        g = g.reshape(n * oh * tiles, tile * cout)
        gw = None
        if need_w:
            gband = (self.rows.T @ g).reshape(kh, tin, cin, tile, cout)
            q = xp.arange(tile)
            gw = xp.empty(w.shape, dtype=gband.dtype)
            for kb in range(kw):
                gw[:, kb] = gband[:, q * s_w + kb * d_w, :, q, :].sum(axis=0)
        gx = None
        if need_x:
            grows = (g @ self.band.T).reshape(n, oh, tiles, kh, tin, cin)
            step = tile * s_w
            band_col2im = _fused("band_col2im", g, w)
            if band_col2im is not None:  # one pass, same additions in the same order
                gx = xp.empty(self.in_shape, dtype=g.dtype)
                band_col2im(grows, gx, s_h, d_h, step, pad_h[0], pad_w[0])
                return gx, gw
            # tile t's column p is padded column t*step + p; cut p into chunks of one step,
            # so that chunk k of every tile is added at once into column block t + k
            chunks = -(-tin // step)
            blocks = max(tiles + chunks - 1, -(-(width + sum(pad_w)) // step))
            gpad = xp.zeros((n, h + sum(pad_h), blocks, step, cin), dtype=g.dtype)
            for a in range(kh):
                rows = slice(a * d_h, a * d_h + s_h * (oh - 1) + 1, s_h)
                for k in range(chunks):
                    part = grows[:, :, :, a, k * step : (k + 1) * step]
                    gpad[:, rows, k : k + tiles, : part.shape[3]] += part
            gpad = gpad.reshape(n, gpad.shape[1], -1, cin)
            gx = xp.ascontiguousarray(
                gpad[:, pad_h[0] : pad_h[0] + h, pad_w[0] : pad_w[0] + width])
        return gx, gw


class Im2ColFunction(Function):
    """cols = im2col(x): one row per output pixel (n, i, j) holding its padded window,
    shape (N*OH*OW, kh*kw*C), for an NHWC input. Linear in x; its backward is col2im.
    """

    def __init__(self, kernel, strides, dilation, pads, out_hw):
        self.kernel, self.strides, self.dilation = kernel, strides, dilation
        self.pads, self.out_hw = pads, out_hw

    def forward(self, x):
        xpad = pad_nhwc(x, *self.pads)
        windows = window_view(xpad, self.kernel, self.strides, self.dilation, self.out_hw)
        return windows.reshape(-1, self.kernel[0] * self.kernel[1] * x.shape[3])

    def backward(self, gcols):
        args = (self.kernel, self.strides, self.dilation, self.pads, self.out_hw)
        return Col2ImFunction(*args, self.inputs[0].shape)(gcols)


class Col2ImFunction(Function):
    """x = col2im(cols): every row's window entries added back to the (unpadded) NHWC image
    of shape ``in_shape``; the adjoint of im2col, so its backward is im2col.
    """

    def __init__(self, kernel, strides, dilation, pads, out_hw, in_shape):
        self.kernel, self.strides, self.dilation = kernel, strides, dilation
        self.pads, self.out_hw, self.in_shape = pads, out_hw, tuple(in_shape)

    def forward(self, cols):
        n, h, w, c = self.in_shape
        (kh, kw), (oh, ow), (pad_h, pad_w) = self.kernel, self.out_hw, self.pads
        blocks = cols.reshape(n, oh, ow, kh, kw, c)
        gpad = xp.zeros((n, h + sum(pad_h), w + sum(pad_w), c), dtype=cols.dtype)
        for a in range(kh):
            for b in range(kw):
                index = position_slices(a, b, self.strides, self.dilation, self.out_hw)
                gpad[index] += blocks[:, :, :, a, b]
        return xp.ascontiguousarray(unpad(gpad, pad_h, pad_w))

    def backward(self, gx):
        args = (self.kernel, self.strides, self.dilation, self.pads, self.out_hw)
        return Im2ColFunction(*args)(gx)


def conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
           data_format=None, activation=None):
    """2-D convolution with Keras's arguments (kernel (kh, kw, in, filters)).

    y[n, i, j, o] = bias[o] + sum_{a, b, c} x_pad[n, i*s_h + a*d_h, j*s_w + b*d_w, c] W[a, b, c, o]

    With ``activation`` ('relu' or 'sigmoid'), f(y) as one op: the bias and f in one pass over
    the GEMM's result, and in backward dL/dy = dL/df f'(y) with its column sums (dL/dbias) in
    one pass. While a trace (``gn.trace``) records, the two ops run separately so that it shows
    y.

    Args:
        x: images, (N, H, W, C) for channels_last (default) or (N, C, H, W).
        kernel: (kh, kw, C, filters).
        bias: optional (filters,).
        strides, dilation_rate: int or pair.
        padding: 'valid', 'same' (Keras rules) or explicit ((top, bottom), (left, right)).
        data_format: 'channels_last' (None) or 'channels_first'.
        activation: None, 'relu' or 'sigmoid' (fused into the op).

    Returns:
        (N, OH, OW, filters) (or (N, filters, OH, OW)).

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.conv import conv2d
        >>> conv2d(np.ones((1, 4, 4, 1), np.float32), np.ones((3, 3, 1, 2), np.float32)).shape
        (1, 2, 2, 2)
    """
    if activation is not None and _op_hooks.items:
        return ACTIVATIONS[activation][2](conv2d(x, kernel, bias, strides, padding,
                                                 dilation_rate, data_format))
    op = Conv2DFunction(strides, padding, dilation_rate, data_format, activation=activation)
    if bias is None:
        return op(x, kernel)
    return op(x, kernel, bias)


def conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, data_format=None,
           activation=None):
    """1-D convolution over (N, steps, C) (or (N, C, steps)); kernel (k, C, filters).

    Computed as a conv2d with a height of 1 (``activation`` fused as in :func:`conv2d`).
    ``padding='causal'`` pads (k - 1) * d steps on the left, so output t only sees inputs <= t.

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
               data_format, activation)
    return y.squeeze(axis)


__all__ = [
    "Conv2DFunction", "Im2ColFunction", "Col2ImFunction", "conv2d", "conv1d",
    "choose_lowering",
]
