"""Tests for glassnet.layers.reshaping: RepeatVector, Permute, UpSampling1D/2D,
ZeroPadding1D/2D, Cropping1D/2D (Keras 3 arguments, defaults and shapes)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers import (
    Conv2D,
    Cropping1D,
    Cropping2D,
    Dense,
    Flatten,
    Input,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from glassnet.layers.serialization import deserialize, serialize
from tests.conftest import assert_gradcheck


def _check(layer, x, expected):
    """Values against the reference, the declared output shape, a gradcheck in float64 and
    a config round trip."""
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-6, atol=1e-6)
    symbolic = layer.compute_output_shape((None,) + x.shape[1:])
    assert tuple(symbolic) == (None,) + expected.shape[1:]
    clone = deserialize(serialize(layer))
    assert clone.get_config() == layer.get_config()
    np.testing.assert_allclose(clone(x).data, expected, rtol=1e-6, atol=1e-6)
    config = {**layer.get_config(), "dtype": "float64", "name": layer.name + "_64"}
    layer64 = type(layer).from_config(config)
    assert_gradcheck(lambda v: layer64(v), gn.tensor(np.asarray(x, dtype=np.float64)))


def test_repeat_vector(rng):
    x = rng.normal(size=(2, 3))
    _check(RepeatVector(4), x, np.repeat(x[:, None, :], 4, axis=1))
    with pytest.raises(GlassnetValueError, match="'rv'.*n"):
        RepeatVector(0, name="rv")
    with pytest.raises(ShapeError, match="rank 2"):
        RepeatVector(2)(np.zeros((2, 3, 4)))


def test_permute(rng):
    x = rng.normal(size=(2, 3, 4, 5))
    _check(Permute((3, 1, 2)), x, x.transpose(0, 3, 1, 2))
    assert Input((10, 64)).shape == (None, 10, 64)
    assert Permute((2, 1))(Input((10, 64))).shape == (None, 64, 10)
    with pytest.raises(GlassnetValueError, match="'perm'.*permutation"):
        Permute((0, 1), name="perm")


def test_upsampling1d(rng):
    x = rng.normal(size=(2, 3, 4))
    layer = UpSampling1D()
    assert layer.size == 2  # Keras's default
    _check(layer, x, np.repeat(x, 2, axis=1))
    _check(UpSampling1D(3), x, np.repeat(x, 3, axis=1))
    assert UpSampling1D(2)(Input((None, 4))).shape == (None, None, 4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_upsampling2d_nearest(rng, data_format):
    x = rng.normal(size=(2, 3, 4, 5))
    rows, cols = (1, 2) if data_format == "channels_last" else (2, 3)
    expected = np.repeat(np.repeat(x, 2, axis=rows), 3, axis=cols)
    layer = UpSampling2D((2, 3), data_format=data_format)
    _check(layer, x, expected)
    assert UpSampling2D().size == (2, 2) and UpSampling2D().interpolation == "nearest"


def _bilinear_reference(image, factor_rows, factor_cols):
    """Naive bilinear resize of one (H, W) image with half-pixel centres, clamped edges."""
    h, w = image.shape
    out = np.zeros((h * factor_rows, w * factor_cols))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            y = min(max((i + 0.5) / factor_rows - 0.5, 0), h - 1)
            x = min(max((j + 0.5) / factor_cols - 0.5, 0), w - 1)
            y0, x0 = int(np.floor(y)), int(np.floor(x))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            dy, dx = y - y0, x - x0
            out[i, j] = ((1 - dy) * (1 - dx) * image[y0, x0] + (1 - dy) * dx * image[y0, x1]
                         + dy * (1 - dx) * image[y1, x0] + dy * dx * image[y1, x1])
    return out


def test_upsampling2d_bilinear(rng):
    x = rng.normal(size=(2, 3, 4, 2))
    expected = np.stack([np.stack([_bilinear_reference(x[n, :, :, c], 2, 3)
                                   for c in range(2)], axis=-1) for n in range(2)])
    _check(UpSampling2D((2, 3), interpolation="bilinear"), x, expected)
    image = np.arange(4.0).reshape(1, 2, 2, 1)
    out = UpSampling2D(interpolation="bilinear")(image).data[0, 0, :, 0]
    np.testing.assert_allclose(out, [0.0, 0.25, 0.75, 1.0])  # half-pixel centres
    with pytest.raises(GlassnetValueError, match="'up'.*interpolation"):
        UpSampling2D(interpolation="bicubic", name="up")


def test_zero_padding1d(rng):
    x = rng.normal(size=(2, 3, 4))
    assert ZeroPadding1D().padding == ((1, 1),)
    _check(ZeroPadding1D(), x, np.pad(x, ((0, 0), (1, 1), (0, 0))))
    _check(ZeroPadding1D((2, 0)), x, np.pad(x, ((0, 0), (2, 0), (0, 0))))


@pytest.mark.parametrize("padding, widths", [
    (1, ((1, 1), (1, 1))), ((2, 1), ((2, 2), (1, 1))), (((1, 0), (0, 3)), ((1, 0), (0, 3)))])
def test_zero_padding2d(rng, padding, widths):
    x = rng.normal(size=(2, 3, 4, 2))
    _check(ZeroPadding2D(padding), x, np.pad(x, ((0, 0),) + widths + ((0, 0),)))
    first = np.pad(x, ((0, 0), (0, 0)) + widths)
    _check(ZeroPadding2D(padding, data_format="channels_first"), x, first)


def test_zero_padding_rejects_bad_padding():
    with pytest.raises(GlassnetValueError, match="'zp'.*padding"):
        ZeroPadding2D((1, 2, 3), name="zp")
    with pytest.raises(GlassnetValueError, match="padding"):
        ZeroPadding1D(-1)


def test_cropping1d(rng):
    x = rng.normal(size=(2, 6, 3))
    assert Cropping1D().cropping == ((1, 1),)
    _check(Cropping1D(), x, x[:, 1:-1])
    _check(Cropping1D((2, 0)), x, x[:, 2:])
    with pytest.raises(ShapeError, match="'crop'.*nothing"):
        Cropping1D((3, 3), name="crop")(x)


def test_cropping2d(rng):
    x = rng.normal(size=(2, 5, 6, 3))
    assert Cropping2D().cropping == ((0, 0), (0, 0))
    _check(Cropping2D(((1, 2), (0, 3))), x, x[:, 1:-2, 0:-3])
    _check(Cropping2D((1, 2)), x, x[:, 1:-1, 2:-2])
    _check(Cropping2D(1, data_format="channels_first"), x, x[:, :, 1:-1, 1:-1])
    assert Cropping2D(((2, 2), (4, 4)))(Input((28, 28, 3))).shape == (None, 24, 20, 3)


def test_reshaping_layers_in_a_saved_model(tmp_path, rng):
    model = gn.Sequential([
        Input((6, 6, 2)), ZeroPadding2D(((1, 0), (2, 1))), Cropping2D(1),
        UpSampling2D((2, 1), interpolation="bilinear"), Conv2D(2, 3), Permute((3, 1, 2)),
        Flatten(), Dense(4), RepeatVector(2), UpSampling1D(2), ZeroPadding1D(1),
        Cropping1D((0, 1))])
    x = rng.normal(size=(3, 6, 6, 2)).astype("float32")
    assert model(x).shape == (3, 5, 4)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = gn.models.load_model(path)
    np.testing.assert_allclose(loaded(x).data, model(x).data, rtol=1e-6)
    assert [layer.get_config() for layer in loaded.layers][1:] == [
        layer.get_config() for layer in model.layers][1:]
