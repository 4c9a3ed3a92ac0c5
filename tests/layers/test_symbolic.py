"""The functional API's symbolic calls: several tensor arguments, masks, unknown dimensions."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import (
    GRU,
    LSTM,
    Conv1D,
    Conv2D,
    Dense,
    Embedding,
    GlobalMaxPooling1D,
    Input,
    Layer,
    MaxPooling1D,
    MaxPooling2D,
    SimpleRNN,
)
from glassnet.layers.serialization import register_layer
from glassnet.layers.symbolic import KerasTensor
from glassnet.models import Model
from tests.conftest import assert_gradcheck, f64


@register_layer
class WeightedSum(Layer):
    """``a + scale * b`` from two positional tensors (a ``call(self, a, b)`` signature)."""

    def call(self, a, b, scale=1.0):
        return a + b * scale


class Endpoint(Layer):
    """The guide's endpoint: ``call(targets, logits)`` adds the loss, returns sigmoid(logits)."""

    def call(self, targets, logits, sample_weights=None):
        self.add_loss(gn.losses.BinaryCrossentropy(from_logits=True)(targets, logits))
        return gn.functional.sigmoid(logits)


def test_two_positional_tensors_eagerly(rng):
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    out = WeightedSum()(a, b, scale=2.0)
    np.testing.assert_allclose(out.numpy(), a + 2.0 * b, rtol=1e-6)
    endpoint = Endpoint()
    targets = rng.integers(0, 2, size=(4, 3)).astype(float)
    probs = endpoint(targets, a)
    np.testing.assert_allclose(probs.numpy(), 1 / (1 + np.exp(-a)), rtol=1e-5)
    bce = np.mean(np.maximum(a, 0) - a * targets + np.log1p(np.exp(-np.abs(a))))
    assert float(endpoint.losses[0].data) == pytest.approx(bce, rel=1e-5)


def test_further_positional_arrays_keep_non_float_dtypes(rng):
    seen = {}

    class Masked(Layer):
        def call(self, inputs, mask):
            seen["dtype"] = mask.dtype
            return inputs * gn.tensor(mask.data.astype("float32"))

    out = Masked()(rng.normal(size=(2, 3)), np.array([[1, 0, 1], [0, 1, 1]], dtype=bool))
    assert seen["dtype"] == np.dtype(bool) and out.dtype == np.float32
    assert out.numpy()[0, 1] == 0


def test_two_positional_keras_tensors_record_one_node_with_both(rng):
    inputs, targets = Input(shape=(3,), name="inputs"), Input(shape=(2,), name="targets")
    logits = Dense(2, name="logits")(inputs)
    predictions = Endpoint(name="predictions")(targets, logits)
    assert isinstance(predictions, KerasTensor) and predictions.shape == (None, 2)
    node = predictions.node
    assert node.inputs is targets and node.args == (logits,)
    assert node.flat_inputs == [targets, logits]
    model = Model(inputs=[inputs, targets], outputs=predictions)
    assert [layer.name for layer in model.layers] == ["inputs", "targets", "logits",
                                                      "predictions"]
    x, t = rng.normal(size=(5, 3)), rng.integers(0, 2, size=(5, 2)).astype(float)
    kernel, bias = model.get_layer("logits").get_weights()
    z = x @ kernel + bias
    out = model({"inputs": x, "targets": t})  # a dict matched to the Input names
    np.testing.assert_allclose(out.numpy(), 1 / (1 + np.exp(-z)), rtol=1e-5)
    bce = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    assert float(model.losses[0].data) == pytest.approx(bce, rel=1e-5)
    np.testing.assert_allclose(model([x, t]).numpy(), out.numpy())


def test_endpoint_model_trains_on_add_loss_alone(rng):
    inputs, targets = Input(shape=(3,), name="inputs"), Input(shape=(10,), name="targets")
    logits = Dense(10)(inputs)
    model = Model(inputs=[inputs, targets], outputs=Endpoint(name="predictions")(targets, logits))
    model.compile(optimizer="adam")  # no loss: the layer's add_loss is the loss
    data = {"inputs": rng.random((6, 3)), "targets": rng.random((6, 10))}
    history = model.fit(data, epochs=2, batch_size=3, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_keyword_tensor_argument_and_gradient_through_both_positions(rng):
    a, b = Input(shape=(3,)), Input(shape=(3,))
    out = WeightedSum()(Dense(3, name="da")(a), b=Dense(3, name="db")(b), scale=0.5)
    model = Model([a, b], out)
    assert model._nodes[-1].kwargs["scale"] == 0.5
    ka, ba = model.get_layer("da").get_weights()
    kb, bb = model.get_layer("db").get_weights()
    xa, xb = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    expected = xa @ ka + ba + 0.5 * (xb @ kb + bb)
    np.testing.assert_allclose(model([xa, xb]).numpy(), expected, rtol=1e-5, atol=1e-6)
    layer = WeightedSum(dtype="float64")
    assert_gradcheck(lambda p, q: layer(p, q, scale=3.0), f64(rng, 2, 3), f64(rng, 2, 3))


def test_several_tensor_arguments_survive_get_config_and_save(rng, tmp_path):
    x, z = Input(shape=(3,), name="x"), Input(shape=(3,), name="z")
    h = Dense(3, name="d")(x)
    model = Model({"x": x, "z": z}, {"out": WeightedSum(name="ws")(h, z, scale=2.0), "h": h})
    data = {"x": rng.normal(size=(2, 3)), "z": rng.normal(size=(2, 3))}
    expected = model.predict(data, verbose=0)
    config = model.get_config()
    assert config["input_keys"] == ["x", "z"] and config["output_keys"] == ["out", "h"]
    rebuilt = Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    got = rebuilt.predict(data, verbose=0)
    assert list(got) == ["out", "h"]
    np.testing.assert_allclose(got["out"], expected["out"], rtol=1e-6)
    model.save(tmp_path / "m.keras")
    loaded = gn.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(data, verbose=0)["out"], expected["out"],
                               rtol=1e-6)


# ---------------------------------------------------------------------- masks
def test_mask_reaches_a_custom_call_in_a_functional_model():
    received = {}

    class MaskUser(Layer):
        def call(self, inputs, mask=None):
            received["mask"] = mask
            return inputs

    tokens = Input(shape=(None,), dtype="int32")
    embedded = Embedding(10, 4, mask_zero=True)(tokens)
    assert isinstance(embedded._keras_mask, KerasTensor)
    assert embedded._keras_mask.shape == (None, None) and embedded._keras_mask.dtype == bool
    model = Model(tokens, MaskUser()(embedded))
    x = np.array([[1, 2, 0, 0], [3, 0, 0, 0]])
    model.predict(x, verbose=0)
    np.testing.assert_array_equal(np.asarray(received["mask"]), x != 0)


def test_several_inputs_bring_one_mask_each_to_call():
    received = {}

    class Pair(Layer):
        def call(self, inputs, mask=None):
            received["mask"] = mask
            return inputs[0]

    x = np.array([[1, 0, 2]])
    embedded = Embedding(5, 2, mask_zero=True)(x)
    Pair()([embedded, gn.tensor(np.ones((1, 3, 2)))])
    assert len(received["mask"]) == 2 and received["mask"][1] is None
    np.testing.assert_array_equal(np.asarray(received["mask"][0]), [[True, False, True]])


def test_symbolic_masks_follow_supports_masking_and_compute_mask():
    class TemporalSplit(Layer):
        def call(self, inputs):
            half = inputs.shape[1] // 2
            return [inputs[:, :half], inputs[:, half:]]

        def compute_mask(self, inputs, mask=None):
            if mask is None:
                return None
            half = mask.shape[1] // 2
            return [mask[:, :half], mask[:, half:]]

    tokens = Input(shape=(6,), dtype="int32")
    embedded = Embedding(10, 4, mask_zero=True)(tokens)
    kept = LSTM(3, return_sequences=True)(embedded)
    assert kept._keras_mask.shape == (None, 6)
    assert LSTM(3)(embedded)._keras_mask is None  # the time axis is gone
    assert Dense(2)(Input(shape=(3,)))._keras_mask is None
    first, second = TemporalSplit()(embedded)
    assert first._keras_mask.shape == (None, 3) and second._keras_mask.shape == (None, 3)
    x = np.array([[1, 2, 3, 0, 0, 0]])
    eager = TemporalSplit()(Embedding(10, 4, mask_zero=True)(x))
    np.testing.assert_array_equal(np.asarray(eager[0]._keras_mask), [[True, True, True]])
    np.testing.assert_array_equal(np.asarray(eager[1]._keras_mask), [[False, False, False]])


def test_mask_given_as_a_keyword_keras_tensor(rng):
    values, mask = Input(shape=(4, 3)), Input(shape=(4,), dtype="bool")
    rnn = SimpleRNN(2, name="rnn")
    model = Model([values, mask], rnn(values, mask=mask))
    x = rng.normal(size=(2, 4, 3))
    m = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], dtype=bool)
    got = model.predict([x, m], verbose=0)
    np.testing.assert_allclose(got[0], rnn(x[:1, :2]).numpy()[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], rnn(x[1:, :3]).numpy()[0], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- unknown dimensions
@pytest.mark.parametrize("layer, expected", [
    (lambda: Conv1D(3, 3), (None, None, 3)),
    (lambda: Conv1D(3, 3, strides=2, padding="same"), (None, None, 3)),
    (lambda: MaxPooling1D(2), (None, None, 10)),
    (lambda: LSTM(4, return_sequences=True), (None, None, 4)),
    (lambda: GRU(2), (None, 2)),
    (lambda: Dense(5), (None, None, 5)),
    (lambda: GlobalMaxPooling1D(), (None, 10)),
])
def test_unknown_time_length_stays_none(layer, expected):
    assert layer()(Input(shape=(None, 10))).shape == expected


def test_conv1d_on_unknown_length_builds_and_runs(rng):
    series = Input(shape=(None, 10))
    conv = Conv1D(3, 3)
    out = GlobalMaxPooling1D()(conv(series))
    assert [w.shape for w in conv.get_weights()] == [(3, 10, 3), (3,)]  # Keras's order
    model = Model(series, out)
    for length in (5, 20):
        x = rng.normal(size=(2, length, 10))
        kernel, bias = conv.get_weights()
        windows = np.stack([x[:, t:t + 3] for t in range(length - 2)], axis=1)
        expected = (np.einsum("btkc,kcf->btf", windows, kernel) + bias).max(axis=1)
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4,
                                   atol=1e-5)


def test_unknown_image_sizes_and_token_lengths():
    image = Input(shape=(None, None, 3))
    assert Conv2D(4, 3)(image).shape == (None, None, None, 4)
    assert MaxPooling2D()(image).shape == (None, None, None, 3)
    assert Embedding(100, 8)(Input(shape=(None,), dtype="int32")).shape == (None, None, 8)
    assert Conv1D(3, 3)(Input(shape=(7, 10))).shape == (None, 5, 3)  # known lengths stay
