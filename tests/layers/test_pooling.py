"""Tests for the pooling layers."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError
from glassnet.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from tests.conftest import assert_gradcheck, f64


def test_max_pooling2d_defaults_and_values():
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    x = np.arange(16.0, dtype=np.float32).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(layer(x).data[0, :, :, 0], [[5, 7], [13, 15]])
    assert MaxPool2D is MaxPooling2D


@pytest.mark.parametrize(
    "layer,out_hw",
    [(MaxPooling2D((2, 2)), (14, 14)), (MaxPooling2D(3, strides=2), (13, 13)),
     (MaxPooling2D(2, padding="same"), (14, 14)), (AveragePooling2D(3, 1, "same"), (28, 28)),
     (MaxPooling2D((2, 2)), (14, 14))],
)
def test_pooling_output_shapes(layer, out_hw):
    assert layer(np.zeros((2, 28, 28, 6))).shape == (2, *out_hw, 6)


def test_average_pooling2d_same_excludes_padding():
    x = np.ones((1, 3, 3, 1))
    # every window average of ones is one, also at the border (padding not counted)
    np.testing.assert_allclose(AveragePooling2D(2, 1, "same")(x).data, np.ones((1, 3, 3, 1)))
    x = np.arange(9.0).reshape(1, 3, 3, 1)
    y = AveragePooling2D(2, 2, "same")(x).data[0, :, :, 0]
    np.testing.assert_allclose(y, [[(0 + 1 + 3 + 4) / 4, (2 + 5) / 2], [(6 + 7) / 2, 8.0]])


def test_pooling_layer_gradients(rng):
    layer = MaxPooling2D(dtype="float64", data_format="channels_first")
    assert_gradcheck(lambda x: layer(x), f64(rng, 2, 3, 4, 6))
    assert_gradcheck(lambda x: AveragePooling2D(3, 2, dtype="float64")(x), f64(rng, 1, 5, 5, 2))


def test_pooling_1d_and_global(rng):
    seq = rng.normal(size=(2, 6, 3))
    np.testing.assert_allclose(MaxPooling1D(dtype="float64")(seq).data,
                               seq.reshape(2, 3, 2, 3).max(axis=2))
    np.testing.assert_allclose(AveragePooling1D(3, dtype="float64")(seq).data,
                               seq.reshape(2, 2, 3, 3).mean(axis=2))
    np.testing.assert_allclose(GlobalAveragePooling1D(dtype="float64")(seq).data,
                               seq.mean(axis=1))
    img = rng.normal(size=(2, 4, 5, 3))
    np.testing.assert_allclose(GlobalAveragePooling2D(dtype="float64")(img).data,
                               img.mean(axis=(1, 2)))
    np.testing.assert_allclose(GlobalMaxPooling2D(dtype="float64")(img).data,
                               img.max(axis=(1, 2)))
    assert GlobalAveragePooling2D(keepdims=True)(img).shape == (2, 1, 1, 3)


def test_pooling_errors_and_config():
    with pytest.raises(ShapeError, match="max_pooling2d.*rank 4"):
        MaxPooling2D()(np.zeros((4, 4, 3)))
    with pytest.raises(ShapeError, match="global_average_pooling2d"):
        GlobalAveragePooling2D()(np.zeros((4, 3)))
    layer = MaxPooling2D((3, 2), strides=1, padding="same")
    clone = MaxPooling2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


# ------------------------------------------------------------------ masked global pooling 1D
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_1d_leaves_masked_steps_out(rng, data_format, keepdims):
    from glassnet.layers import GlobalMaxPooling1D

    x = rng.normal(size=(3, 5, 2))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]], bool)
    mean = np.stack([x[n, mask[n]].mean(0) for n in range(3)])
    largest = np.stack([x[n, mask[n]].max(0) for n in range(3)])
    xin = x if data_format == "channels_last" else x.transpose(0, 2, 1)
    for cls, expected in ((GlobalAveragePooling1D, mean), (GlobalMaxPooling1D, largest)):
        layer = cls(data_format=data_format, keepdims=keepdims, dtype="float64")
        y = layer(xin, mask=mask).data
        if keepdims:
            expected_shape = (3, 1, 2) if data_format == "channels_last" else (3, 2, 1)
            assert y.shape == expected_shape
            y = y.reshape(3, 2)
        np.testing.assert_allclose(y, expected, rtol=1e-12)
        assert_gradcheck(lambda t, layer=layer: layer(t, mask=mask), f64(rng, *xin.shape))


def test_global_pooling_1d_takes_the_embedding_mask_and_checks_its_shape():
    from glassnet.layers import Embedding, Input

    tokens = np.array([[3, 4, 0, 0], [5, 0, 0, 0]])
    inputs = Input(shape=(4,), dtype="int64")
    embedding = Embedding(8, 3, mask_zero=True)
    model = gn.Model(inputs, GlobalAveragePooling1D()(embedding(inputs)))
    table = embedding.get_weights()[0]
    expected = np.stack([table[[3, 4]].mean(0), table[[5]].mean(0)])
    np.testing.assert_allclose(model.predict(tokens, verbose=0), expected, rtol=1e-6)
    with pytest.raises(ShapeError, match="gap.*mask"):
        GlobalAveragePooling1D(name="gap")(np.ones((2, 4, 3)), mask=np.ones((2, 3), bool))
