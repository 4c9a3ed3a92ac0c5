"""Tests for glassnet.ops.conv (conv2d/conv1d) and glassnet.ops.pooling (max/avg, global)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.ops.conv import Conv2DFunction, band_tile, choose_lowering, conv1d, conv2d
from glassnet.ops.pooling import (
    avg_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool1d,
    max_pool2d,
)
from tests.conftest import assert_gradcheck, f64


def tf_same_pads(size, k, stride, dilation):
    """TensorFlow's documented 'same' rule: out = ceil(size/stride), extra pixel after."""
    eff = (k - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def naive_conv2d(x, w, b, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """Loop-by-loop cross-correlation in NHWC, kernel (kh, kw, in, out)."""
    n, h, wd, c = x.shape
    kh, kw, _, o = w.shape
    if padding == "same":
        ph = tf_same_pads(h, kh, strides[0], dilation[0])
        pw = tf_same_pads(wd, kw, strides[1], dilation[1])
    else:
        ph = pw = (0, 0)
    xp_ = np.zeros((n, h + sum(ph), wd + sum(pw), c))
    xp_[:, ph[0]:ph[0] + h, pw[0]:pw[0] + wd] = x
    oh = (xp_.shape[1] - (kh - 1) * dilation[0] - 1) // strides[0] + 1
    ow = (xp_.shape[2] - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    y = np.zeros((n, oh, ow, o))
    for bi in range(n):
        for i in range(oh):
            for j in range(ow):
                for f in range(o):
                    total = 0.0 if b is None else b[f]
                    for a in range(kh):
                        for bb in range(kw):
                            for ch in range(c):
                                total += (xp_[bi, i * strides[0] + a * dilation[0],
                                              j * strides[1] + bb * dilation[1], ch]
                                          * w[a, bb, ch, f])
                    y[bi, i, j, f] = total
    return y


@pytest.mark.parametrize(
    "strides,padding,dilation,hw",
    [((1, 1), "valid", (1, 1), (5, 6)),
     ((1, 1), "same", (1, 1), (5, 6)),
     ((2, 2), "same", (1, 1), (5, 6)),
     ((2, 1), "valid", (1, 1), (6, 5)),
     ((1, 1), "valid", (2, 2), (6, 6)),
     ((1, 1), "same", (2, 1), (5, 4)),
     ((3, 2), "same", (1, 1), (7, 4))],
)
@pytest.mark.parametrize("lowering", ["im2col", "banded"])
def test_conv2d_matches_naive_loops(rng, strides, padding, dilation, hw, lowering):
    x = rng.normal(size=(2, *hw, 3))
    w = rng.normal(size=(3, 2, 3, 4))  # even kernel width exercises the asymmetric 'same'
    b = rng.normal(size=4)
    op = Conv2DFunction(strides, padding, dilation, lowering=lowering)
    np.testing.assert_allclose(op(x, w, b).data, naive_conv2d(x, w, b, strides, padding, dilation),
                               rtol=1e-10, atol=1e-10)
    assert op.lowering == lowering
    assert_gradcheck(lambda x, w, b: Conv2DFunction(strides, padding, dilation,
                                                    lowering=lowering)(x, w, b),
                     f64(rng, 1, *hw, 3), f64(rng, 3, 2, 3, 2), f64(rng, 2))


@pytest.mark.parametrize("lowering", ["im2col", "banded"])
def test_conv2d_lowerings_channels_first_and_frozen_input(rng, lowering):
    x = rng.normal(size=(2, 3, 6, 5))  # channels_first
    w = gn.tensor(rng.normal(size=(3, 3, 3, 2)), requires_grad=True)
    y = Conv2DFunction(2, "same", 1, "channels_first", lowering=lowering)(x, w)
    expected = naive_conv2d(x.transpose(0, 2, 3, 1), w.data, None, (2, 2), "same")
    np.testing.assert_allclose(y.data, expected.transpose(0, 3, 1, 2), rtol=1e-10, atol=1e-12)
    y.sum().backward()  # the input takes no gradient: only dW is computed
    ref = gn.tensor(w.data, requires_grad=True)
    Conv2DFunction(2, "same", 1, "channels_first", lowering="im2col")(x, ref).sum().backward()
    np.testing.assert_allclose(w.grad.data, ref.grad.data, rtol=1e-10)
    assert_gradcheck(
        lambda x, w: Conv2DFunction(1, "valid", (1, 2), "channels_first", lowering=lowering)(x, w),
        f64(rng, 2, 2, 4, 6), f64(rng, 2, 2, 2, 3))


@pytest.mark.parametrize("tile", [1, 2, 3, 6])
@pytest.mark.parametrize(
    "strides,padding,dilation,width",  # each width gives an output 6 columns wide
    [((1, 1), "same", (1, 1), 6), ((1, 2), "valid", (1, 1), 14), ((2, 1), "same", (1, 2), 6),
     ((1, 1), "valid", (1, 3), 12)])
def test_banded_tiles_match_naive_loops(rng, tile, strides, padding, dilation, width):
    # every tile width T (T = 1: im2col rows; T = OW: one band per row) gives the same
    # values and gradients
    x = rng.normal(size=(2, 5, width, 3))
    w = rng.normal(size=(2, 3, 3, 4))
    b = rng.normal(size=4)
    expected = naive_conv2d(x, w, b, strides, padding, dilation)
    assert expected.shape[2] == 6
    op = Conv2DFunction(strides, padding, dilation, lowering="banded", tile=tile)
    np.testing.assert_allclose(op(x, w, b).data, expected, rtol=1e-10, atol=1e-10)
    assert_gradcheck(lambda x, w, b: Conv2DFunction(strides, padding, dilation,
                                                    lowering="banded", tile=tile)(x, w, b),
                     f64(rng, 1, 5, width, 3), f64(rng, 2, 3, 3, 2), f64(rng, 2))


def test_band_tile_rule_and_bad_tiles():
    assert band_tile(28, 5, 6) == 7 and band_tile(10, 5, 16) == 5  # LeNet's convolutions
    assert band_tile(28, 5) == 4 and band_tile(28, 5, 8) == 4  # target kw - 1 (32 columns)
    assert band_tile(13, 3) == 1 and band_tile(30, 3) == 2 and band_tile(6, 5) == 3
    assert band_tile(30, 3, 4) == 10 and band_tile(30, 3, 1) == 30  # 8, 32 columns wanted
    x, w = np.zeros((1, 6, 6, 1)), np.zeros((3, 3, 1, 2))
    with pytest.raises(GlassnetValueError, match="tile must divide the output width 4"):
        Conv2DFunction(lowering="banded", tile=3)(x, w)
    with pytest.raises(GlassnetValueError, match="tile: expected None or a positive int"):
        Conv2DFunction(tile=0)


def test_choose_lowering():
    # LeNet-5 on MNIST: both convolutions are narrow with few channels -> banded
    assert choose_lowering(28, 5, 1, 6) == "banded"
    assert choose_lowering(14, 5, 6, 16) == "banded"
    # wide images or many channels -> im2col
    assert choose_lowering(32, 3, 3, 32) == "im2col"
    assert choose_lowering(16, 3, 32, 64) == "im2col"
    assert choose_lowering(1000, 3, 1, 4) == "im2col"
    x, w = np.zeros((1, 28, 28, 1)), np.zeros((5, 5, 1, 6))
    op = Conv2DFunction(padding="same")
    op(x, w)
    assert op.lowering == "banded"
    with pytest.raises(GlassnetValueError, match="lowering"):
        Conv2DFunction(lowering="fft")


def test_same_padding_even_kernel_puts_extra_pixel_after():
    # 2x2 ones kernel on a 3x3 image, 'same': total pad 1 -> 0 before, 1 after (bottom/right).
    x = np.arange(9.0).reshape(1, 3, 3, 1)
    y = conv2d(x, np.ones((2, 2, 1, 1)), padding="same").data[0, :, :, 0]
    expected = np.array([[0 + 1 + 3 + 4, 1 + 2 + 4 + 5, 2 + 5],
                         [3 + 4 + 6 + 7, 4 + 5 + 7 + 8, 5 + 8],
                         [6 + 7, 7 + 8, 8]])
    np.testing.assert_array_equal(y, expected)


def test_conv2d_channels_first_is_transposed_channels_last(rng):
    x = rng.normal(size=(2, 5, 6, 3))
    w = rng.normal(size=(3, 3, 3, 4))
    last = conv2d(x, w, strides=2, padding="same").data
    first = conv2d(x.transpose(0, 3, 1, 2), w, strides=2, padding="same",
                   data_format="channels_first").data
    np.testing.assert_allclose(first, last.transpose(0, 3, 1, 2), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(padding="same"), dict(strides=2, padding="same"), dict(dilation_rate=2),
     dict(strides=(2, 1)), dict(padding="same", data_format="channels_first")],
)
def test_conv2d_gradcheck(rng, kwargs):
    fmt = kwargs.get("data_format")
    x = f64(rng, 2, 3, 5, 6) if fmt == "channels_first" else f64(rng, 2, 5, 6, 3)
    assert_gradcheck(lambda x, w, b: conv2d(x, w, b, **kwargs), x, f64(rng, 3, 2, 3, 4),
                     f64(rng, 4))


def test_conv2d_without_bias_and_frozen_input(rng):
    x = gn.tensor(rng.normal(size=(1, 4, 4, 2)))  # no requires_grad: no input gradient
    w = gn.tensor(rng.normal(size=(2, 2, 2, 3)), requires_grad=True)
    conv2d(x, w).sum().backward()
    assert x.grad is None
    # d(sum y)/dW[a, b, c, o] = sum over output pixels of the input it multiplies
    expected = np.stack([np.stack([x.data[0, a:a + 3, bb:bb + 3, :].sum(axis=(0, 1))
                                   for bb in range(2)]) for a in range(2)])
    np.testing.assert_allclose(w.grad.data, np.repeat(expected[..., None], 3, axis=-1))


def test_conv2d_keeps_float32(rng):
    x = rng.normal(size=(2, 6, 6, 3)).astype(np.float32)
    w = gn.tensor(rng.normal(size=(3, 3, 3, 4)).astype(np.float32), requires_grad=True)
    b = gn.tensor(np.zeros(4, np.float32), requires_grad=True)
    y = conv2d(x, w, b, padding="same")
    y.sum().backward()
    assert y.dtype == np.float32 and w.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_conv2d_errors():
    with pytest.raises(ShapeError, match="4-D input"):
        conv2d(np.zeros((5, 5, 3)), np.zeros((3, 3, 3, 2)))
    with pytest.raises(ShapeError, match="channels"):
        conv2d(np.zeros((1, 5, 5, 2)), np.zeros((3, 3, 3, 2)))
    with pytest.raises(ShapeError, match="does not fit"):
        conv2d(np.zeros((1, 2, 2, 3)), np.zeros((3, 3, 3, 2)))
    with pytest.raises(GlassnetValueError, match="padding"):
        conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3, 2)), padding="full")
    with pytest.raises(GlassnetValueError, match="strides"):
        conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3, 2)), strides=0)


def test_conv1d_matches_naive_and_causal(rng):
    x = rng.normal(size=(2, 7, 3))
    w = rng.normal(size=(3, 3, 2))
    b = rng.normal(size=2)
    y = conv1d(x, w, b, dilation_rate=2, padding="causal").data
    expected = np.zeros((2, 7, 2))
    for t in range(7):
        expected[:, t] = b
        for a in range(3):
            src = t - (2 - a) * 2  # causal: tap a looks (k-1-a)*d steps back
            if src >= 0:
                expected[:, t] += x[:, src] @ w[a]
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12)
    valid = conv1d(x, w, strides=2).data
    ref = np.stack([sum(x[:, 2 * t + a] @ w[a] for a in range(3)) for t in range(3)], axis=1)
    np.testing.assert_allclose(valid, ref, rtol=1e-10)


def test_conv1d_gradcheck(rng):
    assert_gradcheck(lambda x, w, b: conv1d(x, w, b, padding="same", strides=2),
                     f64(rng, 2, 7, 3), f64(rng, 3, 3, 2), f64(rng, 2))
    assert_gradcheck(lambda x, w: conv1d(x, w, padding="causal", data_format="channels_first"),
                     f64(rng, 2, 3, 6), f64(rng, 2, 3, 2))


def naive_pool(x, pool, strides, padding, kind):
    n, h, w, c = x.shape
    if padding == "same":
        ph, pw = tf_same_pads(h, pool[0], strides[0], 1), tf_same_pads(w, pool[1], strides[1], 1)
    else:
        ph = pw = (0, 0)
    oh = (h + sum(ph) - pool[0]) // strides[0] + 1
    ow = (w + sum(pw) - pool[1]) // strides[1] + 1
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * strides[0] - ph[0], j * strides[1] - pw[0]
            win = x[:, max(r0, 0):r0 + pool[0], max(c0, 0):c0 + pool[1]]  # padding excluded
            y[:, i, j] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return y


@pytest.mark.parametrize(
    "pool,strides,padding",
    [((2, 2), None, "valid"), ((2, 2), None, "same"), ((3, 3), (2, 2), "valid"),
     ((3, 3), (1, 1), "same"), ((2, 3), (1, 2), "same"), ((2, 2), (2, 2), "valid")],
)
def test_pooling_matches_naive(rng, pool, strides, padding):
    x = rng.normal(size=(2, 5, 7, 3))
    s = pool if strides is None else strides
    np.testing.assert_allclose(max_pool2d(x, pool, strides, padding).data,
                               naive_pool(x, pool, s, padding, "max"))
    np.testing.assert_allclose(avg_pool2d(x, pool, strides, padding).data,
                               naive_pool(x, pool, s, padding, "avg"), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs", [dict(), dict(padding="same"), dict(pool_size=3, strides=2),
               dict(pool_size=3, strides=1, padding="same"),
               dict(pool_size=2, data_format="channels_first")])
def test_pooling_gradcheck(rng, kwargs):
    x = f64(rng, 2, 5, 6, 3)
    assert_gradcheck(lambda x: max_pool2d(x, **kwargs), x)
    assert_gradcheck(lambda x: avg_pool2d(x, **kwargs), x)


def test_max_pool_gradient_goes_to_the_argmax_only():
    x = gn.tensor(np.array([[1.0, 5.0], [5.0, 2.0]]).reshape(1, 2, 2, 1), requires_grad=True)
    max_pool2d(x).sum().backward()
    # a tie: one position (the first maximum in column-major order) takes the whole gradient
    np.testing.assert_array_equal(x.grad.data.ravel(), [0.0, 0.0, 1.0, 0.0])
    x = gn.tensor(np.arange(16.0).reshape(1, 4, 4, 1), requires_grad=True)
    max_pool2d(x).sum().backward()
    expected = np.zeros(16)
    expected[[5, 7, 13, 15]] = 1.0
    np.testing.assert_array_equal(x.grad.data.ravel(), expected)


def test_pool_crops_odd_border_and_1d(rng):
    x = rng.normal(size=(1, 5, 5, 2))
    y = max_pool2d(x).data
    assert y.shape == (1, 2, 2, 2)
    np.testing.assert_allclose(y[0, 1, 1], x[0, 2:4, 2:4].max(axis=(0, 1)))
    seq = rng.normal(size=(2, 6, 3))
    np.testing.assert_allclose(max_pool1d(seq, 3).data,
                               seq.reshape(2, 2, 3, 3).max(axis=2))


def test_global_pooling(rng):
    x = rng.normal(size=(2, 3, 4, 5))
    np.testing.assert_allclose(global_avg_pool2d(x).data, x.mean(axis=(1, 2)))
    np.testing.assert_allclose(global_max_pool2d(x, data_format="channels_first").data,
                               x.max(axis=(2, 3)))
    assert global_avg_pool2d(x, keepdims=True).shape == (2, 1, 1, 5)
    assert_gradcheck(lambda x: global_avg_pool2d(x), f64(rng, 2, 3, 3, 2))


@pytest.mark.parametrize("channels", [1, 6])
def test_conv2d_both_im2col_layouts(rng, channels):
    # few channels use the transposed (kernel-major) im2col matrix, many the row-major one
    x = rng.normal(size=(2, 5, 5, channels))
    w = rng.normal(size=(3, 3, channels, 2))
    b = rng.normal(size=2)
    np.testing.assert_allclose(conv2d(x, w, b, strides=2, padding="same").data,
                               naive_conv2d(x, w, b, (2, 2), "same"), rtol=1e-10, atol=1e-12)
    assert_gradcheck(lambda x, w: conv2d(x, w, padding="same", dilation_rate=2),
                     f64(rng, 1, 5, 5, channels), f64(rng, 2, 2, channels, 2))


def naive_max_pool_gradient(x, g, pool, strides):
    """Loop reference ('valid'): each window's gradient goes to its first maximum, scanning
    the window column by column (column-major), as documented in MaxPool2D."""
    gx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for i in range(g.shape[1]):
            for j in range(g.shape[2]):
                for c in range(x.shape[3]):
                    r0, c0 = i * strides[0], j * strides[1]
                    window = x[n, r0:r0 + pool[0], c0:c0 + pool[1], c]
                    b, a = divmod(int(np.argmax(window.T)), pool[0])  # first in column order
                    gx[n, r0 + a, c0 + b, c] += g[n, i, j, c]
    return gx


@pytest.mark.parametrize(
    "shape,pool,strides",
    [((2, 6, 8, 3), (2, 2), (2, 2)),   # windows tile the input: two-stage path
     ((2, 6, 6, 2), (3, 2), (3, 2)),   # tiled, unequal pool sides
     ((2, 6, 8, 3), (2, 2), (1, 1)),   # overlapping windows: general path
     ((2, 7, 5, 2), (2, 2), (2, 2)),   # cropped border: general path
     ((2, 7, 7, 2), (3, 3), (2, 2))],  # overlapping
)
def test_max_pool_ties_and_values_match_naive_loops(rng, shape, pool, strides):
    # small integers: many ties, including windows whose maxima sit in (0, 1) and (1, 0)
    x = rng.integers(0, 3, size=shape).astype(float)
    xt = gn.tensor(x, requires_grad=True)
    y = max_pool2d(xt, pool, strides)
    np.testing.assert_array_equal(y.data, naive_pool(x, pool, strides, "valid", "max"))
    g = rng.normal(size=y.shape)
    (y * g).sum().backward()
    np.testing.assert_allclose(xt.grad.data, naive_max_pool_gradient(x, g, pool, strides),
                               rtol=1e-12)


@pytest.mark.parametrize("pool", [(2, 2), (2, 3), (1, 2), (4, 1)])
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_pooling_when_windows_tile_the_input(rng, pool, fmt):
    """Stride = pool size and sizes divisible: pooling runs on reshapes in two stages (its own
    code path); values against the loops, gradients against central differences."""
    x = rng.normal(size=(2, 4, 6, 3))
    for kind, fn in (("max", max_pool2d), ("avg", avg_pool2d)):
        expected = naive_pool(x, pool, pool, "valid", kind)
        if fmt == "channels_first":
            y = fn(x.transpose(0, 3, 1, 2), pool, data_format=fmt).data.transpose(0, 2, 3, 1)
        else:
            y = fn(x, pool).data
        np.testing.assert_allclose(y, expected, rtol=1e-12)
        shape = (2, 4, 6, 3) if fmt == "channels_last" else (2, 3, 4, 6)
        assert_gradcheck(lambda x, fn=fn: fn(x, pool, data_format=fmt), f64(rng, *shape))


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lowering,cin,data_format", [
    ("im2col", 3, "channels_last"),     # kernel-major columns (few channels)
    ("im2col", 6, "channels_last"),     # pixel-major columns (the fused im2col kernel)
    ("banded", 2, "channels_last"),
    ("banded", 3, "channels_first")])
@pytest.mark.parametrize("accelerator", ["numpy", "auto"])
def test_conv2d_activation_equals_conv_then_activation(activation, dtype, lowering, cin,
                                                       data_format, accelerator):
    from glassnet.config import using_config
    from glassnet.ops import nn

    rng = np.random.default_rng(5)
    shape = (3, 7, 8, cin) if data_format == "channels_last" else (3, cin, 7, 8)
    x0 = rng.standard_normal(shape).astype(dtype)
    w0 = rng.standard_normal((3, 3, cin, 5)).astype(dtype)
    b0 = rng.standard_normal(5).astype(dtype)
    act = nn.relu if activation == "relu" else nn.sigmoid
    results = []
    with using_config("accelerator", accelerator):
        for fused in (False, True):
            x, w, b = (gn.Tensor(a.copy(), requires_grad=True) for a in (x0, w0, b0))
            op = Conv2DFunction(1, "same", 1, data_format, lowering=lowering,
                                activation=activation if fused else None)
            y = op(x, w, b) if fused else act(op(x, w, b))
            gy = np.random.default_rng(6).standard_normal(y.shape).astype(dtype)
            y.backward(gy)
            assert y.dtype == dtype and x.grad.dtype == dtype
            results.append((y.data, x.grad.data, w.grad.data, b.grad.data))
    for unfused, fused in zip(*results, strict=True):
        if accelerator == "auto" and activation == "sigmoid":
            # a strided (channels first) output takes NumPy's e^x: the kernels' float32 e^x is
            # within 1 ulp of it, and their float64 one (the C library's) too where NumPy has
            # its own float64 loop (AVX-512 CPUs: 1 ulp apart on a Zen 5)
            tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-14)
            np.testing.assert_allclose(fused, unfused, **tolerance)
        else:  # the same arithmetic: the same bits
            np.testing.assert_array_equal(fused, unfused)


@pytest.mark.parametrize("accelerator", ["numpy", "auto"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_conv2d_activation_gradcheck_and_second_order(rng, accelerator, activation):
    from glassnet.config import using_config
    from glassnet.ops import nn

    act = nn.relu if activation == "relu" else nn.sigmoid
    with using_config("accelerator", accelerator):
        assert_gradcheck(lambda x, w, b: conv2d(x, w, b, padding="same", activation=activation),
                         f64(rng, 2, 5, 6, 2), f64(rng, 3, 3, 2, 3), f64(rng, 3))
        assert_gradcheck(lambda x, w: conv1d(x, w, activation=activation),
                         f64(rng, 2, 7, 2), f64(rng, 3, 2, 3))
        # create_graph: d/dw of |dL/dx|^2 through the fused op equals the composition's
        x0, w0 = rng.normal(size=(2, 5, 6, 2)), rng.normal(size=(3, 3, 2, 3))
        b0 = rng.normal(size=3)
        grads = []
        for fused in (False, True):
            x, w, b = (gn.tensor(a, requires_grad=True) for a in (x0, w0, b0))
            y = conv2d(x, w, b, padding="same", activation=activation) if fused else \
                act(conv2d(x, w, b, padding="same"))
            (gx,) = gn.grad((y * y).sum(), [x], create_graph=True)
            (gx * gx).sum().backward()
            grads.append((w.grad.data, b.grad.data))
        for unfused, fused in zip(*grads, strict=True):
            np.testing.assert_allclose(fused, unfused, rtol=1e-10, atol=1e-12)


def test_conv2d_activation_is_one_op_and_a_trace_sees_z(rng):
    x, w = rng.normal(size=(1, 4, 4, 1)), gn.tensor(rng.normal(size=(3, 3, 1, 2)),
                                                    requires_grad=True)
    assert conv2d(x, w, activation="relu").creator.op_name == "Conv2D(relu)"
    with gn.trace() as table:
        conv2d(x, w, np.zeros(2), activation="relu")
    ops = [row["op"] for row in table.rows()]
    assert "Conv2D" in ops and "ReLU" in ops, ops
    with pytest.raises(GlassnetValueError, match="activation: expected None or one of"):
        Conv2DFunction(activation="tanh")


def test_conv2d_layer_fuses_relu_unless_recording(rng):
    from glassnet.layers import Conv2D

    layer = Conv2D(4, 3, padding="same", activation="relu")
    x = rng.normal(size=(2, 6, 6, 3)).astype(np.float32)  # the layer's weights are float32
    y = layer(x)
    assert y.creator.op_name == "Conv2D(relu)"
    z = conv2d(x, layer.kernel, layer.bias, padding="same")
    np.testing.assert_allclose(y.data, np.maximum(z.data, 0), rtol=1e-5, atol=1e-6)
    layer.record = True  # the glass box keeps z, so the activation runs as its own op
    y2 = layer(x)
    assert y2.creator.op_name == "ReLU"
    np.testing.assert_allclose(y2.data, y.data, rtol=1e-5, atol=1e-6)
