"""PyTorch state_dicts into glassnet: the layout mappings checked element by element on
hand-made arrays (no torch needed), then side by side with real torch modules (predictions
equal within 1e-5, NCHW inputs transposed to NHWC), via a dict and via a safetensors file."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError
from glassnet.interop.torch_state import (
    batchnorm_to_batchnorm,
    conv_to_conv,
    gru_to_gru,
    linear_to_dense,
    load_torch_state_dict,
    lstm_to_lstm,
)

L = gn.layers
TOLERANCE = 1e-5


def _arange(*shape):
    return np.arange(np.prod(shape), dtype=np.float32).reshape(shape)


# ====================================================================== the mappings, no torch
def test_linear_kernel_is_the_transpose():
    weight = _arange(3, 4)  # (out, in)
    kernel, bias = linear_to_dense({"weight": weight, "bias": np.ones(3)})
    assert kernel.shape == (4, 3)
    for i in range(4):
        for o in range(3):
            assert kernel[i, o] == weight[o, i]
    assert linear_to_dense({"weight": weight})[0].shape == (4, 3)


def test_linear_after_flatten_reorders_torch_chw_features_to_hwc():
    c, h, w, out = 2, 3, 4, 5
    weight = _arange(out, c * h * w)
    (kernel,) = linear_to_dense({"weight": weight}, flatten_shape=(h, w, c))
    for ci in range(c):
        for hi in range(h):
            for wi in range(w):
                torch_index = ci * h * w + hi * w + wi  # torch.flatten of (C, H, W)
                glassnet_index = hi * w * c + wi * c + ci  # Flatten of (H, W, C)
                np.testing.assert_array_equal(kernel[glassnet_index], weight[:, torch_index])


def test_conv2d_kernel_layout():
    weight = _arange(4, 3, 2, 5)  # (out, in, kh, kw)
    kernel, bias = conv_to_conv({"weight": weight, "bias": np.zeros(4)})
    assert kernel.shape == (2, 5, 3, 4)
    for o, i, a, b in [(0, 0, 0, 0), (3, 2, 1, 4), (1, 2, 0, 3)]:
        assert kernel[a, b, i, o] == weight[o, i, a, b]
    (kernel1d,) = conv_to_conv({"weight": _arange(4, 3, 5)})
    assert kernel1d.shape == (5, 3, 4) and kernel1d[2, 1, 3] == _arange(4, 3, 5)[3, 1, 2]


def test_batchnorm_order_and_the_ignored_counter():
    params = {"weight": np.full(2, 1.0), "bias": np.full(2, 2.0),
              "running_mean": np.full(2, 3.0), "running_var": np.full(2, 4.0)}
    assert [a[0] for a in batchnorm_to_batchnorm(params)] == [1.0, 2.0, 3.0, 4.0]
    assert [a[0] for a in batchnorm_to_batchnorm(params, center=False)] == [1.0, 3.0, 4.0]
    model = gn.Sequential([L.BatchNormalization(input_shape=(2,))])
    load_torch_state_dict(model, {f"bn.{k}": v for k, v in params.items()}
                          | {"bn.num_batches_tracked": np.array(7)})
    assert [float(w.data[0]) for w in model.weights] == [1.0, 2.0, 3.0, 4.0]


def test_lstm_keeps_the_gate_order_and_sums_the_biases():
    u, n_in = 2, 3
    params = {"weight_ih_l0": _arange(4 * u, n_in), "weight_hh_l0": _arange(4 * u, u) + 100,
              "bias_ih_l0": np.arange(4 * u, dtype=np.float32),
              "bias_hh_l0": np.full(4 * u, 10.0, np.float32)}
    kernel, recurrent, bias = lstm_to_lstm(params)
    np.testing.assert_array_equal(kernel, params["weight_ih_l0"].T)
    np.testing.assert_array_equal(recurrent, params["weight_hh_l0"].T)
    np.testing.assert_array_equal(bias, np.arange(4 * u) + 10.0)


def test_gru_gates_r_z_n_become_z_r_h():
    u, n_in = 2, 3
    w_ih = np.concatenate([np.full((u, n_in), g, np.float32) for g in (1.0, 2.0, 3.0)])  # r z n
    w_hh = np.concatenate([np.full((u, u), g, np.float32) for g in (4.0, 5.0, 6.0)])
    b_ih = np.repeat(np.array([7.0, 8.0, 9.0], np.float32), u)
    b_hh = np.repeat(np.array([10.0, 11.0, 12.0], np.float32), u)
    kernel, recurrent, bias = gru_to_gru({"weight_ih_l0": w_ih, "weight_hh_l0": w_hh,
                                          "bias_ih_l0": b_ih, "bias_hh_l0": b_hh})
    assert kernel.shape == (n_in, 3 * u) and bias.shape == (2, 3 * u)
    assert list(kernel[0, ::u]) == [2.0, 1.0, 3.0]  # z, r, h
    assert list(recurrent[0, ::u]) == [5.0, 4.0, 6.0]
    assert list(bias[0, ::u]) == [8.0, 7.0, 9.0] and list(bias[1, ::u]) == [11.0, 10.0, 12.0]


def test_stacked_rnns_and_mismatches_are_refused():
    model = gn.Sequential([L.LSTM(2, input_shape=(3, 3))])
    two_layers = {"lstm.weight_ih_l0": np.zeros((8, 3)), "lstm.weight_hh_l0": np.zeros((8, 2)),
                  "lstm.weight_ih_l1": np.zeros((8, 2))}
    with pytest.raises(GlassnetValueError, match="weight_ih_l1.*num_layers=1"):
        load_torch_state_dict(model, two_layers)
    dense = gn.Sequential([L.Dense(3, input_shape=(4,))])
    with pytest.raises(GlassnetValueError, match=r"no torch module fits layer 'dense.*\(4, 3\)"):
        load_torch_state_dict(dense, {"fc.weight": np.zeros((3, 5)), "fc.bias": np.zeros(3)})
    with pytest.raises(GlassnetValueError, match="1 layers with weights.*2 modules"):
        load_torch_state_dict(dense, {"a.weight": np.zeros((3, 4)), "b.weight": np.zeros(3)})
    gru = gn.Sequential([L.GRU(2, reset_after=False, input_shape=(3, 3))])
    with pytest.raises(GlassnetValueError, match="reset_after=False"):
        load_torch_state_dict(gru, {"g.weight_ih_l0": np.zeros((6, 3)),
                                    "g.weight_hh_l0": np.zeros((6, 2))})


def test_mapping_pairs_layers_by_name():
    model = gn.Sequential([L.Dense(3, input_shape=(3,), name="first"), L.Dense(3, name="second")])
    state = {"b.weight": np.eye(3) * 2, "a.weight": np.eye(3) * 5,
             "a.bias": np.zeros(3), "b.bias": np.zeros(3)}
    load_torch_state_dict(model, state, mapping={"first": "a"})
    assert model.get_layer("first").kernel.data[0, 0] == 5.0
    assert model.get_layer("second").kernel.data[0, 0] == 2.0
    with pytest.raises(GlassnetValueError, match="mapping 'first' -> 'zzz'"):
        load_torch_state_dict(model, state, mapping={"first": "zzz"})


# ====================================================================== side by side with torch
def _torch():
    return pytest.importorskip("torch")


def _randomize_bn(torch, module):
    with torch.no_grad():
        module.running_mean.uniform_(-1, 1)
        module.running_var.uniform_(0.5, 2)
        module.weight.uniform_(0.5, 1.5)
        module.bias.uniform_(-1, 1)


def test_a_lenet_with_batchnorm_from_a_safetensors_file(tmp_path):
    torch = _torch()
    from safetensors.torch import save_file

    nn = torch.nn
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84),
                        nn.ReLU(), nn.Linear(84, 10))
    _randomize_bn(torch, net[1])
    net.eval()
    model = gn.Sequential([
        L.Conv2D(6, 5, padding="same", input_shape=(28, 28, 1)),
        L.BatchNormalization(epsilon=1e-5, momentum=0.9), L.Activation("relu"), L.MaxPooling2D(),
        L.Conv2D(16, 5, activation="relu"), L.MaxPooling2D(), L.Flatten(),
        L.Dense(120, activation="relu"), L.Dense(84, activation="relu"), L.Dense(10)])
    path = tmp_path / "lenet.safetensors"
    save_file(net.state_dict(), str(path))  # names sorted: "10.weight" before "4.weight"
    load_torch_state_dict(model, path)
    x = np.random.default_rng(0).random((4, 1, 28, 28)).astype("float32")
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    got = model.predict(x.transpose(0, 2, 3, 1), verbose=0)  # NCHW -> NHWC
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_modules_from_a_state_dict(kind):
    torch = _torch()
    torch.manual_seed(1)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(20, 5)
            self.rnn = getattr(torch.nn, kind)(5, 7, batch_first=True)
            self.norm = torch.nn.BatchNorm1d(7)
            self.head = torch.nn.Linear(7, 3)

        def forward(self, tokens):
            y, _ = self.rnn(self.embed(tokens))
            return self.head(self.norm(y[:, -1]))

    net = Net()
    _randomize_bn(torch, net.norm)
    net.eval()
    layer = {"LSTM": L.LSTM, "GRU": L.GRU, "RNN": L.SimpleRNN}[kind]
    model = gn.Sequential([L.Input(shape=(6,), dtype="int64"), L.Embedding(20, 5), layer(7),
                           L.BatchNormalization(epsilon=1e-5), L.Dense(3)])
    load_torch_state_dict(model, net.state_dict())
    tokens = np.random.default_rng(2).integers(0, 20, size=(4, 6))
    with torch.no_grad():
        expected = net(torch.from_numpy(tokens)).numpy()
    np.testing.assert_allclose(model.predict(tokens, verbose=0), expected, rtol=0,
                               atol=TOLERANCE)


def test_conv1d_and_layer_norm_modules():
    torch = _torch()
    torch.manual_seed(3)
    conv, norm, head = torch.nn.Conv1d(3, 4, 3), torch.nn.LayerNorm(4), torch.nn.Linear(4 * 6, 2)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-1, 1)
    x = np.random.default_rng(4).random((2, 3, 8)).astype("float32")  # (N, C, T)
    with torch.no_grad():
        y = conv(torch.from_numpy(x)).transpose(1, 2)  # (N, T, C) for LayerNorm over C
        expected = head(norm(y).transpose(1, 2).flatten(1)).numpy()
    model = gn.Sequential([L.Conv1D(4, 3, input_shape=(8, 3)), L.LayerNormalization(epsilon=1e-5),
                           L.Flatten(), L.Dense(2)])
    state = {f"conv.{k}": v for k, v in conv.state_dict().items()}
    state |= {f"norm.{k}": v for k, v in norm.state_dict().items()}
    state |= {f"head.{k}": v for k, v in head.state_dict().items()}
    load_torch_state_dict(model, state)
    np.testing.assert_allclose(model.predict(x.transpose(0, 2, 1), verbose=0), expected,
                               rtol=0, atol=TOLERANCE)
