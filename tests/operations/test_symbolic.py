"""keras.ops on KerasTensors: each call becomes an OperationLayer node of the functional graph."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.keras as keras
from glassnet.keras import ops
from glassnet.layers.symbolic import KerasTensor
from glassnet.operations import OperationLayer


def test_ops_and_operators_on_inputs_build_a_model(rng):
    x = keras.Input((4,))
    y = ops.square(x) + 1
    assert isinstance(y, KerasTensor) and y.shape == (None, 4)
    model = keras.Model(x, y)
    data = rng.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(model.predict(data, verbose=0), data**2 + 1, rtol=1e-6)
    assert all(isinstance(layer, OperationLayer) for layer in model.layers[1:])


def test_every_operator_records_an_op(rng):
    x = keras.Input((3,))
    w = np.arange(6, dtype=np.float32).reshape(3, 2)
    outputs = [x + 1, 1 + x, x - 2, 2 - x, x * 3, 3 * x, x / 2, 2 / (x + 5), x @ w, -x,
               abs(x), x**2, 2**x, x[:, 1:], x[:, 0], x > 0, x <= 0, x // 2, x % 2,
               np.float32(2) * x]
    model = keras.Model(x, outputs)
    data = rng.normal(size=(2, 3)).astype(np.float32)
    expected = [data + 1, 1 + data, data - 2, 2 - data, data * 3, 3 * data, data / 2,
                2 / (data + 5), data @ w, -data, np.abs(data), data**2, 2**data, data[:, 1:],
                data[:, 0], data > 0, data <= 0, data // 2, data % 2, 2 * data]
    for got, want, symbolic in zip(model.predict(data, verbose=0), expected, outputs,
                                   strict=True):
        assert got.shape[1:] == symbolic.shape[1:]
        np.testing.assert_allclose(got, want, rtol=1e-5)
    assert outputs[15].dtype == bool


def test_several_inputs_lists_and_several_outputs(rng):
    a, b = keras.Input((3,)), keras.Input((3,))
    joined = ops.concatenate([a, ops.maximum(a, b)], axis=-1)
    first, second = ops.split(joined, 2, axis=1)
    values, indices = ops.top_k(b, 2)
    model = keras.Model([a, b], [ops.stack([first, second], axis=1), values, indices])
    assert [t.shape for t in model.outputs] == [(None, 2, 3), (None, 2), (None, 2)]
    assert indices.dtype == np.int32
    xa, xb = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    stacked, top, where = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(stacked, np.stack([xa, np.maximum(xa, xb)], axis=1), rtol=1e-6)
    np.testing.assert_array_equal(where, np.argsort(-xb, axis=1)[:, :2])


def test_unknown_dimensions_stay_unknown():
    x = keras.Input((None, 5))
    y = ops.mean(ops.reshape(x, (-1, 5)), axis=0)
    assert y.shape == (5,)
    z = ops.expand_dims(x, -1)
    assert z.shape == (None, None, 5, 1)
    assert ops.shape(x) == (None, None, 5)
    assert ops.ndim(x) == 3 and ops.size(x) is None
    assert ops.size(ops.zeros((2, 3))) == 6 and ops.ndim(np.ones((2, 3))) == 2


def test_model_with_ops_trains_and_layers_mix(rng):
    x = keras.Input((4,))
    h = keras.layers.Dense(8)(x)
    y = keras.layers.Dense(1)(ops.relu(h) * 0.5 + ops.sigmoid(h))
    model = keras.Model(x, y)
    model.compile(optimizer="adam", loss="mse")
    data, target = rng.normal(size=(64, 4)), rng.normal(size=(64, 1))
    history = model.fit(data, target, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_save_and_load_a_model_with_ops(tmp_path, rng):
    x = keras.Input((5,))
    y = ops.sum(ops.square(x[:, 1:4]), axis=-1, keepdims=True) / 2 + ops.cast(
        ops.argmax(x, axis=-1)[:, None], "float32")
    model = keras.Model(x, keras.layers.Dense(2)(y))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = gn.models.load_model(path)
    data = rng.normal(size=(3, 5)).astype(np.float32)
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0),
                               rtol=1e-6)


def test_saving_an_op_with_an_array_argument_refuses_naming_the_op(tmp_path):
    x = keras.Input((3,))
    model = keras.Model(x, ops.matmul(x, np.ones((3, 2), np.float32)))
    with pytest.raises(gn.GlassnetTypeError, match="'matmul'"):
        model.save(tmp_path / "m.keras")


def test_plain_values_are_not_affected():
    assert isinstance(ops.add(1.0, 2.0), gn.Tensor)
