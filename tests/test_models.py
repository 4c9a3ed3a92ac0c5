"""Tests for glassnet.models: Sequential, functional Model, subclassing, summary, config."""

import io

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.layers.base import Layer, clear_session
from glassnet.layers.core import Dense, Dropout, Flatten, Input, InputLayer
from glassnet.models import Model, Sequential
from glassnet.regularizers import L1, L2


@pytest.fixture(autouse=True)
def _fresh_names():
    clear_session()
    yield


def seed003_mlp():
    """Seed 003's MNIST MLP: 784 -> 784 -> 784 -> 10, all sigmoid."""
    return Sequential([
        Dense(784, input_shape=(784,), kernel_initializer="normal", activation="sigmoid"),
        Dense(784, kernel_initializer="normal", activation="sigmoid"),
        Dense(10, kernel_initializer="normal", activation="sigmoid"),
    ])


SEED003_SUMMARY = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 784)            │       615,440 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 784)            │       615,440 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_2 (Dense)                 │ (None, 10)             │         7,850 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 1,238,730 (4.73 MB)
 Trainable params: 1,238,730 (4.73 MB)
 Non-trainable params: 0 (0.00 B)"""


def test_seed003_parameter_counts_by_hand():
    model = seed003_mlp()
    # 784*784 + 784 = 615,440 (twice), 784*10 + 10 = 7,850
    assert [layer.count_params() for layer in model.layers] == [615440, 615440, 7850]
    assert model.count_params() == 1238730
    assert model.built and model.output_shape == (None, 10)


def test_seed003_summary_text_and_print_fn():
    model = seed003_mlp()
    # 1,238,730 float32 parameters * 4 bytes = 4,954,920 B = 4.725 MiB -> "4.73 MB"
    assert model.summary_text() == SEED003_SUMMARY
    lines = []
    model.summary(print_fn=lines.append)
    assert "\n".join(lines) == SEED003_SUMMARY
    buffer = io.StringIO()
    model.summary(print_fn=lambda line: buffer.write(line + "\n"))
    assert buffer.getvalue() == SEED003_SUMMARY + "\n"


def test_summary_to_stdout(capsys):
    Sequential([Dense(2, input_shape=(3,))]).summary()
    out = capsys.readouterr().out
    assert 'Model: "sequential"' in out and "Total params: 8 (32.00 B)" in out


def test_summary_ascii_fallback():
    text = seed003_mlp().summary_text(use_unicode=False)
    assert text.isascii() and "| dense (Dense)" in text and "615,440 |" in text


def test_keras_mnist_mlp_with_flatten_and_dropout_counts():
    model = Sequential([
        Flatten(input_shape=(28, 28)),
        Dense(128, activation="relu"),
        Dropout(0.2),
        Dense(10),
    ])
    text = model.summary_text(show_trainable=True)
    assert "│ flatten (Flatten)               │ (None, 784)            │             0 │" in text
    assert "(None, 128)" in text and "100,480" in text and "1,290" in text
    # 784*128 + 128 = 100,480; 128*10 + 10 = 1,290; total 101,770
    assert " Total params: 101,770 (397.54 KB)" in text  # 407,080 B / 1024
    assert "Trainable" in text.splitlines()[2]


def test_functional_summary_has_keras_connected_to_column_only_for_graphs():
    from glassnet.layers import Concatenate

    a, b = Input(shape=(4,), name="left"), Input(shape=(3,), name="right")
    merged = Concatenate(name="cat")([Dense(5, name="proj")(a), b])
    graph = Model([a, b], Dense(2, name="out")(merged))
    lines = graph.summary_text().splitlines()
    assert "Connected to" in lines[2]
    row = {line.split("│")[1].split()[0]: line.split("│")[4].strip()
           for line in lines if line.startswith("│")}
    assert row == {"left": "-", "right": "-", "proj": "left[0][0]",
                   "cat": "proj[0][0], right[0][0]", "out": "cat[0][0]"}
    x = Input(shape=(3,))
    chain = Model(x, Dense(1)(Dense(2)(x)))
    assert "Connected to" not in chain.summary_text()
    assert "Connected to" not in Sequential([Dense(2, input_shape=(3,))]).summary_text()


class Counter(Layer):
    """Identity with one trainable scale and one non-trainable counter."""

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (input_shape[-1],), "ones")
        self.count = self.add_weight("count", (), "zeros", trainable=False)

    def call(self, inputs):
        return inputs * self.scale


def test_summary_non_trainable_params_and_frozen_model():
    model = Sequential([Dense(4, input_shape=(3,)), Counter()])
    text = model.summary_text()
    assert " Total params: 21 (84.00 B)" in text  # 3*4 + 4 + 4 + 1
    assert " Trainable params: 20 (80.00 B)" in text
    assert " Non-trainable params: 1 (4.00 B)" in text
    model.trainable = False
    assert " Trainable params: 0 (0.00 B)" in model.summary_text()
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4


def test_lazy_sequential_builds_on_first_call():
    model = Sequential([Dense(4, activation="relu"), Dense(2)])
    assert not model.built
    assert "0 (unbuilt)" in model.summary_text() and "?" in model.summary_text()
    with pytest.raises(GlassnetValueError, match="not built"):
        model.count_params()
    y = model(np.ones((5, 3)))
    assert y.shape == (5, 2) and model.built
    assert model.count_params() == 3 * 4 + 4 + 4 * 2 + 2
    assert model.layers[0].output_shape == (None, 4)
    assert "(None, 2)" in model.summary_text()


def test_build_with_shape_and_add_pop():
    model = Sequential()
    model.add(Dense(4))
    model.build((None, 3))
    assert model.output_shape == (None, 4)
    model.add(Dense(2))
    assert model.output_shape == (None, 2) and model.layers[1].built
    popped = model.pop()
    assert popped.name == "dense_1" and model.output_shape == (None, 4)
    assert len(model.layers) == 1


def test_input_first_builds_eagerly_and_is_not_a_row():
    model = Sequential([Input(shape=(6,)), Dense(3)])
    assert model.built and model.output_shape == (None, 3)
    assert [type(layer) for layer in model.layers] == [Dense]
    with pytest.raises(GlassnetValueError, match="first"):
        model.add(InputLayer(shape=(3,)))


def test_sequential_add_errors():
    model = Sequential([Dense(2, name="a")])
    with pytest.raises(GlassnetValueError, match="unique names.*'a'"):
        model.add(Dense(3, name="a"))
    with pytest.raises(GlassnetTypeError, match="Layer"):
        model.add("dense")


def test_wrong_feature_size_through_model_names_first_layer():
    model = Sequential([Dense(4, input_shape=(3,), name="first"), Dense(2)])
    with pytest.raises(ShapeError, match=r"first.*3.*\(2, 5\)"):
        model(np.ones((2, 5)))
    with pytest.raises(ShapeError, match="dense"):
        Sequential([Dense(4, input_shape=(3,)), Dense(2)]).add(
            _built_dense(7)
        )


def _built_dense(n_in):
    layer = Dense(2)
    layer(np.ones((1, n_in)))
    return layer


def test_weights_order_and_round_trip():
    model = Sequential([Dense(3, input_shape=(2,)), Counter(), Dense(1)])
    assert [w.path for w in model.weights] == [
        "dense/kernel", "dense/bias", "counter/scale", "counter/count",
        "dense_1/kernel", "dense_1/bias",
    ]
    values = [np.full(w.shape, i, dtype=np.float32) for i, w in enumerate(model.weights)]
    model.set_weights(values)
    for got, want in zip(model.get_weights(), values, strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(GlassnetValueError, match="expected 6 arrays"):
        model.set_weights(values[:-1])


def _mlp_weights(rng):
    return [rng.normal(size=(4, 5)), rng.normal(size=5), rng.normal(size=(5, 3)),
            rng.normal(size=3)]


def test_functional_and_subclassed_match_sequential(rng):
    weights = _mlp_weights(rng)
    x_data = rng.normal(size=(7, 4))

    seq = Sequential([Dense(5, activation="tanh", input_shape=(4,)), Dense(3)])
    seq.set_weights(weights)

    inputs = Input(shape=(4,))
    outputs = Dense(3)(Dense(5, activation="tanh")(inputs))
    functional = Model(inputs, outputs)
    functional.set_weights(weights)

    class Net(Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(5, activation="tanh")
            self.out = Dense(3)

        def call(self, x):
            return self.out(self.hidden(x))

    net = Net()
    net.build((None, 4))
    net.set_weights(weights)

    expected = np.tanh(x_data @ weights[0] + weights[1]) @ weights[2] + weights[3]
    for model in (seq, functional, net):
        np.testing.assert_allclose(model(x_data).numpy(), expected, rtol=1e-5, atol=1e-5)
    assert functional.name == "functional" and net.name == "net"
    assert [type(layer).__name__ for layer in functional.layers] == ["InputLayer", "Dense",
                                                                     "Dense"]
    assert [layer.name for layer in net.layers] == ["dense_4", "dense_5"]
    assert functional.count_params() == net.count_params() == seq.count_params() == 43


def test_subclassed_model_training_flag_propagates():
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.drop = Dropout(0.5)

        def call(self, x, training=False):
            return self.drop(x)  # no explicit training: inherited from the model call

    net = Net()
    x = np.ones((20, 20), dtype=np.float32)
    np.testing.assert_array_equal(net(x).numpy(), x)
    assert (net(x, training=True).numpy() == 0).any()


def test_functional_multiple_inputs_and_outputs():
    class Add(Layer):
        def call(self, inputs):
            return inputs[0] + inputs[1]

    a, b = Input(shape=(2,), name="a"), Input(shape=(2,), name="b")
    total = Add()([a, b])
    head1 = Dense(1, kernel_initializer="ones", name="h1")(total)
    head2 = Dense(3, kernel_initializer="ones", name="h2")(total)
    model = Model([a, b], [head1, head2])
    y1, y2 = model([np.ones((4, 2)), 2 * np.ones((4, 2))])
    np.testing.assert_allclose(y1.numpy(), 6.0)  # (1+2) * 2 inputs
    assert y2.shape == (4, 3)
    assert model.input_shape == [(None, 2), (None, 2)]
    assert model.output_shape == [(None, 1), (None, 3)]
    with pytest.raises(GlassnetValueError, match="2 input"):
        model(np.ones((4, 2)))
    with pytest.raises(ShapeError, match="'a'.*\\(None, 2\\).*\\(4, 3\\)"):
        model([np.ones((4, 3)), np.ones((4, 2))])


def test_functional_graph_errors():
    a, b = Input(shape=(2,)), Input(shape=(2,))
    y = Dense(1)(b)
    with pytest.raises(GlassnetValueError, match="disconnected"):
        Model(a, y)
    with pytest.raises(GlassnetValueError, match="inputs= and outputs="):
        Model(inputs=a)
    with pytest.raises(GlassnetTypeError, match="KerasTensor"):
        Model(np.ones(2), y)


def test_functional_shared_layer_and_config_round_trip(rng):
    shared = Dense(2, activation="tanh")
    x = Input(shape=(2,))
    y = Dense(1)(shared(shared(x)))
    model = Model(x, y)
    data = rng.normal(size=(3, 2))
    clone = Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone(data).numpy(), model(data).numpy(), rtol=1e-6)
    assert len(clone.weights) == 4


def test_sequential_config_round_trip(rng):
    model = Sequential([Dense(3, activation="relu", input_shape=(4,)), Dropout(0.3), Dense(2)])
    config = model.get_config()
    assert config["build_input_shape"] == [None, 4]
    assert [spec["class_name"] for spec in config["layers"]] == ["Dense", "Dropout", "Dense"]
    clone = Sequential.from_config(config)
    assert clone.built and clone.count_params() == model.count_params()
    clone.set_weights(model.get_weights())
    data = rng.normal(size=(5, 4))
    np.testing.assert_allclose(clone(data).numpy(), model(data).numpy(), rtol=1e-6)


def test_model_losses_collect_regularizers():
    model = Sequential([
        Dense(2, input_shape=(3,), kernel_initializer="ones", kernel_regularizer=L2(0.1)),
        Dense(1, kernel_initializer="ones", kernel_regularizer=L1(0.5),
              bias_regularizer=L1(1.0), bias_initializer="ones"),
    ])
    penalties = sorted(t.item() for t in model.losses)
    # L2: 0.1 * 6 ones = 0.6; L1 kernel: 0.5 * 2 = 1.0; L1 bias: 1.0 * 1 = 1.0
    assert penalties == pytest.approx([0.6, 1.0, 1.0])
    total = sum(model.losses)
    total.backward()
    np.testing.assert_allclose(model.layers[0].kernel.grad.numpy(), 0.2)  # 2 * 0.1 * w


def test_model_call_on_tensor_keeps_graph():
    model = Sequential([Dense(2, input_shape=(3,))])
    x = gn.tensor(np.ones((1, 3), dtype=np.float32), requires_grad=True)
    model(x).sum().backward()
    assert x.grad is not None and model.layers[0].kernel.grad is not None


def test_training_methods_are_the_trainers_and_io_methods_call_glassnet_io(monkeypatch):
    from glassnet import io
    from glassnet.training import Trainer

    assert issubclass(Model, Trainer) and Model.__mro__[1] is Trainer
    for name in ("compile", "fit", "evaluate", "predict", "train_step", "test_step",
                 "predict_step", "train_on_batch", "test_on_batch", "predict_on_batch"):
        assert getattr(Model, name) is getattr(Trainer, name), name
    calls = []
    for name in ("save_model", "save_weights", "load_weights"):
        monkeypatch.setattr(io, name,
                            lambda model, path, _n=name, **k: calls.append((_n, model, path, k))
                            or _n)
    model = Sequential([Dense(1, input_shape=(2,))])
    assert model.save("m.gn", include_optimizer=False) == "save_model"
    assert calls[0][:3] == ("save_model", model, "m.gn")
    assert calls[0][3]["include_optimizer"] is False and calls[0][3]["overwrite"] is True
    assert model.save_weights("w") == "save_weights" and calls[1][3] == {"overwrite": True}
    assert model.load_weights("w", skip_mismatch=True) == "load_weights"
    assert calls[2][3] == {"skip_mismatch": True}


def test_get_layer():
    model = Sequential([Dense(2, input_shape=(3,), name="a"), Dense(1, name="b")])
    assert model.get_layer("b") is model.layers[1]
    assert model.get_layer(index=0).name == "a"
    with pytest.raises(GlassnetValueError, match="'c'"):
        model.get_layer("c")


def test_subclassed_model_and_custom_layer_need_get_config():
    class Net(Model):
        def __init__(self, width):
            super().__init__()
            self.width = width

        def call(self, x):
            return x

    with pytest.raises(NotImplementedError, match="Net.*'width'.*get_config"):
        Net(3).get_config()

    class Scaled(Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

    with pytest.raises(NotImplementedError, match="Scaled.*'factor'"):
        Scaled(2.0).get_config()


def test_seed004_cnn_summary_counts_by_hand():
    from glassnet.layers.conv import Conv2D
    from glassnet.layers.pooling import MaxPooling2D

    model = Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ])
    # conv: k*k*c_in*c_out + c_out; 'valid' 3x3 conv: n -> n - 2; 2x2 pooling: n -> n // 2
    assert [layer.output_shape for layer in model.layers] == [
        (None, 30, 30, 32), (None, 15, 15, 32), (None, 13, 13, 64), (None, 6, 6, 64),
        (None, 4, 4, 64), (None, 1024), (None, 64), (None, 10),
    ]
    assert [layer.count_params() for layer in model.layers] == [
        896, 0, 18496, 0, 36928, 0, 65600, 650,
    ]
    assert " Total params: 122,570 (478.79 KB)" in model.summary_text()  # 490,280 B


def test_feature_extractor_from_sequential_symbolic_outputs(rng):
    model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2)])
    assert model.input.shape == (None, 3) and model.output.shape == (None, 2)
    assert model.layers[0].output.shape == (None, 4)
    features = Model(model.input, model.layers[0].output)
    x = rng.normal(size=(5, 3))
    kernel, bias = model.layers[0].get_weights()
    np.testing.assert_allclose(features(x).numpy(), np.maximum(x @ kernel + bias, 0),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(GlassnetValueError, match="no symbolic"):
        _ = Dense(2).output


def test_functional_layer_names_must_be_unique():
    x = Input(shape=(2,))
    with pytest.raises(GlassnetValueError, match="unique names.*'twin'"):
        Model(x, Dense(1, name="twin")(Dense(2, name="twin")(x)))


def test_dict_and_list_models_name_their_inputs_and_outputs(rng):
    a, b = Input(shape=(2,), name="left"), Input(shape=(2,), name="right")
    listed = Model([a, b], [Dense(1, name="sum")(gn.layers.Add()([a, b]))])
    assert listed.input_names == ["left", "right"] and listed.output_names == ["sum"]
    assert isinstance(listed.output, list) and listed.output_shape == [(None, 1)]
    keyed = Model({"l": a, "r": b}, {"out": listed.outputs[0]})
    assert keyed.input_names == ["l", "r"] and keyed.output_names == ["out"]
    assert set(keyed.input) == {"l", "r"} and keyed.output["out"] is listed.outputs[0]
    x1, x2 = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    kernel, bias = listed.get_layer("sum").get_weights()
    out = keyed({"l": x1, "r": x2})
    assert list(out) == ["out"]
    np.testing.assert_allclose(out["out"].numpy(), (x1 + x2) @ kernel + bias, rtol=1e-5)
    np.testing.assert_allclose(listed({"left": x1, "right": x2})[0].numpy(),
                               out["out"].numpy())


def test_sequential_keeps_an_unknown_time_length(rng):
    model = Sequential([Input(shape=(None, 4)), gn.layers.Conv1D(2, 3),
                        gn.layers.MaxPooling1D(2)])
    assert model.output_shape == (None, None, 2)
    assert [layer.output_shape for layer in model.layers] == [(None, None, 2),
                                                             (None, None, 2)]
    assert model.predict(rng.normal(size=(1, 9, 4)), verbose=0).shape == (1, 3, 2)


def test_nested_inputs_and_outputs_keep_their_structure(rng):
    a, b, c = Input(shape=(2,), name="a"), Input(shape=(2,), name="b"), Input(shape=(2,), name="c")
    total = gn.layers.Add()([a, b])
    head = Dense(1, name="head")(c)
    model = Model([[a, b], c], [total, {"head": head, "both": [total, head]}])
    x = [[rng.normal(size=(5, 2)), rng.normal(size=(5, 2))], rng.normal(size=(5, 2))]
    kernel, bias = model.get_layer("head").get_weights()
    for given in (x, {"a": x[0][0], "b": x[0][1], "c": x[1]}):
        out = model.predict(given, batch_size=2, verbose=0)
        assert isinstance(out, list) and set(out[1]) == {"head", "both"}
        np.testing.assert_allclose(out[0], x[0][0] + x[0][1], rtol=1e-5)
        np.testing.assert_allclose(out[1]["both"][1], x[1] @ kernel + bias, rtol=1e-5,
                                   atol=1e-6)
