"""ONNX export: every layer type in a small model, and the seed MLP, LeNet and the LSTM, run in
onnxruntime (an independent implementation) and compared with glassnet's predict (<= 1e-5)."""

import pathlib
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli
from glassnet.errors import GlassnetValueError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

L = gn.layers
TOLERANCE = 1e-5


def _session(model, tmp_path, **kwargs):
    path = tmp_path / "model.onnx"
    model.export(path, verbose=False, **kwargs)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]), proto


def assert_same(model, inputs, tmp_path, **kwargs):
    """onnxruntime's outputs of the exported model == model.predict(inputs), within 1e-5."""
    inputs = inputs if isinstance(inputs, list) else [inputs]
    session, proto = _session(model, tmp_path, **kwargs)
    feed = {arg.name: x for arg, x in zip(session.get_inputs(), inputs, strict=True)}
    got = session.run(None, feed)
    expected = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    expected = expected if isinstance(expected, list) else [expected]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=0, atol=TOLERANCE)
    return proto


def _x(*shape, seed=0, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype("float32")


def _randomize(model, seed=1):
    """Random weights everywhere (biases too, variances positive) so nothing is trivially 0."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        values = rng.normal(0, 0.5, size=w.shape)
        if "variance" in (getattr(w, "path", "") or ""):
            values = rng.uniform(0.5, 2.0, size=w.shape)
        w.data[...] = values.astype(w.dtype)
    return model


# ====================================================================== the seed models
@pytest.mark.parametrize("builder, shape", [(cli.build_mlp, (784,)), (cli.build_cnn, (28, 28, 1)),
                                            (cli.build_lstm, (28, 28))],
                         ids=["seed_mlp", "lenet", "lstm"])
def test_seed_models_match_onnxruntime(builder, shape, tmp_path):
    gn.manual_seed(0)
    model = builder()
    proto = assert_same(model, _x(6, *shape, low=0.0, high=1.0), tmp_path)
    assert proto.opset_import[0].version == 17 and proto.producer_name == "glassnet"
    batch = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param == "batch"  # a dynamic batch dimension
    transposes = [n for n in proto.graph.node if n.op_type == "Transpose"]
    if builder is cli.build_cnn:  # NHWC -> NCHW once before the convolutions, back once after
        assert len(transposes) == 2


FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "keras"
KERAS_FIXTURES = ["mlp", "cnn", "conv_functional", "rnn", "gru_variants", "branches",
                  "two_inputs", "nested"]


@pytest.mark.parametrize("name", KERAS_FIXTURES)
def test_models_trained_in_keras_give_keras_predictions_in_onnxruntime(name, tmp_path):
    """Real Keras's saved predictions (tests/interop/fixtures/keras/NAME.npz) against
    onnxruntime running glassnet's export of the .keras file: glassnet's own predict is not
    in the comparison at all."""
    pytest.importorskip("h5py")
    model = gn.io.load_model(FIXTURES / f"{name}.keras")
    data = np.load(FIXTURES / f"{name}.npz")  # x (or x0, x1...) and Keras's y
    expected = data["y"]
    inputs = [data["x"]] if "x" in data else [data[f"x{i}"] for i in range(len(data.files) - 1)]
    session, _ = _session(model, tmp_path)
    (got,) = session.run(None, {a.name: v for a, v in zip(session.get_inputs(), inputs,
                                                           strict=True)})
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE)


def test_the_batch_dimension_is_dynamic(tmp_path):
    model = _randomize(gn.Sequential([L.Dense(3, activation="tanh", input_shape=(4,))]))
    session, _ = _session(model, tmp_path)
    for n in (1, 9):
        x = _x(n, 4, seed=n)
        (y,) = session.run(None, {session.get_inputs()[0].name: x})
        np.testing.assert_allclose(y, model.predict(x, verbose=0), atol=TOLERANCE)


# ====================================================================== dense and activations
ACTIVATION_NAMES = ["linear", "step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus",
                    "softmax", "log_softmax", "gelu", "swish", "silu", "hard_sigmoid"]


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_dense_with_every_activation(activation, tmp_path):
    model = _randomize(gn.Sequential([L.Dense(5, activation=activation, input_shape=(4,)),
                                      L.Dense(3, use_bias=False)]))
    assert_same(model, _x(8, 4, high=4.0, low=-4.0), tmp_path)


def test_every_glassnet_activation_is_covered():
    from glassnet.activations import ACTIVATIONS

    assert {f.__name__ for f in ACTIVATIONS.values()} <= set(ACTIVATION_NAMES)


@pytest.mark.parametrize("layer", [
    L.Activation("gelu"), L.ReLU(), L.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.5),
    L.ReLU(max_value=1.0), L.LeakyReLU(0.1), L.ELU(0.5), L.PReLU(shared_axes=[1]),
    L.Softmax(axis=1), L.Softmax(axis=(1, 2)),
], ids=lambda layer: type(layer).__name__)
def test_activation_layers(layer, tmp_path):
    model = _randomize(gn.Sequential([L.Dense(6, input_shape=(3, 4)), layer]))
    assert_same(model, _x(5, 3, 4), tmp_path)


# ====================================================================== convolution and pooling
@pytest.mark.parametrize("kwargs", [
    {}, {"padding": "same"}, {"strides": 2}, {"strides": (2, 1), "padding": "same"},
    {"dilation_rate": 2}, {"dilation_rate": 2, "padding": "same"},
    {"data_format": "channels_first"}, {"activation": "relu", "use_bias": False},
], ids=str)
def test_conv2d(kwargs, tmp_path):
    shape = (3, 9, 8) if kwargs.get("data_format") == "channels_first" else (9, 8, 3)
    model = _randomize(gn.Sequential([L.Conv2D(4, (3, 2), input_shape=shape, **kwargs)]))
    assert_same(model, _x(2, *shape), tmp_path)


@pytest.mark.parametrize("kwargs", [{}, {"padding": "same", "strides": 2}, {"padding": "causal"},
                                    {"dilation_rate": 2, "padding": "causal"}], ids=str)
def test_conv1d(kwargs, tmp_path):
    model = _randomize(gn.Sequential([L.Conv1D(4, 3, input_shape=(10, 3), **kwargs)]))
    assert_same(model, _x(2, 10, 3), tmp_path)


@pytest.mark.parametrize("layer", [
    L.DepthwiseConv2D(3), L.DepthwiseConv2D((3, 2), depth_multiplier=2, padding="same",
                                            strides=2, activation="relu"),
    L.SeparableConv2D(4, 3, depth_multiplier=2, padding="same"),
    L.SeparableConv2D(3, 2, use_bias=False, dilation_rate=2),
], ids=lambda layer: type(layer).__name__)
def test_depthwise_and_separable_convolutions(layer, tmp_path):
    model = _randomize(gn.Sequential([L.Input(shape=(7, 6, 3)), layer]))
    assert_same(model, _x(2, 7, 6, 3), tmp_path)


def test_conv2d_with_unknown_image_size_uses_same_upper(tmp_path):
    model = _randomize(gn.Sequential([L.Conv2D(2, 3, strides=2, padding="same",
                                               input_shape=(None, None, 1)),
                                      L.GlobalAveragePooling2D()]))
    assert_same(model, _x(2, 7, 6, 1), tmp_path)


@pytest.mark.parametrize("pool", [L.MaxPooling2D, L.AveragePooling2D])
@pytest.mark.parametrize("kwargs", [{}, {"pool_size": 3, "strides": 2, "padding": "same"},
                                    {"pool_size": (2, 3), "strides": 1}], ids=str)
def test_pooling2d(pool, kwargs, tmp_path):
    model = gn.Sequential([L.Input(shape=(7, 8, 2)), pool(**kwargs)])
    assert_same(model, _x(3, 7, 8, 2), tmp_path)


@pytest.mark.parametrize("pool", [L.MaxPooling1D, L.AveragePooling1D])
@pytest.mark.parametrize("kwargs", [{}, {"pool_size": 3, "strides": 2, "padding": "same"}],
                         ids=str)
def test_pooling1d(pool, kwargs, tmp_path):
    model = gn.Sequential([L.Input(shape=(9, 2)), pool(**kwargs)])
    assert_same(model, _x(3, 9, 2), tmp_path)


@pytest.mark.parametrize("layer, shape", [
    (L.GlobalAveragePooling2D(), (5, 4, 3)), (L.GlobalMaxPooling2D(), (5, 4, 3)),
    (L.GlobalAveragePooling2D(keepdims=True), (5, 4, 3)), (L.GlobalAveragePooling1D(), (6, 3)),
    (L.GlobalMaxPooling1D(), (6, 3)),
    (L.GlobalAveragePooling2D(data_format="channels_first"), (3, 5, 4)),
], ids=lambda v: type(v).__name__ if isinstance(v, L.Layer) else str(v))
def test_global_pooling(layer, shape, tmp_path):
    assert_same(gn.Sequential([L.Input(shape=shape), layer]), _x(2, *shape), tmp_path)


# ====================================================================== normalization, shapes
@pytest.mark.parametrize("kwargs, shape", [({}, (4, 4, 3)), ({}, (5,)), ({"axis": 1}, (3, 4, 4)),
                                           ({"center": False, "scale": False}, (5,))], ids=str)
def test_batch_normalization_uses_the_moving_statistics(kwargs, shape, tmp_path):
    model = _randomize(gn.Sequential([L.Input(shape=shape), L.BatchNormalization(**kwargs)]))
    assert_same(model, _x(3, *shape), tmp_path)


@pytest.mark.parametrize("kwargs, shape", [({}, (3, 5)), ({"axis": (-2, -1)}, (3, 5)),
                                           ({"center": False, "scale": False}, (4,))], ids=str)
def test_layer_normalization(kwargs, shape, tmp_path):
    model = _randomize(gn.Sequential([L.Input(shape=shape), L.LayerNormalization(**kwargs)]))
    assert_same(model, _x(3, *shape), tmp_path)


def test_layer_normalization_over_a_leading_axis_is_refused(tmp_path):
    model = gn.Sequential([L.Input(shape=(3, 5)), L.LayerNormalization(axis=1)])
    with pytest.raises(GlassnetValueError, match="trailing axes"):
        model.export(tmp_path / "m.onnx", verbose=False)


@pytest.mark.parametrize("inner", [L.Dense(3, activation="relu"), L.Conv1D(2, 2)],
                         ids=lambda layer: type(layer).__name__)
def test_time_distributed(inner, tmp_path):
    shape = (4, 5) if isinstance(inner, L.Dense) else (4, 6, 2)
    model = _randomize(gn.Sequential([L.Input(shape=shape), L.TimeDistributed(inner)]))
    assert_same(model, _x(2, *shape), tmp_path)


def test_identity_layers_at_inference(tmp_path):
    model = _randomize(gn.Sequential([
        L.Input(shape=(6, 4)), L.Dropout(0.5), L.GaussianNoise(1.0), L.GaussianDropout(0.3),
        L.SpatialDropout1D(0.5), L.ActivityRegularization(0.1), L.Identity(), L.Dense(2)]))
    assert_same(model, _x(3, 6, 4), tmp_path)


def test_flatten_keeps_the_channels_last_order_before_dense(tmp_path):
    model = _randomize(gn.Sequential([L.Conv2D(3, 2, input_shape=(5, 4, 2)), L.Flatten(),
                                      L.Dense(4)]))
    assert_same(model, _x(2, 5, 4, 2), tmp_path)


def test_reshaping_layers(tmp_path):
    model = _randomize(gn.Sequential([
        L.Input(shape=(12,)), L.Reshape((3, -1)), L.Permute((2, 1)), L.Flatten(),
        L.RepeatVector(2), L.Reshape((2, 3, 4)), L.ZeroPadding2D(((1, 0), (2, 1))),
        L.Cropping2D(((0, 1), (1, 1))), L.Reshape((-1, 4)), L.ZeroPadding1D(2),
        L.Cropping1D((1, 2)), L.Dense(2)]))
    assert_same(model, _x(3, 12), tmp_path)


def test_rescaling_and_upsampling(tmp_path):
    model = _randomize(gn.Sequential([
        L.Input(shape=(3, 4, 2)), L.Rescaling(1 / 255, offset=-0.5), L.UpSampling2D((2, 3)),
        L.Reshape((18, 8)), L.UpSampling1D(2), L.Dense(2)]))
    assert_same(model, _x(2, 3, 4, 2, high=255.0, low=0.0), tmp_path)


@pytest.mark.parametrize("dtype", ["int32", "int64", "float32"])
def test_embedding(dtype, tmp_path):
    tokens = L.Input(shape=(5,), dtype=dtype)
    model = _randomize(gn.Model(tokens, L.GlobalAveragePooling1D()(L.Embedding(10, 4)(tokens))))
    ids = np.random.default_rng(0).integers(0, 10, size=(3, 5)).astype(dtype)
    proto = assert_same(model, ids, tmp_path)
    elem = proto.graph.input[0].type.tensor_type.elem_type
    assert elem == onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


# ====================================================================== recurrent layers
RNN_CASES = [
    (L.SimpleRNN, {}), (L.SimpleRNN, {"activation": "relu", "return_sequences": True}),
    (L.SimpleRNN, {"go_backwards": True}), (L.LSTM, {}), (L.LSTM, {"return_sequences": True}),
    (L.LSTM, {"go_backwards": True, "return_sequences": True}), (L.LSTM, {"use_bias": False}),
    (L.GRU, {}), (L.GRU, {"return_sequences": True}), (L.GRU, {"reset_after": False}),
    (L.GRU, {"go_backwards": True}), (L.SimpleRNN, {"activation": "linear"}),
]


@pytest.mark.parametrize("cls, kwargs", RNN_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_recurrent_layers(cls, kwargs, tmp_path):
    model = _randomize(gn.Sequential([cls(5, input_shape=(7, 3), **kwargs)]))
    assert_same(model, _x(4, 7, 3), tmp_path)


def test_recurrent_layer_with_unknown_timesteps(tmp_path):
    model = _randomize(gn.Sequential([L.LSTM(4, input_shape=(None, 3)), L.Dense(2)]))
    session, _ = _session(model, tmp_path)
    for steps in (2, 9):
        x = _x(3, steps, 3, seed=steps)
        (y,) = session.run(None, {session.get_inputs()[0].name: x})
        np.testing.assert_allclose(y, model.predict(x, verbose=0), atol=TOLERANCE)


@pytest.mark.parametrize("cls", [L.LSTM, L.GRU, L.SimpleRNN])
def test_return_state_outputs(cls, tmp_path):
    x = L.Input(shape=(6, 3))
    outputs = cls(4, return_state=True, return_sequences=True)(x)
    model = _randomize(gn.Model(x, list(outputs)))
    assert_same(model, _x(2, 6, 3), tmp_path)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional(merge_mode, return_sequences, tmp_path):
    layer = L.Bidirectional(L.GRU(3, return_sequences=return_sequences), merge_mode=merge_mode)
    model = _randomize(gn.Sequential([L.Input(shape=(5, 2)), layer]))
    assert_same(model, _x(2, 5, 2), tmp_path)


# ====================================================================== merge layers, graphs
def test_merge_layers_in_a_functional_model_with_two_inputs_and_outputs(tmp_path):
    a, b = L.Input(shape=(4,), name="a"), L.Input(shape=(4,), name="b")
    c = L.Dense(4, name="c")(a)
    merged = [L.Add()([a, b, c]), L.Subtract()([a, b]), L.Multiply()([a, b, c]),
              L.Average()([a, b, c]), L.Maximum()([a, b, c]), L.Minimum()([a, b])]
    joined = L.Concatenate()(merged)
    side = L.Concatenate(axis=1)([L.Reshape((4, 1))(a), L.Reshape((4, 1))(b)])
    model = _randomize(gn.Model([a, b], [L.Dense(3, name="head")(joined), side]))
    proto = assert_same(model, [_x(5, 4, seed=1), _x(5, 4, seed=2)], tmp_path)
    assert [i.name for i in proto.graph.input] == ["a", "b"]
    assert [o.name for o in proto.graph.output][0] == "head"


def test_a_nested_sequential_inside_a_functional_model(tmp_path):
    inner = gn.Sequential([L.Dense(4, activation="relu", input_shape=(3,)), L.Dense(2)])
    x = L.Input(shape=(3,))
    model = _randomize(gn.Model(x, L.Dense(1)(inner(x))))
    assert_same(model, _x(4, 3), tmp_path)


def test_an_unbuilt_sequential_is_built_from_input_signature(tmp_path):
    model = gn.Sequential([L.Dense(3), L.Dense(2)])
    with pytest.raises(GlassnetValueError, match="no input shape yet.*input_signature"):
        model.export(tmp_path / "m.onnx", verbose=False)
    model.build((None, 5))
    _randomize(model)
    assert_same(model, _x(2, 5), tmp_path, input_signature=[(None, 5)])


# ====================================================================== refusals
def test_an_unsupported_layer_is_named_with_the_supported_list(tmp_path):
    model = gn.Sequential([L.Input(shape=(4, 4, 1)), L.Conv2DTranspose(2, 3), L.Flatten()])
    with pytest.raises(GlassnetValueError) as info:
        model.export(tmp_path / "m.onnx", verbose=False)
    message = str(info.value)
    assert "'conv2d_transpose" in message and "(Conv2DTranspose)" in message
    assert "Layers that can be exported:" in message and "Conv2D" in message
    assert not (tmp_path / "m.onnx").exists()


def test_custom_activations_subclasses_and_subclassed_models_are_refused(tmp_path):
    model = gn.Sequential([L.Dense(2, activation=lambda z: z * 2, input_shape=(3,))])
    with pytest.raises(GlassnetValueError, match="activation .* not one of glassnet's"):
        model.export(tmp_path / "a.onnx", verbose=False)

    class MyDense(L.Dense):
        pass

    with pytest.raises(GlassnetValueError, match=r"\(MyDense\) has no ONNX conversion"):
        gn.Sequential([MyDense(2, input_shape=(3,))]).export(tmp_path / "b.onnx", verbose=False)

    class Net(gn.Model):
        def __init__(self):
            super().__init__()
            self.d = L.Dense(2)

        def call(self, inputs):
            return self.d(inputs)

    net = Net()
    net(np.ones((1, 3), "float32"))
    with pytest.raises(GlassnetValueError, match="subclassed Model.*functional API"):
        net.export(tmp_path / "c.onnx", verbose=False)


def test_embedding_masks_and_extra_call_tensors_are_refused(tmp_path):
    tokens = L.Input(shape=(4,), dtype="int32")
    model = gn.Model(tokens, L.LSTM(2)(L.Embedding(5, 3, mask_zero=True)(tokens)))
    with pytest.raises(GlassnetValueError, match="mask_zero=True"):
        model.export(tmp_path / "m.onnx", verbose=False)
    x, h, c = L.Input(shape=(3, 2)), L.Input(shape=(4,)), L.Input(shape=(4,))
    model = gn.Model([x, h, c], L.LSTM(4)(x, initial_state=[h, c]))
    with pytest.raises(GlassnetValueError, match="initial_state"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_formats_other_than_onnx_and_safetensors_are_refused(tmp_path):
    model = gn.Sequential([L.Dense(2, input_shape=(3,))])
    for fmt in ("tf_saved_model", "openvino", "litert", "torch", "tflite"):
        with pytest.raises(GlassnetValueError, match="'onnx' \\(the default\\) and "
                                                     "'safetensors'"):
            model.export(tmp_path / "m", format=fmt)
    with pytest.raises(TypeError, match="opset_version"):
        model.export(tmp_path / "m.onnx", verbose=False, precision="fp16")


def test_verbose_prints_the_path_and_opset(tmp_path, capsys):
    model = gn.Sequential([L.Dense(2, input_shape=(3,))])
    model.export(tmp_path / "m.onnx", opset_version=15)  # Keras's keyword
    out = capsys.readouterr().out
    assert "m.onnx" in out and "opset 15" in out
    assert onnx.load(str(tmp_path / "m.onnx")).opset_import[0].version == 15


def test_without_onnx_the_error_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    model = gn.Sequential([L.Dense(2, input_shape=(3,))])
    with pytest.raises(ImportError, match=r'pip install "glassnet\[onnx\]"'):
        model.export(tmp_path / "m.onnx")
