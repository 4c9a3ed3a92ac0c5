"""Tests for glassnet.ops.recurrent: simple_rnn, lstm, gru (Keras formulas)."""

import numpy as np
import pytest

from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.ops.recurrent import gru, lstm, simple_rnn
from tests.conftest import assert_gradcheck, f64


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def naive_lstm(x, w, u, b, h, c, act=np.tanh, ract=sig):
    """Per-sample, per-step Keras LSTM: gates i, f, c, o."""
    n_units = u.shape[0]
    outs = []
    for t in range(x.shape[1]):
        hn, cn = np.zeros_like(h), np.zeros_like(c)
        for n in range(x.shape[0]):
            z = x[n, t] @ w + h[n] @ u + b
            i = ract(z[:n_units])
            f = ract(z[n_units:2 * n_units])
            g = act(z[2 * n_units:3 * n_units])
            o = ract(z[3 * n_units:])
            cn[n] = f * c[n] + i * g
            hn[n] = o * act(cn[n])
        h, c = hn, cn
        outs.append(h)
    return np.stack(outs, axis=1), h, c


def naive_gru(x, w, u, b, h, reset_after=True):
    """Per-sample, per-step Keras GRU: gates z, r, h."""
    k = u.shape[0]
    outs = []
    for t in range(x.shape[1]):
        hn = np.zeros_like(h)
        for n in range(x.shape[0]):
            if reset_after:
                xi = x[n, t] @ w + b[0]
                rec = h[n] @ u + b[1]
                z = sig(xi[:k] + rec[:k])
                r = sig(xi[k:2 * k] + rec[k:2 * k])
                hh = np.tanh(xi[2 * k:] + r * rec[2 * k:])
            else:
                xi = x[n, t] @ w + b
                z = sig(xi[:k] + h[n] @ u[:, :k])
                r = sig(xi[k:2 * k] + h[n] @ u[:, k:2 * k])
                hh = np.tanh(xi[2 * k:] + (r * h[n]) @ u[:, 2 * k:])
            hn[n] = z * h[n] + (1 - z) * hh
        h = hn
        outs.append(h)
    return np.stack(outs, axis=1), h


def naive_rnn(x, w, u, b, h):
    outs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ w + h @ u + b)
        outs.append(h)
    return np.stack(outs, axis=1), h


N, T, IN, U = 3, 5, 4, 6


@pytest.fixture
def data(rng):
    return rng.normal(size=(N, T, IN)), rng.normal(size=(N, U)), rng.normal(size=(N, U))


def test_lstm_matches_naive(rng, data):
    x, h0, c0 = data
    w, u, b = rng.normal(size=(IN, 4 * U)), rng.normal(size=(U, 4 * U)), rng.normal(size=4 * U)
    seq, h, c = naive_lstm(x, w, u, b, h0, c0)
    out, hh, cc = lstm(x, w, u, b, [h0, c0], return_sequences=True, return_state=True)
    np.testing.assert_allclose(out.data, seq, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hh.data, h, rtol=1e-10)
    np.testing.assert_allclose(cc.data, c, rtol=1e-10)
    np.testing.assert_allclose(lstm(x, w, u, b, [h0, c0]).data, h, rtol=1e-10)
    # go_backwards reads x reversed and returns outputs in processing order (Keras)
    seq_b, h_b, _ = naive_lstm(x[:, ::-1], w, u, b, h0, c0)
    out_b = lstm(x, w, u, b, [h0, c0], return_sequences=True, go_backwards=True)
    np.testing.assert_allclose(out_b.data, seq_b, rtol=1e-10)


def test_lstm_other_activations_match_naive_and_gradcheck(rng, data):
    # the default tanh/sigmoid pair has a fused fast path; every other pair takes the general one
    x, h0, c0 = data
    w, u, b = rng.normal(size=(IN, 4 * U)), rng.normal(size=(U, 4 * U)), rng.normal(size=4 * U)
    relu = lambda z: np.maximum(z, 0)  # noqa: E731
    seq, h, c = naive_lstm(x, w, u, b, h0, c0, act=relu, ract=sig)
    out, hh, cc = lstm(x, w, u, b, [h0, c0], activation="relu", return_sequences=True,
                       return_state=True)
    np.testing.assert_allclose(out.data, seq, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cc.data, c, rtol=1e-10, atol=1e-12)
    seq, _, _ = naive_lstm(x, w, u, b, h0, c0, act=np.tanh, ract=lambda z: z)
    out = lstm(x, w, u, b, [h0, c0], recurrent_activation="linear", return_sequences=True)
    np.testing.assert_allclose(out.data, seq, rtol=1e-10, atol=1e-12)
    kw = dict(activation="tanh", recurrent_activation="linear", return_state=True)
    assert_gradcheck(lambda x, w, u, b, h, c: _squares(lstm(x, w, u, b, [h, c], **kw)),
                     f64(rng, 2, 3, 3), f64(rng, 3, 16), f64(rng, 4, 16), f64(rng, 16),
                     f64(rng, 2, 4), f64(rng, 2, 4))


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_matches_naive(rng, data, reset_after):
    x, h0, _ = data
    w, u = rng.normal(size=(IN, 3 * U)), rng.normal(size=(U, 3 * U))
    b = rng.normal(size=(2, 3 * U) if reset_after else 3 * U)
    seq, h = naive_gru(x, w, u, b, h0, reset_after)
    out, hh = gru(x, w, u, b, h0, return_sequences=True, return_state=True,
                  reset_after=reset_after)
    np.testing.assert_allclose(out.data, seq, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hh.data, h, rtol=1e-10)
    seq_b, _ = naive_gru(x[:, ::-1], w, u, b, h0, reset_after)
    out_b = gru(x, w, u, b, h0, return_sequences=True, go_backwards=True,
                reset_after=reset_after)
    np.testing.assert_allclose(out_b.data, seq_b, rtol=1e-10, atol=1e-12)


def test_simple_rnn_matches_naive(rng, data):
    x, h0, _ = data
    w, u, b = rng.normal(size=(IN, U)), rng.normal(size=(U, U)), rng.normal(size=U)
    seq, h = naive_rnn(x, w, u, b, h0)
    out, hh = simple_rnn(x, w, u, b, h0, return_sequences=True, return_state=True)
    np.testing.assert_allclose(out.data, seq, rtol=1e-10)
    np.testing.assert_allclose(hh.data, h, rtol=1e-10)
    relu = simple_rnn(x, w, u, b, activation="relu").data
    hr = np.zeros((N, U))
    for t in range(T):
        hr = np.maximum(x[:, t] @ w + hr @ u + b, 0)
    np.testing.assert_allclose(relu, hr, rtol=1e-10)


def _squares(outputs):
    return sum((o * o).sum() for o in outputs)


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_gradcheck(rng, return_sequences, go_backwards):
    kw = dict(return_sequences=return_sequences, go_backwards=go_backwards, return_state=True)
    x, h0, c0 = f64(rng, 2, 3, 3), f64(rng, 2, 4), f64(rng, 2, 4)
    assert_gradcheck(lambda x, w, u, b, h, c: _squares(lstm(x, w, u, b, [h, c], **kw)),
                     x, f64(rng, 3, 16), f64(rng, 4, 16), f64(rng, 16), h0, c0)
    assert_gradcheck(lambda x, w, u, b, h: _squares(gru(x, w, u, b, h, **kw)),
                     x, f64(rng, 3, 12), f64(rng, 4, 12), f64(rng, 2, 12), h0)
    assert_gradcheck(lambda x, w, u, b, h: _squares(gru(x, w, u, b, h, reset_after=False,
                                                        **kw)),
                     x, f64(rng, 3, 12), f64(rng, 4, 12), f64(rng, 12), h0)
    assert_gradcheck(lambda x, w, u, b, h: _squares(simple_rnn(x, w, u, b, h, **kw)),
                     x, f64(rng, 3, 4), f64(rng, 4, 4), f64(rng, 4), h0)


def test_recurrent_keeps_float32(rng):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    w = rng.normal(size=(4, 20)).astype(np.float32)
    u = rng.normal(size=(5, 20)).astype(np.float32)
    out, h, c = lstm(x, w, u, return_state=True)
    assert out.dtype == h.dtype == c.dtype == np.float32


def test_recurrent_errors():
    with pytest.raises(ShapeError, match="3-D input"):
        lstm(np.zeros((2, 4)), np.zeros((4, 8)), np.zeros((2, 8)))
    with pytest.raises(ShapeError, match="kernel"):
        lstm(np.zeros((2, 3, 5)), np.zeros((4, 8)), np.zeros((2, 8)))
    with pytest.raises(ShapeError, match="initial state"):
        gru(np.zeros((2, 3, 4)), np.zeros((4, 6)), np.zeros((2, 6)),
            initial_state=np.zeros((3, 2)))
    with pytest.raises(GlassnetValueError, match="activations"):
        simple_rnn(np.zeros((2, 3, 4)), np.zeros((4, 2)), np.zeros((2, 2)), activation="selu")
    with pytest.raises(GlassnetValueError, match="2 initial state"):
        lstm(np.zeros((2, 3, 4)), np.zeros((4, 8)), np.zeros((2, 8)),
             initial_state=[np.zeros((2, 2))])


def test_masked_steps_carry_the_state(rng, data):
    x, h0, c0 = data
    mask = rng.random((N, T)) > 0.4
    mask[:, 0] = True
    w, u, b = rng.normal(size=(IN, 4 * U)), rng.normal(size=(U, 4 * U)), rng.normal(size=4 * U)
    out, h, c = lstm(x, w, u, b, [h0, c0], return_sequences=True, return_state=True,
                     mask=mask)
    # reference: run the naive LSTM one step at a time, keeping h and c where mask is False
    hh, cc, outs = h0.copy(), c0.copy(), []
    for t in range(T):
        _, hn, cn = naive_lstm(x[:, t:t + 1], w, u, b, hh, cc)
        keep = mask[:, t:t + 1]
        hh, cc = np.where(keep, hn, hh), np.where(keep, cn, cc)
        outs.append(hh)
    np.testing.assert_allclose(out.data, np.stack(outs, axis=1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c.data, cc, rtol=1e-10, atol=1e-12)
    wg, ug, bg = rng.normal(size=(IN, 3 * U)), rng.normal(size=(U, 3 * U)), rng.normal(
        size=(2, 3 * U))
    hh = h0.copy()
    for t in range(T):
        hn = naive_gru(x[:, t:t + 1], wg, ug, bg, hh)[1]
        hh = np.where(mask[:, t:t + 1], hn, hh)
    np.testing.assert_allclose(gru(x, wg, ug, bg, h0, mask=mask).data, hh, rtol=1e-10)
    # a post-padded sequence with its padding masked ends in the state of its last real step
    full = simple_rnn(x[:, :3], w[:, :U], u[:, :U], b[:U]).data
    masked = simple_rnn(x, w[:, :U], u[:, :U], b[:U],
                        mask=np.arange(T)[None, :].repeat(N, 0) < 3).data
    np.testing.assert_allclose(masked, full, rtol=1e-12)


def test_masked_gradcheck(rng):
    mask = np.array([[True, False, True, True], [True, True, False, False]])
    kw = dict(return_sequences=True, return_state=True, mask=mask)
    x, h0, c0 = f64(rng, 2, 4, 3), f64(rng, 2, 3), f64(rng, 2, 3)
    for back in (False, True):
        assert_gradcheck(
            lambda x, w, u, h, c, back=back: _squares(lstm(x, w, u, None, [h, c],
                                                           go_backwards=back, **kw)),
            x, f64(rng, 3, 12), f64(rng, 3, 12), h0, c0)
        assert_gradcheck(
            lambda x, w, u, h, back=back: _squares(gru(x, w, u, None, h, go_backwards=back,
                                                       **kw)),
            x, f64(rng, 3, 9), f64(rng, 3, 9), h0)
        assert_gradcheck(
            lambda x, w, u, h, back=back: _squares(simple_rnn(x, w, u, None, h,
                                                              go_backwards=back, **kw)),
            x, f64(rng, 3, 3), f64(rng, 3, 3), h0)
    with pytest.raises(ShapeError, match="mask"):
        lstm(np.zeros((2, 4, 3)), np.zeros((3, 12)), np.zeros((3, 12)), mask=np.ones((2, 3)))
