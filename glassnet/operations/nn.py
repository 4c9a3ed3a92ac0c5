"""``keras.ops``'s neural-network ops: activations, one_hot, conv, pooling, cross-entropies,
moments and normalize, over glassnet's differentiable ops.

Keras 3's definitions: ``gelu`` defaults to the tanh approximation (``approximate=True``),
``leaky_relu``'s slope is 0.2, ``hard_sigmoid(x) = relu6(x + 3) / 6``,
``binary_crossentropy`` is elementwise (no reduction) while the categorical ones reduce
``axis``; probabilities are clipped to [1e-7, 1 - 1e-7].

Example:
    >>> from glassnet import operations as ops
    >>> ops.relu(ops.convert_to_tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    >>> ops.one_hot(ops.convert_to_tensor([0, 2]), 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

from glassnet import functional as F
from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.operations.core import constant, float_tensor, normalize_axis, standardize_dtype
from glassnet.operations.core import to_tensor as _to_tensor
from glassnet.operations.manipulation import moveaxis
from glassnet.operations.numpy import clip
from glassnet.operations.symbolic import operation
from glassnet.ops import conv as _conv
from glassnet.ops import math as _math
from glassnet.ops import nn as _nn
from glassnet.ops import pooling as _pooling
from glassnet.ops import reduce as _reduce
from glassnet.tensor import Tensor

EPSILON = 1e-7
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@operation
def relu(x):
    return _nn.relu(float_tensor(x))


@operation
def relu6(x):
    return _math.clip(float_tensor(x), 0.0, 6.0)


@operation
def sigmoid(x):
    return _nn.sigmoid(float_tensor(x))


@operation
def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x)."""
    return -_nn.softplus(-float_tensor(x))


@operation
def softplus(x):
    return _nn.softplus(float_tensor(x))


@operation
def softsign(x):
    """x / (1 + |x|)."""
    x = float_tensor(x)
    return x / (_math.abs(x) + 1.0)


@operation
def silu(x):
    """x sigmoid(x) (also called swish)."""
    return _nn.swish(float_tensor(x))


swish = silu


@operation
def gelu(x, approximate=True):
    """x Phi(x); ``approximate=True`` (Keras's default) uses the tanh form."""
    return _nn.gelu(float_tensor(x), approximate=approximate)


@operation
def elu(x, alpha=1.0):
    return _nn.elu(float_tensor(x), alpha)


@operation
def selu(x):
    """scale * elu(x, alpha) with Klambauer et al.'s constants."""
    return _nn.elu(float_tensor(x), _SELU_ALPHA) * _SELU_SCALE


@operation
def leaky_relu(x, negative_slope=0.2):
    return _nn.leaky_relu(float_tensor(x), negative_slope)


@operation
def hard_sigmoid(x):
    """relu6(x + 3) / 6."""
    return _math.clip(float_tensor(x) + 3.0, 0.0, 6.0) * (1.0 / 6.0)


@operation
def hard_silu(x):
    """x hard_sigmoid(x)."""
    x = float_tensor(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


@operation
def celu(x, alpha=1.0):
    """x for x > 0, else alpha (e^(x / alpha) - 1)  (= alpha elu(x / alpha))."""
    return _nn.elu(float_tensor(x) * (1.0 / alpha), 1.0) * alpha


@operation
def glu(x, axis=-1):
    """a sigmoid(b), with a and b the two halves of ``x`` along ``axis``."""
    from glassnet.operations.manipulation import split

    a, b = split(float_tensor(x), 2, axis=axis)
    return a * _nn.sigmoid(b)


@operation
def hard_tanh(x):
    return _math.clip(float_tensor(x), -1.0, 1.0)


@operation
def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    x = float_tensor(x)
    return x * constant((xp.abs(x.data) > threshold).astype(x.dtype))


@operation
def soft_shrink(x, threshold=0.5):
    """x - threshold above it, x + threshold below -threshold, else 0."""
    x = float_tensor(x)
    return x - clip(x, -threshold, threshold)


@operation
def tanh_shrink(x):
    x = float_tensor(x)
    return x - _math.tanh(x)


@operation
def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2."""
    x = float_tensor(x)
    return (x + _math.sqrt(x * x + float(b))) * 0.5


@operation
def sparse_plus(x):
    """0 for x <= -1, (x + 1)^2 / 4 for -1 < x < 1, x for x >= 1."""
    x = float_tensor(x)
    middle = clip(x, -1.0, 1.0) + 1.0
    return middle * middle * 0.25 + _nn.relu(x - 1.0)


@operation
def threshold(x, threshold, default_value):  # noqa: A002 - Keras's names
    """x where x > threshold, else default_value."""
    x = float_tensor(x)
    return _math.where(x.data > threshold, x, default_value)


@operation
def rms_normalization(x, scale=1, axis=-1, epsilon=None):
    """x / sqrt(mean(x^2, axis) + epsilon) * scale (epsilon: 1e-7 by default)."""
    x = float_tensor(x)
    eps = EPSILON if epsilon is None else epsilon
    y = x / _math.sqrt(_reduce.mean(x * x, axis, keepdims=True) + eps)
    return y if isinstance(scale, (int, float)) and scale == 1 else y * float_tensor(scale)


@operation
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False):
    """softmax(q k^T * scale + bias, masked) v for (batch, length, heads, head_dim) tensors
    (scale: 1 / sqrt(head_dim) by default; ``mask`` True where attention is allowed,
    broadcast to (batch, heads, query_length, key_length))."""
    from glassnet.operations.manipulation import transpose

    q, k, v = float_tensor(query), float_tensor(key), float_tensor(value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ShapeError(f"dot_product_attention: expected 4-D (batch, length, heads, "
                         f"head_dim) tensors, received {q.shape}, {k.shape}, {v.shape}")
    scale = 1.0 / float(q.shape[-1]) ** 0.5 if scale is None else float(scale)
    qh, kh, vh = (transpose(t, (0, 2, 1, 3)) for t in (q, k, v))  # (B, N, T, H)
    logits = _math.matmul(qh, transpose(kh, (0, 1, 3, 2))) * scale  # (B, N, T, S)
    if bias is not None:
        logits = logits + float_tensor(bias)
    allowed = None
    if mask is not None:
        allowed = xp.broadcast_to(_to_tensor(mask).data.astype(bool), logits.shape)
    if is_causal:
        t, s = logits.shape[-2:]
        causal = xp.tril(xp.ones((t, s), bool))
        allowed = causal if allowed is None else allowed & causal
    if allowed is not None:
        low = Tensor(xp.asarray(xp.finfo(logits.dtype).min / 2, logits.dtype))
        logits = _math.where(allowed, logits, low)
    weights = _nn.softmax(logits, -1)
    return transpose(_math.matmul(weights, vh), (0, 2, 1, 3))


@operation
def softmax(x, axis=-1):
    x = float_tensor(x)
    if isinstance(axis, (tuple, list)):
        return _math.exp(x - _logsumexp_keep(x, axis))
    return _nn.softmax(x, axis)


@operation
def log_softmax(x, axis=-1):
    x = float_tensor(x)
    if isinstance(axis, (tuple, list)):
        return x - _logsumexp_keep(x, axis)
    return _nn.log_softmax(x, axis)


def _logsumexp_keep(x, axis):
    from glassnet.operations.reduction import logsumexp

    return logsumexp(x, axis=tuple(axis), keepdims=True)


@operation
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """A new axis of length ``num_classes`` with 1 at each integer's position (float32);
    negative or too large integers give rows of zeros."""
    if sparse:
        raise GlassnetValueError("one_hot: sparse=True is not supported (dense tensors only)")
    labels = _to_tensor(x).data.astype(xp.int64)
    hot = (labels[..., None] == xp.arange(int(num_classes))).astype(
        standardize_dtype(dtype) or config.default_float
    )
    if axis != -1:
        hot = xp.moveaxis(hot, -1, axis)
    return constant(hot)


@operation
def multi_hot(inputs, num_classes, axis=-1, dtype=None, sparse=False):
    """1 at every class that appears in the last axis of ``inputs``."""
    hot = one_hot(inputs, num_classes, -1, dtype, sparse).data
    hot = hot.max(axis=-2) if hot.ndim > 1 else hot
    return constant(xp.moveaxis(hot, -1, axis) if axis != -1 else hot)


# ------------------------------------------------------------------------ conv and pooling
@operation
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D or 2-D convolution; kernel (spatial..., in_channels, filters), Keras's padding."""
    inputs, kernel = float_tensor(inputs), float_tensor(kernel)
    if inputs.ndim == 3:
        return _conv.conv1d(inputs, kernel, None, strides, padding, dilation_rate, data_format)
    if inputs.ndim == 4:
        return _conv.conv2d(inputs, kernel, None, strides, padding, dilation_rate, data_format)
    raise ShapeError(f"conv: expected a 3-D or 4-D input (batch, spatial..., channels), "
                     f"received shape {inputs.shape}")


def _pool(name, pool1d, pool2d, inputs, pool_size, strides, padding, data_format):
    inputs = float_tensor(inputs)
    if inputs.ndim == 3:
        return pool1d(inputs, pool_size, strides, padding, data_format)
    if inputs.ndim == 4:
        return pool2d(inputs, pool_size, strides, padding, data_format)
    raise ShapeError(f"{name}: expected a 3-D or 4-D input, received shape {inputs.shape}")


@operation
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool("max_pool", _pooling.max_pool1d, _pooling.max_pool2d, inputs, pool_size,
                 strides, padding, data_format)


@operation
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool("average_pool", _pooling.avg_pool1d, _pooling.avg_pool2d, inputs, pool_size,
                 strides, padding, data_format)


# ------------------------------------------------------------------------ losses
def _pair(name, target, output):
    output = float_tensor(output)
    target = float_tensor(target)
    if target.dtype != output.dtype:
        target = _math.cast(target, output.dtype)
    if target.shape != output.shape:
        raise ShapeError(f"{name}: target and output must have the same shape, received "
                         f"{target.shape} and {output.shape}")
    return target, output


@operation
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise -(t ln p + (1 - t) ln(1 - p)), p clipped to [1e-7, 1 - 1e-7]; from logits
    z: max(z, 0) - z t + ln(1 + e^-|z|)."""
    target, output = _pair("binary_crossentropy", target, output)
    if from_logits:
        return _nn.relu(output) - output * target + _nn.softplus(-_math.abs(output))
    p = clip(output, EPSILON, 1.0 - EPSILON)
    return -(target * _math.log(p) + (1.0 - target) * _math.log(1.0 - p))


@operation
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """-sum(t ln p, axis), p renormalized and clipped (or log_softmax of logits)."""
    target, output = _pair("categorical_crossentropy", target, output)
    if from_logits:
        return -_reduce.sum(target * _nn.log_softmax(output, axis), axis)
    return F.categorical_crossentropy(target, output, axis=axis)


@operation
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """-ln p[label] for integer labels (``target`` shaped like output without ``axis``)."""
    output = float_tensor(output)
    axis = normalize_axis(axis, output.ndim)[0]
    if axis != output.ndim - 1:
        output = moveaxis(output, axis, -1)
    labels = _to_tensor(target).data
    hot = one_hot(labels, output.shape[-1], dtype=output.dtype)
    if from_logits:
        return -_reduce.sum(hot * _nn.log_softmax(output, -1), -1)
    p = output / _reduce.sum(output, -1, keepdims=True)
    return -_reduce.sum(hot * _math.log(clip(p, EPSILON, 1.0 - EPSILON)), -1)


# ------------------------------------------------------------------------ statistics
@operation
def moments(x, axes, keepdims=False, synchronized=False):  # noqa: ARG001 - Keras's signature
    """(mean, variance) over ``axes`` (population variance)."""
    x = float_tensor(x)
    axes = normalize_axis(axes, x.ndim)
    mean = _reduce.mean(x, axes, keepdims=True)
    centred = x - mean
    variance = _reduce.mean(centred * centred, axes, keepdims=keepdims)
    if not keepdims:
        mean = mean.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))
    return mean, variance


@operation
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """(x - mean) / sqrt(variance + epsilon) * scale + offset; the statistics have the length
    of ``axis`` and broadcast along it."""
    x = float_tensor(x)
    axis = normalize_axis(axis, x.ndim)[0]
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def along(value):
        return float_tensor(value).reshape(tuple(shape))

    y = (x - along(mean)) / _math.sqrt(along(variance) + epsilon)
    if scale is not None:
        y = y * along(scale)
    if offset is not None:
        y = y + along(offset)
    return y


def norm_along(x, order, axis, keepdims=True):
    """The vector norm of order ``order`` along one ``axis``."""
    if order in (None, 2):
        return _math.sqrt(_reduce.sum(x * x, axis, keepdims))
    if order == 1:
        return _reduce.sum(_math.abs(x), axis, keepdims)
    if order == float("inf"):
        return _reduce.max(_math.abs(x), axis, keepdims)
    if order == float("-inf"):
        return _reduce.min(_math.abs(x), axis, keepdims)
    if order == 0:
        return constant((x.data != 0).sum(axis=axis, keepdims=keepdims).astype(x.dtype))
    if isinstance(order, str):
        raise GlassnetValueError(f"norm: ord {order!r} is for matrices (give two axes)")
    return _math.power(_reduce.sum(_math.power(_math.abs(x), order), axis, keepdims),
                       1.0 / order)


def matrix_norm(x, order, axes, keepdims):
    """Matrix norms over two ``axes``: 'fro' (or None), 1, -1 (columns), inf, -inf (rows)."""
    rows, cols = axes
    if order in (None, "fro"):
        return _math.sqrt(_reduce.sum(x * x, axes, keepdims))
    if order in (1, -1, float("inf"), float("-inf")):
        summed, other = (rows, cols) if order in (1, -1) else (cols, rows)
        sums = _reduce.sum(_math.abs(x), summed, keepdims=True)
        pick = _reduce.max if order in (1, float("inf")) else _reduce.min
        result = pick(sums, other, keepdims=True)
        if not keepdims:
            result = result.reshape(tuple(n for i, n in enumerate(result.shape)
                                          if i not in axes))
        return result
    raise GlassnetValueError(f"norm: matrix ord must be 'fro', 1, -1, inf or -inf, received "
                             f"{order!r} ('nuc' and 2 need an SVD, which glassnet lacks)")


@operation
def normalize(x, axis=-1, order=2, epsilon=None):
    """x / max(||x||_order, epsilon) along ``axis`` (epsilon: 1e-7 by default)."""
    x = float_tensor(x)
    eps = EPSILON if epsilon is None else epsilon
    return x / _math.maximum(norm_along(x, order, axis), eps)


@operation
def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - Keras's name
    """Vector norms (ord None/2, 1, inf, -inf, 0, p) or, for two axes, matrix norms ('fro',
    1, inf, -1, -inf)."""
    x = float_tensor(x)
    if axis is None:
        if ord is None:
            return norm_along(x.reshape(-1), None, 0, keepdims=False).reshape(
                (1,) * x.ndim if keepdims else ()
            )
        axis = tuple(range(x.ndim))
    axes = normalize_axis(axis, x.ndim)
    if len(axes) == 1:
        return norm_along(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        return matrix_norm(x, ord, axes, keepdims)
    raise GlassnetValueError(f"norm: axis must name one or two axes, received {axis}")


__all__ = [
    "average_pool", "batch_normalization", "binary_crossentropy", "categorical_crossentropy",
    "celu", "conv", "dot_product_attention", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid",
    "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "rms_normalization", "soft_shrink",
    "sparse_plus", "squareplus", "tanh_shrink", "threshold",
    "log_sigmoid", "log_softmax", "max_pool", "moments", "multi_hot", "norm", "normalize",
    "one_hot", "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus", "softsign",
    "sparse_categorical_crossentropy", "swish",
]
