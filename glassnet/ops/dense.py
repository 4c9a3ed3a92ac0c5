"""The dense (fully connected) op: z = x @ W + b over the last axis, one GEMM each way.

Forward is one matrix product on x reshaped to (N, in); backward is one per operand,

    dL/dW = x^T dL/dz,   dL/db = sum_n dL/dz,   dL/dx = dL/dz W^T,

on arrays on the first-order path, and as Tensor ops while a create_graph backward records
(so DenseFunction is differentiable to any order, like ``gn.matmul``).
"""

from glassnet.backend import xp
from glassnet.config import config
from glassnet.tensor import Function, Tensor


class DenseFunction(Function):
    """z = x @ W + b over the last axis of x, as one op (the Dense fast path).

    Forward is one GEMM on x reshaped to (N, in); backward is one GEMM per operand:
    dL/dW = x^T dL/dz, dL/db = sum_n dL/dz, dL/dx = dL/dz W^T, computed on arrays. When the
    backward itself is recorded (``backward(create_graph=True)``) the same formulas run as
    Tensor ops instead, so second derivatives still work.
    """

    def forward(self, x, kernel, *bias):
        z = x.reshape(-1, x.shape[-1]) @ kernel if x.ndim != 2 else x @ kernel
        if bias:
            z += bias[0]
        return z.reshape(x.shape[:-1] + (kernel.shape[1],)) if x.ndim != 2 else z

    def backward(self, gz):
        x, kernel = self.inputs[0], self.inputs[1]
        has_bias = len(self.inputs) == 3
        n_in, n_out = kernel.shape
        if config.enable_grad:  # create_graph: differentiable version
            g2, x2 = gz.reshape(-1, n_out), x.reshape(-1, n_in)
            gx = (g2 @ kernel.T).reshape(x.shape) if x.requires_grad else None
            gw = x2.T @ g2 if kernel.requires_grad else None
            grads = (gx, gw)
            if has_bias:
                grads += (g2.sum(axis=0) if self.inputs[2].requires_grad else None,)
            return grads
        flat = x.ndim != 2  # reshape only when needed: the engine copies gradient views
        g2 = gz.data.reshape(-1, n_out) if flat else gz.data
        gx = gw = None
        if x.requires_grad:
            if flat:
                gx = xp.empty(x.shape, dtype=g2.dtype)
                xp.matmul(g2, kernel.data.T, out=gx.reshape(-1, n_in))
            else:
                gx = g2 @ kernel.data.T
            gx = Tensor(gx)
        if kernel.requires_grad:
            gw = Tensor((x.data.reshape(-1, n_in) if flat else x.data).T @ g2)
        if not has_bias:
            return gx, gw
        gb = Tensor(g2.sum(axis=0)) if self.inputs[2].requires_grad else None
        return gx, gw, gb


def dense(x, kernel, bias=None):
    """Functional form of :class:`DenseFunction`: x @ kernel (+ bias) on the last axis.

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.dense import dense
        >>> dense(np.ones((2, 3)), np.ones((3, 4)), np.arange(4.0)).data[0].tolist()
        [3.0, 4.0, 5.0, 6.0]
    """
    return DenseFunction()(x, kernel) if bias is None else DenseFunction()(x, kernel, bias)
