"""Attention layers: Attention (Luong dot-product / concat scores) and MultiHeadAttention
(Keras 3 names, arguments, call signatures and weight layout).

Both are composed from existing differentiable ops (reshapes, transposes, batched matmuls,
softmax, dropout): no backward of their own.

Masks (Keras semantics): a mask entry True means "may attend". Masked scores get a large
negative number added (Attention subtracts 1e9 where the value is padding;
MultiHeadAttention adds -1e9 where the mask is False), so their softmax weight is ~0.
``use_causal_mask`` allows query position i to see key positions j <= i only.

Functional API. ``MultiHeadAttention`` is called as ``mha(query, value)`` (Keras); its
``__call__`` packs the tensors into one list ``[query, value(, key)]`` before the base
:class:`~glassnet.layers.base.Layer` call, so a symbolic call records all of them as the
node's inputs (the graph, ``summary`` and save/load see every parent), and ``call`` unpacks
them again. Call-time options (``use_causal_mask``, ``return_attention_scores``) are replayed
by the model that recorded them; a saved model does not store them (glassnet's model config
keeps the graph's tensors, not call keyword arguments).
"""

import math

from glassnet import regularizers
from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.functional import dropout as _dropout
from glassnet.layers.base import Layer
from glassnet.layers.serialization import (
    register_layer,
    serialize_initializer,
    set_dense_like_weights,
)
from glassnet.layers.symbolic import KerasTensor
from glassnet.ops.math import tanh
from glassnet.ops.nn import softmax
from glassnet.tensor import Tensor


def _bool_array(mask):
    if mask is None:
        return None
    return xp.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(bool)


def _causal(t, s):
    """(T, S) lower-triangular: query i sees key j <= i."""
    return xp.tril(xp.ones((t, s), dtype=bool))


def _check_dropout(layer, rate):
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise GlassnetValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}): dropout must be in [0, 1), "
            f"got {rate!r}")
    return rate


# ------------------------------------------------------------------------ Attention
@register_layer
class Attention(Layer):
    """Dot-product attention (Luong style): scores, softmax over the values, weighted sum.

    For query (batch, Tq, dim), value (batch, Tv, dim) and key (batch, Tv, dim) (default:
    the value):

        dot:    scores = query @ key^T                       (times ``scale`` if use_scale)
        concat: scores = concat_score_weight
                         * sum_d tanh(scale * (query[:, i, None, d] + key[:, None, j, d]))
        scores -= 1e9 where the value mask (and the causal mask) is False
        weights = softmax(scores, axis=-1)  (dropout in training)
        output  = weights @ value;  output *= query_mask[..., None] if a query mask is given

    Weights: ``scale`` (scalar, ones; only with use_scale) and ``concat_score_weight``
    (scalar, ones; only with score_mode='concat'), in that order.

    Args:
        use_scale: learn a scalar multiplying the scores (default False).
        score_mode: 'dot' (default) or 'concat'.
        dropout: drop rate of the attention weights in training (default 0).
        seed: accepted for Keras compatibility (dropout draws from glassnet's generator).
        **kwargs: base Layer arguments.

    Call arguments: ``inputs`` = [query, value] or [query, value, key]; ``mask`` = None or
    [query_mask, value_mask] (each (batch, T) booleans, or None); ``training``;
    ``return_attention_scores`` (also return the weights, (batch, Tq, Tv));
    ``use_causal_mask``.

    Example:
        >>> import numpy as np
        >>> query, value = np.ones((2, 3, 4)), np.ones((2, 5, 4))
        >>> Attention()([query, value]).shape
        (2, 3, 4)
    """

    supports_masking = True

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise GlassnetValueError(
                f"Layer '{self.name}' (Attention): score_mode must be 'dot' or 'concat', got "
                f"{score_mode!r}")
        self.use_scale, self.score_mode = bool(use_scale), score_mode
        self.dropout = _check_dropout(self, dropout)
        self.seed = seed
        self.scale = self.concat_score_weight = None

    def build(self, input_shape):
        self._check_shapes(input_shape)
        if self.use_scale:
            self.scale = self.add_weight("scale", (), "ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight("concat_score_weight", (), "ones")

    def _check_shapes(self, shapes):
        if not isinstance(shapes, (list, tuple)) or not 2 <= len(shapes) <= 3 or not all(
                isinstance(s, (list, tuple)) for s in shapes):
            raise GlassnetValueError(
                f"Layer '{self.name}' (Attention): expected inputs [query, value] or [query, "
                f"value, key], received {shapes!r}")
        query, value = tuple(shapes[0]), tuple(shapes[1])
        key = tuple(shapes[2]) if len(shapes) == 3 else value
        if len(query) != 3 or len(value) != 3 or len(key) != 3 or not (
                _agree(query[-1], key[-1]) and _agree(value[1], key[1])):
            raise ShapeError(
                f"Layer '{self.name}' (Attention): expected query (batch, Tq, dim), value "
                f"(batch, Tv, dim_v) and key (batch, Tv, dim), received "
                f"{[tuple(s) for s in shapes]}")

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._check_shapes([tuple(x.shape) for x in inputs])
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) == 3 else value
        q_mask, v_mask = (None, None) if mask is None else (
            _bool_array(mask[0]), _bool_array(mask[1]) if len(mask) > 1 else None)
        if self.score_mode == "dot":
            scores = query @ key.transpose(0, 2, 1)
            if self.scale is not None:
                scores = scores * self.scale
        else:
            total = query.unsqueeze(-2) + key.unsqueeze(-3)            # (batch, Tq, Tv, dim)
            if self.scale is not None:
                total = total * self.scale
            scores = self.concat_score_weight * tanh(total).sum(axis=-1)
        allowed = None if v_mask is None else v_mask[:, None, :]
        if use_causal_mask:
            causal = _causal(scores.shape[-2], scores.shape[-1])[None]
            allowed = causal if allowed is None else allowed & causal
        if allowed is not None:
            scores = scores - (1e9 * (~allowed)).astype(scores.dtype)
        weights = softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = _dropout(weights, self.dropout, training=True)
        result = weights @ value
        if q_mask is not None:
            result = result * q_mask[:, :, None].astype(result.dtype)
        return [result, weights] if return_attention_scores else result

    def compute_mask(self, inputs, mask=None):
        if mask is None or not isinstance(mask, (list, tuple)):
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        query, value = input_shape[0], input_shape[1]
        return (query[0], query[1], value[2])

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}


def _agree(a, b):
    return a is None or b is None or a == b


# ------------------------------------------------------------------------ MultiHeadAttention
@register_layer
class MultiHeadAttention(Layer):
    """Multi-head attention (Vaswani et al.) with Keras 3's arguments and weight layout.

    For query (batch, T, d_q), value (batch, S, d_v), key (batch, S, d_k) (default: value),
    H heads of size K (``key_dim``) and V (``value_dim``, default K):

        q[b, t, h, :] = query[b, t] @ Wq[:, h, :] + bq[h]        (Wq: (d_q, H, K))
        k[b, s, h, :] = key[b, s] @ Wk[:, h, :] + bk[h]          (Wk: (d_k, H, K))
        v[b, s, h, :] = value[b, s] @ Wv[:, h, :] + bv[h]        (Wv: (d_v, H, V))
        scores[b, h, t, s] = q[b, t, h] . k[b, s, h] / sqrt(K)   (+ -1e9 where masked)
        A = softmax(scores, axis=-1)                              (dropout in training)
        o[b, t, h, :] = sum_s A[b, h, t, s] v[b, s, h, :]
        out[b, t] = sum_{h, j} o[b, t, h, j] Wo[h, j, :] + bo    (Wo: (H, V, d_out))

    d_out is d_q unless ``output_shape`` is given. Weights, in Keras 3's order:
    query/kernel (d_q, H, K), query/bias (H, K), key/kernel (d_k, H, K), key/bias (H, K),
    value/kernel (d_v, H, V), value/bias (H, V), attention_output/kernel (H, V, d_out),
    attention_output/bias (d_out,) (no biases with ``use_bias=False``).

    The mask combines ``attention_mask`` (batch, T, S) (True = may attend), the Keras masks
    of query (batch, T), value and key (batch, S) (explicit ``query_mask``... or the
    tensors' own), and the causal mask when ``use_causal_mask``.

    Args:
        num_heads: number of heads H.
        key_dim: size K of each query/key head.
        value_dim: size V of each value head (default key_dim).
        dropout: drop rate of the attention weights in training (default 0).
        use_bias: default True.
        output_shape: None (the query's last size) or an int / 1-tuple: the output's size.
        attention_axes: None only (attention over axis 1 of 3-D inputs).
        kernel_initializer: default 'glorot_uniform'; bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
            bias_constraint: optional.
        seed: accepted for Keras compatibility (dropout draws from glassnet's generator).
        **kwargs: base Layer arguments.

    Call: ``mha(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)``; with ``return_attention_scores`` it returns
    ``(output, scores)``, scores (batch, H, T, S).

    Example:
        >>> import numpy as np
        >>> mha = MultiHeadAttention(num_heads=2, key_dim=3)
        >>> mha(np.ones((4, 5, 8)), np.ones((4, 7, 6))).shape
        (4, 5, 8)
        >>> [w.shape for w in mha.get_weights()]
        [(8, 2, 3), (2, 3), (6, 2, 3), (2, 3), (6, 2, 3), (2, 3), (2, 3, 8), (8,)]
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.num_heads = _positive(self, num_heads, "num_heads")
        self.key_dim = _positive(self, key_dim, "key_dim")
        self.value_dim = self.key_dim if value_dim is None else _positive(
            self, value_dim, "value_dim")
        self.dropout = _check_dropout(self, dropout)
        self.use_bias = bool(use_bias)
        if output_shape is not None:
            dims = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
            if len(dims) != 1:
                raise GlassnetValueError(
                    f"Layer '{self.name}' (MultiHeadAttention): output_shape must be an int or "
                    f"a 1-tuple (the output's last size), got {output_shape!r}")
            output_shape = _positive(self, dims[0], "output_shape")
        self._output_dim = output_shape
        if attention_axes is not None and tuple(
                (attention_axes,) if isinstance(attention_axes, int) else attention_axes
        ) not in ((1,), (-2,)):
            raise GlassnetValueError(
                f"Layer '{self.name}' (MultiHeadAttention): attention_axes other than None "
                f"(attention over axis 1 of 3-D inputs) are not supported, got "
                f"{attention_axes!r}")
        self.attention_axes = attention_axes
        set_dense_like_weights(self, kernel_initializer, bias_initializer, kernel_regularizer,
                               bias_regularizer, kernel_constraint, bias_constraint)
        self.seed = seed
        self._return_scores = False
        self.dense_weights = {}

    # ---------------------------------------------------------------- calling
    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            if not (isinstance(query, (list, tuple)) and 2 <= len(query) <= 3):
                raise GlassnetValueError(
                    f"Layer '{self.name}' (MultiHeadAttention): expected query and value "
                    f"(mha(query, value, key=None)), received one input")
            packed = list(query)  # already packed (a functional model replaying its node)
        else:
            packed = [query, value] + ([key] if key is not None else [])
        if any(isinstance(kwargs.get(name), KerasTensor) for name in (
                "attention_mask", "query_mask", "value_mask", "key_mask")):
            raise GlassnetValueError(
                f"Layer '{self.name}' (MultiHeadAttention): a symbolic (Input) mask argument "
                f"is not supported in a functional graph; pass an array, or use "
                f"use_causal_mask / the Keras masks the query and value carry")
        self._return_scores = bool(kwargs.get("return_attention_scores", False))
        return super().__call__(packed, **kwargs)

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None and isinstance(query_shape, (list, tuple)) and query_shape and \
                isinstance(query_shape[0], (list, tuple)):
            shapes = list(query_shape)
            query_shape, value_shape = shapes[0], shapes[1]
            key_shape = shapes[2] if len(shapes) == 3 else None
        key_shape = value_shape if key_shape is None else key_shape
        for what, shape in (("query", query_shape), ("value", value_shape),
                            ("key", key_shape)):
            if shape is None or len(shape) != 3 or shape[-1] is None:
                raise ShapeError(
                    f"Layer '{self.name}' (MultiHeadAttention): expected a 3-D {what} "
                    f"(batch, steps, features) with known features, received "
                    f"{None if shape is None else tuple(shape)}")
        h, k, v = self.num_heads, self.key_dim, self.value_dim
        out = self._output_dim or query_shape[-1]
        for name, shape, bias in (("query", (query_shape[-1], h, k), (h, k)),
                                  ("key", (key_shape[-1], h, k), (h, k)),
                                  ("value", (value_shape[-1], h, v), (h, v)),
                                  ("attention_output", (h, v, out), (out,))):
            kernel = self.add_weight(f"{name}/kernel", shape, self.kernel_initializer,
                                     regularizer=self.kernel_regularizer,
                                     constraint=self.kernel_constraint)
            b = self.add_weight(f"{name}/bias", bias, self.bias_initializer,
                                regularizer=self.bias_regularizer,
                                constraint=self.bias_constraint) if self.use_bias else None
            self.dense_weights[name] = (kernel, b)

    def _project(self, name, x):
        """x (batch, T, d) -> (batch, H, T, size) through name/kernel (d, H, size)."""
        kernel, bias = self.dense_weights[name]
        d, h, size = kernel.shape
        y = x @ kernel.reshape(d, h * size)
        if bias is not None:
            y = y + bias.reshape(h * size)
        return y.reshape(x.shape[0], x.shape[1], h, size).transpose(0, 2, 1, 3)

    def call(self, query, value=None, key=None, query_mask=None, value_mask=None,
             key_mask=None, attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        if value is None and isinstance(query, (list, tuple)):
            query, value, key = (list(query) + [None])[:3]
        key = value if key is None else key
        for what, x in (("query", query), ("value", value), ("key", key)):
            if x.ndim != 3:
                raise ShapeError(
                    f"Layer '{self.name}' (MultiHeadAttention): expected a 3-D {what} (batch, "
                    f"steps, features), received shape {tuple(x.shape)}")
        if key.shape[1] != value.shape[1]:
            raise ShapeError(
                f"Layer '{self.name}' (MultiHeadAttention): key and value must have the same "
                f"number of steps, received key {tuple(key.shape)} and value "
                f"{tuple(value.shape)}")
        q = self._project("query", query) * (1.0 / math.sqrt(self.key_dim))
        k = self._project("key", key)
        v = self._project("value", value)
        scores = q @ k.transpose(0, 1, 3, 2)                       # (batch, H, T, S)
        allowed = self._attention_mask(query, value, key, query_mask, value_mask, key_mask,
                                       attention_mask, use_causal_mask)
        if allowed is not None:
            adder = (~allowed[:, None]).astype(scores.dtype) * -1e9
            scores = scores + adder
        weights = softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = _dropout(weights, self.dropout, training=True)
        o = (weights @ v).transpose(0, 2, 1, 3)                     # (batch, T, H, V)
        kernel, bias = self.dense_weights["attention_output"]
        h, vd, out_dim = kernel.shape
        o = o.reshape(o.shape[0], o.shape[1], h * vd) @ kernel.reshape(h * vd, out_dim)
        if bias is not None:
            o = o + bias
        return (o, weights) if return_attention_scores else o

    def _attention_mask(self, query, value, key, query_mask, value_mask, key_mask,
                        attention_mask, use_causal_mask):
        """The (batch, T, S) boolean mask of allowed (query, key) pairs, or None."""
        t, s = query.shape[1], value.shape[1]
        masks = [_bool_array(m) for m in (
            query_mask if query_mask is not None else getattr(query, "_keras_mask", None),
            value_mask if value_mask is not None else getattr(value, "_keras_mask", None),
            key_mask if key_mask is not None else getattr(key, "_keras_mask", None))]
        allowed = None
        if masks[0] is not None:
            allowed = masks[0][:, :, None]
        for m in masks[1:]:
            if m is not None:
                allowed = m[:, None, :] if allowed is None else allowed & m[:, None, :]
        if use_causal_mask:
            causal = _causal(t, s)[None]
            allowed = causal if allowed is None else allowed & causal
        if attention_mask is not None:
            given = _bool_array(attention_mask)
            if given.ndim == 2:
                given = given[None]
            if given.shape[-2:] != (t, s):
                raise ShapeError(
                    f"Layer '{self.name}' (MultiHeadAttention): attention_mask must have shape "
                    f"(batch, {t}, {s}) (query steps, key steps), received {given.shape}")
            allowed = given if allowed is None else allowed & given
        if allowed is None:
            return None
        return xp.broadcast_to(allowed, (query.shape[0], t, s))

    def compute_mask(self, inputs, mask=None):
        """The output keeps the query's Keras mask (one output step per query step)."""
        query = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        return getattr(query, "_keras_mask", None)

    def compute_output_shape(self, input_shape):
        shapes = list(input_shape)
        query, value = tuple(shapes[0]), tuple(shapes[1])
        out = (query[0], query[1], self._output_dim or query[-1])
        if self._return_scores:
            return [out, (query[0], self.num_heads, query[1], value[1])]
        return out

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": self._output_dim,
            "attention_axes": self.attention_axes,
            "kernel_initializer": serialize_initializer(self._init_config[0]),
            "bias_initializer": serialize_initializer(self._init_config[1]),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "seed": self.seed,
        }


def _positive(layer, value, what):
    if isinstance(value, bool) or not isinstance(value, (int, xp.integer)) or value <= 0:
        raise GlassnetValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}): {what} must be a positive "
            f"integer, got {value!r}")
    return int(value)
