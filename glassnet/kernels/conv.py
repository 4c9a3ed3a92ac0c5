"""Fused convolution and pooling loops: im2col, col2im, max and average pooling, one pass each.

The NumPy reference lives in :mod:`glassnet.ops.conv` and :mod:`glassnet.ops.pooling`; these
kernels do the same arithmetic over NHWC, C-contiguous arrays, in parallel over the images
(``prange`` over the batch, nothing reduced across it):

* ``im2col``: cols[n, i, j, a, b, c] = x[n, i*s_h + a*d_h - top, j*s_w + b*d_w - left, c]
  (zero outside the image): the padding and the window copy in one pass.
* ``col2im``: gx[n, r, q, c] = sum of gcols[n, i, j, a, b, c] over the (i, j, a, b) that read
  (r, q), added in the reference's order (kernel position (a, b) outermost); the unpadding
  is the bounds check.
* ``band_rows``: the banded convolution's input rows (the padding and the copy in one pass).
* ``band_col2im``: the banded convolution's dL/dX rows added back to the image (the same
  order of additions as the reference's strided adds).
* ``max_pool_forward``: y = the maximum of each window (NaN propagates, as ``np.maximum``;
  padded cells are -inf) and ``index`` = the window position a*pool_w + b that takes the
  gradient: the first maximum in column-major order (for windows that tile the input, the
  reference's two-stage rule, which differs from it only when a window holds NaN).
* ``max_pool_2x2_forward`` / ``max_pool_2x2_backward``: the same for unpadded 2x2 windows at
  stride 2 (the common case), the four cells in registers and the channel loop innermost.
* ``max_pool_backward``: dL/dx = dL/dy at each window's ``index``, dL/dy * 0 at its other
  cells (so NaN and signed zeros come out as the reference's ``g * mask``).
* ``max_pool_gather``: its adjoint, the double-backward's gather.
* ``avg_pool_forward`` / ``avg_pool_backward``: window sums times ``scale`` (1 / count), in
  the reference's order of additions; dL/dx = dL/dy * scale spread over each window.
"""

import numpy as np
from numba import prange

from glassnet.kernels import kernel as _kernel

# Parallel only from 4M elements: these loops are copies and compares, and on 2 vCPUs their
# parallel builds lost to the serial ones between multi-threaded GEMMs (the CIFAR-10 CNN
# trained 11 % faster, 6.25 against 7.04 s per 100 batches, with the conv kernels serial).
PARALLEL_SIZE = 1 << 22
kernel = _kernel(min_parallel_size=PARALLEL_SIZE)


@kernel
def im2col(x, cols, kh, kw, sh, sw, dh, dw, top, left):
    """cols (N, OH, OW, kh, kw, C) from x (N, H, W, C): every output pixel's window."""
    n_images, height, width, channels = x.shape
    oh, ow = cols.shape[1], cols.shape[2]
    for n in prange(n_images):
        for i in range(oh):
            for j in range(ow):
                for a in range(kh):
                    r = i * sh + a * dh - top
                    for b in range(kw):
                        q = j * sw + b * dw - left
                        if 0 <= r < height and 0 <= q < width:
                            for c in range(channels):
                                cols[n, i, j, a, b, c] = x[n, r, q, c]
                        else:
                            for c in range(channels):
                                cols[n, i, j, a, b, c] = 0.0


@kernel
def col2im(gcols, gx, sh, sw, dh, dw, top, left):
    """gx (N, H, W, C) = the sum of gcols (N, OH, OW, kh, kw, C) over the windows (col2im)."""
    n_images, height, width, channels = gx.shape
    oh, ow, kh, kw = gcols.shape[1], gcols.shape[2], gcols.shape[3], gcols.shape[4]
    for n in prange(n_images):
        for r in range(height):
            for q in range(width):
                for c in range(channels):
                    gx[n, r, q, c] = 0.0
        for a in range(kh):
            for b in range(kw):
                for i in range(oh):
                    r = i * sh + a * dh - top
                    if r < 0 or r >= height:
                        continue
                    for j in range(ow):
                        q = j * sw + b * dw - left
                        if 0 <= q < width:
                            for c in range(channels):
                                gx[n, r, q, c] += gcols[n, i, j, a, b, c]


@kernel
def band_rows(x, rows, sh, dh, step, top, left):
    """rows (N, OH, tiles, kh, tin*C) of the banded form from x (N, H, W, C): tile t of output
    row i, kernel row a holds the tin padded pixels (i*sh + a*dh, t*step + p), p < tin, of
    all C channels (zero outside the image): the padding and the copy in one pass.

    Each (tile, kernel row) is one contiguous run of (columns x channels) of an image row,
    zeros at its ends where the tile reaches into the padding.
    """
    n_images, height, width, channels = x.shape
    oh, tiles, kh, run = rows.shape[1], rows.shape[2], rows.shape[3], rows.shape[4]
    tin = run // channels
    src = x.reshape(n_images, height, width * channels)
    for n in prange(n_images):
        for i in range(oh):
            for t in range(tiles):
                q0 = t * step - left  # image column of the tile's padded column 0
                lo = min(max(0, -q0), tin)
                hi = max(lo, min(tin, width - q0))
                for a in range(kh):
                    r = i * sh + a * dh - top
                    out = rows[n, i, t, a]
                    if r < 0 or r >= height:
                        hi_r = lo
                    else:
                        hi_r = hi
                    for e in range(lo * channels):
                        out[e] = 0.0
                    # views, so that the loop index is known non-negative (vector lanes)
                    seg = out[lo * channels : hi_r * channels]
                    row = src[n, min(max(r, 0), height - 1)]
                    part = row[(q0 + lo) * channels : (q0 + hi_r) * channels]
                    for e in range(seg.shape[0]):
                        seg[e] = part[e]
                    for e in range(hi_r * channels, run):
                        out[e] = 0.0


@kernel
def band_col2im(grows, gx, sh, dh, step, top, left):
    """gx (N, H, W, C) = the banded form's dL/dX (N, OH, tiles, kh, tin, C) added back: tile t
    of output row i, kernel row a, column p reads padded pixel (i*sh + a*dh, t*step + p).

    The additions run in the reference's order (kernel row a outermost, then the chunks of
    ``step`` columns of each tile), so the result has the same bits; the unpadding is the
    bounds check. Each chunk is one contiguous run of (columns x channels) in both arrays.
    """
    n_images, height, width, channels = gx.shape
    oh, tiles, kh, tin = grows.shape[1], grows.shape[2], grows.shape[3], grows.shape[4]
    chunks = (tin + step - 1) // step
    src = grows.reshape(n_images, oh, tiles, kh, tin * channels)
    dst = gx.reshape(n_images, height, width * channels)
    for n in prange(n_images):
        image = dst[n]
        for r in range(height):
            row = image[r]
            for e in range(width * channels):
                row[e] = 0.0
        for a in range(kh):
            for k in range(chunks):
                for i in range(oh):
                    r = i * sh + a * dh - top
                    if r < 0 or r >= height:
                        continue
                    row = image[r]
                    for t in range(tiles):
                        q0 = t * step - left  # image column of the tile's padded column 0
                        lo = max(k * step, -q0)
                        hi = min((k + 1) * step, tin, width - q0)
                        if hi <= lo:
                            continue
                        # views, so that the loop index is known non-negative (vector lanes)
                        out = row[(q0 + lo) * channels : (q0 + hi) * channels]
                        part = src[n, i, t, a, lo * channels : hi * channels]
                        for e in range(out.shape[0]):
                            out[e] += part[e]


@kernel
def max_pool_forward(x, y, index, nan, ph, pw, sh, sw, top, left, tiled, ninf):
    """y (N, OH, OW, C) = max over each window of x; index = the position taking the gradient.

    The window is walked in column-major order with a strict ``>``, so ``index`` is the first
    maximum in column-major order (the reference's rule; padded cells are -inf, so a window
    whose real cells are all -inf sends its gradient to its first cell, padded or not, as
    the reference does). Windows holding NaN take NaN (as np.maximum) and the reference's
    rule for it in a second pass: the last cell, or for windows that tile x (``tiled``) the
    two-stage rule (the last column; in it the first row equal to its maximum, else the last
    row). ``nan`` is a (N, C) boolean scratch array; ``ninf`` is -inf in x's dtype.
    """
    n_images, height, width, channels = x.shape
    oh, ow = y.shape[1], y.shape[2]
    for n in prange(n_images):
        for i in range(oh):
            r0 = i * sh - top
            for j in range(ow):
                q0 = j * sw - left
                if channels < 16:  # few channels: each lane's window in registers
                    for c in range(channels):
                        m = ninf
                        best = 0
                        seen_nan = False
                        for b in range(pw):
                            q = q0 + b
                            if q < 0 or q >= width:
                                continue
                            for a in range(ph):
                                r = r0 + a
                                if r < 0 or r >= height:
                                    continue
                                v = x[n, r, q, c]
                                bigger = np.int64(v > m)  # arithmetic: no branch to mispredict
                                best += bigger * (a * pw + b - best)
                                m = max(v, m)
                                seen_nan |= v != v
                        y[n, i, j, c] = m
                        index[n, i, j, c] = best
                        nan[n, c] = seen_nan
                else:  # many channels: vector lanes over c, the window walked once
                    for c in range(channels):
                        y[n, i, j, c] = ninf
                        index[n, i, j, c] = 0
                        nan[n, c] = False
                    for b in range(pw):
                        q = q0 + b
                        if q < 0 or q >= width:
                            continue
                        for a in range(ph):
                            r = r0 + a
                            if r < 0 or r >= height:
                                continue
                            p = a * pw + b
                            for c in range(channels):
                                v = x[n, r, q, c]
                                m = y[n, i, j, c]
                                bigger = v > m
                                y[n, i, j, c] = v if bigger else m
                                index[n, i, j, c] = p if bigger else index[n, i, j, c]
                                nan[n, c] |= v != v
                for c in range(channels):
                    if nan[n, c]:  # the reference's rule for windows holding NaN
                        y[n, i, j, c] = np.nan
                        pick = ph - 1
                        if tiled:
                            q = q0 + pw - 1
                            cm = x[n, r0, q, c]
                            for a in range(1, ph):
                                v = x[n, r0 + a, q, c]
                                if cm == cm and (v > cm or v != v):
                                    cm = v
                            for a in range(ph):
                                if x[n, r0 + a, q, c] == cm:
                                    pick = a
                                    break
                        index[n, i, j, c] = pick * pw + pw - 1


@kernel
def max_pool_2x2_forward(x, y, index, tiled):
    """Max pooling over 2x2 windows at stride 2, unpadded (x (N, H, W, C), H >= 2*OH and
    W >= 2*OW: a last odd row or column is cropped), all four cells in registers and the loop
    over channels innermost (vector lanes at any channel count).

    The reference's rule, written out: the column maxima c0 = max(x00, x10) and
    c1 = max(x01, x11) (``np.maximum``: ties keep the first, NaN propagates), y = max(c0, c1);
    the gradient goes to column b = 0 if c0 == y else 1, and in it to row a = 0 if its top
    cell equals the column's maximum else 1 (the first maximum in column-major order):
    index = a * 2 + b. A window holding NaN sends it, for windows that tile x (``tiled``), to
    the last column's first row equal to its maximum, else to its last row (the two-stage
    rule); for cropped windows to the last cell (3).
    """
    n_images, oh, ow, channels = y.shape
    for n in prange(n_images):
        for i in range(oh):
            for j in range(ow):
                for c in range(channels):
                    x00 = x[n, 2 * i, 2 * j, c]
                    x10 = x[n, 2 * i + 1, 2 * j, c]
                    x01 = x[n, 2 * i, 2 * j + 1, c]
                    x11 = x[n, 2 * i + 1, 2 * j + 1, c]
                    # branch-free (ReLU outputs tie often): & and | instead of and/or,
                    # the position as arithmetic on 0/1
                    c0 = x00 if ((x00 >= x10) | (x00 != x00)) else x10
                    c1 = x01 if ((x01 >= x11) | (x01 != x01)) else x11
                    m = c0 if ((c0 >= c1) | (c0 != c0)) else c1
                    left = np.int64(c0 == m)
                    top = left * np.int64(x00 == c0) + (1 - left) * np.int64(x01 == c1)
                    p = 3 - 2 * top - left
                    cropped_nan = np.int64((m != m) & (not tiled))
                    y[n, i, j, c] = m
                    index[n, i, j, c] = p + cropped_nan * (3 - p)


@kernel
def max_pool_2x2_backward(g, index, gx, zero):
    """gx (N, H, W, C): each 2x2 window's g at its ``index``, g * 0 at its other three cells,
    one row of gx at a time; a cropped last row or column gets zeros."""
    n_images, oh, ow, channels = g.shape
    height, width = gx.shape[1], gx.shape[2]
    for n in prange(n_images):
        for i in range(oh):
            for a in range(2):
                r = 2 * i + a
                for j in range(ow):
                    for b in range(2):
                        p = a * 2 + b
                        q = 2 * j + b
                        for c in range(channels):
                            gv = g[n, i, j, c]
                            gx[n, r, q, c] = gv if index[n, i, j, c] == p else gv * zero
                for q in range(2 * ow, width):
                    for c in range(channels):
                        gx[n, r, q, c] = 0.0
        for r in range(2 * oh, height):
            for q in range(width):
                for c in range(channels):
                    gx[n, r, q, c] = 0.0


@kernel
def max_pool_backward(g, index, gx, ph, pw, sh, sw, top, left, accumulate, zero):
    """gx (N, H, W, C): g at each window's ``index``, g * 0 at its other cells.

    ``accumulate``: windows overlap, so contributions are added (else each window's cells are
    written once), position by position in the reference's (column-major) order; gx is zeroed
    first, as cells outside every window get no gradient.
    """
    n_images, height, width, channels = gx.shape
    oh, ow = g.shape[1], g.shape[2]
    for n in prange(n_images):
        for r in range(height):
            for q in range(width):
                for c in range(channels):
                    gx[n, r, q, c] = 0.0
        for b in range(pw):
            for a in range(ph):
                p = a * pw + b
                for i in range(oh):
                    r = i * sh + a - top
                    if r < 0 or r >= height:
                        continue
                    for j in range(ow):
                        q = j * sw + b - left
                        if q < 0 or q >= width:
                            continue
                        for c in range(channels):
                            gv = g[n, i, j, c]
                            v = gv if index[n, i, j, c] == p else gv * zero
                            if accumulate:
                                gx[n, r, q, c] += v
                            else:
                                gx[n, r, q, c] = v


@kernel
def max_pool_gather(gx, index, gy, ph, pw, sh, sw, top, left, zero):
    """gy (N, OH, OW, C) = the sum over each window of gx * (position == index), column-major
    (the adjoint of :func:`max_pool_backward`; padded cells hold zeros)."""
    n_images, height, width, channels = gx.shape
    oh, ow = gy.shape[1], gy.shape[2]
    for n in prange(n_images):
        for i in range(oh):
            for j in range(ow):
                for c in range(channels):
                    gy[n, i, j, c] = 0.0
                for b in range(pw):
                    q = j * sw + b - left
                    for a in range(ph):
                        r = i * sh + a - top
                        inside = 0 <= r < height and 0 <= q < width
                        p = a * pw + b
                        for c in range(channels):
                            v = gx[n, r, q, c] if inside else zero
                            gy[n, i, j, c] += v if index[n, i, j, c] == p else v * zero


@kernel
def avg_pool_forward(x, scale, y, ph, pw, sh, sw, top, left, tiled, zero):
    """y (N, OH, OW, C) = the sum over each window (padded cells are zeros) times scale.

    ``scale`` is (1, OH, OW, 1) (1 / the count of real cells) or (1, 1, 1, 1). The additions
    run in the reference's order: row-major over the window, or for ``tiled`` windows down
    each column first, then across the column sums.
    """
    n_images, height, width, channels = x.shape
    oh, ow = y.shape[1], y.shape[2]
    per_pixel = scale.shape[1] > 1
    for n in prange(n_images):
        for i in range(oh):
            for j in range(ow):
                s = scale[0, i, j, 0] if per_pixel else scale[0, 0, 0, 0]
                if tiled:
                    for c in range(channels):
                        total = x[n, i * sh, j * sw, c]
                        for a in range(1, ph):
                            total += x[n, i * sh + a, j * sw, c]
                        for b in range(1, pw):
                            column = x[n, i * sh, j * sw + b, c]
                            for a in range(1, ph):
                                column += x[n, i * sh + a, j * sw + b, c]
                            total += column
                        y[n, i, j, c] = total * s
                else:
                    for a in range(ph):
                        r = i * sh + a - top
                        for b in range(pw):
                            q = j * sw + b - left
                            inside = 0 <= r < height and 0 <= q < width
                            for c in range(channels):
                                v = x[n, r, q, c] if inside else zero
                                if a == 0 and b == 0:
                                    y[n, i, j, c] = v
                                else:
                                    y[n, i, j, c] += v
                    for c in range(channels):
                        y[n, i, j, c] *= s


@kernel
def avg_pool_backward(g, scale, gx, ph, pw, sh, sw, top, left, accumulate):
    """gx (N, H, W, C) = g * scale spread over each window (added where windows overlap, one
    window position at a time in row-major order, as the reference)."""
    n_images, height, width, channels = gx.shape
    oh, ow = g.shape[1], g.shape[2]
    per_pixel = scale.shape[1] > 1
    for n in prange(n_images):
        for r in range(height):
            for q in range(width):
                for c in range(channels):
                    gx[n, r, q, c] = 0.0
        for a in range(ph):
            for b in range(pw):
                for i in range(oh):
                    r = i * sh + a - top
                    if r < 0 or r >= height:
                        continue
                    for j in range(ow):
                        q = j * sw + b - left
                        if q < 0 or q >= width:
                            continue
                        s = scale[0, i, j, 0] if per_pixel else scale[0, 0, 0, 0]
                        for c in range(channels):
                            if accumulate:
                                gx[n, r, q, c] += g[n, i, j, c] * s
                            else:
                                gx[n, r, q, c] = g[n, i, j, c] * s
