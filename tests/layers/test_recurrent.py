"""Tests for SimpleRNN, LSTM, GRU, Bidirectional and TimeDistributed layers."""

import numpy as np
import pytest

from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers.core import Dense
from glassnet.layers.recurrent import GRU, LSTM, Bidirectional, SimpleRNN, TimeDistributed
from tests.conftest import assert_gradcheck, f64
from tests.ops.test_recurrent import naive_gru, naive_lstm, naive_rnn


@pytest.mark.parametrize(
    "layer,n_in,expected",
    [(LSTM(128), 28, 80384),                      # 4*128*(28+128) + 4*128
     (GRU(64), 28, 3 * 64 * (28 + 64) + 6 * 64),  # reset_after: two biases
     (GRU(64, reset_after=False), 28, 3 * 64 * (28 + 64) + 3 * 64),
     (SimpleRNN(32), 10, 32 * (10 + 32) + 32)],
)
def test_parameter_counts_match_keras(layer, n_in, expected):
    layer(np.zeros((1, 3, n_in)))
    assert layer.count_params() == expected


def test_weight_names_shapes_and_initial_values():
    lstm = LSTM(4)
    lstm(np.zeros((2, 3, 5)))
    assert [w.name for w in lstm.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in lstm.get_weights()] == [(5, 16), (4, 16), (16,)]
    np.testing.assert_array_equal(lstm.bias.data, [0] * 4 + [1] * 4 + [0] * 8)  # forget=1
    u = lstm.recurrent_kernel.data
    np.testing.assert_allclose(u @ u.T, np.eye(4), atol=1e-5)  # orthogonal initializer
    gru = GRU(4)
    gru(np.zeros((2, 3, 5)))
    assert [w.shape for w in gru.get_weights()] == [(5, 12), (4, 12), (2, 12)]
    assert LSTM(4, unit_forget_bias=False)(np.zeros((1, 2, 3))) is not None


def test_layers_with_fixed_weights_match_naive_formulas(rng):
    x = rng.normal(size=(3, 4, 5))
    lstm = LSTM(6, return_sequences=True, return_state=True, dtype="float64")
    lstm(x)
    w, u, b = rng.normal(size=(5, 24)), rng.normal(size=(6, 24)), rng.normal(size=24)
    lstm.set_weights([w, u, b])
    seq, h, c = naive_lstm(x, w, u, b, np.zeros((3, 6)), np.zeros((3, 6)))
    out, hh, cc = lstm(x)
    np.testing.assert_allclose(out.data, seq, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cc.data, c, rtol=1e-10, atol=1e-12)

    gru = GRU(6, dtype="float64")
    gru(x)
    w, u, b = rng.normal(size=(5, 18)), rng.normal(size=(6, 18)), rng.normal(size=(2, 18))
    gru.set_weights([w, u, b])
    np.testing.assert_allclose(gru(x).data, naive_gru(x, w, u, b, np.zeros((3, 6)))[1],
                               rtol=1e-10, atol=1e-12)

    rnn = SimpleRNN(6, return_sequences=True, dtype="float64")
    rnn(x)
    w, u, b = rng.normal(size=(5, 6)), rng.normal(size=(6, 6)), rng.normal(size=6)
    rnn.set_weights([w, u, b])
    np.testing.assert_allclose(rnn(x).data, naive_rnn(x, w, u, b, np.zeros((3, 6)))[0],
                               rtol=1e-10, atol=1e-12)


def test_return_state_initial_state_and_go_backwards(rng):
    x = rng.normal(size=(2, 5, 3))
    lstm = LSTM(4, return_state=True, dtype="float64")
    out, h, c = lstm(x)
    np.testing.assert_array_equal(out.data, h.data)
    h0, c0 = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    w, u, b = lstm.get_weights()
    _, h_ref, c_ref = naive_lstm(x, w, u, b, h0, c0)
    _, h2, c2 = lstm(x, initial_state=[h0, c0])
    np.testing.assert_allclose(h2.data, h_ref, rtol=1e-10)
    back = GRU(4, go_backwards=True, return_sequences=True, dtype="float64")
    y = back(x)
    w, u, b = back.get_weights()
    np.testing.assert_allclose(y.data, naive_gru(x[:, ::-1], w, u, b, np.zeros((2, 4)))[0],
                               rtol=1e-10, atol=1e-12)
    assert len(SimpleRNN(3, return_state=True)(x)) == 2


@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
def test_recurrent_layer_gradcheck(rng, cls):
    layer = cls(3, return_sequences=True, go_backwards=True, dtype="float64")
    x = f64(rng, 2, 3, 2)
    layer(x)
    g = layer.gates if hasattr(layer, "gates") else 1
    bias_shape = (2, 3 * g) if cls is GRU else (3 * g,)

    def fn(x, kernel, recurrent, bias):
        layer.kernel, layer.recurrent_kernel, layer.bias = kernel, recurrent, bias
        return layer(x)

    assert_gradcheck(fn, x, f64(rng, 2, 3 * g), f64(rng, 3, 3 * g), f64(rng, *bias_shape))


def test_bidirectional(rng):
    x = rng.normal(size=(2, 5, 3))
    bi = Bidirectional(LSTM(4, return_sequences=True), dtype="float64")
    y = bi(x)
    assert y.shape == (2, 5, 8)
    assert len(bi.weights) == 6 and bi.count_params() == 2 * (4 * 4 * (3 + 4) + 16)
    wf, wb = bi.get_weights()[:3], bi.get_weights()[3:]
    zeros = np.zeros((2, 4))
    fwd = naive_lstm(x, *wf, zeros, zeros)[0]
    bwd = naive_lstm(x[:, ::-1], *wb, zeros, zeros)[0][:, ::-1]  # back in time order
    np.testing.assert_allclose(y.data, np.concatenate([fwd, bwd], axis=-1), rtol=1e-5,
                               atol=1e-6)
    summed = Bidirectional(GRU(4), merge_mode="sum")(x)
    assert summed.shape == (2, 4)
    states = Bidirectional(LSTM(4, return_state=True))(x)
    assert len(states) == 5
    with pytest.raises(GlassnetValueError, match="merge_mode"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(GlassnetValueError, match="SimpleRNN, LSTM or GRU"):
        Bidirectional(Dense(2))


def test_time_distributed(rng):
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    td = TimeDistributed(Dense(4))
    y = td(x)
    assert y.shape == (2, 5, 4)
    w, b = td.layer.get_weights()
    np.testing.assert_allclose(y.data, x @ w + b, rtol=1e-5)


def test_dropout_only_in_training(rng):
    x = rng.normal(size=(4, 3, 5)).astype(np.float32)
    layer = LSTM(3, dropout=0.5)
    np.testing.assert_array_equal(layer(x).data, layer(x).data)
    assert not np.allclose(layer(x, training=True).data, layer(x).data)


def test_recurrent_errors_and_config():
    layer = LSTM(4, name="lstm_a")
    with pytest.raises(ShapeError, match="lstm_a.*rank 3"):
        layer(np.zeros((2, 5)))
    layer(np.zeros((2, 3, 5)))
    with pytest.raises(ShapeError, match="lstm_a"):
        layer(np.zeros((2, 3, 6)))
    with pytest.raises(GlassnetValueError, match="recurrent_dropout"):
        GRU(2, recurrent_dropout=0.1)
    with pytest.raises(GlassnetValueError, match="units"):
        SimpleRNN(0)
    with pytest.raises(GlassnetValueError, match="activations"):
        LSTM(2, activation="selu")
    config = GRU(5, reset_after=False, return_sequences=True, go_backwards=True).get_config()
    clone = GRU.from_config(config)
    assert clone.reset_after is False and clone.return_sequences and clone.go_backwards
    bi = Bidirectional(LSTM(3, return_sequences=True))
    clone = Bidirectional.from_config(bi.get_config())
    assert clone.forward_layer.units == 3 and clone.backward_layer.go_backwards


def test_embedding_mask_zero_feeds_the_recurrent_mask():
    from glassnet.layers.embedding import Embedding

    emb = Embedding(10, 4, mask_zero=True, dtype="float64")
    lstm = LSTM(3, dtype="float64")
    tokens = np.array([[5, 2, 7, 0, 0], [3, 0, 0, 0, 0]])
    masked = lstm(emb(tokens), mask=emb.compute_mask(tokens)).data
    # padding masked out: the same as running on each unpadded sequence alone
    np.testing.assert_allclose(masked[0], lstm(emb(tokens[:1, :3])).data[0], rtol=1e-12)
    np.testing.assert_allclose(masked[1], lstm(emb(tokens[1:, :1])).data[0], rtol=1e-12)
    bi = Bidirectional(GRU(2, return_sequences=True), dtype="float64")
    assert bi(emb(tokens), mask=emb.compute_mask(tokens)).shape == (2, 5, 4)
