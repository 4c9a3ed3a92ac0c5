"""Tests for Conv2DTranspose, Conv1DTranspose, DepthwiseConv2D and SeparableConv2D."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers import (
    Conv1DTranspose,
    Conv2DTranspose,
    DepthwiseConv2D,
    Input,
    SeparableConv2D,
)
from glassnet.models import load_model
from tests.conftest import assert_gradcheck, f64


# ------------------------------------------------------------------ references (NumPy)
def keras_length(size, k, s, padding, output_padding=None, d=1):
    """Keras's deconv_output_length (published formula)."""
    k = (k - 1) * d + 1
    if output_padding is None:
        return size * s + max(k - s, 0) if padding == "valid" else size * s
    pad = 0 if padding == "valid" else k // 2
    return (size - 1) * s + k - 2 * pad + output_padding


def naive_conv_transpose(x, kernel, strides, padding, output_padding=(None, None),
                         dilation=(1, 1)):
    """Scatter every input pixel through the kernel (loops), then crop as TensorFlow does:
    the gradient of a conv2d with this padding on an input of the output's size."""
    n, h, w, c = x.shape
    kh, kw, f, _ = kernel.shape
    (sh, sw), (dh, dw) = strides, dilation
    full = np.zeros((n, (h - 1) * sh + (kh - 1) * dh + 1, (w - 1) * sw + (kw - 1) * dw + 1, f))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    full[:, i * sh + a * dh, j * sw + b * dw] += x[:, i, j] @ kernel[a, b].T
    out = []
    for size, k, s, d, p in zip((h, w), (kh, kw), strides, dilation, output_padding,
                                strict=True):
        length = keras_length(size, k, s, padding, p, d)
        total = max((size - 1) * s + (k - 1) * d + 1 - length, 0)
        before = total // 2 if padding == "same" else 0
        out.append((before, length))
    (bh, lh), (bw, lw) = out
    padded = np.zeros((n, bh + lh + full.shape[1], bw + lw + full.shape[2], f))
    padded[:, : full.shape[1], : full.shape[2]] = full
    return padded[:, bh : bh + lh, bw : bw + lw]


def naive_depthwise(x, kernel, strides, padding):
    n, h, w, c = x.shape
    kh, kw, _, m = kernel.shape
    if padding == "same":
        oh, ow = -(-h // strides[0]), -(-w // strides[1])
        th = max((oh - 1) * strides[0] + kh - h, 0)
        tw = max((ow - 1) * strides[1] + kw - w, 0)
        x = np.pad(x, ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // strides[0] + 1, (w - kw) // strides[1] + 1
    out = np.zeros((n, oh, ow, c * m))
    for i in range(oh):
        for j in range(ow):
            for ch in range(c):
                for mm in range(m):
                    window = x[:, i * strides[0] : i * strides[0] + kh,
                               j * strides[1] : j * strides[1] + kw, ch]
                    out[:, i, j, ch * m + mm] = (window * kernel[:, :, ch, mm]).sum((1, 2))
    return out


# ------------------------------------------------------------------ Conv2DTranspose
CASES = [
    dict(kernel_size=3, strides=2, padding="same"),
    dict(kernel_size=3, strides=2, padding="valid"),
    dict(kernel_size=4, strides=2, padding="same"),
    dict(kernel_size=(2, 3), strides=(3, 1), padding="valid"),
    dict(kernel_size=1, strides=2, padding="same"),
    dict(kernel_size=3, strides=2, padding="same", output_padding=1),
    dict(kernel_size=4, strides=3, padding="valid", output_padding=(2, 1)),
    dict(kernel_size=3, strides=1, padding="same", dilation_rate=2),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_conv2d_transpose_matches_naive_loops_and_keras_lengths(rng, kwargs):
    layer = Conv2DTranspose(3, dtype="float64", bias_initializer="random_normal", **kwargs)
    x = rng.normal(size=(2, 4, 5, 2))
    y = layer(x)
    kernel, bias = layer.get_weights()
    kh, kw = layer.kernel_size
    assert kernel.shape == (kh, kw, 3, 2) and bias.shape == (3,)
    op = layer.output_padding or (None, None)
    expected = naive_conv_transpose(x, kernel, layer.strides, layer.padding, op,
                                    layer.dilation_rate) + bias
    assert y.shape == (2, keras_length(4, kh, layer.strides[0], layer.padding, op[0],
                                       layer.dilation_rate[0]),
                       keras_length(5, kw, layer.strides[1], layer.padding, op[1],
                                    layer.dilation_rate[1]), 3)
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-12)
    assert layer.compute_output_shape((None, 4, 5, 2)) == (None,) + y.shape[1:]


def test_conv2d_transpose_is_the_adjoint_of_conv2d(rng):
    # <conv2d(v, K), x> == <v, conv2d_transpose(x, K)> for the same strides and padding
    layer = Conv2DTranspose(3, 3, strides=2, padding="same", use_bias=False, dtype="float64")
    x = rng.normal(size=(1, 4, 4, 2))
    y = layer(x).data
    v = rng.normal(size=y.shape)
    conv = gn.ops.conv.conv2d(v, layer.kernel.data, strides=2, padding="same").data
    np.testing.assert_allclose((conv * x).sum(), (v * y).sum(), rtol=1e-10)


@pytest.mark.parametrize("kwargs", [dict(strides=2, padding="same"),
                                    dict(strides=(1, 2), output_padding=(0, 1)),
                                    dict(data_format="channels_first", activation="tanh")])
def test_conv2d_transpose_gradcheck(rng, kwargs):
    layer = Conv2DTranspose(2, 3, dtype="float64", **kwargs)
    x = f64(rng, *((2, 3, 3, 4) if kwargs.get("data_format") else (2, 3, 4, 3)))
    layer(x)

    def fn(x, kernel, bias):
        layer.kernel, layer.bias = kernel, bias
        return layer(x)

    assert_gradcheck(fn, x, f64(rng, 3, 3, 2, 3), f64(rng, 2))


def test_conv2d_transpose_second_derivatives(rng):
    layer = Conv2DTranspose(2, 2, strides=2, padding="same", dtype="float64",
                            activation="tanh")
    x = f64(rng, 1, 2, 2, 2)
    layer(x)

    def fn(x, kernel):
        layer.kernel = kernel
        return layer(x)

    assert gn.gradgradcheck(fn, x, f64(rng, 2, 2, 2, 2)) is True


def test_conv2d_transpose_channels_first_matches_channels_last(rng):
    last = Conv2DTranspose(2, 3, strides=2, dtype="float64")
    first = Conv2DTranspose(2, 3, strides=2, dtype="float64", data_format="channels_first")
    x = rng.normal(size=(1, 3, 4, 2))
    last(x)
    first(x.transpose(0, 3, 1, 2))
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(first(x.transpose(0, 3, 1, 2)).data,
                               last(x).data.transpose(0, 3, 1, 2), rtol=1e-12)


def test_conv1d_transpose_matches_the_2d_form(rng):
    layer = Conv1DTranspose(4, 3, strides=2, padding="same", dtype="float64")
    x = rng.normal(size=(2, 5, 3))
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 4, 3) and y.shape == (2, 10, 4)
    expected = naive_conv_transpose(x[:, None], kernel[None], (1, 2), "same") + bias
    np.testing.assert_allclose(y.data, expected[:, 0], rtol=1e-10, atol=1e-12)
    assert Conv1DTranspose(2, 4, strides=3)(np.zeros((1, 6, 1))).shape == (1, 19, 2)

    def fn(x, kernel):
        layer.kernel = kernel
        return layer(x)

    assert_gradcheck(fn, f64(rng, 1, 4, 3), f64(rng, 3, 4, 3))


def test_conv_transpose_errors_name_the_layer():
    with pytest.raises(GlassnetValueError, match="deconv.*output_padding"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2, name="deconv")
    with pytest.raises(GlassnetValueError, match="deconv.*padding"):
        Conv1DTranspose(2, 3, padding="causal", name="deconv")
    layer = Conv2DTranspose(2, 3, name="deconv")
    with pytest.raises(ShapeError, match="deconv.*rank 4"):
        layer(np.zeros((4, 4, 1)))
    layer(np.zeros((1, 4, 4, 1)))
    with pytest.raises(ShapeError, match="deconv"):
        layer(np.zeros((1, 4, 4, 3)))


# ------------------------------------------------------------------ depthwise / separable
@pytest.mark.parametrize("kwargs", [dict(), dict(strides=2, padding="same"),
                                    dict(depth_multiplier=3, padding="same")])
def test_depthwise_conv2d_matches_naive_loops(rng, kwargs):
    layer = DepthwiseConv2D(3, dtype="float64", bias_initializer="random_normal", **kwargs)
    x = rng.normal(size=(2, 5, 6, 2))
    y = layer(x)
    kernel, bias = layer.get_weights()
    m = layer.depth_multiplier
    assert kernel.shape == (3, 3, 2, m) and bias.shape == (2 * m,)
    expected = naive_depthwise(x, kernel, layer.strides, layer.padding) + bias
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-12)


def test_depthwise_and_separable_gradcheck(rng):
    depthwise = DepthwiseConv2D(2, depth_multiplier=2, strides=2, padding="same",
                                dtype="float64")
    x = f64(rng, 2, 4, 5, 3)
    depthwise(x)

    def fn(x, kernel, bias):
        depthwise.kernel, depthwise.bias = kernel, bias
        return depthwise(x)

    assert_gradcheck(fn, x, f64(rng, 2, 2, 3, 2), f64(rng, 6))

    separable = SeparableConv2D(2, 3, depth_multiplier=2, data_format="channels_first",
                                activation="tanh", dtype="float64")
    xf = f64(rng, 2, 3, 4, 4)
    separable(xf)

    def fs(x, dk, pk, bias):
        separable.depthwise_kernel, separable.pointwise_kernel, separable.bias = dk, pk, bias
        return separable(x)

    assert_gradcheck(fs, xf, f64(rng, 3, 3, 3, 2), f64(rng, 1, 1, 6, 2), f64(rng, 2))


def test_separable_conv2d_is_depthwise_then_pointwise(rng):
    layer = SeparableConv2D(4, 3, strides=2, padding="same", depth_multiplier=2,
                            dtype="float64", bias_initializer="random_normal")
    x = rng.normal(size=(2, 6, 5, 3))
    y = layer(x)
    names = [w.name for w in layer.weights]
    assert [n.split("/")[-1].split(":")[0] for n in names] == [
        "depthwise_kernel", "pointwise_kernel", "bias"]
    dk, pk, bias = layer.get_weights()
    assert dk.shape == (3, 3, 3, 2) and pk.shape == (1, 1, 6, 4) and bias.shape == (4,)
    expected = naive_depthwise(x, dk, (2, 2), "same") @ pk[0, 0] + bias
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-12)
    assert layer.count_params() == 3 * 3 * 3 * 2 + 6 * 4 + 4


def test_depthwise_errors_name_the_layer():
    with pytest.raises(GlassnetValueError, match="dw.*depth_multiplier"):
        DepthwiseConv2D(3, depth_multiplier=0, name="dw")
    with pytest.raises(GlassnetValueError, match="sep.*padding"):
        SeparableConv2D(2, 3, padding="full", name="sep")
    with pytest.raises(ShapeError, match="dw.*rank 4"):
        DepthwiseConv2D(3, name="dw")(np.zeros((5, 5, 2)))


@pytest.mark.parametrize("layer", [
    Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1, activation="relu"),
    Conv1DTranspose(4, 3, strides=2),
    DepthwiseConv2D((3, 2), depth_multiplier=2, padding="same", use_bias=False),
    SeparableConv2D(5, 3, strides=2, activation="relu"),
], ids=lambda layer: type(layer).__name__)
def test_config_and_save_load_round_trip(tmp_path, rng, layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    shape = (6, 3) if isinstance(layer, Conv1DTranspose) else (6, 6, 3)
    inputs = Input(shape=shape)
    model = gn.Model(inputs, layer(inputs))
    x = rng.normal(size=(2,) + shape).astype(np.float32)
    path = tmp_path / "model.glassnet"
    model.save(path)
    restored = load_model(path)
    assert type(restored.layers[-1]) is type(layer)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
