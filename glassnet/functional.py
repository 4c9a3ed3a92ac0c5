"""glassnet.functional (``import glassnet.functional as F``): activations, losses, layer maths.

Everything here is a plain function of Tensors (arrays and numbers are accepted and wrapped),
built from the differentiable ops in ``glassnet.ops``. Activations document their formula and
derivative; losses follow Keras 3's per-sample semantics (reduce over the last axis, return
one value per sample) — the :mod:`glassnet.losses` classes add sample weights and the batch
reduction on top.

Example:
    >>> import glassnet as gn
    >>> import glassnet.functional as F
    >>> F.sigmoid(gn.tensor([-1.0, 0.0, 1.0])).numpy().round(6)  # (the last ulp: NumPy or numba)
    array([0.268941, 0.5     , 0.731059], dtype=float32)
"""

import warnings

from glassnet.backend import xp
from glassnet.config import config, get_rng, shard_draw
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.ops import math as _math
from glassnet.ops import nn as _nn
from glassnet.tensor import Tensor, as_tensor

EPSILON = 1e-7  # Keras's backend epsilon (the default of config.epsilon, which clips)


def _float_tensor(x):
    """Wrap ``x`` as a Tensor; integer/bool data becomes the default float dtype."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        x = Tensor(x.data.astype(config.default_float))
    return x


# ======================================================================== activations
def step(x):
    """Heaviside step, the perceptron's activation.

    f(x) = 1 if x > 0 else 0;  f'(x) = 0 (no gradient flows; undefined at 0).

    Example:
        >>> import glassnet.functional as F
        >>> F.step([-1.0, 0.0, 2.0])
        tensor([0., 0., 1.])
    """
    return _nn.step(_float_tensor(x))


def sigmoid(x):
    """Logistic sigmoid.

    f(x) = 1 / (1 + e^-x);  f'(x) = f(x) (1 - f(x)). Computed without overflow for large |x|.

    Example:
        >>> import glassnet.functional as F
        >>> F.sigmoid([0.0]).item()
        0.5
    """
    return _nn.sigmoid(_float_tensor(x))


def tanh(x):
    """Hyperbolic tangent.

    f(x) = (e^x - e^-x) / (e^x + e^-x);  f'(x) = 1 - f(x)^2.

    Example:
        >>> import glassnet.functional as F
        >>> round(F.tanh([1.0]).item(), 6)
        0.761594
    """
    return _math.tanh(_float_tensor(x))


def relu(x):
    """Rectified linear unit.

    f(x) = max(x, 0);  f'(x) = 1 if x > 0 else 0.

    Example:
        >>> import glassnet.functional as F
        >>> F.relu([-1.0, 0.0, 1.0])
        tensor([0., 0., 1.])
    """
    return _nn.relu(_float_tensor(x))


def leaky_relu(x, negative_slope=0.2, *, alpha=None):
    """Leaky ReLU (Keras 3 default slope 0.2; ``alpha`` is an alias of ``negative_slope``).

    f(x) = x if x > 0 else a x;  f'(x) = 1 if x > 0 else a.

    Example:
        >>> import glassnet.functional as F
        >>> F.leaky_relu([-1.0, 2.0], 0.1)
        tensor([-0.1,  2. ])
    """
    return _nn.leaky_relu(_float_tensor(x), negative_slope if alpha is None else alpha)


def elu(x, alpha=1.0):
    """Exponential linear unit.

    f(x) = x if x > 0 else alpha (e^x - 1);  f'(x) = 1 if x > 0 else f(x) + alpha.

    Example:
        >>> import glassnet.functional as F
        >>> round(F.elu([-1.0]).item(), 6)
        -0.632121
    """
    return _nn.elu(_float_tensor(x), alpha)


def softplus(x):
    """Softplus, a smooth ReLU.

    f(x) = ln(1 + e^x);  f'(x) = sigmoid(x). Stable: max(x, 0) + ln(1 + e^-|x|).

    Example:
        >>> import glassnet.functional as F
        >>> round(F.softplus([0.0]).item(), 6)
        0.693147
    """
    return _nn.softplus(_float_tensor(x))


def softmax(x, axis=-1):
    """Softmax along ``axis``.

    f(x)_i = e^(x_i) / sum_j e^(x_j) (computed from x - max(x));
    df_i/dx_j = f_i (delta_ij - f_j).

    Example:
        >>> import glassnet.functional as F
        >>> F.softmax([1.0, 2.0, 5.0, 3.0]).numpy().round(3)
        array([0.015, 0.041, 0.831, 0.112], dtype=float32)
    """
    return _nn.softmax(_float_tensor(x), axis)


def log_softmax(x, axis=-1):
    """Log-softmax along ``axis``.

    f(x)_i = x_i - ln sum_j e^(x_j) (max-shifted);  df_i/dx_j = delta_ij - softmax(x)_j.

    Example:
        >>> import glassnet.functional as F
        >>> round(float(F.log_softmax([0.0, 0.0]).numpy()[0]), 6)
        -0.693147
    """
    return _nn.log_softmax(_float_tensor(x), axis)


def gelu(x, approximate=False):
    """Gaussian error linear unit (Keras default: exact, ``approximate=False``).

    exact:   f(x) = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2));  f'(x) = Phi(x) + x phi(x),
             phi(x) = e^(-x^2 / 2) / sqrt(2 pi).
    approx.: f(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Example:
        >>> import glassnet.functional as F
        >>> round(F.gelu([1.0]).item(), 5)
        0.84134
    """
    return _nn.gelu(_float_tensor(x), approximate)


def swish(x):
    """Swish, also called SiLU.

    f(x) = x sigmoid(x);  f'(x) = s (1 + x (1 - s)) with s = sigmoid(x).

    Example:
        >>> import glassnet.functional as F
        >>> round(F.swish([1.0]).item(), 6)
        0.731059
    """
    return _nn.swish(_float_tensor(x))


silu = swish


def hard_sigmoid(x):
    """Piecewise-linear sigmoid (Keras 3 definition).

    f(x) = clip(x / 6 + 0.5, 0, 1);  f'(x) = 1/6 for -3 < x < 3, else 0.

    Example:
        >>> import glassnet.functional as F
        >>> F.hard_sigmoid([0.0, 6.0]).numpy()
        array([0.5, 1. ], dtype=float32)
    """
    return _nn.hard_sigmoid(_float_tensor(x))


def linear(x, weight=None, bias=None):
    """Affine map ``x @ weight + bias`` (weight shaped (in, out), like Keras's Dense kernel).

    With no weight it is the identity activation (Keras's ``'linear'``): f(x) = x, f'(x) = 1.

    Args:
        x: input of shape (..., in).
        weight: kernel of shape (in, out), or None for the identity.
        bias: optional bias of shape (out,).

    Returns:
        A Tensor of shape (..., out) (or ``x`` itself for the identity).

    Example:
        >>> import glassnet as gn
        >>> import glassnet.functional as F
        >>> F.linear(gn.tensor([[1.0, 2.0]]), gn.tensor([[1.0], [1.0]]), gn.tensor([0.5]))
        tensor([[3.5]])
    """
    x = as_tensor(x)
    if weight is None:
        return x
    weight = as_tensor(weight, like=x)
    if x.shape[-1:] != weight.shape[:1] or weight.ndim != 2:
        raise ShapeError(
            f"linear: expected weight of shape ({x.shape[-1] if x.ndim else '?'}, out) for "
            f"input of shape {x.shape}, got weight of shape {weight.shape}"
        )
    y = _math.matmul(x, weight)
    return y if bias is None else y + as_tensor(bias, like=y)


# ======================================================================== dropout
def dropout(x, rate, training=False, noise_shape=None):
    """Inverted dropout: zero each entry with probability ``rate``, scale the rest by 1/(1-rate).

    y = x * m / (1 - rate), m ~ Bernoulli(1 - rate) drawn from ``glassnet.config.get_rng()``
    (reproducible under ``gn.manual_seed``); dy/dx = m / (1 - rate). Identity when
    ``training`` is false or ``rate`` is 0, so no rescaling is needed at inference.

    Args:
        x: input Tensor.
        rate: drop probability in [0, 1].
        training: apply dropout only when true.
        noise_shape: optional mask shape that broadcasts to ``x.shape`` (None entries take
            x's size), e.g. (batch, 1, features) to drop whole features.

    Returns:
        A Tensor shaped like ``x``.

    Example:
        >>> import glassnet as gn
        >>> import glassnet.functional as F
        >>> F.dropout(gn.tensor([1.0, 2.0]), 0.5, training=False)
        tensor([1., 2.])
    """
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise GlassnetValueError(f"dropout: rate must be in [0, 1], got {rate}")
    x = as_tensor(x)
    if not training or rate == 0.0:
        return x
    shape = x.shape
    if noise_shape is not None:
        if len(noise_shape) != x.ndim:
            raise ShapeError(
                f"dropout: noise_shape {tuple(noise_shape)} must have one entry per axis of "
                f"the input of shape {x.shape}"
            )
        shape = tuple(n if n is not None else s for n, s in zip(noise_shape, x.shape, strict=True))
    if rate == 1.0:
        return x * Tensor(xp.zeros(shape, dtype=x.dtype))
    rng = get_rng()  # (data-parallel: drawn for the global batch, this rank's rows)
    keep = shard_draw(lambda s: rng.random(s, dtype=xp.float32), shape) >= rate
    scale = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - rate))
    return x * Tensor(scale)


# ======================================================================== losses
# Keras 3 loss functions: each returns one value per sample (reduced over the last axis,
# except sparse/categorical cross-entropies that reduce over the class axis).


def _pair(name, y_true, y_pred):
    """Tensors of equal rank: a trailing size-1 axis is added/removed as Keras does."""
    y_pred = _float_tensor(y_pred)
    y_true = as_tensor(y_true)
    if y_true.dtype != y_pred.dtype:
        y_true = Tensor(y_true.data.astype(y_pred.dtype))
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape + (1,))
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"{name}: y_true and y_pred must have the same shape, got y_true {y_true.shape} "
            f"and y_pred {y_pred.shape}"
        )
    return y_true, y_pred


def _warn_if_probabilities(name, y_pred, axis=-1):
    """Warn when from_logits=True receives what looks like softmax output (a common bug)."""
    data = y_pred.data
    if data.ndim == 0 or data.shape[axis] < 2 or data.size == 0:
        return
    if data.min() >= 0 and data.max() <= 1:
        sums = data.sum(axis=axis)
        if xp.allclose(sums, 1.0, atol=1e-3):
            warnings.warn(
                f"{name}: from_logits=True, but y_pred looks like probabilities (every value "
                f"in [0, 1] and each row sums to 1), e.g. the output of a softmax activation. "
                f"Pass from_logits=False, or drop the softmax from the last layer.",
                UserWarning,
                stacklevel=_user_stacklevel(),
            )


def _user_stacklevel():
    """The warnings stacklevel of the first caller outside the glassnet package."""
    import os
    import sys

    package_dir = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package_dir):
        frame, level = frame.f_back, level + 1
    return level


def mean_squared_error(y_true, y_pred):
    """Squared loss: mean((y_true - y_pred)^2, axis=-1).

    d/dy_pred = 2 (y_pred - y_true) / n, n = size of the last axis.

    Example:
        >>> import glassnet.functional as F
        >>> F.mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])
        tensor([0.5])
    """
    y_true, y_pred = _pair("mean_squared_error", y_true, y_pred)
    diff = y_pred - y_true
    return (diff * diff).mean(axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Absolute loss: mean(|y_true - y_pred|, axis=-1);  d/dy_pred = sign(y_pred - y_true) / n.

    Example:
        >>> import glassnet.functional as F
        >>> F.mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]])
        tensor([1.5])
    """
    y_true, y_pred = _pair("mean_absolute_error", y_true, y_pred)
    return (y_pred - y_true).abs().mean(axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Log loss: mean over ``axis`` of -(t ln p + (1 - t) ln(1 - p)).

    Probabilities are clipped to [1e-7, 1 - 1e-7] first (Keras); with ``from_logits=True``
    the fused, stable sigmoid cross-entropy is used (d/dz = sigmoid(z) - t).
    ``label_smoothing`` s replaces t with t (1 - s) + s / 2.

    Example:
        >>> import glassnet.functional as F
        >>> round(F.binary_crossentropy([[1.0]], [[0.5]]).item(), 6)
        0.693147
    """
    y_true, y_pred = _pair("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return _nn.sigmoid_binary_cross_entropy(y_pred, y_true).mean(axis=axis)
    p = y_pred.clip(config.epsilon, 1.0 - config.epsilon)
    loss = -(y_true * p.log() + (1.0 - y_true) * (1.0 - p).log())
    return loss.mean(axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy of one-hot/probability targets: -sum(t ln p, axis).

    Probabilities are renormalized to sum to 1 along ``axis`` and clipped to
    [1e-7, 1 - 1e-7] (Keras). ``from_logits=True`` uses the fused softmax cross-entropy
    (d/dz = softmax(z) - t) and warns if y_pred looks like probabilities.
    ``label_smoothing`` s replaces t with t (1 - s) + s / n_classes.

    Example:
        >>> import glassnet.functional as F
        >>> round(F.categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).item(), 6)
        0.693147
    """
    y_true, y_pred = _pair("categorical_crossentropy", y_true, y_pred)
    if label_smoothing:
        n_classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / n_classes
    if from_logits:
        _warn_if_probabilities("categorical_crossentropy", y_pred, axis)
        return _nn.softmax_cross_entropy(y_pred, y_true, axis)
    # p = y_pred / sum(y_pred); -sum(y_true * log(clip(p, eps, 1 - eps))), as one fused op
    return _nn.categorical_crossentropy(y_pred, y_true, config.epsilon, axis)


def _sparse_labels(name, y_true, y_pred):
    """Integer labels shaped like y_pred minus its last axis; checks values and range."""
    labels = y_true.data if isinstance(y_true, Tensor) else xp.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.ndim > 0 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.shape != y_pred.shape[:-1]:
        raise ShapeError(
            f"{name}: y_true must hold one integer class label per sample, shape "
            f"{y_pred.shape[:-1]} for y_pred of shape {y_pred.shape}, got y_true of shape "
            f"{labels.shape}"
        )
    if labels.dtype.kind not in "iub":
        if labels.dtype.kind != "f" or not xp.all(labels == xp.round(labels)):
            raise GlassnetValueError(
                f"{name}: y_true must hold integer class labels, got non-integer values "
                f"(dtype {labels.dtype}), e.g. {labels[labels != xp.round(labels)][:3]}; "
                f"for one-hot or probability targets use categorical_crossentropy"
            )
    labels = labels.astype(xp.intp)
    n_classes = y_pred.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise GlassnetValueError(
            f"{name}: labels must lie in [0, {n_classes}) for y_pred with {n_classes} "
            f"classes, got labels in [{labels.min()}, {labels.max()}]"
        )
    return labels


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Cross-entropy of integer class labels: -ln p[label].

    Probabilities are renormalized and clipped to [1e-7, 1 - 1e-7] (Keras);
    ``from_logits=True`` uses the fused sparse softmax cross-entropy
    (d/dz = softmax(z) - onehot(label)) and warns if y_pred looks like probabilities.
    Labels may be shaped (batch,) or (batch, 1); out-of-range or non-integer labels raise
    ValueError.

    Example:
        >>> import glassnet.functional as F
        >>> round(F.sparse_categorical_crossentropy([1], [[0.5, 0.5]]).item(), 6)
        0.693147
    """
    name = "sparse_categorical_crossentropy"
    y_pred = _float_tensor(y_pred)
    if axis not in (-1, y_pred.ndim - 1):
        y_pred = _move_axis_last(y_pred, axis)
    labels = _sparse_labels(name, y_true, y_pred)
    if from_logits:
        _warn_if_probabilities(name, y_pred)
        return _nn.sparse_softmax_cross_entropy(y_pred, labels)
    p = y_pred / y_pred.sum(axis=-1, keepdims=True)
    p = p.clip(config.epsilon, 1.0 - config.epsilon)
    onehot = Tensor((labels[..., None] == xp.arange(y_pred.shape[-1])).astype(y_pred.dtype))
    return -(onehot * p.log()).sum(axis=-1)


def _move_axis_last(x, axis):
    axes = list(range(x.ndim))
    axes.append(axes.pop(axis))
    return x.transpose(*axes)


def hinge(y_true, y_pred):
    """Hinge loss: mean(max(1 - y_true * y_pred, 0), axis=-1), labels -1/+1.

    Labels given as 0/1 are mapped to -1/+1 (2 t - 1), as Keras does.
    d/dy_pred = -t / n where t y_pred < 1, else 0.

    Example:
        >>> import glassnet.functional as F
        >>> F.hinge([[1.0]], [[0.25]])
        tensor([0.75])
    """
    y_true, y_pred = _pair("hinge", y_true, y_pred)
    data = y_true.data
    if xp.all((data == 0) | (data == 1)):
        y_true = y_true * 2.0 - 1.0
    return _math.maximum(1.0 - y_true * y_pred, 0.0).mean(axis=-1)


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence: sum(t ln(t / p), axis=-1), t and p clipped to [1e-7, 1].

    d/dp = -t / p.

    Example:
        >>> import glassnet.functional as F
        >>> F.kl_divergence([[0.5, 0.5]], [[0.5, 0.5]])
        tensor([0.])
    """
    y_true, y_pred = _pair("kl_divergence", y_true, y_pred)
    t = y_true.clip(config.epsilon, 1.0)
    p = y_pred.clip(config.epsilon, 1.0)
    return (t * (t / p).log()).sum(axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss, mean over the last axis of

    0.5 e^2 if |e| <= delta else delta (|e| - 0.5 delta), e = y_pred - y_true;
    d/de = e if |e| <= delta else delta sign(e).

    Example:
        >>> import glassnet.functional as F
        >>> F.huber([[0.0, 0.0]], [[0.5, 3.0]])
        tensor([1.3125])
    """
    y_true, y_pred = _pair("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = error.abs()
    quadratic = error * error * 0.5
    linear_part = abs_error * delta - 0.5 * delta * delta
    return _math.where(abs_error.data <= delta, quadratic, linear_part).mean(axis=-1)


def exponential_loss(y_true, y_pred):
    """Exponential loss (AdaBoost's): mean(exp(-y a), axis=-1), labels y in {-1, +1}.

    0/1 labels are mapped to -1/+1. d/da = -y exp(-y a) / n.

    Example:
        >>> import glassnet.functional as F
        >>> F.exponential_loss([[1.0]], [[0.0]])
        tensor([1.])
    """
    y_true, y_pred = _pair("exponential_loss", y_true, y_pred)
    if xp.all((y_true.data == 0) | (y_true.data == 1)):
        y_true = y_true * 2.0 - 1.0
    return (-(y_true * y_pred)).exp().mean(axis=-1)


def zero_one_loss(y_true, y_pred, threshold=0.5):
    """0-1 loss as an error rate: the fraction of samples predicted wrongly (no gradient).

    Class predictions: argmax of y_pred's last axis when it has more than one class (then
    y_true may be integer labels or one-hot rows); for -1/+1 labels the sign of y_pred;
    else y_pred > ``threshold`` (0/1 labels). The 0-1 loss
    is piecewise constant, so its gradient is zero almost everywhere: it is a metric to
    report, not a loss to train with. Returns a Python float.

    Example:
        >>> import glassnet.functional as F
        >>> F.zero_one_loss([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.1])
        0.25
    """
    pred = y_pred.data if isinstance(y_pred, Tensor) else xp.asarray(y_pred)
    true = y_true.data if isinstance(y_true, Tensor) else xp.asarray(y_true)
    if pred.ndim > 1 and pred.shape[-1] > 1:
        pred_labels = pred.argmax(axis=-1)
        if true.shape == pred.shape:
            true = true.argmax(axis=-1)
    elif xp.any(true < 0):  # -1/+1 labels: the sign of the score decides
        pred_labels = xp.where(pred > 0, 1, -1)
    else:
        pred_labels = (pred > threshold).astype(xp.int64)
        true = (true > threshold) if true.dtype.kind == "f" else true
    true = true.reshape(pred_labels.shape) if true.size == pred_labels.size else true
    if true.shape != pred_labels.shape:
        raise ShapeError(
            f"zero_one_loss: y_true of shape {true.shape} does not match y_pred of shape "
            f"{pred.shape}"
        )
    return float(xp.mean(true.astype(xp.int64) != pred_labels))


# Fused primitives (from logits), for users who want them without the Keras wrappers.
softmax_cross_entropy = _nn.softmax_cross_entropy
sparse_softmax_cross_entropy = _nn.sparse_softmax_cross_entropy
sigmoid_binary_cross_entropy = _nn.sigmoid_binary_cross_entropy

# Keras's short aliases.
mse = mean_squared_error
mae = mean_absolute_error
kld = kullback_leibler_divergence = kl_divergence


# ======================================================================== conv, pooling, ...
# The layer maths of glassnet.ops.conv, .pooling, .normalization and .recurrent, under their
# functional names (``F.conv2d`` ...), so ``glassnet.functional`` is the one place to find them.
from glassnet.ops.conv import conv1d, conv2d  # noqa: E402, F401
from glassnet.ops.normalization import batch_norm, layer_norm  # noqa: E402, F401
from glassnet.ops.pooling import (  # noqa: E402, F401
    avg_pool1d,
    avg_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool1d,
    max_pool2d,
)
from glassnet.ops.recurrent import gru, lstm, simple_rnn  # noqa: E402, F401
