"""Tests for glassnet.layers.core: Dense, Activation, Flatten, Reshape, Dropout, Input, Lambda,
Identity, Masking."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers.core import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    Reshape,
    dense,
)
from tests.conftest import assert_gradcheck, f64


# ------------------------------------------------------------------------ Dense
def test_dense_shapes_and_keras_weight_layout():
    layer = Dense(5)
    y = layer(np.ones((4, 3)))
    assert y.shape == (4, 5)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 5) and bias.shape == (5,)
    assert kernel.dtype == np.float32
    np.testing.assert_array_equal(bias, 0.0)  # bias_initializer="zeros"
    assert layer.count_params() == 3 * 5 + 5


def test_dense_formula_with_known_weights():
    layer = Dense(2, activation="sigmoid")
    layer(np.zeros((1, 3)))
    w = np.array([[1.0, -1.0], [2.0, 0.0], [0.5, 3.0]])
    b = np.array([0.1, -0.2])
    layer.set_weights([w, b])
    x = np.array([[1.0, 2.0, 3.0]])
    z = x @ w + b  # [[6.6, 8.8]]
    expected = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-6)


def test_dense_on_rank_3_inputs_uses_last_axis():
    layer = Dense(4, kernel_initializer="ones", bias_initializer="ones")
    y = layer(np.ones((2, 5, 3)))
    assert y.shape == (2, 5, 4)
    np.testing.assert_allclose(y.numpy(), 4.0)  # 3 * 1 + 1
    assert layer.compute_output_shape((None, 5, 3)) == (None, 5, 4)


def test_dense_without_bias_and_invalid_units():
    layer = Dense(3, use_bias=False)
    layer(np.ones((1, 2)))
    assert [w.name for w in layer.weights] == ["kernel"]
    assert layer.count_params() == 6
    for bad in (0, -1, 2.5, True):
        with pytest.raises(GlassnetValueError, match="units"):
            Dense(bad)


def test_dense_needs_known_feature_axis():
    with pytest.raises(ShapeError, match="rank >= 2"):
        Dense(2)(np.ones(3))


def test_dense_gradcheck_float64_layer(rng):
    layer = Dense(3, activation="tanh", dtype="float64")
    layer(np.zeros((1, 4)))

    def fn(x, kernel, bias):
        layer.kernel, layer.bias = kernel, bias
        return layer(x)

    assert_gradcheck(fn, f64(rng, 5, 4), f64(rng, 4, 3), f64(rng, 3))


def test_dense_gradcheck_rank_3(rng):
    assert_gradcheck(lambda x, w, b: dense(x, w, b), f64(rng, 2, 3, 4), f64(rng, 4, 2),
                     f64(rng, 2))
    assert_gradcheck(lambda x, w: dense(x, w), f64(rng, 3, 4), f64(rng, 4, 2))


def test_fused_dense_gradients_equal_formulas(rng):
    x = gn.tensor(rng.normal(size=(6, 4)).astype(np.float32), requires_grad=True)
    w = gn.tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    b = gn.tensor(rng.normal(size=3).astype(np.float32), requires_grad=True)
    g = rng.normal(size=(6, 3)).astype(np.float32)
    z = dense(x, w, b)
    assert z.dtype == np.float32
    z.backward(g)
    np.testing.assert_allclose(z.numpy(), x.data @ w.data + b.data, rtol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), x.data.T @ g, rtol=1e-5)  # dW = x^T dz
    np.testing.assert_allclose(b.grad.numpy(), g.sum(axis=0), rtol=1e-5)  # db = sum dz
    np.testing.assert_allclose(x.grad.numpy(), g @ w.data.T, rtol=1e-5)  # dx = dz W^T
    assert w.grad.dtype == np.float32 and x.grad.dtype == np.float32


def test_fused_dense_second_derivatives_match_composed(rng):
    x_data = rng.normal(size=(3, 4))

    def second(linear):
        x = gn.tensor(x_data, requires_grad=True)
        w = gn.tensor(np.linspace(-1, 1, 8).reshape(4, 2), requires_grad=True)
        b = gn.tensor(np.array([0.1, -0.3]), requires_grad=True)
        linear(x, w, b).tanh().sum().backward(create_graph=True)
        gx = x.grad
        x.grad = w.grad = b.grad = None
        (gx * gx).sum().backward()
        return w.grad.numpy(), b.grad.numpy()

    fused = second(dense)
    composed = second(lambda x, w, b: x @ w + b)
    for a, c in zip(fused, composed, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-10)


def test_dense_config_round_trip_keeps_numbers():
    layer = Dense(3, activation="relu", kernel_initializer="he_normal",
                  kernel_regularizer="l2", name="dd")
    clone = Dense.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.get_config()["kernel_regularizer"] == {
        "class_name": "L2", "config": {"l2": 0.01}
    }


# ------------------------------------------------------------------------ Activation / shape
def test_activation_layer():
    y = Activation("relu")(np.array([[-1.0, 0.5]]))
    np.testing.assert_array_equal(y.numpy(), [[0.0, 0.5]])
    assert Activation("softmax").get_config()["activation"] == "softmax"


def test_flatten_and_reshape():
    x = np.arange(24.0).reshape(2, 3, 4)
    y = Flatten()(x)
    assert y.shape == (2, 12)
    np.testing.assert_array_equal(y.numpy(), x.reshape(2, 12))
    assert Flatten().compute_output_shape((None, 28, 28, 1)) == (None, 784)
    r = Reshape((4, -1))
    assert r(x).shape == (2, 4, 3)
    assert r.compute_output_shape((None, 3, 4)) == (None, 4, 3)
    with pytest.raises(ShapeError, match="reshape"):
        Reshape((5,))(x)
    with pytest.raises(GlassnetValueError, match="-1"):
        Reshape((-1, -1))


# ------------------------------------------------------------------------ Dropout
def test_dropout_inverted_scaling_in_training():
    x = np.ones((1000, 100), dtype=np.float32)
    y = Dropout(0.25)(x, training=True).numpy()
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.75], rtol=1e-6)
    dropped = (y == 0).mean()
    assert abs(dropped - 0.25) < 0.01  # 1e5 draws: standard deviation 0.0014
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation
    assert y.dtype == np.float32


def test_dropout_inactive_at_inference():
    x = gn.tensor(np.ones((3, 4), dtype=np.float32))
    layer = Dropout(0.9)
    assert layer(x) is x
    assert layer(x, training=False) is x


def test_dropout_gradient_is_the_mask():
    x = gn.tensor(np.ones((50, 20)), requires_grad=True)
    y = Dropout(0.5)(x, training=True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())  # both are mask / (1 - rate)


def test_dropout_noise_shape_seed_and_reproducibility():
    x = np.ones((4, 6, 8))
    y = Dropout(0.5, noise_shape=(None, 1, 8))(x, training=True).numpy()
    assert np.all(y == y[:, :1, :])  # the same mask along axis 1
    a = Dropout(0.5, seed=3)(x, training=True).numpy()
    b = Dropout(0.5, seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    gn.manual_seed(11)
    c = Dropout(0.5)(x, training=True).numpy()
    gn.manual_seed(11)
    d = Dropout(0.5)(x, training=True).numpy()
    np.testing.assert_array_equal(c, d)
    for bad in (1.0, -0.1, "0.5"):
        with pytest.raises(GlassnetValueError, match="rate"):
            Dropout(bad)


# ------------------------------------------------------------------------ Input
def test_input_and_input_layer():
    x = Input(shape=(5,), name="pixels")
    assert x.shape == (None, 5)
    assert isinstance(x.node.layer, InputLayer) and x.node.layer.name == "pixels"
    y = Dense(3)(x)
    assert y.shape == (None, 3) and y.node.layer.built
    ints = Input(shape=(7,), dtype="int32")
    assert ints.dtype == np.int32
    assert Input(batch_shape=(8, 2)).shape == (8, 2)
    assert InputLayer.from_config(x.node.layer.get_config()).output.shape == (None, 5)


def test_default_activation_is_keras_linear_and_named_ones_resolve():
    from glassnet import activations

    assert gn.layers.Dense(3).activation is activations.linear
    assert gn.layers.Dense(3, activation="relu").activation is activations.relu
    layer = gn.layers.Dense(2, activation=None, kernel_initializer="ones", bias_initializer="ones")
    x = np.array([[-3.0, -4.0]], dtype=np.float32)
    np.testing.assert_allclose(layer(x).data, [[-6.0, -6.0]])  # no ReLU clipped it


# ------------------------------------------------------------------------ Lambda
def _triple(x):
    return x * 3.0


def _lambda_model():
    from glassnet.layers.core import Lambda

    gn.manual_seed(0)
    return gn.Sequential([Input((3,)), Lambda(_triple), Dense(2)])


def test_lambda_in_memory_arguments_mask_and_training():
    from glassnet.layers.core import Lambda

    x = np.array([[1.0, -2.0]])
    np.testing.assert_allclose(Lambda(lambda t, k: t * k, arguments={"k": 4.0})(x).data,
                               [[4.0, -8.0]])
    seen = {}

    def spy(t, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return t

    Lambda(spy)(x, training=True)
    assert seen == {"mask": None, "training": True}
    embedded = gn.layers.Embedding(5, 2, mask_zero=True)(np.array([[1, 0]]))
    out = Lambda(spy, mask=lambda inputs, mask: mask)(embedded)
    np.testing.assert_array_equal(seen["mask"], [[True, False]])
    np.testing.assert_array_equal(out._keras_mask, [[True, False]])
    doubled = Lambda(lambda t: t * 2.0)(embedded)
    assert getattr(doubled, "_keras_mask", None) is None  # mask=None: no output mask
    with pytest.raises(gn.GlassnetTypeError, match="'lam'.*callable"):
        Lambda(3, name="lam")


def test_lambda_output_shapes_symbolic_and_gradcheck(rng):
    from glassnet.layers.core import Lambda

    inputs = Input((None, 4))
    assert Lambda(lambda t: t[:, :1])(inputs).shape == (None, 1, 4)
    assert Lambda(lambda t: t.sum(axis=1), output_shape=(4,))(inputs).shape == (None, 4)
    fixed = Lambda(lambda t: t, output_shape=lambda shape: shape[:2] + (7,))
    assert fixed.compute_output_shape((None, 3, 4)) == (None, 3, 7)
    a, b = Input((3,)), Input((3,))
    assert Lambda(lambda pair: pair[0] * pair[1])([a, b]).shape == (None, 3)
    layer = Lambda(lambda t: gn.tanh(t) * t, dtype="float64")
    assert_gradcheck(lambda v: layer(v), f64(rng, 3, 4))


def test_lambda_config_holds_a_marker_never_code():
    import json

    from glassnet.layers.core import Lambda

    layer = Lambda(_triple, output_shape=(3,), arguments={})
    config = layer.get_config()
    assert config["function"] == {"class_name": "__python_function__",
                                  "config": {"name": "_triple", "module": __name__}}
    assert config["output_shape"] == [3]
    json.dumps(config)
    with pytest.raises(GlassnetValueError, match="cannot be deserialized safely"):
        Lambda.from_config(config)
    rebuilt = Lambda.from_config(config, custom_objects={"_triple": _triple})
    np.testing.assert_allclose(rebuilt(np.ones((1, 3))).data, [[3.0, 3.0, 3.0]])


def test_saved_lambda_model_refuses_to_load_safely(tmp_path):
    import zipfile

    from glassnet.errors import FileFormatError

    model = _lambda_model()
    path = tmp_path / "lambda.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        text = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".json"))
    assert b"__python_function__" in text and b"x * 3.0" not in text
    with pytest.raises(FileFormatError, match="cannot be deserialized safely.*safe_mode=False"):
        gn.models.load_model(path)
    with pytest.raises(FileFormatError, match="custom_objects"):
        gn.models.load_model(path, custom_objects={"_triple": _triple})  # safe_mode still on
    with pytest.raises(FileFormatError, match="safe_mode=False was given, but custom_objects"):
        gn.models.load_model(path, safe_mode=False)
    loaded = gn.models.load_model(path, safe_mode=False, custom_objects={"_triple": _triple})
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(loaded(x).data, model(x).data, rtol=1e-6)
    with pytest.raises(FileFormatError):  # the unsafe setting does not outlive the call
        gn.models.load_model(path, custom_objects={"_triple": _triple})


# ------------------------------------------------------------------------ Identity
def test_identity_passes_values_and_mask(rng):
    from glassnet.layers.core import Identity

    x = rng.normal(size=(2, 3)).astype(np.float32)
    np.testing.assert_array_equal(Identity()(x).data, x)
    assert Identity()(Input((None, 5))).shape == (None, None, 5)
    embedded = gn.layers.Embedding(5, 2, mask_zero=True)(np.array([[1, 0]]))
    np.testing.assert_array_equal(Identity()(embedded)._keras_mask, [[True, False]])
    assert_gradcheck(lambda v: Identity(dtype="float64")(v), f64(rng, 2, 3))
    assert type(gn.layers.deserialize(gn.layers.serialize(Identity()))) is Identity


# ------------------------------------------------------------------------ Masking
def test_masking_mask_and_values(rng):
    from glassnet.layers.core import Masking

    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]], [[-1.0, -1.0], [4.0, 0.0], [0.0, 0.0]]])
    out = Masking()(x)
    expected_mask = np.any(x != 0.0, axis=-1)
    np.testing.assert_array_equal(out._keras_mask, expected_mask)
    np.testing.assert_array_equal(out.data, x * expected_mask[..., None])
    custom = Masking(mask_value=-1.0)(x)
    np.testing.assert_array_equal(custom._keras_mask, [[True, True, True], [False, True, True]])
    np.testing.assert_array_equal(custom.data[1, 0], [0.0, 0.0])  # masked steps become 0
    assert Masking().mask_value == 0.0
    with pytest.raises(GlassnetValueError, match="'mk'.*mask_value"):
        Masking("pad", name="mk")
    layer = Masking(dtype="float64")
    assert_gradcheck(lambda v: layer(v), gn.tensor(x + rng.uniform(0.1, 0.2, size=x.shape)))


def test_masking_is_consumed_by_recurrent_layers(tmp_path, rng):
    from glassnet.layers.core import Masking

    gn.manual_seed(4)
    model = gn.Sequential([Input((None, 3)), Masking(mask_value=-9.0),
                           gn.layers.LSTM(4, return_sequences=True), gn.layers.GRU(2)])
    short = rng.normal(size=(1, 2, 3)).astype(np.float32)
    padded = np.concatenate([short, np.full((1, 3, 3), -9.0, np.float32)], axis=1)
    np.testing.assert_allclose(model(padded).data, model(short).data, rtol=1e-5, atol=1e-6)
    inputs = Input((None, 3))
    functional = gn.Model(inputs, gn.layers.SimpleRNN(3)(Masking(-9.0)(inputs)))
    np.testing.assert_allclose(functional(padded).data, functional(short).data, rtol=1e-5,
                               atol=1e-6)
    path = tmp_path / "masking.keras"
    model.save(path)
    loaded = gn.models.load_model(path)
    assert loaded.layers[0].mask_value == -9.0
    np.testing.assert_allclose(loaded(padded).data, model(short).data, rtol=1e-5, atol=1e-6)
