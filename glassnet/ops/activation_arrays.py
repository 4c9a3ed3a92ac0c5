"""Activations on plain arrays: the one place their array formulas are written.

The activation ops (:mod:`glassnet.ops.nn`), the fused losses and the recurrent ops
(:mod:`glassnet.ops.recurrent`) all compute on these. Functions ending in ``_`` work in place
(the recurrent loops reuse their buffers); :data:`IN_PLACE` maps a recurrent activation name
to its in-place form and its derivative written with the activation's output y.

    sigmoid(x) = 1 / (1 + e^-x)            sigmoid' = y (1 - y)
    tanh(x)                                 tanh' = 1 - y^2
    relu(x) = max(x, 0)                     relu' = 1 where y > 0
    softplus(x) = ln(1 + e^x)               softplus' = sigmoid(x)
    softmax(x)_i = e^(x_i - m) / sum_j e^(x_j - m),  m = max_j x_j
    log_softmax(x)_i = x_i - m - ln sum_j e^(x_j - m)

Example:
    >>> import numpy as np
    >>> from glassnet.ops.activation_arrays import sigmoid, softmax
    >>> sigmoid(np.array([0.0, -1000.0])).tolist()
    [0.5, 0.0]
    >>> softmax(np.array([[0.0, 0.0]]), axis=-1).tolist()
    [[0.5, 0.5]]
"""

from glassnet.backend import xp


def sigmoid(x):
    """sigma(x) = 1 / (1 + e^-x), a new array.

    For x below about -88 (float32) e^-x overflows to inf and 1 / (1 + inf) = 0, the correct
    limit, so the overflow is silenced rather than avoided (four times faster than a
    two-branch formula, and exact wherever the result is nonzero).
    """
    with xp.errstate(over="ignore"):
        e = xp.asarray(xp.exp(-x))
    e += 1
    return xp.reciprocal(e, out=e)


def sigmoid_(z):
    """In place: z <- 1 / (1 + e^-z) (e^-z may overflow to inf, giving the right limit 0)."""
    with xp.errstate(over="ignore"):
        xp.negative(z, out=z)
        xp.exp(z, out=z)
    z += 1.0
    return xp.reciprocal(z, out=z)


def sigmoid_of_exponent_(e):
    """In place: e <- 1 / (1 + exp(e)), the sigmoid of -e."""
    with xp.errstate(over="ignore"):
        xp.exp(e, out=e)
    e += 1.0
    return xp.reciprocal(e, out=e)


def tanh_(z):
    """In place: z <- tanh(z)."""
    return xp.tanh(z, out=z)


def relu_(z):
    """In place: z <- max(z, 0)."""
    return xp.maximum(z, 0, out=z)


def linear_(z):
    """The identity (nothing to do in place)."""
    return z


def softplus(x):
    """ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|) (never overflows)."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def softmax(x, axis):
    """e^(x - max) / sum e^(x - max) along ``axis``."""
    e = xp.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(x, axis):
    """x - max - ln sum e^(x - max) along ``axis``."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def sigmoid_binary_cross_entropy(z, t):
    """-(t ln sigmoid(z) + (1 - t) ln(1 - sigmoid(z))) = max(z, 0) - z t + ln(1 + e^-|z|)."""
    return xp.maximum(z, 0) - z * t + xp.log1p(xp.exp(-xp.abs(z)))


# name -> (in-place activation, derivative expressed with the activation's output y)
IN_PLACE = {
    "tanh": (tanh_, lambda y: 1.0 - y * y),
    "sigmoid": (sigmoid_, lambda y: y * (1.0 - y)),
    "relu": (relu_, lambda y: (y > 0).astype(y.dtype)),
    "linear": (linear_, lambda y: xp.ones_like(y)),
}
