"""glassnet: a glass-box deep-learning library on NumPy.

Example:
    >>> import glassnet as gn
    >>> w = gn.tensor(3.0, requires_grad=True)
    >>> b = gn.tensor(4.0, requires_grad=True)
    >>> z = (2 * w + 3 * b) * (2 * b + 1)
    >>> z.backward()
    >>> w.grad.item(), b.grad.item()
    (18.0, 63.0)
"""

from glassnet.backend import xp
from glassnet.config import config, detect_anomaly, enable_grad, manual_seed, no_grad
from glassnet.errors import (
    AnomalyError,
    FileFormatError,
    GlassnetError,
    GlassnetTypeError,
    GlassnetValueError,
    ShapeError,
    UnknownIdentifierError,
)
from glassnet.tensor import Function, Tensor, as_tensor, tensor
from glassnet.ops.math import (
    abs,
    add,
    clip,
    cos,
    div,
    exp,
    log,
    matmul,
    maximum,
    minimum,
    mul,
    neg,
    power,
    sin,
    sqrt,
    sub,
    tanh,
    where,
)
from glassnet.ops.reduce import max, mean, min, sum
from glassnet.ops.shape import (
    broadcast_to,
    concat,
    expand,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    sum_to,
    transpose,
    unsqueeze,
)
from glassnet.gradcheck import gradcheck

float16, float32, float64 = xp.float16, xp.float32, xp.float64
int32, int64, bool_ = xp.int32, xp.int64, xp.bool_
concatenate = concat
pow = power  # noqa: A001

__version__ = "0.1.0"
