"""Tests for the Conv2D / Conv1D layers."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers.conv import Conv1D, Conv2D
from tests.conftest import assert_gradcheck, f64
from tests.ops.test_conv import naive_conv2d


def test_conv2d_parameter_count_and_weight_shapes():
    layer = Conv2D(32, (3, 3), activation="relu")
    y = layer(np.zeros((2, 32, 32, 3), np.float32))
    assert y.shape == (2, 30, 30, 32) and y.dtype == np.float32
    assert layer.count_params() == 896  # 3*3*3*32 + 32, as Keras reports
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 3, 32), (32,)]
    assert [w.name for w in layer.weights] == ["kernel", "bias"]


def test_seed004_cifar_stack_parameter_counts():
    # Keras's summary for seed 004's CIFAR-10 CNN: 896, 18496, 36928 conv parameters
    x = np.zeros((1, 32, 32, 3), np.float32)
    c1, c2, c3 = Conv2D(32, (3, 3)), Conv2D(64, (3, 3)), Conv2D(64, (3, 3))
    h = c3(gn.ops.pooling.max_pool2d(c2(gn.ops.pooling.max_pool2d(c1(x)))))
    assert h.shape == (1, 4, 4, 64)
    assert [c.count_params() for c in (c1, c2, c3)] == [896, 18496, 36928]


@pytest.mark.parametrize(
    "kwargs,hw,out_hw",
    [(dict(), (7, 7), (5, 5)), (dict(padding="same"), (7, 7), (7, 7)),
     (dict(strides=2, padding="same"), (7, 7), (4, 4)), (dict(strides=2), (7, 7), (3, 3)),
     (dict(dilation_rate=2), (7, 7), (3, 3)), (dict(strides=(2, 1)), (7, 6), (3, 4))],
)
def test_conv2d_output_shapes_follow_keras(kwargs, hw, out_hw):
    assert Conv2D(4, 3, **kwargs)(np.zeros((1, *hw, 2))).shape == (1, *out_hw, 4)


def test_conv2d_with_fixed_weights_matches_naive_loops(rng):
    layer = Conv2D(3, (2, 3), strides=(1, 2), padding="same", activation="relu",
                   dtype="float64")
    x = rng.normal(size=(2, 5, 6, 2))
    layer(x)  # builds the weights
    w, b = rng.normal(size=(2, 3, 2, 3)), rng.normal(size=3)
    layer.set_weights([w, b])
    expected = np.maximum(naive_conv2d(x, w, b, (1, 2), "same", (1, 1)), 0)
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-10, atol=1e-12)


def test_conv2d_channels_first_layer(rng):
    x = rng.normal(size=(2, 3, 6, 6))
    layer = Conv2D(4, 3, data_format="channels_first", dtype="float64")
    y = layer(x)
    assert y.shape == (2, 4, 4, 4)
    w, b = layer.get_weights()
    expected = naive_conv2d(x.transpose(0, 2, 3, 1), w, b).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(padding="same", strides=2),
                                    dict(dilation_rate=2, activation="tanh"),
                                    dict(data_format="channels_first")])
def test_conv2d_layer_gradcheck(rng, kwargs):
    layer = Conv2D(2, 3, dtype="float64", **kwargs)
    shape = (2, 3, 5, 5) if kwargs.get("data_format") else (2, 5, 5, 3)
    x = f64(rng, *shape)
    layer(x)

    def fn(x, kernel, bias):
        layer.kernel, layer.bias = kernel, bias
        return layer(x)

    assert_gradcheck(fn, x, f64(rng, 3, 3, 3, 2), f64(rng, 2))


def test_conv2d_records_z_and_delta(rng):
    layer = Conv2D(2, 3, activation="relu")
    layer.record = True
    layer(rng.normal(size=(1, 5, 5, 1)).astype(np.float32)).sum().backward()
    info = layer.inspect()
    assert info["z"].shape == info["delta"].shape == (1, 3, 3, 2)
    np.testing.assert_array_equal(info["delta"], (info["z"] > 0).astype(np.float32))


def test_conv_rank_error_names_the_received_shape_not_none_for_the_batch():
    with pytest.raises(ShapeError) as info:
        Conv2D(4, 3, name="conv_b")(np.zeros((4, 28, 28), np.float32))  # MNIST without channels
    message = str(info.value)
    assert "conv_b" in message and "rank 4" in message
    assert "shape (4, 28, 28)" in message and "(None" not in message
    assert "x[..., None]" in message  # says how to add the channels axis
    with pytest.raises(ShapeError, match=r"rank 3 \(batch, channels, spatial\).*shape \(5,\)"):
        Conv1D(2, 3, data_format="channels_first")(np.zeros((5,), np.float32))


def test_conv2d_bad_inputs_name_the_layer():
    layer = Conv2D(4, 3, name="conv_a")
    with pytest.raises(ShapeError, match="conv_a.*rank 4"):
        layer(np.zeros((8, 8, 3)))
    layer(np.zeros((1, 8, 8, 3)))
    with pytest.raises(ShapeError, match=r"conv_a.*size 3.*\(1, 8, 8, 5\)"):
        layer(np.zeros((1, 8, 8, 5)))
    with pytest.raises(ShapeError, match="conv_a.*rank 4"):
        layer(np.zeros((8, 8, 3)))
    with pytest.raises(GlassnetValueError, match="filters"):
        Conv2D(0, 3)
    with pytest.raises(GlassnetValueError, match="padding"):
        Conv2D(4, 3, padding="causal")
    with pytest.raises(TypeError, match="kernel_sise"):
        Conv2D(4, 3, kernel_sise=3)


def test_conv2d_config_roundtrip():
    layer = Conv2D(8, (5, 3), strides=2, padding="same", activation="relu", use_bias=False)
    clone = Conv2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    clone(np.zeros((1, 9, 9, 2)))
    assert clone.count_params() == 5 * 3 * 2 * 8


def test_conv1d_layer(rng):
    layer = Conv1D(4, 3, padding="causal", dtype="float64")
    x = rng.normal(size=(2, 6, 3))
    y = layer(x)
    assert y.shape == (2, 6, 4) and layer.count_params() == 3 * 3 * 4 + 4
    w, b = layer.get_weights()
    xp_ = np.concatenate([np.zeros((2, 2, 3)), x], axis=1)
    expected = np.stack([sum(xp_[:, t + a] @ w[a] for a in range(3)) + b for t in range(6)], 1)
    np.testing.assert_allclose(y.data, expected, rtol=1e-10)
    assert Conv1D(2, 3, strides=2)(np.zeros((1, 9, 1))).shape == (1, 4, 2)


def test_conv_default_activation_is_keras_linear():
    from glassnet import activations

    assert Conv2D(2, 3).activation is activations.linear
    assert Conv1D(2, 3, activation="tanh").activation is activations.tanh


@pytest.mark.parametrize("layer", [Conv2D(2, 5, name="big_kernel"),
                                   gn.layers.MaxPooling2D(3, name="big_pool")])
def test_window_larger_than_input_names_the_layer_and_shapes(layer):
    with pytest.raises(ShapeError, match=rf"Layer '{layer.name}'.*does not fit.*\(1, 2, 2, 1\)"):
        layer(np.zeros((1, 2, 2, 1), dtype=np.float32))
