"""Normalization ops: batch normalization and layer normalization (fused forward/backward).

Both normalize ``x`` over a set of axes A (the m = prod(len(A)) values that share one mean):

    mu = mean_A(x),  var = mean_A((x - mu)^2)   (biased, as Keras)
    x_hat = (x - mu) / sqrt(var + epsilon),  y = gamma * x_hat + beta

and share one fused backward (with g = dL/dy * gamma):

    dL/dx = (1 / sqrt(var + eps)) * (g - mean_A(g) - x_hat * mean_A(g * x_hat))
    dL/dgamma = sum(dL/dy * x_hat),  dL/dbeta = sum(dL/dy)   (over the non-parameter axes)

Batch normalization (training) normalizes over every axis but the channel axis; at inference it
uses the moving statistics. Layer normalization normalizes each sample over its feature axes.
The fused backward runs on arrays on the first-order path; while a create_graph backward
records, the same formulas run as Tensor ops, so normalization is differentiable to any order.
"""

from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.tensor import Function, Tensor, as_tensor


def _axes(axis, ndim, name):
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        if not -ndim <= int(a) < ndim:
            raise ShapeError(f"{name}: axis {a} is out of range for an input with {ndim} axes")
        out.append(int(a) % ndim)
    return tuple(sorted(set(out)))


class NormalizeFunction(Function):
    """y = gamma * (x - mean_A x) / sqrt(var_A x + eps) + beta over ``reduce_axes`` A.

    gamma and beta are broadcastable to x (their shape has 1 on the reduced axes).
    Backward on arrays, or as Tensor ops under create_graph (differentiable again).
    """

    def __init__(self, reduce_axes, epsilon):
        self.axes, self.epsilon = reduce_axes, epsilon

    def forward(self, x, gamma, beta):
        self.mean = x.mean(axis=self.axes, keepdims=True)
        centered = x - self.mean
        self.var = (centered * centered).mean(axis=self.axes, keepdims=True)
        self.inv_std = 1.0 / xp.sqrt(self.var + x.dtype.type(self.epsilon))
        self.x_hat = centered * self.inv_std
        return self.x_hat * gamma + beta

    def backward(self, gy):
        x, gamma, beta = self.inputs
        if config.enable_grad:  # create_graph: the same formulas from differentiable ops
            return self._backward_graph(gy)
        gy = gy.data
        param_axes = tuple(i for i in range(gy.ndim) if gamma.shape[i] == 1 and gy.shape[i] != 1)
        ggamma = gbeta = gx = None
        if gamma.requires_grad:
            ggamma = Tensor((gy * self.x_hat).sum(axis=param_axes, keepdims=True).reshape(
                gamma.shape))
        if beta.requires_grad:
            gbeta = Tensor(gy.sum(axis=param_axes, keepdims=True).reshape(beta.shape))
        if x.requires_grad:
            g = gy * gamma.data
            mean_g = g.mean(axis=self.axes, keepdims=True)
            mean_gx = (g * self.x_hat).mean(axis=self.axes, keepdims=True)
            gx = Tensor(self.inv_std * (g - mean_g - self.x_hat * mean_gx))
        return gx, ggamma, gbeta


    def _backward_graph(self, gy):
        """The fused backward as Tensor ops, with x_hat and 1/std recomputed from x."""
        x, gamma, beta = self.inputs
        centered = x - x.mean(axis=self.axes, keepdims=True)
        variance = (centered * centered).mean(axis=self.axes, keepdims=True)
        inv_std = (variance + self.epsilon) ** -0.5
        x_hat = centered * inv_std
        gx = ggamma = gbeta = None
        if x.requires_grad:
            g = gy * gamma
            mean_g = g.mean(axis=self.axes, keepdims=True)
            mean_gx = (g * x_hat).mean(axis=self.axes, keepdims=True)
            gx = inv_std * (g - mean_g - x_hat * mean_gx)
        if gamma.requires_grad:
            ggamma = (gy * x_hat).sum_to(gamma.shape)
        if beta.requires_grad:
            gbeta = gy.sum_to(beta.shape)
        return gx, ggamma, gbeta


def _param(value, shape, dtype, default):
    if value is None:
        return Tensor(xp.full(shape, default, dtype=dtype))
    value = as_tensor(value)
    if value.size != int(xp.prod(shape)):
        raise ShapeError(f"expected a parameter with {int(xp.prod(shape))} values (shape "
                         f"{tuple(s for s in shape if s != 1)}), got shape {value.shape}")
    return value.reshape(shape)



def update_moving_statistics(moving_mean, moving_variance, mean, var, momentum):
    """In place: moving = momentum * moving + (1 - momentum) * batch, for the mean and variance.

    ``moving_mean``/``moving_variance`` are Tensors, arrays or None (skipped); ``mean``/``var``
    the batch statistics of a normalization op.
    """
    for moving, batch in ((moving_mean, mean), (moving_variance, var)):
        if moving is not None:
            data = moving.data if isinstance(moving, Tensor) else moving
            data *= momentum
            data += (1.0 - momentum) * batch.reshape(data.shape)


def batch_norm(x, gamma=None, beta=None, moving_mean=None, moving_variance=None,
               training=False, momentum=0.99, epsilon=1e-3, axis=-1):
    """Batch normalization (Keras's BatchNormalization maths).

    Training: normalize with the batch statistics over every axis but ``axis`` and, when moving
    statistics are given, update them in place (Keras's rule, biased batch variance):
    ``moving = moving * momentum + batch_stat * (1 - momentum)``.
    Inference: ``y = gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta``.

    Args:
        x: input Tensor/array.
        gamma, beta: scale and offset of shape (channels,), or None (1 and 0).
        moving_mean, moving_variance: Tensors/arrays (channels,) (required for inference).
        training: use batch statistics (and update the moving ones).
        momentum: moving-average momentum (0.99, Keras).
        epsilon: added to the variance (1e-3, Keras).
        axis: the channel axis (-1: channels_last).

    Returns:
        The normalized Tensor, same shape as x.

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.normalization import batch_norm
        >>> y = batch_norm(np.array([[1.0], [3.0]]), training=True, epsilon=0.0)
        >>> y.data.ravel()
        array([-1.,  1.])
    """
    x = as_tensor(x)
    (channel,) = _axes(axis, x.ndim, "batch_norm")
    reduce_axes = tuple(i for i in range(x.ndim) if i != channel)
    shape = tuple(x.shape[i] if i == channel else 1 for i in range(x.ndim))
    gamma = _param(gamma, shape, x.dtype, 1.0)
    beta = _param(beta, shape, x.dtype, 0.0)
    if training:
        op = NormalizeFunction(reduce_axes, epsilon)
        y = op(x, gamma, beta)
        update_moving_statistics(moving_mean, moving_variance, op.mean, op.var, momentum)
        return y
    if moving_mean is None or moving_variance is None:
        raise GlassnetValueError(
            "batch_norm: inference (training=False) needs moving_mean and moving_variance"
        )
    mean = _param(moving_mean, shape, x.dtype, 0.0).data
    inv_std = 1.0 / xp.sqrt(_param(moving_variance, shape, x.dtype, 1.0).data
                            + x.dtype.type(epsilon))
    return (x - Tensor(mean)) * (gamma * Tensor(inv_std.astype(x.dtype))) + beta


def layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-3):
    """Layer normalization: each sample normalized over ``axis`` (Keras LayerNormalization).

    y = gamma * (x - mean_axis x) / sqrt(var_axis x + epsilon) + beta

    Args:
        x: input.
        gamma, beta: parameters with the shape of the normalized axes, or None.
        axis: int or tuple of axes to normalize over (-1 by default).
        epsilon: 1e-3 (Keras's default).

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.normalization import layer_norm
        >>> layer_norm(np.array([[1.0, 3.0]]), epsilon=0.0).data
        array([[-1.,  1.]])
    """
    x = as_tensor(x)
    axes = _axes(axis, x.ndim, "layer_norm")
    shape = tuple(x.shape[i] if i in axes else 1 for i in range(x.ndim))
    gamma = _param(gamma, shape, x.dtype, 1.0)
    beta = _param(beta, shape, x.dtype, 0.0)
    return NormalizeFunction(axes, epsilon)(x, gamma, beta)
