"""Embedding lookup: y = W[indices], whose backward is a scatter-add into the table's rows.

The gradient row of an index that occurs k times is the sum of its k output gradients. The
scatter is linear in dL/dy and is an op itself (:class:`EmbeddingScatterFunction`), whose own
backward gathers the rows again, so the lookup is differentiable to any order.
"""

from glassnet.backend import xp
from glassnet.config import config
from glassnet.tensor import Function, Tensor


def _scatter_rows(indices, table_shape, gy):
    """zeros(table_shape) with each row of ``gy`` added to row ``indices[k]`` (repeats add)."""
    g = xp.zeros(table_shape, dtype=gy.dtype)
    flat = indices.reshape(-1)
    xp.add.at(g, flat, gy.reshape(flat.size, table_shape[1]))
    return g


class EmbeddingLookupFunction(Function):
    """y = W[indices];  dL/dW = scatter-add of dL/dy into the rows ``indices``.

    Example:
        >>> import numpy as np
        >>> import glassnet as gn
        >>> table = gn.tensor(np.eye(3), requires_grad=True)
        >>> EmbeddingLookupFunction(np.array([2, 2, 0]))(table).sum().backward()
        >>> table.grad.data.sum(axis=1).tolist()
        [3.0, 0.0, 6.0]
    """

    def __init__(self, indices):
        self.indices = indices

    def forward(self, table):
        return table[self.indices]

    def backward(self, gy):
        shape = self.inputs[0].shape
        if config.enable_grad:  # create_graph: the scatter as an op, differentiable in gy
            return EmbeddingScatterFunction(self.indices, shape)(gy)
        return Tensor(_scatter_rows(self.indices, shape, gy.data))


class EmbeddingScatterFunction(Function):
    """g = scatter-add of gy into zeros(table_shape) at ``indices`` (linear in gy);
    its backward is the lookup: dL/dgy = (dL/dg)[indices]."""

    def __init__(self, indices, table_shape):
        self.indices, self.table_shape = indices, table_shape

    def forward(self, gy):
        return _scatter_rows(self.indices, self.table_shape, gy)

    def backward(self, ggx):
        return EmbeddingLookupFunction(self.indices)(ggx)
