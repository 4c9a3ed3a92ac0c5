"""Glass box: recorded inputs, z, activations, deltas and weight gradients (seed 001)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError
from glassnet.layers.base import recording
from glassnet.layers.core import Dense, Dropout
from glassnet.models import Sequential


def _two_layer_sigmoid_net():
    """2 inputs -> 3 sigmoid hidden units -> 2 sigmoid outputs, float64, fixed weights."""
    model = Sequential([
        Dense(3, activation="sigmoid", input_shape=(2,), dtype="float64"),
        Dense(2, activation="sigmoid", dtype="float64"),
    ])
    w1 = np.array([[0.15, -0.25, 0.30], [0.20, 0.35, -0.40]])
    b1 = np.array([0.35, 0.10, -0.05])
    w2 = np.array([[0.40, -0.50], [0.45, 0.55], [-0.60, 0.65]])
    b2 = np.array([0.60, -0.20])
    model.set_weights([w1, b1, w2, b2])
    return model, (w1, b1, w2, b2)


def test_seed001_output_and_hidden_deltas():
    model, (w1, b1, w2, b2) = _two_layer_sigmoid_net()
    hidden, output = model.layers
    x = np.array([[0.05, 0.10], [0.9, -0.3]])
    t = np.array([[0.01, 0.99], [1.0, 0.0]])
    with recording(model):
        y = model(x)
        loss = ((gn.tensor(t) - y) ** 2).sum() * 0.5  # L = 1/2 sum (t - y)^2
        loss.backward()
    out, hid = output.inspect(), hidden.inspect()

    # forward values by hand
    a = 1 / (1 + np.exp(-(x @ w1 + b1)))
    y_hand = 1 / (1 + np.exp(-(a @ w2 + b2)))
    np.testing.assert_allclose(hid["input"], x)
    np.testing.assert_allclose(hid["z"], x @ w1 + b1)
    np.testing.assert_allclose(hid["output"], a)
    np.testing.assert_allclose(out["input"], a)
    np.testing.assert_allclose(out["output"], y_hand)

    # seed 001: delta_k = y_k (1 - y_k)(t_k - y_k) for output units; glassnet's delta is
    # dL/dz, its negative
    delta_out = -y_hand * (1 - y_hand) * (t - y_hand)
    np.testing.assert_allclose(out["delta"], delta_out, rtol=1e-12)
    # hidden: delta_i = a_i (1 - a_i) sum_k w_ki delta_k (w_ki = kernel[i, k])
    delta_hidden = a * (1 - a) * (delta_out @ w2.T)
    np.testing.assert_allclose(hid["delta"], delta_hidden, rtol=1e-12)
    # output_grad is dL/dy = -(t - y)
    np.testing.assert_allclose(out["output_grad"], -(t - y_hand), rtol=1e-12)
    # weight gradients: dL/dW = input^T delta, dL/db = sum over the batch of delta
    np.testing.assert_allclose(out["grads"]["kernel"], a.T @ delta_out, rtol=1e-12)
    np.testing.assert_allclose(out["grads"]["bias"], delta_out.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(hid["grads"]["kernel"], x.T @ delta_hidden, rtol=1e-12)
    np.testing.assert_allclose(out["weights"]["kernel"], w2)
    # the seed's update w <- w + eta * delta_seed * x is gradient descent: eta * x^T (-dL/dz)
    assert set(model.inspect()) == {hidden.name, output.name}


def test_nothing_is_stored_when_recording_is_off():
    model, _ = _two_layer_sigmoid_net()
    x = np.array([[0.05, 0.10]])
    ((model(x) - 1.0) ** 2).sum().backward()
    for layer in model.layers:
        assert layer.record is False
        assert layer._inspect_data is None
        with pytest.raises(GlassnetValueError, match="record"):
            layer.inspect()
    assert model.inspect() == {}


def test_recording_context_restores_flags_and_keeps_data():
    model, _ = _two_layer_sigmoid_net()
    model.layers[1].record = True  # already on: stays on after the block
    with recording(model) as layers:
        assert all(layer.record for layer in layers)
        model(np.ones((1, 2)))
    assert [layer.record for layer in model.layers] == [False, True]
    assert model.layers[0].inspect()["output"].shape == (1, 3)
    assert model.layers[0].inspect()["delta"] is None  # no backward yet
    model.layers[0].clear_record()
    assert model.layers[0]._inspect_data is None


def test_recorded_and_fast_paths_agree():
    layer = Dense(4, activation="relu")
    x = gn.tensor(np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32), requires_grad=True)
    fast = layer(x)
    fast.sum().backward()
    fast_grad = layer.kernel.grad.numpy().copy()
    layer.zero_grad()
    layer.record = True
    slow = layer(x)
    slow.sum().backward()
    np.testing.assert_allclose(slow.numpy(), fast.numpy(), rtol=1e-6)
    np.testing.assert_allclose(layer.kernel.grad.numpy(), fast_grad, rtol=1e-6)
    info = layer.inspect()
    np.testing.assert_allclose(info["delta"], (info["z"] > 0).astype(np.float32))


def test_layer_without_activation_reports_z_as_output():
    layer = Dropout(0.5)
    layer.record = True
    x = gn.tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    y = layer(x, training=True)
    (y * 3.0).sum().backward()
    info = layer.inspect()
    np.testing.assert_array_equal(info["z"], info["output"])
    np.testing.assert_array_equal(info["delta"], np.full((2, 3), 3.0))
    assert info["weights"] == {} and info["grads"] == {}


def _stats(array):
    """shape, dtype, min, max, mean, std as the HTML table prints them (6 significant)."""
    array = np.asarray(array, dtype=np.float64)
    return [f"{v:.6g}" for v in (array.min(), array.max(), array.mean(), array.std())]


def test_inspect_is_still_a_plain_dict_with_the_documented_entries():
    model, _ = _two_layer_sigmoid_net()
    with recording(model):
        model(np.array([[0.05, 0.10]])).sum().backward()
    result = model.layers[0].inspect()
    assert isinstance(result, dict) and result.layer_name == model.layers[0].name
    assert sorted(result) == ["delta", "grads", "input", "output", "output_grad", "weights",
                              "z"]
    assert type(result["weights"]) is dict and type(result["grads"]) is dict


def test_html_table_for_jupyter_shows_shapes_and_statistics():
    from tests.test_display import table_cells

    model, (w1, b1, w2, b2) = _two_layer_sigmoid_net()
    hidden = model.layers[0]
    x = np.array([[0.05, 0.10], [0.9, -0.3]])
    with recording(model):
        model(x).sum().backward()
    caption, headers, rows, _ = table_cells(hidden.inspect()._repr_html_())
    assert caption == f"{hidden.name}.inspect()"
    assert headers == ["entry", "shape", "dtype", "min", "max", "mean", "std"]
    by_entry = {row[0]: row for row in rows}
    z = x @ w1 + b1  # by hand
    a = 1 / (1 + np.exp(-z))
    assert by_entry["input"] == ["input", "(2, 2)", "float64", *_stats(x)]
    assert by_entry["z"] == ["z", "(2, 3)", "float64", *_stats(z)]
    assert by_entry["output"] == ["output", "(2, 3)", "float64", *_stats(a)]
    assert by_entry["weights['kernel']"] == ["weights['kernel']", "(2, 3)", "float64",
                                             *_stats(w1)]
    assert by_entry["weights['bias']"][1:] == ["(3,)", "float64", *_stats(b1)]
    y = 1 / (1 + np.exp(-(a @ w2 + b2)))
    delta = a * (1 - a) * ((y * (1 - y)) @ w2.T)  # d sum(y) / dz of the hidden layer
    np.testing.assert_allclose(hidden.inspect()["delta"], delta, rtol=1e-12)
    assert by_entry["delta"][3:] == _stats(delta)
    assert by_entry["grads['kernel']"][3:] == _stats(x.T @ delta)


def test_html_table_says_what_is_missing_and_escapes_names():
    from tests.test_display import table_cells

    layer = Dense(2, name="<dense&>")
    layer.record = True
    layer(np.ones((1, 3), dtype="float32"))  # no backward: no delta, no gradients
    html_text = layer.inspect()._repr_html_()
    assert "<dense&>" not in html_text and "&lt;dense&amp;&gt;.inspect()" in html_text
    rows = {row[0]: row for row in table_cells(html_text)[2]}
    assert rows["delta"][1] == rows["grads['kernel']"][1] == "not available"
    assert rows["input"] == ["input", "(1, 3)", "float32", "1", "1", "1", "0"]
