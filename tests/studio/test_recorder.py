"""glassnet.studio.recorder: every payload checked against values computed here with NumPy."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.layers import (
    GRU,
    LSTM,
    Add,
    BatchNormalization,
    Concatenate,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPooling2D,
    SimpleRNN,
)
from glassnet.layers.recording import recording
from glassnet.models import Model, Sequential
from glassnet.studio import recorder

# seed 001's 2-3-2 sigmoid network (examples/seed001_deltas.py)
W1 = np.array([[0.15, 0.25, -0.30], [0.20, -0.35, 0.40]])
B1 = np.array([0.35, 0.35, -0.10])
W2 = np.array([[0.40, 0.50], [0.45, -0.55], [0.60, 0.65]])
B2 = np.array([0.60, 0.60])
X = np.array([[0.05, 0.10], [0.30, -0.20]])
T = np.array([[0.01, 0.99], [0.50, 0.20]])


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def seed_net():
    model = Sequential([Dense(3, activation="sigmoid", input_shape=(2,), dtype="float64"),
                        Dense(2, activation="sigmoid", dtype="float64")])
    model.set_weights([W1, B1, W2, B2])
    return model


def forward_backward(model, x, t):
    with recording(model):
        y = model(x)
        loss = 0.5 * ((gn.tensor(t) - y) ** 2).sum()
        loss.backward()


# ------------------------------------------------------------------------ to_json
def test_to_json_rounds_to_six_significant_digits_and_nulls_non_finite():
    values = np.array([[1 / 3, float("nan")], [123456789.0, -2.5e-9], [float("inf"), 0.0]])
    assert recorder.to_json(values) == [[0.333333, None], [123457000.0, -2.5e-09],
                                        [None, 0.0]]
    assert recorder.to_json(np.float32(2.0) / 3) == 0.666667
    assert recorder.to_json(float("-inf")) is None
    assert recorder.to_json(np.arange(3)) == [0.0, 1.0, 2.0]
    assert recorder.to_json(None) is None
    rng = np.random.default_rng(0)
    data = rng.standard_normal(1000) * 10.0 ** rng.integers(-8, 8, 1000)
    assert recorder.to_json(data) == [float(f"{v:.6g}") for v in data]


# ------------------------------------------------------------------------ histogram
def test_histogram_counts_match_numpy_on_the_same_subsample():
    rng = np.random.default_rng(1)
    array = rng.standard_normal((501, 499)).astype(np.float32)  # 249,999 values
    hist = recorder.histogram(array, bins=30)
    flat = array.reshape(-1)
    step = math.ceil(flat.size / 100_000)
    sample = flat[::step]
    assert sample.size <= 100_000
    counts, edges = np.histogram(sample.astype(np.float64), bins=30,
                                 range=(float(flat.min()), float(flat.max())))
    assert hist["counts"] == counts.tolist()
    np.testing.assert_allclose(hist["edges"], edges, rtol=5e-6)  # 6 digits
    full = flat.astype(np.float64)
    assert hist["size"] == flat.size
    assert hist["min"] == float(flat.min()) and hist["max"] == float(flat.max())
    np.testing.assert_allclose(hist["mean"], full.mean(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(hist["std"], full.std(), rtol=1e-4)
    np.testing.assert_allclose(hist["mean_abs"], np.abs(full).mean(), rtol=1e-4)


def test_histogram_small_constant_and_non_finite_arrays():
    small = np.array([0.0, 1.0, 1.0, 3.0, 2.9])
    hist = recorder.histogram(small, bins=3)
    assert hist["counts"] == np.histogram(small, bins=3)[0].tolist() == [1, 2, 2]
    assert hist["std"] == pytest.approx(small.std())
    constant = recorder.histogram(np.full(7, 2.0), bins=4)
    counts, edges = np.histogram(np.full(7, 2.0), bins=4)
    assert constant["counts"] == counts.tolist() and constant["edges"] == edges.tolist()
    broken = recorder.histogram(np.array([1.0, np.nan, 2.0, np.inf, 3.0]), bins=2)
    assert sum(broken["counts"]) == 3 and broken["edges"] == [1.0, 2.0, 3.0]
    assert broken["mean"] is None and broken["std"] is None and broken["max"] is None
    assert recorder.histogram(None) is None
    empty = recorder.histogram(np.zeros((0, 3)))
    assert empty["size"] == 0 and sum(empty["counts"]) == 0


# ------------------------------------------------------------------------ layer records
def test_neuron_view_of_the_seed_net_equals_the_hand_computed_forward_and_deltas():
    model = seed_net()
    hidden, output = model.layers
    forward_backward(model, X, T)
    s = 1
    z1 = X @ W1 + B1
    a1 = sigmoid(z1)
    z2 = a1 @ W2 + B2
    y = sigmoid(z2)
    delta2 = y * (1 - y) * (y - T)            # dL/dz for L = 1/2 sum (t - y)^2
    delta1 = a1 * (1 - a1) * (delta2 @ W2.T)  # hidden rule
    for layer, x, z, a, delta, kernel, bias in (
            (hidden, X, z1, a1, delta1, W1, B1), (output, a1, z2, y, delta2, W2, B2)):
        record = recorder.layer_record(layer, layer.inspect(), sample=s, step=7)
        view = record["neurons"]
        assert record["kind"] == "dense" and record["step"] == 7 and view["sample"] == s
        assert view["activation"] == "sigmoid" and view["n_inputs"] == kernel.shape[0]
        np.testing.assert_allclose(view["x"], x[s], rtol=1e-5)
        assert len(view["units"]) == kernel.shape[1]
        for unit in view["units"]:
            j = unit["index"]
            assert unit["z"] == pytest.approx(z[s, j], rel=1e-12)
            assert unit["a"] == pytest.approx(a[s, j], rel=1e-12)
            assert unit["delta"] == pytest.approx(delta[s, j], rel=1e-9)
            assert unit["b"] == pytest.approx(bias[j])
            np.testing.assert_allclose(unit["w"], kernel[:, j], rtol=1e-5)
        assert record["scalars"]["mean_abs_delta"] == pytest.approx(np.abs(delta).mean())
        grads = [x.T @ delta, delta.sum(axis=0)]  # dL/dW = x^T delta, dL/db = sum delta
        total = sum(g.size for g in grads)
        assert record["scalars"]["mean_abs_grad"] == pytest.approx(
            sum(np.abs(g).sum() for g in grads) / total)
        assert record["scalars"]["grad_norm"] == pytest.approx(
            math.sqrt(sum((g ** 2).sum() for g in grads)))
        np.testing.assert_allclose(record["hist"]["z"]["mean"], z.mean(), rtol=1e-9)
        assert record["conv"] is None and record["recurrent"] is None
        assert record["batchnorm"] is None


def test_update_ratio_and_norms_from_known_before_and_after():
    layer = Dense(3, dtype="float64")
    layer(np.ones((1, 2)))
    before = {"kernel": np.ones((2, 3)), "bias": np.zeros(3)}
    after = {"kernel": np.ones((2, 3)) + 0.1, "bias": np.full(3, -0.2)}
    record = recorder.layer_record(layer, None, before, after)
    scalars = record["scalars"]
    update_norm = math.sqrt(6 * 0.01 + 3 * 0.04)
    assert scalars["update_norm"] == pytest.approx(update_norm)
    assert scalars["update_ratio"] == pytest.approx(update_norm / math.sqrt(6.0))
    assert scalars["weight_norm"] == pytest.approx(math.sqrt(6 * 1.1 ** 2 + 3 * 0.04))
    assert record["hist"]["update"]["bias"]["mean"] == pytest.approx(-0.2)
    assert record["hist"]["delta"] is None and scalars["mean_abs_delta"] is None
    assert scalars["mean_abs_grad"] is None and record["neurons"] is None


def test_snapshot_and_one_sgd_step_give_the_step_the_optimizer_took():
    model = seed_net()
    hidden = model.layers[0]
    before = recorder.snapshot_weights(hidden)
    assert sorted(before) == ["bias", "kernel"]
    assert before["kernel"] is not hidden.kernel.data
    forward_backward(model, X, T)
    gn.optimizers.SGD(0.5).apply_gradients((p.grad, p) for p in model.trainable_weights)
    record = recorder.layer_record(hidden, hidden.inspect(), before, None, sample=0)
    change = np.concatenate([(hidden.kernel.data - W1).ravel(), (hidden.bias.data - B1).ravel()])
    expected = np.linalg.norm(change) / np.linalg.norm(np.concatenate([W1.ravel(), B1]))
    assert record["scalars"]["update_ratio"] == pytest.approx(expected)
    # the neuron view shows the weights that computed z (the snapshot before the step)
    np.testing.assert_allclose(record["neurons"]["units"][0]["w"], W1[:, 0], rtol=1e-6)


def test_conv_feature_maps_and_kernels_are_slices_of_the_layer():
    rng = np.random.default_rng(2)
    conv = Conv2D(18, 3, padding="same", activation="relu", dtype="float64")
    x = rng.standard_normal((3, 40, 12, 2))
    with recording(conv):
        out = conv(x).data
    record = recorder.layer_record(conv, conv.inspect(), sample=2)
    view = record["conv"]
    maps = np.array(view["feature_maps"])
    assert record["kind"] == "conv" and view["sample"] == 2
    assert maps.shape == (16, 20, 12)  # 16 channels; 40 rows strided by 2
    for c in range(16):
        np.testing.assert_allclose(maps[c], out[2, ::2, :, c], rtol=1e-5, atol=1e-12)
    kernels = np.array(view["kernels"])
    assert kernels.shape == (16, 3, 3)
    np.testing.assert_allclose(kernels[5], conv.kernel.data[:, :, 0, 5], rtol=1e-5)
    conv1 = Conv1D(4, 3, dtype="float64")
    with recording(conv1):
        out1 = conv1(rng.standard_normal((2, 10, 3))).data
    view1 = recorder.layer_record(conv1, conv1.inspect(), sample=0)["conv"]
    maps1 = np.array(view1["feature_maps"])
    assert maps1.shape == (4, 1, 8)
    np.testing.assert_allclose(maps1[:, 0, :], out1[0].T, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(np.array(view1["kernels"])[1, 0], conv1.kernel.data[:, 0, 1],
                               rtol=1e-5)


@pytest.mark.parametrize("make", [
    lambda: LSTM(5, dtype="float64"),
    lambda: LSTM(5, return_sequences=True, dtype="float64"),
    lambda: GRU(5, dtype="float64"),
    lambda: GRU(5, reset_after=False, dtype="float64"),
    lambda: GRU(5, go_backwards=True, dtype="float64"),
    lambda: SimpleRNN(5, return_sequences=True, dtype="float64"),
    lambda: SimpleRNN(5, activation="relu", dtype="float64"),
])
def test_recurrent_gates_recomputed_in_numpy_reproduce_the_layer_output(make):
    rng = np.random.default_rng(3)
    layer = make()
    x = rng.standard_normal((4, 6, 3))
    layer(x)  # build, then give the biases non-zero values
    for weight in layer.weights:
        weight.data[...] = rng.standard_normal(weight.shape) * 0.5
    with recording(layer):
        out = layer(x).data
    record = recorder.layer_record(layer, layer.inspect(), sample=2)
    view = record["recurrent"]
    assert record["kind"] == "recurrent" and view["sample"] == 2
    names = {"LSTM": ["i", "f", "c", "o"], "GRU": ["z", "r", "h"], "SimpleRNN": ["h"]}
    assert list(view["gates"]) == names[type(layer).__name__]
    for gate, values in view["gates"].items():
        assert np.array(values).shape == (6, 5)
        np.testing.assert_allclose(view["gate_means"][gate], np.mean(values, axis=1),
                                   rtol=0, atol=5e-6)  # means of 6-digit values
    recomputed = recorder.recurrent_gates(layer, x[2])["hidden"]
    if layer.return_sequences:
        np.testing.assert_allclose(recomputed, out[2], atol=1e-6, rtol=0)
    else:
        np.testing.assert_allclose(recomputed[-1], out[2], atol=1e-6, rtol=0)
    assert view["max_abs_error"] < 1e-6


def test_lstm_gates_follow_keras_equations_at_the_first_step():
    rng = np.random.default_rng(4)
    layer = LSTM(2, dtype="float64")
    x = rng.standard_normal((1, 3, 2))
    layer(x)
    kernel, _, bias = (w.data for w in layer.weights)
    gates = recorder.recurrent_gates(layer, x[0])
    z = x[0, 0] @ kernel + bias  # h_0 = 0: the recurrent part vanishes
    np.testing.assert_allclose(gates["i"][0], sigmoid(z[0:2]))
    np.testing.assert_allclose(gates["f"][0], sigmoid(z[2:4]))
    np.testing.assert_allclose(gates["c"][0], np.tanh(z[4:6]))
    np.testing.assert_allclose(gates["o"][0], sigmoid(z[6:8]))


def test_batchnorm_view_shows_the_moving_statistics():
    bn = BatchNormalization(dtype="float64")
    rng = np.random.default_rng(5)
    with recording(bn):
        bn(rng.standard_normal((16, 3)) * 2 + 5, training=True)
    view = recorder.layer_record(bn, bn.inspect())["batchnorm"]
    assert record_kind(bn) == "normalization"
    for key in ("moving_mean", "moving_variance", "gamma", "beta"):
        np.testing.assert_allclose(view[key], getattr(bn, key).data, rtol=1e-5)
    assert view["moving_mean"][0] != 0.0  # one training step moved it


def record_kind(layer):
    return recorder.layer_kind(layer)


def test_layer_kinds():
    kinds = {Dense(2): "dense", Conv2D(2, 3): "conv", Conv1D(2, 3): "conv",
             MaxPooling2D(): "pool", LSTM(2): "recurrent", GRU(2): "recurrent",
             SimpleRNN(2): "recurrent", BatchNormalization(): "normalization",
             Dropout(0.5): "dropout", Flatten(): "other", Add(): "other"}
    assert {type(k).__name__: recorder.layer_kind(k) for k in kinds} == {
        type(k).__name__: v for k, v in kinds.items()}


# ------------------------------------------------------------------------ graphs
def test_model_graph_of_a_sequential_model():
    model = Sequential([Dense(4, activation="relu", input_shape=(3,), name="a"),
                        Dropout(0.1, name="d"), Dense(2, activation="softmax", name="b")])
    graph = recorder.model_graph(model)
    assert graph["class"] == "Sequential" and graph["name"] == model.name
    assert [n["id"] for n in graph["nodes"]] == ["a", "d", "b"]
    assert graph["edges"] == [["a", "d"], ["d", "b"]]
    first = graph["nodes"][0]
    assert first == {"id": "a", "class": "Dense", "output_shape": [None, 4], "params": 16,
                     "trainable_params": 16, "activation": "relu", "units": 4,
                     "kind": "dense"}
    assert graph["nodes"][1]["kind"] == "dropout" and graph["nodes"][1]["params"] == 0
    assert graph["total_params"] == 3 * 4 + 4 + 4 * 2 + 2


def test_model_graph_of_a_functional_model_with_branches():
    inputs = Input(shape=(3,), name="x")
    left = Dense(4, name="left")(inputs)
    right = Dense(4, name="right")(inputs)
    joined = Concatenate(name="cat")([left, right])
    summed = Add(name="add")([left, right])
    outputs = Dense(1, name="out")(Concatenate(name="cat2")([joined, summed]))
    graph = recorder.model_graph(Model(inputs, outputs))
    assert graph["class"] == "Functional"
    ids = {n["id"]: n for n in graph["nodes"]}
    assert ids["x"]["class"] == "InputLayer" and ids["x"]["output_shape"] == [None, 3]
    assert ids["cat2"]["output_shape"] == [None, 12]
    assert sorted(map(tuple, graph["edges"])) == sorted([
        ("x", "left"), ("x", "right"), ("left", "cat"), ("right", "cat"), ("left", "add"),
        ("right", "add"), ("cat", "cat2"), ("add", "cat2"), ("cat2", "out")])
    assert graph["total_params"] == 2 * (3 * 4 + 4) + 12 + 1


def test_model_graph_of_a_subclassed_model():
    class Net(Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden = Dense(5, activation="tanh", name="hidden")
            self.out = Dense(2, name="out")

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    net = Net()
    net(np.ones((1, 3)))
    graph = recorder.model_graph(net)
    assert graph["class"] == "Net"
    assert [n["id"] for n in graph["nodes"]] == ["hidden", "out"]
    assert graph["edges"] == [["hidden", "out"]]
    assert graph["nodes"][0]["params"] == 3 * 5 + 5 and graph["nodes"][1]["activation"] == \
        "linear"
    assert graph["total_params"] == 20 + 12


# ------------------------------------------------------------------------ samples
@pytest.mark.parametrize("shape, kind, pixels", [
    ((784,), "image", (28, 28)), ((64,), "image", (8, 8)), ((63,), "vector", None),
    ((10,), "vector", None), ((6, 5), "image", (6, 5)), ((4, 4, 1), "image", (4, 4)),
    ((4, 4, 3), "image", (4, 4, 3)), ((100,), "image", (10, 10)),
])
def test_sample_view_input_kind(shape, kind, pixels):
    rng = np.random.default_rng(6)
    x = rng.random((3,) + shape)
    model = Sequential([Flatten(input_shape=shape), Dense(2, activation="softmax")])
    view = recorder.sample_view(model, x, np.array([0, 1, 1]), 1)
    assert view["input"]["kind"] == kind and view["input"]["shape"] == list(shape)
    if pixels is None:
        np.testing.assert_allclose(view["input"]["values"], x[1].ravel()[:64], rtol=1e-5)
    else:
        image = np.array(view["input"]["pixels"])
        assert image.shape == pixels
        np.testing.assert_allclose(image.ravel(), x[1].reshape(-1)[:image.size] if len(
            shape) != 3 or shape[-1] != 1 else x[1, ..., 0].ravel(), rtol=1e-5)


def test_sample_view_outputs_and_layers_match_numpy():
    model = seed_net()
    hidden = model.layers[0]
    forward_backward(model, X, T)
    training_record = hidden._inspect_data
    view = recorder.sample_view(model, X, np.eye(2)[[1, 0]], 1)
    a1 = sigmoid(X @ W1 + B1)
    y = sigmoid(a1 @ W2 + B2)
    assert view["index"] == 1 and view["label"] == 0
    np.testing.assert_allclose(view["probabilities"], y[1], rtol=1e-5)
    assert view["predicted"] == int(np.argmax(y[1]))
    assert [entry["layer"] for entry in view["layers"]] == [la.name for la in model.layers]
    np.testing.assert_allclose(view["layers"][0]["values"], a1[1], rtol=1e-5)
    np.testing.assert_allclose(view["layers"][0]["output"]["mean"], a1[1].mean(), rtol=1e-9)
    assert view["layers"][0]["feature_maps"] is None
    assert hidden._inspect_data is training_record  # the training record is put back
    assert recorder.sample_view(model, X, None, 0)["label"] is None


def test_sample_view_of_a_cnn_gives_feature_maps():
    rng = np.random.default_rng(7)
    model = Sequential([Conv2D(3, 3, activation="relu", input_shape=(8, 8, 1),
                               dtype="float64"), Flatten(), Dense(2, dtype="float64")])
    x = rng.random((2, 8, 8, 1))
    view = recorder.sample_view(model, x, np.array([1, 0]), 0)
    conv_out = model.layers[0](x[:1]).data[0]
    maps = np.array(view["layers"][0]["feature_maps"])
    assert maps.shape == (3, 6, 6)
    np.testing.assert_allclose(maps, np.moveaxis(conv_out, -1, 0), rtol=1e-5, atol=1e-12)
    assert view["input"]["kind"] == "image" and view["layers"][1]["feature_maps"] is None


def test_misclassified_against_a_hand_made_case():
    model = Sequential([Dense(3, input_shape=(3,), use_bias=False, dtype="float64")])
    model.set_weights([np.eye(3)])  # the output is the input: predicted = argmax of x
    x = np.array([[0.9, 0.1, 0.0],    # 0, label 0: right
                  [0.2, 0.7, 0.1],    # 1, label 0: wrong, confidence 0.7
                  [0.1, 0.1, 0.8],    # 2, label 2: right
                  [0.0, 0.05, 0.95],  # 3, label 1: wrong, confidence 0.95
                  [0.6, 0.3, 0.1]])   # 4, label 2: wrong, confidence 0.6
    labels = np.array([0, 0, 2, 1, 2])
    expected = [{"index": 3, "label": 1, "predicted": 2, "confidence": 0.95},
                {"index": 1, "label": 0, "predicted": 1, "confidence": 0.7},
                {"index": 4, "label": 2, "predicted": 0, "confidence": 0.6}]
    assert recorder.misclassified(model, x, labels) == expected
    assert recorder.misclassified(model, x, np.eye(3)[labels], batch_size=2) == expected
    assert recorder.misclassified(model, x, labels[:, None], limit=2) == expected[:2]
    binary = Sequential([Dense(1, input_shape=(1,), use_bias=False, dtype="float64")])
    binary.set_weights([np.ones((1, 1))])
    assert recorder.misclassified(binary, np.array([[0.2], [0.9], [0.4]]),
                                  np.array([1, 1, 0])) == [
        {"index": 0, "label": 1, "predicted": 0, "confidence": 0.8}]


def test_per_rank_gradient_norms_of_a_data_parallel_step_combine_the_layers_weights():
    layer = Dense(3, dtype="float64")
    layer.record = True
    layer(np.ones((2, 2))).sum().backward()
    data = dict(layer.inspect())
    data["rank_grad_norms"] = {"kernel": np.array([3.0, 1.0]), "bias": np.array([4.0, 0.0])}
    scalars = recorder.layer_record(layer, data)["scalars"]
    assert scalars["rank_grad_norms"] == pytest.approx([5.0, 1.0])  # sqrt(9+16), sqrt(1+0)
    assert recorder.layer_record(layer, layer.inspect())["scalars"]["rank_grad_norms"] is None
