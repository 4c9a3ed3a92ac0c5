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
    HigherOrderError,
    ShapeError,
    UnknownIdentifierError,
)
from glassnet.tensor import Function, Tensor, as_tensor, grad, tensor
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
from glassnet.gradcheck import gradcheck, gradgradcheck
from glassnet.explain import Trace, explain, trace
from glassnet.ops.nn import erf
from glassnet.functional import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    step,
    swish,
)
from glassnet import (
    activations,
    callbacks,
    classic,
    datasets,
    functional,
    initializers,
    io,
    layers,
    mindspore_schedules,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    schedules,
    utils,
)
from glassnet.classic import LinearUnit, Perceptron
from glassnet.layers import Input
from glassnet.models import Model, Sequential, load_model
from glassnet.training import GradientTape
from glassnet import saving
from glassnet.optimizers.clipping import clip_grad_norm, clip_grad_value
from glassnet import keras

float16, float32, float64 = xp.float16, xp.float32, xp.float64
int32, int64, bool_ = xp.int32, xp.int64, xp.bool_
concatenate = concat
pow = power  # noqa: A001

__version__ = "0.1.0"


def __getattr__(name):
    """``gn.viz``, ``gn.studio`` and ``gn.distribution`` are imported on first use.

    So ``import glassnet`` never imports matplotlib, nor the studio (or its web stack).
    """
    if name in ("viz", "studio", "distribution"):
        import importlib

        return importlib.import_module(f"glassnet.{name}")
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
