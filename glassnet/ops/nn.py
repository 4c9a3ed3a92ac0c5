"""Neural-network primitives: activations, dropout and fused, numerically stable losses.

Each op is a :class:`~glassnet.tensor.Function` with ``forward`` (on arrays) and ``backward``
(on gradient Tensors) side by side, and the derivative it implements in its docstring. The
array formulas come from :mod:`glassnet.ops.activation_arrays`.

Activation backwards are written with Tensor operations on the op's input or output, so
``backward(create_graph=True)`` gives correct higher derivatives (sigmoid, softplus, softmax,
log-softmax, elu, gelu, swish). Piecewise-linear activations (relu, leaky relu, step) multiply
by a constant mask, whose own derivative is zero almost everywhere: also exact.

The three fused losses (softmax cross-entropy with dense or sparse targets and sigmoid binary
cross-entropy, all from logits) compute their backward on arrays on the first-order path, for
speed; while a create_graph backward records, the same formulas run as Tensor ops (softmax,
sigmoid and log-softmax ops), so they are differentiable to any order too.

float32 inputs give float32 outputs and gradients: constants are cast to the input's dtype.
"""

import math

from glassnet import kernels
from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.ops import activation_arrays as arrays
from glassnet.tensor import Function, Tensor, as_tensor

_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_TANH_C = math.sqrt(2.0 / math.pi)
_GELU_TANH_A = 0.044715


# ------------------------------------------------------------------------ erf on arrays
# Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7, the float32 resolution near 1).
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_math_erf = xp.frompyfunc(math.erf, 1, 1)


def erf_array(x):
    """The error function erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt on an array.

    float64 (and other non-float32) input: exact to double precision (``math.erf`` per
    element; float64 is glassnet's checking precision). float32 input: the vectorized
    Abramowitz-Stegun 7.1.26 formula (error <= 1.5e-7, about float32's resolution).
    """
    x = xp.asarray(x)
    if x.dtype != xp.float32:
        return xp.asarray(_math_erf(x), dtype=x.dtype if x.dtype.kind == "f" else xp.float64)
    a = xp.abs(x).astype(xp.float64)  # float64 arithmetic keeps rounding below the A-S error
    t = 1 / (1 + _AS_P * a)
    poly = xp.zeros_like(t)
    for coefficient in reversed(_AS_A):
        poly = (poly + coefficient) * t
    return (xp.sign(x) * (1 - poly * xp.exp(-a * a))).astype(xp.float32)


def _const(value, like):
    """A constant Tensor with ``like``'s dtype (keeps float32 float32)."""
    return Tensor(xp.asarray(value, dtype=like.dtype))


# ------------------------------------------------------------------------ activations
def _fusable(*arrays_):
    """Whether a kernel of glassnet.kernels.elementwise takes these arrays (float32/64, one
    dtype and shape, C-contiguous)."""
    first = arrays_[0]
    return first.dtype in _KERNEL_DTYPES and all(
        a.dtype == first.dtype and a.shape == first.shape and a.flags.c_contiguous
        for a in arrays_)


_KERNEL_DTYPES = (xp.dtype(xp.float32), xp.dtype(xp.float64))


class SigmoidFunction(Function):
    """y = 1 / (1 + e^-x);  dy/dx = y (1 - y).  Stable for large |x| (no overflow).

    With the ``[fast]`` extra, forward and the first-order backward are one-pass kernels
    (``glassnet.kernels.elementwise``: the same values as the fused Dense + sigmoid op).
    """

    def forward(self, x):
        fused = kernels.get("elementwise", "sigmoid")
        if fused is not None and _fusable(x):
            y = xp.empty_like(x)
            fused(x, y, x.dtype.type(1))
            return y
        return arrays.sigmoid(x)

    def backward(self, gy):
        y = self.output()
        if config.enable_grad:  # create_graph: differentiable in gy and y
            return gy * y * (1 - y)
        g, a = gy.data, y.data
        fused = kernels.get("elementwise", "sigmoid_grad")
        if fused is not None and _fusable(g, a):
            gx = xp.empty_like(a)
            fused(g, a, gx, a.dtype.type(1))
            return Tensor(gx)
        return Tensor(g * a * (1 - a))


class ReLUFunction(Function):
    """y = max(x, 0);  dy/dx = 1 if x > 0 else 0."""

    def forward(self, x):
        return xp.maximum(x, 0, dtype=x.dtype)

    def backward(self, gy):
        mask = self.inputs[0].data > 0
        if config.enable_grad:  # create_graph: keep the product differentiable in gy
            return gy * Tensor(mask.astype(gy.dtype))
        return Tensor(xp.multiply(gy.data, mask, dtype=gy.dtype))  # one pass, no float mask


class LeakyReLUFunction(Function):
    """y = x if x > 0 else alpha x;  dy/dx = 1 if x > 0 else alpha."""

    def __init__(self, alpha=0.2):
        self.alpha = float(alpha)

    def forward(self, x):
        return xp.where(x > 0, x, x * x.dtype.type(self.alpha))

    def backward(self, gy):
        x = self.inputs[0].data
        slope = xp.where(x > 0, 1.0, self.alpha).astype(gy.dtype)
        return gy * Tensor(slope)


class ELUFunction(Function):
    """y = x if x > 0 else alpha (e^x - 1);  dy/dx = 1 if x > 0 else y + alpha."""

    def __init__(self, alpha=1.0):
        self.alpha = float(alpha)

    def forward(self, x):
        negative = self.alpha * xp.expm1(xp.minimum(x, 0))
        return xp.where(x > 0, x, negative).astype(x.dtype, copy=False)

    def backward(self, gy):
        positive = Tensor((self.inputs[0].data > 0).astype(gy.dtype))
        y = self.output()
        return gy * (positive + (1 - positive) * (y + self.alpha))


class SoftplusFunction(Function):
    """y = ln(1 + e^x);  dy/dx = sigmoid(x).  Computed as max(x, 0) + ln(1 + e^-|x|)."""

    def forward(self, x):
        return arrays.softplus(x)

    def backward(self, gy):
        return gy * sigmoid(self.inputs[0])


class SoftmaxFunction(Function):
    """y_i = e^(x_i - m) / sum_j e^(x_j - m) along ``axis`` (m = max, for stability).

    Backward (Jacobian-vector product): dL/dx = y * (g - sum(g * y, axis)).
    """

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        return arrays.softmax(x, self.axis)

    def backward(self, gy):
        y = self.output()
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmaxFunction(Function):
    """y_i = x_i - m - ln sum_j e^(x_j - m) along ``axis`` (m = max);

    Backward: dL/dx = g - softmax(x) * sum(g, axis), with softmax(x) = e^y.
    """

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        return arrays.log_softmax(x, self.axis)

    def backward(self, gy):
        y = self.output()
        return gy - y.exp() * gy.sum(axis=self.axis, keepdims=True)


class ErfFunction(Function):
    """y = erf(x);  dy/dx = 2/sqrt(pi) e^(-x^2)."""

    def forward(self, x):
        return erf_array(x)

    def backward(self, gy):
        x = self.inputs[0]
        return gy * (2 / math.sqrt(math.pi)) * (-(x * x)).exp()


class GELUFunction(Function):
    """Gaussian error linear unit, exact form: y = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)).

    dy/dx = Phi(x) + x phi(x), with phi(x) = e^(-x^2/2) / sqrt(2 pi).
    """

    def forward(self, x):
        self._cdf = 0.5 * (1 + erf_array(x / x.dtype.type(_SQRT_2)))
        return (x * self._cdf).astype(x.dtype, copy=False)

    def backward(self, gy):
        x = self.inputs[0]
        if config.enable_grad:  # create_graph: make Phi differentiable too
            cdf = 0.5 * (1 + erf(x / _SQRT_2))
        else:
            cdf = Tensor(self._cdf.astype(gy.dtype, copy=False))
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return gy * (cdf + x * pdf)


class GELUTanhFunction(Function):
    """GELU, tanh approximation: y = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3).

    dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2), t = tanh(u).
    """

    def forward(self, x):
        c, a = x.dtype.type(_GELU_TANH_C), x.dtype.type(_GELU_TANH_A)
        return 0.5 * x * (1 + xp.tanh(c * (x + a * x * x * x)))

    def backward(self, gy):
        x = self.inputs[0]
        t = (_GELU_TANH_C * (x + _GELU_TANH_A * x * x * x)).tanh()
        du = _GELU_TANH_C * (1 + 3 * _GELU_TANH_A * x * x)
        return gy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)


class SwishFunction(Function):
    """Swish / SiLU: y = x sigmoid(x);  dy/dx = s (1 + x (1 - s)), s = sigmoid(x)."""

    def forward(self, x):
        return x * arrays.sigmoid(x)

    def backward(self, gy):
        x = self.inputs[0]
        s = sigmoid(x)
        return gy * s * (1 + x * (1 - s))


class StepFunction(Function):
    """Heaviside step: y = 1 if x > 0 else 0;  dy/dx = 0 (no gradient flows through it)."""

    def forward(self, x):
        return (x > 0).astype(x.dtype if x.dtype.kind == "f" else xp.float32)

    def backward(self, gy):
        return gy * 0


class HardSigmoidFunction(Function):
    """y = clip(x / 6 + 1/2, 0, 1) (Keras 3);  dy/dx = 1/6 on -3 < x < 3, else 0."""

    def forward(self, x):
        return xp.clip(x / x.dtype.type(6) + x.dtype.type(0.5), 0, 1).astype(x.dtype)

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * Tensor(((x > -3) & (x < 3)).astype(gy.dtype) / gy.dtype.type(6))


# ------------------------------------------------------------------------ dropout
class DropoutFunction(Function):
    """Inverted dropout: y = x * m, m = keep_mask / (1 - rate) fixed in forward;  dy/dx = m.

    The backward multiplies by the constant m, so it is differentiable to any order.
    """

    def __init__(self, scaled_mask):
        self.mask = scaled_mask

    def forward(self, x):
        return x * self.mask

    def backward(self, gy):
        return gy * Tensor(self.mask)


# ------------------------------------------------------------------------ fused losses
class SoftmaxCrossEntropyFunction(Function):
    """Per-sample cross-entropy of a probability target and softmax(logits) along ``axis``.

    loss = -sum_i t_i log softmax(z)_i = sum_i t_i (lse(z) - z_i), lse = log-sum-exp (shifted
    by the max, so any finite logits give finite losses).

    Backward: dL/dz = g (softmax(z) sum_i t_i - t); for one-hot or probability targets this
    is g (softmax(z) - t). dL/dt = -g log softmax(z). On arrays on the first-order path, as
    Tensor ops (differentiable again) under create_graph.
    """

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, z, t):
        self._log_p = arrays.log_softmax(z, self.axis)
        return -(t * self._log_p).sum(axis=self.axis)

    def backward(self, gy):
        z, t = self.inputs
        if config.enable_grad:  # create_graph: the same formulas from differentiable ops
            axis = self.axis % z.ndim
            g = gy.unsqueeze(axis)
            gz = g * (softmax(z, axis) * t.sum(axis=axis, keepdims=True) - t)
            gt = -g * log_softmax(z, axis) if t.requires_grad else None
            return gz, gt
        g = xp.expand_dims(gy.data, self.axis)
        t_sum = t.data.sum(axis=self.axis, keepdims=True)
        gz = (xp.exp(self._log_p) * t_sum - t.data) * g
        gt = Tensor((-self._log_p * g).astype(t.dtype, copy=False)) if t.requires_grad else None
        return Tensor(gz.astype(z.dtype, copy=False)), gt


class SparseSoftmaxCrossEntropyFunction(Function):
    """Per-sample cross-entropy of integer class labels and softmax(logits) on the last axis.

    loss = lse(z) - z_label (lse = max-shifted log-sum-exp).

    Backward: dL/dz = g (softmax(z) - onehot(label)); labels get no gradient. On arrays on
    the first-order path, as Tensor ops (differentiable again) under create_graph.
    """

    def forward(self, z, labels):
        self._log_p = arrays.log_softmax(z, -1)
        picked = xp.take_along_axis(self._log_p, labels[..., None], axis=-1)[..., 0]
        return -picked

    def backward(self, gy):
        z, labels = self.inputs
        if config.enable_grad:  # create_graph: the same formula from differentiable ops
            classes = xp.arange(z.shape[-1])
            onehot = Tensor((labels.data[..., None] == classes).astype(z.dtype))
            return gy.unsqueeze(-1) * (softmax(z, -1) - onehot), None
        gz = xp.exp(self._log_p)
        xp.put_along_axis(
            gz, labels.data[..., None],
            xp.take_along_axis(gz, labels.data[..., None], axis=-1) - 1, axis=-1,
        )
        gz *= gy.data[..., None]
        return Tensor(gz.astype(z.dtype, copy=False)), None


class SigmoidBinaryCrossEntropyFunction(Function):
    """Elementwise binary cross-entropy of targets t and sigmoid(logits z).

    loss = -(t ln s + (1 - t) ln(1 - s)), s = sigmoid(z), computed stably as
    max(z, 0) - z t + ln(1 + e^-|z|).

    Backward: dL/dz = g (sigmoid(z) - t);  dL/dt = -g z. On arrays on the first-order path,
    as Tensor ops (differentiable again) under create_graph.
    """

    def forward(self, z, t):
        return arrays.sigmoid_binary_cross_entropy(z, t)

    def backward(self, gy):
        z, t = self.inputs
        if config.enable_grad:  # create_graph: the same formulas from differentiable ops
            return gy * (sigmoid(z) - t), (-gy * z if t.requires_grad else None)
        gz = (arrays.sigmoid(z.data) - t.data) * gy.data
        gt = Tensor((-z.data * gy.data).astype(t.dtype, copy=False)) if t.requires_grad else None
        return Tensor(gz.astype(z.dtype, copy=False)), gt


class CategoricalCrossentropyFunction(Function):
    """Per-sample cross-entropy of targets t and probabilities p, as Keras computes it.

    q = p / sum_i p_i (renormalized along ``axis``), c = clip(q, eps, 1 - eps), loss =
    -sum_i t_i ln c_i: one op instead of seven (sum, divide, clip, log, multiply, sum, negate),
    with the same array operations in the same order, so the same values bit for bit.

    Backward, with g = dL/dloss, d = -g t / c [eps <= q <= 1 - eps] (dL/dq) and s = sum p:
    dL/dp = d / s + sum_i(-(d_i / s) p_i / s) (the second term broadcast along ``axis``);
    dL/dt = -g ln c. On arrays on the first-order path; as Tensor ops (differentiable again)
    under create_graph.
    """

    def __init__(self, epsilon, axis=-1):
        self.lo, self.hi = epsilon, 1.0 - epsilon
        self.axis = axis

    def forward(self, p, t):
        s = p.sum(axis=self.axis, keepdims=True)
        self._q = p / s
        self._log_c = xp.log(xp.clip(self._q, self.lo, self.hi))
        return -(t * self._log_c).sum(axis=self.axis)

    def backward(self, gy):
        p, t = self.inputs
        axis = self.axis % p.ndim
        inside = Tensor(((self._q >= self.lo) & (self._q <= self.hi)).astype(p.dtype))
        if config.enable_grad:  # create_graph: the same formulas from differentiable ops
            s = p.sum(axis=axis, keepdims=True)
            c = (p / s).clip(self.lo, self.hi)
            g = (-gy).unsqueeze(axis)
            ga = g * t / c * inside / s
            gp = ga + (-ga * p / s).sum(axis=axis, keepdims=True)
            return gp, (g * c.log() if t.requires_grad else None)
        g = xp.expand_dims(-gy.data, axis)
        s = p.data.sum(axis=axis, keepdims=True)
        ga = g * t.data / xp.clip(self._q, self.lo, self.hi) * inside.data / s
        gp = ga + (-ga * p.data / s).sum(axis=axis, keepdims=True)
        gt = Tensor((g * self._log_c).astype(t.dtype, copy=False)) if t.requires_grad else None
        return Tensor(gp.astype(p.dtype, copy=False)), gt


def categorical_crossentropy(y_pred, target, epsilon, axis=-1):
    """Per-sample -sum(t ln clip(p / sum p, eps, 1 - eps)) along ``axis`` (Keras, one op).

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.nn import categorical_crossentropy
        >>> loss = categorical_crossentropy(np.array([[1.0, 3.0]]), np.array([[0.0, 1.0]]), 1e-7)
        >>> round(loss.item(), 6)
        0.287682
    """
    p = as_tensor(y_pred)
    t = as_tensor(target, like=p)
    if t.dtype != p.dtype:
        t = Tensor(t.data.astype(p.dtype))
    _check_pair("categorical_crossentropy", p, t)
    return CategoricalCrossentropyFunction(epsilon, axis)(p, t)


# ------------------------------------------------------------------------ functional forms
def sigmoid(x):
    """Logistic sigmoid 1 / (1 + e^-x) (stable for large |x|)."""
    return SigmoidFunction()(x)


def relu(x):
    """max(x, 0)."""
    return ReLUFunction()(x)


def leaky_relu(x, alpha=0.2):
    """x if x > 0 else alpha x."""
    return LeakyReLUFunction(alpha)(x)


def elu(x, alpha=1.0):
    """x if x > 0 else alpha (e^x - 1)."""
    return ELUFunction(alpha)(x)


def softplus(x):
    """ln(1 + e^x) (stable)."""
    return SoftplusFunction()(x)


def softmax(x, axis=-1):
    """Softmax along ``axis`` (max-shifted)."""
    return SoftmaxFunction(axis)(x)


def log_softmax(x, axis=-1):
    """Log of softmax along ``axis`` (max-shifted log-sum-exp)."""
    return LogSoftmaxFunction(axis)(x)


def erf(x):
    """The error function, differentiable."""
    return ErfFunction()(x)


def gelu(x, approximate=False):
    """GELU: exact erf form by default, tanh approximation when ``approximate=True``."""
    return GELUTanhFunction()(x) if approximate else GELUFunction()(x)


def swish(x):
    """x sigmoid(x) (also called SiLU)."""
    return SwishFunction()(x)


def step(x):
    """Heaviside step (1 where x > 0, else 0); zero gradient."""
    return StepFunction()(x)


def hard_sigmoid(x):
    """clip(x / 6 + 1/2, 0, 1)."""
    return HardSigmoidFunction()(x)


def _check_pair(name, z, t):
    if z.shape != t.shape:
        raise ShapeError(
            f"{name}: logits and targets must have the same shape, got logits {z.shape} "
            f"and targets {t.shape}"
        )


def softmax_cross_entropy(logits, target, axis=-1):
    """Per-sample -sum(target * log_softmax(logits)) along ``axis`` (fused, stable).

    ``target`` holds one-hot rows or probabilities (same shape as ``logits``).
    """
    z = as_tensor(logits)
    t = as_tensor(target, like=z)
    if t.dtype != z.dtype:
        t = Tensor(t.data.astype(z.dtype))
    _check_pair("softmax_cross_entropy", z, t)
    return SoftmaxCrossEntropyFunction(axis)(z, t)


def sparse_softmax_cross_entropy(logits, labels):
    """Per-sample lse(logits) - logits[label] over the last axis (fused, stable).

    ``labels`` are integer class indices with the shape of ``logits`` minus its last axis.
    """
    z = as_tensor(logits)
    labels_array = labels.data if isinstance(labels, Tensor) else xp.asarray(labels)
    if labels_array.dtype.kind not in "iu":
        raise GlassnetTypeError(
            f"sparse_softmax_cross_entropy: labels must be integers, got dtype "
            f"{labels_array.dtype}"
        )
    if labels_array.shape != z.shape[:-1]:
        raise ShapeError(
            f"sparse_softmax_cross_entropy: labels of shape {z.shape[:-1]} expected for "
            f"logits of shape {z.shape}, got labels of shape {labels_array.shape}"
        )
    n_classes = z.shape[-1]
    if labels_array.size and (labels_array.min() < 0 or labels_array.max() >= n_classes):
        raise GlassnetValueError(
            f"sparse_softmax_cross_entropy: labels must lie in [0, {n_classes}), got values "
            f"in [{labels_array.min()}, {labels_array.max()}]"
        )
    return SparseSoftmaxCrossEntropyFunction()(z, Tensor(labels_array.astype(xp.intp, copy=False)))


def sigmoid_binary_cross_entropy(logits, target):
    """Elementwise max(z, 0) - z t + ln(1 + e^-|z|) = BCE(t, sigmoid(z)) (fused, stable)."""
    z = as_tensor(logits)
    t = as_tensor(target, like=z)
    if t.dtype != z.dtype:
        t = Tensor(t.data.astype(z.dtype))
    _check_pair("sigmoid_binary_cross_entropy", z, t)
    return SigmoidBinaryCrossEntropyFunction()(z, t)
