"""The dense (fully connected) op: z = x @ W + b over the last axis, one GEMM each way.

Forward is one matrix product on x reshaped to (N, in); backward is one per operand,

    dL/dW = x^T dL/dz,   dL/db = sum_n dL/dz,   dL/dx = dL/dz W^T,

on arrays on the first-order path, and as Tensor ops while a create_graph backward records
(so DenseFunction is differentiable to any order, like ``gn.matmul``).

:class:`DenseActivationFunction` is the same op followed by a sigmoid or a ReLU, a = f(z), as
one node: the bias add and the activation run in one pass over z (in place), and backward
computes dL/dz = dL/da f'(z) (from a) together with the bias gradient's column sums. With the
``[fast]`` extra these passes are the fused kernels of :mod:`glassnet.kernels.elementwise`,
over all cores; without it, the NumPy lines below. The Dense layer uses it when it is not
recording (the glass box keeps z as a tensor of its own, through DenseFunction + the
activation op, which compute the same values bit for bit).
"""

from glassnet import kernels
from glassnet.backend import xp
from glassnet.config import config
from glassnet.ops import activation_arrays as arrays
from glassnet.ops.nn import relu, sigmoid
from glassnet.tensor import Function, Tensor, _op_hooks

_KERNEL_DTYPES = (xp.dtype(xp.float32), xp.dtype(xp.float64))


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


def _kernel_arrays(*arrays_):
    """Whether the fused kernels take these arrays: one float dtype, all C-contiguous."""
    dtype = arrays_[0].dtype
    return dtype in _KERNEL_DTYPES and all(
        a.dtype == dtype and a.flags.c_contiguous for a in arrays_)


def _fused_forward(kernel_name, z, bias):
    """The kernel's f(z + bias) in one pass (a new array; z <- z + bias), or None when it does
    not apply. Not written over z: with its output aliasing its input a kernel's loop runs
    scalar (LLVM's overlap check fails; bias + sigmoid on 200x784, one thread: 1.0 ms against
    0.07 ms into a separate array)."""
    fused = kernels.get("elementwise", kernel_name)
    if fused is None or not _kernel_arrays(z, *bias):
        return None
    out = xp.empty_like(z)
    fused(z, bias[0] if bias else xp.zeros(z.shape[1], z.dtype), out, z.dtype.type(1))
    return out


def _fused_backward(kernel_name, ga, a):
    """The kernel's (dL/dz, its column sums) in one pass, or None when it does not apply."""
    fused = kernels.get("elementwise", kernel_name)
    if fused is None or not _kernel_arrays(ga, a):
        return None
    gz, gb = xp.empty_like(a), xp.empty(a.shape[1], a.dtype)
    fused(ga, a, gz, gb, a.dtype.type(1))
    return gz, gb


def _fused_grad(kernel_name, ga, a):
    """The kernel's dL/dz alone (no column sums) in one pass, or None when it does not apply."""
    fused = kernels.get("elementwise", kernel_name)
    if fused is None or not _kernel_arrays(ga, a):
        return None
    gz = xp.empty_like(a)
    fused(ga, a, gz, a.dtype.type(1))
    return gz


def _sigmoid_forward(z, bias):
    """z <- z + bias; a = 1 / (1 + e^-z): the kernel's a new array, NumPy's written over z
    (three passes after the add)."""
    fused = _fused_forward("bias_sigmoid", z, bias)
    if fused is not None:
        return fused
    if bias:
        z += bias[0]
    return arrays.sigmoid_(z)


def _sigmoid_backward(ga, a):
    """dL/dz = dL/da a (1 - a) and its column sums (the bias gradient)."""
    fused = _fused_backward("sigmoid_grad_bias", ga, a)
    if fused is not None:
        return fused
    gz = ga * a * (1 - a)
    return gz, gz.sum(axis=0)


def _sigmoid_grad(ga, a):
    """dL/dz = dL/da a (1 - a) alone (for callers that sum the bias gradient themselves)."""
    fused = _fused_grad("sigmoid_grad", ga, a)
    return fused if fused is not None else ga * a * (1 - a)


def _relu_forward(z, bias):
    """z <- z + bias; a = max(z, 0): the kernel's a new array, NumPy's written over z."""
    fused = _fused_forward("bias_relu", z, bias)
    if fused is not None:
        return fused
    if bias:
        z += bias[0]
    return xp.maximum(z, 0, out=z)


def _relu_backward(ga, a):
    """dL/dz = dL/da where a > 0 (else 0) and its column sums (the bias gradient)."""
    fused = _fused_backward("relu_grad_bias", ga, a)
    if fused is not None:
        return fused
    gz = xp.multiply(ga, a > 0, dtype=ga.dtype)
    return gz, gz.sum(axis=0)


def _relu_grad(ga, a):
    """dL/dz = dL/da where a > 0 (else 0) alone."""
    fused = _fused_grad("relu_grad", ga, a)
    return fused if fused is not None else xp.multiply(ga, a > 0, dtype=ga.dtype)


def activation_backward_graph(activation, ga, a):
    """dL/dz = dL/da f'(z) from the output a, as differentiable Tensor ops (create_graph):
    a (1 - a) for the sigmoid, [a > 0] for the ReLU."""
    if activation == "sigmoid":
        return ga * a * (1 - a)
    return ga * Tensor((a.data > 0).astype(ga.dtype))


# activation name -> (forward on z and the bias, backward on dL/da and a, the Tensor op)
ACTIVATIONS = {
    "sigmoid": (_sigmoid_forward, _sigmoid_backward, sigmoid),
    "relu": (_relu_forward, _relu_backward, relu),
}
# activation name -> dL/dz from dL/da and a, without the column sums (Conv2D's fused
# activations: their bias gradient is a GEMV over all pixels)
ACTIVATION_GRADS = {"sigmoid": _sigmoid_grad, "relu": _relu_grad}


class DenseActivationFunction(Function):
    """a = f(x @ W + b) over the last axis of x, f a sigmoid or a ReLU, as one op.

    Forward: one GEMM, then z + b and f(z) in one pass (in place). Backward, from the output a:
    dL/dz = dL/da f'(z) with sigmoid' = a (1 - a) and relu' = [a > 0], dL/db = sum_n dL/dz
    (in the same pass), then dL/dW = x^T dL/dz and dL/dx = dL/dz W^T. Under create_graph the
    same formulas run as Tensor ops, so it is differentiable to any order like DenseFunction
    followed by the activation op.

    Args:
        activation: ``'sigmoid'`` or ``'relu'`` (a key of :data:`ACTIVATIONS`).
    """

    def __init__(self, activation):
        self.activation = activation
        self.op_name = f"Dense({activation})"

    def forward(self, x, kernel, *bias):
        flat = x.ndim != 2
        z = (x.reshape(-1, x.shape[-1]) if flat else x) @ kernel
        a = ACTIVATIONS[self.activation][0](z, bias)
        return a.reshape(x.shape[:-1] + (kernel.shape[1],)) if flat else a

    def backward(self, ga):
        x, kernel = self.inputs[0], self.inputs[1]
        has_bias = len(self.inputs) == 3
        n_in, n_out = kernel.shape
        a = self.output()
        if config.enable_grad:  # create_graph: the derivative as differentiable Tensor ops
            gz = activation_backward_graph(self.activation, ga, a)
            g2, x2 = gz.reshape(-1, n_out), x.reshape(-1, n_in)
            gx = (g2 @ kernel.T).reshape(x.shape) if x.requires_grad else None
            gw = x2.T @ g2 if kernel.requires_grad else None
            grads = (gx, gw)
            if has_bias:
                grads += (g2.sum(axis=0) if self.inputs[2].requires_grad else None,)
            return grads
        flat = x.ndim != 2
        g2, gb = ACTIVATIONS[self.activation][1](
            ga.data.reshape(-1, n_out) if flat else ga.data,
            a.data.reshape(-1, n_out) if flat else a.data)
        gx = gw = None
        if x.requires_grad:
            gx = Tensor((g2 @ kernel.data.T).reshape(x.shape) if flat else g2 @ kernel.data.T)
        if kernel.requires_grad:
            gw = Tensor((x.data.reshape(-1, n_in) if flat else x.data).T @ g2)
        if not has_bias:
            return gx, gw
        return gx, gw, (Tensor(gb) if self.inputs[2].requires_grad else None)


def dense_activation(x, kernel, bias, activation):
    """``activation(dense(x, kernel, bias))`` for ``'sigmoid'`` or ``'relu'``, as one op.

    While a trace (``gn.trace``) records, the two ops run separately so that it shows z.

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.dense import dense_activation
        >>> dense_activation(np.ones((1, 2)), np.ones((2, 1)), np.array([-2.0]), "relu").data
        array([[0.]])
    """
    if _op_hooks.items:
        return ACTIVATIONS[activation][2](dense(x, kernel, bias))
    function = DenseActivationFunction(activation)
    return function(x, kernel) if bias is None else function(x, kernel, bias)


def dense(x, kernel, bias=None):
    """Functional form of :class:`DenseFunction`: x @ kernel (+ bias) on the last axis.

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.dense import dense
        >>> dense(np.ones((2, 3)), np.ones((3, 4)), np.arange(4.0)).data[0].tolist()
        [3.0, 4.0, 5.0, 6.0]
    """
    return DenseFunction()(x, kernel) if bias is None else DenseFunction()(x, kernel, bias)
