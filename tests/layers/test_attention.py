"""Tests for Attention and MultiHeadAttention."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers import (
    Add,
    Attention,
    Dense,
    Embedding,
    GlobalMaxPooling1D,
    Input,
    LayerNormalization,
    MultiHeadAttention,
)
from glassnet.models import load_model
from tests.conftest import assert_gradcheck, f64


# ------------------------------------------------------------------ NumPy references
def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def mha_reference(weights, query, value, key=None, allowed=None, use_bias=True):
    """The published multi-head attention formula, written with einsum."""
    key = value if key is None else key
    if use_bias:
        wq, bq, wk, bk, wv, bv, wo, bo = weights
    else:
        (wq, wk, wv, wo), bq, bk, bv, bo = weights, 0, 0, 0, 0
    q = np.einsum("btd,dhk->bthk", query, wq) + bq
    k = np.einsum("bsd,dhk->bshk", key, wk) + bk
    v = np.einsum("bsd,dhk->bshk", value, wv) + bv
    scores = np.einsum("bthk,bshk->bhts", q, k) / np.sqrt(wq.shape[-1])
    if allowed is not None:
        scores = scores + (1.0 - allowed[:, None]) * -1e9
    a = softmax(scores)
    o = np.einsum("bhts,bshv->bthv", a, v)
    return np.einsum("bthv,hvo->bto", o, wo) + bo, a


def attention_reference(query, value, key=None, scale=None, concat_weight=None,
                        value_mask=None, query_mask=None, causal=False):
    key = value if key is None else key
    if concat_weight is None:
        scores = np.einsum("btd,bsd->bts", query, key)
        if scale is not None:
            scores = scores * scale
    else:
        total = query[:, :, None, :] + key[:, None, :, :]
        scores = concat_weight * np.tanh(total * (1.0 if scale is None else scale)).sum(-1)
    allowed = np.ones(scores.shape, bool)
    if value_mask is not None:
        allowed &= value_mask[:, None, :]
    if causal:
        allowed &= np.tril(np.ones(scores.shape[1:], bool))[None]
    weights = softmax(scores - 1e9 * ~allowed)
    out = weights @ value
    if query_mask is not None:
        out = out * query_mask[:, :, None]
    return out, weights


# ------------------------------------------------------------------ MultiHeadAttention
def test_mha_weight_layout_follows_keras3():
    mha = MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5, output_shape=7)
    mha(np.zeros((2, 6, 8)), np.zeros((2, 9, 10)), np.zeros((2, 9, 11)))
    assert [w.shape for w in mha.get_weights()] == [
        (8, 3, 4), (3, 4), (11, 3, 4), (3, 4), (10, 3, 5), (3, 5), (3, 5, 7), (7,)]
    assert [w.name for w in mha.weights] == [
        "query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel", "value/bias",
        "attention_output/kernel", "attention_output/bias"]
    no_bias = MultiHeadAttention(2, 3, use_bias=False)
    no_bias(np.zeros((1, 4, 6)), np.zeros((1, 5, 6)))
    assert [w.shape for w in no_bias.get_weights()] == [(6, 2, 3), (6, 2, 3), (6, 2, 3),
                                                       (2, 3, 6)]


@pytest.mark.parametrize("use_bias", [True, False])
def test_mha_matches_the_published_formula(rng, use_bias):
    mha = MultiHeadAttention(2, 3, value_dim=4, use_bias=use_bias, dtype="float64",
                             bias_initializer="random_normal")
    query, value, key = (rng.normal(size=s) for s in ((2, 5, 6), (2, 7, 4), (2, 7, 3)))
    out, scores = mha(query, value, key, return_attention_scores=True)
    expected, a = mha_reference(mha.get_weights(), query, value, key, use_bias=use_bias)
    assert out.shape == (2, 5, 6) and scores.shape == (2, 2, 5, 7)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(scores.data, a, rtol=1e-10, atol=1e-12)


def test_mha_masks_attention_mask_causal_and_keras_masks(rng):
    mha = MultiHeadAttention(2, 2, dtype="float64")
    x = rng.normal(size=(2, 4, 3))
    given = rng.uniform(size=(2, 4, 4)) > 0.3
    given[:, :, 0] = True  # every query sees at least one key
    out = mha(x, x, attention_mask=given, use_causal_mask=True)
    allowed = given & np.tril(np.ones((4, 4), bool))[None]
    expected, _ = mha_reference(mha.get_weights(), x, x, allowed=allowed.astype(float))
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)

    # the Keras masks carried by the tensors (here: from Embedding(mask_zero=True))
    tokens = np.array([[1, 2, 3, 0], [4, 5, 0, 0]])
    embedding = Embedding(6, 3, mask_zero=True, dtype="float64")
    embedded = embedding(tokens)
    mha2 = MultiHeadAttention(2, 2, dtype="float64")
    out = mha2(embedded, embedded)
    mask = tokens != 0
    allowed = (mask[:, :, None] & mask[:, None, :]).astype(float)
    expected, _ = mha_reference(mha2.get_weights(), embedded.data, embedded.data,
                                allowed=allowed)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(out._keras_mask, mask)  # the query's mask goes on


def test_mha_gradcheck(rng):
    mha = MultiHeadAttention(2, 2, value_dim=3, dtype="float64")
    query, value = f64(rng, 2, 3, 4), f64(rng, 2, 4, 5)
    mha(query, value)
    kernels = [w for w in mha.weights]

    def fn(query, value, *weights):
        names = ["query", "key", "value", "attention_output"]
        for i, name in enumerate(names):
            mha.dense_weights[name] = (weights[2 * i], weights[2 * i + 1])
        return mha(query, value, use_causal_mask=True)

    params = [f64(rng, *w.shape) for w in kernels]
    assert_gradcheck(fn, query, value, *params)


def test_mha_dropout_only_in_training():
    mha = MultiHeadAttention(2, 2, dropout=0.5)
    x = np.random.default_rng(0).normal(size=(2, 6, 4)).astype(np.float32)
    np.testing.assert_array_equal(mha(x, x).data, mha(x, x, training=False).data)
    assert not np.allclose(mha(x, x, training=True).data, mha(x, x).data)


def test_mha_errors_name_the_layer():
    with pytest.raises(GlassnetValueError, match="att_a.*num_heads"):
        MultiHeadAttention(0, 2, name="att_a")
    with pytest.raises(GlassnetValueError, match="att_a.*attention_axes"):
        MultiHeadAttention(2, 2, attention_axes=(1, 2), name="att_a")
    mha = MultiHeadAttention(2, 2, name="att_b")
    with pytest.raises(GlassnetValueError, match="att_b.*query and value"):
        mha(np.zeros((1, 3, 4)))
    with pytest.raises(ShapeError, match="att_b.*3-D query"):
        mha(np.zeros((3, 4)), np.zeros((3, 4)))
    mha(np.zeros((1, 3, 4)), np.zeros((1, 5, 4)))
    with pytest.raises(ShapeError, match="att_b.*attention_mask"):
        mha(np.zeros((1, 3, 4)), np.zeros((1, 5, 4)), attention_mask=np.ones((1, 3, 4)))
    with pytest.raises(ShapeError, match="att_b.*same number of steps"):
        mha(np.zeros((1, 3, 4)), np.zeros((1, 5, 4)), np.zeros((1, 4, 4)))


def test_mha_functional_graph_config_and_save_load(tmp_path, rng):
    mha = MultiHeadAttention(2, 3, value_dim=2, output_shape=5)
    assert MultiHeadAttention.from_config(mha.get_config()).get_config() == mha.get_config()
    query, value = Input(shape=(4, 6)), Input(shape=(3, 2))
    out = mha(query, value)
    assert out.shape == (None, 4, 5)
    model = gn.Model([query, value], out)
    assert model.count_params() == (6 * 6 + 6) + (2 * 6 + 6) + (2 * 4 + 4) + (4 * 5 + 5)
    xq = rng.normal(size=(2, 4, 6)).astype(np.float32)
    xv = rng.normal(size=(2, 3, 2)).astype(np.float32)
    expected = model.predict([xq, xv], verbose=0)
    np.testing.assert_allclose(expected, mha(xq, xv).data, rtol=1e-6)
    model.save(tmp_path / "mha.glassnet")
    restored = load_model(tmp_path / "mha.glassnet")
    np.testing.assert_allclose(restored.predict([xq, xv], verbose=0), expected, rtol=1e-6)

    # return_attention_scores in a graph: two outputs
    mha2 = MultiHeadAttention(3, 2)
    out, scores = mha2(query, query, return_attention_scores=True)
    assert out.shape == (None, 4, 6) and scores.shape == (None, 3, 4, 4)
    both = gn.Model(query, [out, scores]).predict(xq, verbose=0)
    assert both[1].shape == (2, 3, 4, 4)
    np.testing.assert_allclose(both[1].sum(-1), 1.0, rtol=1e-5)


def test_transformer_block_trains_on_a_toy_sequence_task():
    """MHA + residual Add + LayerNormalization + Dense feed-forward, functional API, fit.

    Task: does any token occur twice in the sequence? (each token must look at the others,
    which is what self-attention does; chance is ~57 % accuracy)."""
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 9, size=(512, 4))
    labels = np.array([len(set(t)) < 4 for t in tokens], np.float32)[:, None]
    inputs = Input(shape=(4,), dtype="int64")
    x = Embedding(9, 16)(inputs)
    attended = MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    x = LayerNormalization()(Add()([x, attended]))
    feed_forward = Dense(16)(Dense(32, activation="relu")(x))
    x = LayerNormalization()(Add()([x, feed_forward]))
    outputs = Dense(1, activation="sigmoid")(GlobalMaxPooling1D()(x))
    model = gn.Model(inputs, outputs)
    model.compile(optimizer=gn.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(tokens, labels, batch_size=32, epochs=10, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert history.history["accuracy"][-1] > 0.85


# ------------------------------------------------------------------ Attention
@pytest.mark.parametrize("kwargs", [dict(), dict(use_scale=True), dict(score_mode="concat"),
                                    dict(score_mode="concat", use_scale=True)])
def test_attention_matches_the_published_formula(rng, kwargs):
    layer = Attention(dtype="float64", **kwargs)
    query, value, key = (rng.normal(size=s) for s in ((2, 3, 4), (2, 5, 6), (2, 5, 4)))
    layer([query, value, key])
    weights = layer.get_weights()
    expected_names = (["scale"] if kwargs.get("use_scale") else []) + (
        ["concat_score_weight"] if kwargs.get("score_mode") == "concat" else [])
    assert [w.name for w in layer.weights] == expected_names
    assert all(w.shape == () for w in weights)
    if weights:
        layer.set_weights([np.array(0.7), np.array(1.3)][: len(weights)])
    scale = 0.7 if kwargs.get("use_scale") else None
    concat = None
    if kwargs.get("score_mode") == "concat":
        concat = 1.3 if scale is not None else 0.7
    out, scores = layer([query, value, key], return_attention_scores=True)
    expected, expected_scores = attention_reference(query, value, key, scale, concat)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(scores.data, expected_scores, rtol=1e-10, atol=1e-12)


def test_attention_masks_and_causal(rng):
    layer = Attention(dtype="float64")
    query, value = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3))
    q_mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    v_mask = np.array([[1, 1, 0, 1], [1, 1, 1, 1]], bool)
    out = layer([query, value], mask=[q_mask, v_mask], use_causal_mask=True)
    expected, _ = attention_reference(query, value, value_mask=v_mask, query_mask=q_mask,
                                      causal=True)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(layer.compute_mask([query, value], [q_mask, v_mask]),
                                  q_mask)


def test_attention_gradcheck_and_dropout(rng):
    layer = Attention(use_scale=True, score_mode="concat", dtype="float64")
    query, value = f64(rng, 2, 3, 4), f64(rng, 2, 5, 4)
    layer([query, value])

    def fn(query, value, scale, weight):
        layer.scale, layer.concat_score_weight = scale, weight
        return layer([query, value], use_causal_mask=True)

    assert_gradcheck(fn, query, value, f64(rng), f64(rng))
    dot = Attention(dtype="float64")
    assert_gradcheck(lambda q, v: dot([q, v]), query, value)
    dropped = Attention(dropout=0.5)
    x = rng.normal(size=(2, 6, 4)).astype(np.float32)
    np.testing.assert_array_equal(dropped([x, x]).data, dropped([x, x], training=False).data)
    assert not np.allclose(dropped([x, x], training=True).data, dropped([x, x]).data)


def test_attention_errors_config_and_save_load(tmp_path, rng):
    with pytest.raises(GlassnetValueError, match="att_c.*score_mode"):
        Attention(score_mode="additive", name="att_c")
    with pytest.raises(GlassnetValueError, match="att_d.*inputs"):
        Attention(name="att_d")(np.zeros((2, 3, 4)))
    with pytest.raises(ShapeError, match="att_e.*query"):
        Attention(name="att_e")([np.zeros((2, 3, 4)), np.zeros((2, 5, 3))])
    layer = Attention(use_scale=True, score_mode="concat", dropout=0.1)
    assert Attention.from_config(layer.get_config()).get_config() == layer.get_config()
    query, value = Input(shape=(3, 4)), Input(shape=(5, 4))
    out = Attention(use_scale=True)([query, value])
    assert out.shape == (None, 3, 4)
    model = gn.Model([query, value], Dense(2)(out))
    xq = rng.normal(size=(2, 3, 4)).astype(np.float32)
    xv = rng.normal(size=(2, 5, 4)).astype(np.float32)
    model.save(tmp_path / "attention.glassnet")
    restored = load_model(tmp_path / "attention.glassnet")
    np.testing.assert_allclose(restored.predict([xq, xv], verbose=0),
                               model.predict([xq, xv], verbose=0), rtol=1e-6)
