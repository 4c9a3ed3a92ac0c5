"""Elementwise arithmetic, elementary functions and matmul.

Each op is a :class:`Function` with ``forward`` on arrays and ``backward`` on gradient
Tensors side by side. Binary ops broadcast like NumPy; their backward sums each gradient back
to its input's shape (``sum_to``).
"""

import builtins

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.tensor import Function, Tensor, as_tensor, register_op


def _pair(a, b):
    """Two Tensors; a Python scalar takes the other operand's float dtype."""
    if isinstance(a, Tensor):
        return a, as_tensor(b, like=a)
    b = as_tensor(b)
    return as_tensor(a, like=b), b


# ------------------------------------------------------------------------ arithmetic
class AddFunction(Function):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        a, b = self.inputs
        return gy.sum_to(a.shape), gy.sum_to(b.shape)


class SubFunction(Function):
    """y = a - b;  dy/da = 1, dy/db = -1."""

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        a, b = self.inputs
        return gy.sum_to(a.shape), (-gy).sum_to(b.shape)


class MulFunction(Function):
    """y = a * b;  dy/da = b, dy/db = a."""

    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        return (gy * b).sum_to(a.shape), (gy * a).sum_to(b.shape)


class DivFunction(Function):
    """y = a / b;  dy/da = 1/b, dy/db = -a/b^2."""

    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        ga = gy / b
        return ga.sum_to(a.shape), (-ga * a / b).sum_to(b.shape)


class NegFunction(Function):
    """y = -x;  dy/dx = -1."""

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class PowScalarFunction(Function):
    """y = x^c for a constant c;  dy/dx = c x^(c-1)."""

    def __init__(self, exponent):
        self.c = exponent

    def forward(self, x):
        return x ** xp.asarray(self.c, dtype=x.dtype) if x.dtype.kind == "f" else x**self.c

    def backward(self, gy):
        (x,) = self.inputs
        if self.c == 0:  # d(x^0)/dx = 0 everywhere (0 * x^-1 would be NaN at x = 0)
            return gy * 0.0
        return gy * self.c * x ** (self.c - 1)


class PowFunction(Function):
    """y = a^b for tensors;  dy/da = b a^(b-1), dy/db = a^b ln a."""

    def forward(self, a, b):
        return a**b

    def backward(self, gy):
        a, b = self.inputs
        ga = (gy * b * a ** (b - 1)).sum_to(a.shape) if a.requires_grad else None
        gb = (gy * self.output() * log(a)).sum_to(b.shape) if b.requires_grad else None
        return ga, gb


class CastFunction(Function):
    """y = x converted to another dtype;  the gradient is cast back."""

    def __init__(self, dtype):
        self.dtype = xp.dtype(dtype)

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return cast(gy, self.inputs[0].dtype)


# ------------------------------------------------------------------------ elementary functions
class ExpFunction(Function):
    """y = e^x;  dy/dx = y."""

    def forward(self, x):
        return xp.exp(x)

    def backward(self, gy):
        return gy * self.output()


class LogFunction(Function):
    """y = ln x;  dy/dx = 1/x."""

    def forward(self, x):
        return xp.log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class SqrtFunction(Function):
    """y = sqrt(x);  dy/dx = 1 / (2 y)."""

    def forward(self, x):
        return xp.sqrt(x)

    def backward(self, gy):
        return gy / (2 * self.output())


class SinFunction(Function):
    """y = sin x;  dy/dx = cos x."""

    def forward(self, x):
        return xp.sin(x)

    def backward(self, gy):
        return gy * cos(self.inputs[0])


class CosFunction(Function):
    """y = cos x;  dy/dx = -sin x."""

    def forward(self, x):
        return xp.cos(x)

    def backward(self, gy):
        return gy * -sin(self.inputs[0])


class TanhFunction(Function):
    """y = tanh x;  dy/dx = 1 - y^2."""

    def forward(self, x):
        return xp.tanh(x)

    def backward(self, gy):
        y = self.output()
        return gy * (1 - y * y)


class AbsFunction(Function):
    """y = |x|;  dy/dx = sign(x) (0 at 0)."""

    def forward(self, x):
        return xp.abs(x)

    def backward(self, gy):
        return gy * Tensor(xp.sign(self.inputs[0].data))


class MaximumFunction(Function):
    """y = max(a, b) elementwise;  the gradient goes to the larger (split evenly on ties)."""

    def forward(self, a, b):
        return xp.maximum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        wa = (a.data > b.data) + 0.5 * (a.data == b.data)
        wa = Tensor(wa.astype(gy.dtype))
        return (gy * wa).sum_to(a.shape), (gy * (1 - wa)).sum_to(b.shape)


class MinimumFunction(Function):
    """y = min(a, b) elementwise;  the gradient goes to the smaller (split evenly on ties)."""

    def forward(self, a, b):
        return xp.minimum(a, b)

    def backward(self, gy):
        a, b = self.inputs
        wa = (a.data < b.data) + 0.5 * (a.data == b.data)
        wa = Tensor(wa.astype(gy.dtype))
        return (gy * wa).sum_to(a.shape), (gy * (1 - wa)).sum_to(b.shape)


class ClipFunction(Function):
    """y = min(max(x, lo), hi);  dy/dx = 1 inside [lo, hi], 0 outside."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        return xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        x = self.inputs[0].data
        inside = xp.ones(x.shape, dtype=bool)
        if self.lo is not None:
            inside &= x >= self.lo
        if self.hi is not None:
            inside &= x <= self.hi
        return gy * Tensor(inside.astype(gy.dtype))


class WhereFunction(Function):
    """y = a where condition else b;  the gradient flows to the chosen side."""

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return xp.where(self.condition, a, b)

    def backward(self, gy):
        a, b = self.inputs
        mask = Tensor(xp.asarray(self.condition, dtype=gy.dtype))
        return (gy * mask).sum_to(a.shape), (gy * (1 - mask)).sum_to(b.shape)


# ------------------------------------------------------------------------ matmul
class MatMulFunction(Function):
    """Y = A @ B (NumPy matmul semantics);  dL/dA = dL/dY @ B^T,  dL/dB = A^T @ dL/dY."""

    def forward(self, a, b):
        try:
            return a @ b
        except ValueError:  # checked only on failure: the hot path is just NumPy's matmul
            if a.ndim == 0 or b.ndim == 0:
                raise ShapeError(
                    f"matmul: both operands need at least 1 dimension, got shapes {a.shape} "
                    f"and {b.shape} (use * to multiply by a scalar)"
                ) from None
            k_a, k_b = a.shape[-1], (b.shape[0] if b.ndim == 1 else b.shape[-2])
            if k_a != k_b:
                raise ShapeError(
                    f"matmul: shapes {a.shape} and {b.shape} are not aligned: the last axis of "
                    f"the first ({k_a}) must equal the "
                    f"{'only' if b.ndim == 1 else 'second-to-last'} axis of the second ({k_b})"
                ) from None
            raise ShapeError(
                f"matmul: the batch axes of shapes {a.shape} and {b.shape} do not broadcast"
            ) from None

    def backward(self, gy):
        a, b = self.inputs
        a2 = a if a.ndim > 1 else a.reshape(1, -1)
        b2 = b if b.ndim > 1 else b.reshape(-1, 1)
        out_shape = xp.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (
            a2.shape[-2],
            b2.shape[-1],
        )
        gy = gy.reshape(out_shape)
        ga = gy @ b2.transpose(*range(b2.ndim - 2), b2.ndim - 1, b2.ndim - 2)
        gb = a2.transpose(*range(a2.ndim - 2), a2.ndim - 1, a2.ndim - 2) @ gy
        return ga.sum_to(a2.shape).reshape(a.shape), gb.sum_to(b2.shape).reshape(b.shape)


# ------------------------------------------------------------------------ functional forms
def add(a, b):
    return AddFunction()(*_pair(a, b))


def sub(a, b):
    return SubFunction()(*_pair(a, b))


def mul(a, b):
    return MulFunction()(*_pair(a, b))


def div(a, b):
    return DivFunction()(*_pair(a, b))


def neg(x):
    return NegFunction()(x)


@register_op
def power(x, exponent):
    """x ** exponent; a constant exponent takes the cheaper PowScalar path."""
    if isinstance(exponent, (int, float, xp.integer, xp.floating)) and not isinstance(
        exponent, bool
    ):
        constant = exponent.item() if isinstance(exponent, xp.generic) else exponent
        return PowScalarFunction(constant)(x)
    return PowFunction()(*_pair(x, exponent))


@register_op
def cast(x, dtype):
    return CastFunction(dtype)(x)


@register_op
def exp(x):
    """e^x, elementwise."""
    return ExpFunction()(x)


@register_op
def log(x):
    """Natural logarithm, elementwise."""
    return LogFunction()(x)


@register_op
def sqrt(x):
    return SqrtFunction()(x)


@register_op
def sin(x):
    return SinFunction()(x)


@register_op
def cos(x):
    return CosFunction()(x)


@register_op
def tanh(x):
    return TanhFunction()(x)


@register_op
def abs(x):  # noqa: A001 - mirrors numpy.abs
    return AbsFunction()(x)


def maximum(a, b):
    return MaximumFunction()(*_pair(a, b))


def minimum(a, b):
    return MinimumFunction()(*_pair(a, b))


@register_op
def clip(x, min=None, max=None):  # noqa: A002 - NumPy/PyTorch argument names
    """Clip to [min, max]; either bound may be None."""
    if min is None and max is None:
        raise GlassnetValueError("clip: give at least one of min and max")
    if min is not None and max is not None and builtins.max(min, max) != max:
        raise GlassnetValueError(f"clip: min ({min}) must not exceed max ({max})")
    return ClipFunction(min, max)(x)


def where(condition, a, b):
    """Elementwise choice: a where condition is true, else b (gradients follow the choice)."""
    condition = condition.data if isinstance(condition, Tensor) else xp.asarray(condition)
    a, b = _pair(a, b)
    return WhereFunction(condition.astype(bool))(a, b)


def matmul(a, b):
    """Matrix product with NumPy's rules (1-D operands, batched broadcasting)."""
    return MatMulFunction()(*_pair(a, b))
