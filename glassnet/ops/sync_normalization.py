"""The synchronized batch-normalization op: statistics over every rank's shard.

The op behind :class:`glassnet.layers.SyncBatchNormalization`.

Under data parallelism (:mod:`glassnet.distribution`) each rank sees its shard of the global
batch. Plain :class:`~glassnet.layers.normalization.BatchNormalization` normalizes each shard
with its own statistics (per-rank statistics: fine for large shards, and it needs no
communication). ``SyncBatchNormalization`` (also ``BatchNormalization(synchronized=True)``, as in
Keras 3) all-reduces them, so N ranks compute exactly what one process computes on the whole
global batch. In one process the two layers are the same.

With M the global number of values per channel (m_r on rank r), the forward all-reduces
``[sum x, m_r]`` and then ``sum (x - mu)^2`` (two passes: no cancellation):

    mu = sum_all x / M,  var = sum_all (x - mu)^2 / M,  x_hat = (x - mu) / sqrt(var + eps)

The backward all-reduces ``[sum dy, sum dy * x_hat]``. Rank r's loss carries the weight
m_r / M of the global mean loss (the data-parallel rule: each rank's gradient is scaled by its
share of the global batch), so the sums are weighted by that share and, with g = gamma * dy,

    dL/dx_r = gamma / sqrt(var + eps) * (dy_r - S1 / m_r - x_hat_r * S2 / m_r),
    S1 = sum_s (m_s / M) sum dy_s,   S2 = sum_s (m_s / M) sum dy_s * x_hat_s

while dL/dgamma and dL/dbeta stay the rank's own sums (the gradient all-reduce of data
parallelism adds them up). The moving statistics are updated with the global mu and var, so
they are identical on every rank.
"""

from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import HigherOrderError
from glassnet.ops.normalization import (
    NormalizeFunction,
    _axes,
    _param,
    batch_norm,
    update_moving_statistics,
)
from glassnet.tensor import Function, Tensor, as_tensor


def _communicator():
    from glassnet.distribution.communicator import current  # lazily: distribution is above

    return current()


class SyncNormalizeFunction(Function):
    """Batch normalization over the union of every rank's shard (statistics all-reduced).

    Forward: ``y = gamma * (x - mu) / sqrt(var + eps) + beta`` with the global mu and var over
    ``reduce_axes`` of all ranks. Backward (formulas in the module docstring): dL/dx from the
    all-reduced, share-weighted ``[sum dy, sum dy * x_hat]``; dL/dgamma = sum dy * x_hat and
    dL/dbeta = sum dy over this rank's values. In one process this is NormalizeFunction, and a
    create_graph backward runs its Tensor-op formulas; across ranks a second derivative raises
    HigherOrderError.

    Args:
        reduce_axes: the axes normalized over (all but the channel axis).
        epsilon: added to the variance.
        comm: the communicator (:func:`glassnet.distribution.communicator.current` if None).
    """

    higher_order_hint = ("use BatchNormalization (per-rank statistics) or run the "
                         "second-order computation in one process")

    def __init__(self, reduce_axes, epsilon, comm=None):
        self.axes, self.epsilon = reduce_axes, epsilon
        self.comm = _communicator() if comm is None else comm

    def forward(self, x, gamma, beta):
        keep = tuple(1 if i in self.axes else n for i, n in enumerate(x.shape))
        channels = int(xp.prod(keep))
        self.local_count = x.size // max(channels, 1)
        sums = xp.empty(channels + 1, dtype=xp.float64)
        sums[:channels] = x.sum(axis=self.axes, dtype=xp.float64).reshape(-1)
        sums[channels] = self.local_count
        self.comm.allreduce_sum(sums)
        self.total = float(sums[channels])
        self.mean = (sums[:channels] / self.total).reshape(keep).astype(x.dtype)
        centered = x - self.mean
        squares = xp.ascontiguousarray(
            (centered * centered).sum(axis=self.axes, dtype=xp.float64).reshape(-1))
        self.comm.allreduce_sum(squares)
        self.var = (squares / self.total).reshape(keep).astype(x.dtype)
        self.inv_std = 1.0 / xp.sqrt(self.var + x.dtype.type(self.epsilon))
        self.x_hat = centered * self.inv_std
        return self.x_hat * gamma + beta

    def backward(self, gy):
        x, gamma, beta = self.inputs
        if config.enable_grad:  # create_graph
            if self.comm.size > 1:
                raise HigherOrderError(
                    f"SyncNormalizeFunction: a second derivative through synchronized batch "
                    f"normalization across {self.comm.size} ranks is not supported; "
                    f"{self.higher_order_hint}")
            return NormalizeFunction._backward_graph(self, gy)  # one process: the same maths
        gy = gy.data
        sum_gy = gy.sum(axis=self.axes, keepdims=True)
        sum_gy_xhat = (gy * self.x_hat).sum(axis=self.axes, keepdims=True)
        gx = ggamma = gbeta = None
        if x.requires_grad:
            share = self.local_count / self.total if self.total else 0.0
            both = xp.concatenate([sum_gy.reshape(-1), sum_gy_xhat.reshape(-1)]).astype(
                xp.float64) * share
            self.comm.allreduce_sum(both)
            s1, s2 = (part.reshape(sum_gy.shape).astype(gy.dtype) for part in xp.split(both, 2))
            if self.local_count:
                m = gy.dtype.type(self.local_count)
                gx = Tensor(self.inv_std * gamma.data * (gy - s1 / m - self.x_hat * (s2 / m)))
            else:
                gx = Tensor(xp.zeros_like(gy))
        if gamma.requires_grad:
            ggamma = Tensor(sum_gy_xhat.reshape(gamma.shape))
        if beta.requires_grad:
            gbeta = Tensor(sum_gy.reshape(beta.shape))
        return gx, ggamma, gbeta


def sync_batch_norm(x, gamma=None, beta=None, moving_mean=None, moving_variance=None,
                    training=False, momentum=0.99, epsilon=1e-3, axis=-1, comm=None):
    """Batch normalization with statistics all-reduced over the ranks (training only).

    Same arguments and results as :func:`glassnet.ops.normalization.batch_norm`; in training
    the batch statistics (and the moving-statistics update) are those of the global batch,
    the union of every rank's ``x``. Inference uses the moving statistics (no communication).

    Args:
        x, gamma, beta, moving_mean, moving_variance, training, momentum, epsilon, axis: as
            ``batch_norm``.
        comm: the communicator (the current one if None).

    Returns:
        The normalized Tensor, same shape as x.

    Example:
        >>> import numpy as np
        >>> y = sync_batch_norm(np.array([[1.0], [3.0]]), training=True, epsilon=0.0)
        >>> y.data.ravel()
        array([-1.,  1.])
    """
    if not training:
        return batch_norm(x, gamma, beta, moving_mean, moving_variance, training=False,
                          momentum=momentum, epsilon=epsilon, axis=axis)
    x = as_tensor(x)
    (channel,) = _axes(axis, x.ndim, "sync_batch_norm")
    reduce_axes = tuple(i for i in range(x.ndim) if i != channel)
    shape = tuple(x.shape[i] if i == channel else 1 for i in range(x.ndim))
    gamma = _param(gamma, shape, x.dtype, 1.0)
    beta = _param(beta, shape, x.dtype, 0.0)
    op = SyncNormalizeFunction(reduce_axes, epsilon, comm)
    y = op(x, gamma, beta)
    update_moving_statistics(moving_mean, moving_variance, op.mean, op.var, momentum)
    return y
