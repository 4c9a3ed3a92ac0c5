"""keras.backend: the global settings and their effect on layers and losses."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.keras as keras
from glassnet.config import config
from glassnet.errors import GlassnetValueError


@pytest.fixture(autouse=True)
def _restore_settings():
    saved = (config.image_data_format, config.epsilon, config.default_float)
    yield
    config.image_data_format, config.epsilon, config.default_float = saved


def test_defaults_are_keras_defaults():
    assert keras.backend.image_data_format() == "channels_last"
    assert keras.backend.epsilon() == 1e-7
    assert keras.backend.floatx() == "float32"
    assert keras.backend.backend() == "glassnet"


def test_image_data_format_is_what_data_format_none_means():
    keras.backend.set_image_data_format("channels_first")
    assert keras.backend.image_data_format() == "channels_first"
    layer = gn.layers.Conv2D(2, 3)
    assert layer.data_format == "channels_first"
    assert layer(np.zeros((1, 3, 5, 5), "float32")).shape == (1, 2, 3, 3)
    assert gn.layers.Conv2D(2, 3, data_format="channels_last").data_format == "channels_last"
    keras.backend.set_image_data_format("channels_last")
    assert gn.layers.Conv2D(2, 3).data_format == "channels_last"
    with pytest.raises(GlassnetValueError, match="set_image_data_format.*'nhwc'"):
        keras.backend.set_image_data_format("nhwc")


def test_epsilon_is_the_clip_of_cross_entropy():
    y_true = np.array([[1.0, 0.0]], "float64")
    y_pred = np.array([[0.0, 1.0]], "float64")  # log(0) without the clip
    loss = gn.losses.CategoricalCrossentropy()
    assert loss(y_true, y_pred).item() == pytest.approx(-np.log(1e-7), rel=1e-6)
    keras.backend.set_epsilon(1e-3)
    assert keras.backend.epsilon() == 1e-3
    assert loss(y_true, y_pred).item() == pytest.approx(-np.log(1e-3), rel=1e-6)
    for bad in (-1.0, float("inf"), "small", True):
        with pytest.raises(GlassnetValueError, match="set_epsilon"):
            keras.backend.set_epsilon(bad)


def test_floatx_sets_the_default_float():
    keras.backend.set_floatx("float64")
    assert keras.backend.floatx() == "float64"
    assert gn.tensor(1.5).dtype == np.float64
    dense = gn.layers.Dense(2)
    dense.build((None, 3))
    assert dense.kernel.dtype == np.float64
    keras.backend.set_floatx(np.float32)
    assert keras.backend.floatx() == "float32"
    with pytest.raises(GlassnetValueError, match="set_floatx.*'int32'"):
        keras.backend.set_floatx("int32")


def test_is_keras_tensor_and_clear_session():
    assert keras.backend.is_keras_tensor(keras.Input(shape=(2,)))
    assert not keras.backend.is_keras_tensor(np.zeros(2))
    assert not keras.backend.is_keras_tensor(gn.tensor([1.0]))
    keras.backend.clear_session()
    assert gn.layers.Dense(1).name == "dense"
