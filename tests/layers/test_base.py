"""Tests for glassnet.layers.base: Layer, weights, names, build, input checks, registry."""

import importlib
import json

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.layers import serialization
from glassnet.layers.base import (
    LAYERS,
    InputSpec,
    Layer,
    clear_session,
    deserialize,
    register_layer,
    serialize,
    to_snake_case,
)
from glassnet.layers.core import Dense, Dropout
from glassnet.regularizers import L2


@register_layer
class ScaleShift(Layer):
    """y = x * scale + shift, with a non-trainable counter of calls in training mode."""

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (input_shape[-1],), "ones")
        self.shift = self.add_weight("shift", (input_shape[-1],), "zeros")
        self.calls = self.add_weight("calls", (), "zeros", trainable=False)

    def call(self, inputs, training=False):
        if training:
            self.calls.data[...] += 1
        return inputs * self.scale + self.shift


def test_snake_case_names_like_keras():
    assert to_snake_case("Dense") == "dense"
    assert to_snake_case("BatchNormalization") == "batch_normalization"
    assert to_snake_case("Conv2D") == "conv2d"
    assert to_snake_case("MaxPooling2D") == "max_pooling2d"
    assert to_snake_case("SimpleRNN") == "simple_rnn"
    assert to_snake_case("LSTM") == "lstm"


def test_automatic_names_are_numbered():
    clear_session()
    names = [Dense(2).name, Dense(2).name, Dropout(0.5).name, Dense(2).name]
    assert names == ["dense", "dense_1", "dropout", "dense_2"]
    assert Dense(2, name="out").name == "out"
    clear_session()
    assert Dense(2).name == "dense"


def test_lazy_build_infers_shapes():
    layer = ScaleShift()
    assert not layer.built and layer.weights == []
    y = layer(np.ones((4, 3)))
    assert layer.built
    assert layer.input_shape == (None, 3)
    assert [tuple(w.shape) for w in layer.weights] == [(3,), (3,), ()]
    assert y.dtype == np.float32


def test_trainable_and_non_trainable_weights_in_keras_order():
    layer = ScaleShift()
    layer(np.ones((1, 2)))
    assert [w.name for w in layer.weights] == ["scale", "shift", "calls"]
    assert [w.name for w in layer.trainable_weights] == ["scale", "shift"]
    assert [w.name for w in layer.non_trainable_weights] == ["calls"]
    assert layer.weights[0].path == f"{layer.name}/scale"
    assert layer.weights[0].requires_grad and not layer.weights[2].requires_grad
    layer.trainable = False
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 3
    assert not layer.scale.requires_grad
    layer.trainable = True
    assert layer.scale.requires_grad and not layer.calls.requires_grad


def test_training_flag_reaches_call():
    layer = ScaleShift()
    layer(np.ones((1, 2)))
    layer(np.ones((1, 2)), training=True)
    layer(np.ones((1, 2)), training=True)
    assert layer.calls.data == 2.0


def test_get_set_weights_round_trip_and_count_params():
    layer = ScaleShift()
    layer(np.ones((1, 3)))
    assert layer.count_params() == 3 + 3 + 1
    new = [np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.5, 0.5]), np.array(7.0)]
    layer.set_weights(new)
    got = layer.get_weights()
    for a, b in zip(got, new, strict=True):
        np.testing.assert_array_equal(a, b)
    assert got[0].dtype == np.float32  # kept the weight's dtype
    got[0][0] = 100.0  # get_weights returns copies
    assert layer.scale.data[0] == 1.0
    np.testing.assert_allclose(layer(np.ones((1, 3))).numpy(), [[1.5, 2.5, 3.5]])


def test_set_weights_errors_name_layer_and_shapes():
    layer = Dense(4, name="hidden")
    layer(np.ones((1, 3)))
    with pytest.raises(GlassnetValueError, match=r"hidden.*expected 2 arrays.*\(3, 4\).*1 arr"):
        layer.set_weights([np.zeros((3, 4))])
    with pytest.raises(ShapeError, match=r"hidden.*hidden/kernel.*\(3, 4\).*\(4, 3\)"):
        layer.set_weights([np.zeros((4, 3)), np.zeros(4)])


def test_count_params_needs_build():
    with pytest.raises(GlassnetValueError, match="not built"):
        Dense(3).count_params()


def test_wrong_feature_size_after_build_names_layer_expected_and_received():
    layer = Dense(5, name="dense_a")
    layer(np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"dense_a.*3.*\(2, 4\)"):
        layer(np.ones((2, 4)))
    with pytest.raises(ShapeError, match=r"dense_a.*rank.*\(3,\)"):
        layer(np.ones(3))


def test_generic_check_for_layer_with_weights_and_no_input_spec():
    layer = ScaleShift(name="scaler")
    layer(np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"scaler.*\(None, 3\).*\(2, 5\)"):
        layer(np.ones((2, 5)))
    with pytest.raises(ShapeError, match=r"scaler.*rank 2.*rank 3"):
        layer(np.ones((2, 1, 3)))


def test_explicit_input_shape_forms():
    assert Dense(2, input_shape=(3,))._batch_input_shape == (None, 3)
    assert Dense(2, input_dim=3)._batch_input_shape == (None, 3)
    assert Dense(2, batch_input_shape=(8, 3))._batch_input_shape == (8, 3)


def test_unknown_kwarg_is_type_error_naming_it():
    with pytest.raises(TypeError, match="Dense.*'unitz'"):
        Dense(2, unitz=3)


def test_input_casting_and_float64_layers():
    layer = Dense(2)
    assert layer(np.ones((1, 3), dtype=np.float64)).dtype == np.float32
    assert layer(np.ones((1, 3), dtype=np.uint8)).dtype == np.float32
    assert layer([[1, 2, 3]]).dtype == np.float32
    layer64 = Dense(2, dtype="float64")
    out = layer64(np.ones((1, 3), dtype=np.float32))
    assert out.dtype == np.float64 and layer64.kernel.dtype == np.float64
    with pytest.raises(GlassnetTypeError, match="float"):
        Dense(2, dtype="int32")


def test_cast_keeps_graph_for_tensor_inputs():
    x = gn.tensor(np.ones((2, 3)), requires_grad=True)  # float64
    layer = Dense(1, kernel_initializer="ones")
    layer(x).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), np.ones((2, 3)))


def test_input_spec_check_and_description():
    spec = InputSpec(ndim=4, axes={-1: 3})
    spec.check("conv", (None, 8, 8, 3))
    with pytest.raises(ShapeError, match=r"conv.*rank 4.*\(None, None, None, 3\).*rank 3"):
        spec.check("conv", (2, 8, 3))
    with pytest.raises(ShapeError, match="axis -1.*size 3"):
        spec.check("conv", (2, 8, 8, 1))


def test_config_round_trip_and_registry():
    assert LAYERS["ScaleShift"] is ScaleShift and LAYERS["Dense"] is Dense
    layer = Dense(7, activation="tanh", use_bias=False, name="d7", input_shape=(3,))
    spec = serialize(layer)
    assert spec["class_name"] == "Dense"
    clone = deserialize(spec)
    assert isinstance(clone, Dense) and clone.name == "d7" and clone.units == 7
    assert clone.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="Dense"):
        deserialize({"class_name": "Dens", "config": {}})


def test_serialized_dense_is_byte_identical_to_the_saved_format():
    layer = Dense(3, activation="swish", kernel_regularizer="l2", name="d", input_shape=(2,))
    assert json.dumps(serialize(layer)) == (
        '{"class_name": "Dense", "config": {"name": "d", "trainable": true, "dtype": '
        '"float32", "batch_input_shape": [null, 2], "units": 3, "activation": "silu", '
        '"use_bias": true, "kernel_initializer": "glorot_uniform", "bias_initializer": '
        '"zeros", "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}, '
        '"bias_regularizer": null, "activity_regularizer": null}}'
    )


def test_split_modules_own_the_names_that_base_still_exports():
    from glassnet.layers import base, input_spec, serialization, symbolic

    # (glassnet.layers.recording is the context manager; the module is reached by its path)
    recording = importlib.import_module("glassnet.layers.recording")
    assert base.InputSpec is input_spec.InputSpec and base.user_shape is input_spec.user_shape
    assert base.KerasTensor is symbolic.KerasTensor and base.Node is symbolic.Node
    assert base.recording is recording.recording
    assert base.register_layer is serialization.register_layer
    assert base.LAYERS is serialization.LAYERS
    assert issubclass(base.Layer, recording.RecordingMixin)
    assert issubclass(base.Layer, symbolic.SymbolicCallMixin)


def test_register_layer_with_a_name_serializes_under_it():
    @register_layer(name="tests>Doubler")
    class Doubler(gn.layers.Layer):
        def call(self, inputs):
            return inputs * 2

    try:
        spec = serialize(Doubler(name="x"))
        assert spec["class_name"] == "tests>Doubler"
        assert isinstance(deserialize(spec), Doubler)
    finally:
        serialization.REGISTRY.unregister(Doubler)


def test_losses_from_weight_regularizer_and_add_loss():
    layer = Dense(2, kernel_regularizer=L2(0.5), kernel_initializer="ones")
    layer(np.ones((1, 3)))
    (penalty,) = layer.losses
    assert penalty.item() == pytest.approx(0.5 * 6.0)  # 0.5 * sum of six 1^2
    layer.add_loss(gn.tensor(1.0))
    assert len(layer.losses) == 2
    layer(np.ones((1, 3)))  # a new call forgets add_loss values
    assert len(layer.losses) == 1


def test_keras3_add_weight_signature_and_sublayer_tracking():
    class Block(Layer):
        def __init__(self):
            super().__init__()
            self.inner = [Dense(2), Dense(3)]

        def build(self, input_shape):
            self.gate = self.add_weight((1,), initializer="ones")

        def call(self, inputs):
            return self.inner[1](self.inner[0](inputs)) * self.gate

    block = Block()
    block(np.ones((1, 4)))
    shapes = [tuple(w.shape) for w in block.weights]
    assert shapes == [(1,), (4, 2), (2,), (2, 3), (3,)]
    block.trainable = False
    assert not block.inner[0].trainable and block.trainable_weights == []


def test_repr_and_zero_grad():
    layer = Dense(2, name="d")
    layer(gn.tensor(np.ones((1, 2)))).sum().backward()
    assert layer.kernel.grad is not None
    layer.zero_grad()
    assert layer.kernel.grad is None
    assert "Dense" in repr(layer) and "'d'" in repr(layer)


def test_explicit_build_marks_built_and_is_not_repeated():
    layer = Dense(3)
    layer.build([None, 4])  # a list works too
    assert layer.built and layer.input_shape == (None, 4)
    assert len(layer.weights) == 2
    layer(np.ones((2, 4)))
    assert len(layer.weights) == 2  # not built a second time


def test_weights_are_c_contiguous_whatever_the_initializer_returns():
    """Fused kernels take C-contiguous arrays only: a Fortran-ordered initial value (an LSTM's
    orthogonal recurrent kernel came that way) would leave its optimizer update in NumPy."""
    from glassnet.layers import LSTM, Layer

    lstm = LSTM(8, input_shape=(3, 5))
    lstm.build((None, 3, 5))
    assert all(w.data.flags.c_contiguous for w in lstm.weights)

    layer = Layer()
    fortran = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    weight = layer.add_weight(shape=(3, 4), initializer=lambda shape, dtype: fortran,
                              dtype="float64")
    assert weight.data.flags.c_contiguous
    np.testing.assert_array_equal(weight.data, fortran)
