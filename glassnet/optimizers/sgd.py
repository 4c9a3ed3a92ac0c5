"""SGD: gradient descent with optional (Nesterov) momentum, dampening and weight decay.

Two call forms: Keras's ``SGD(learning_rate=0.01, momentum=0.0, nesterov=False, ...)`` and
MindSpore's ``nn.SGD(params, learning_rate=0.1, momentum=0.0, dampening=0.0,
weight_decay=0.0, nesterov=False, loss_scale=1.0)`` (seed 003), told apart by the first
argument: parameters (Tensors) select MindSpore's form.
"""

import math

from glassnet import kernels
from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.hyperparameters import check_bool
from glassnet.optimizers.base import Optimizer, check_hyper, fusable, register
from glassnet.tensor import Tensor

# positional order of each call form
KERAS_ORDER = ("learning_rate", "momentum", "nesterov", "dampening", "weight_decay",
               "weight_decay_mode", "loss_scale")
MINDSPORE_ORDER = ("params", "learning_rate", "momentum", "dampening", "weight_decay",
                   "nesterov", "loss_scale")
BASE_KEYWORDS = ("params", "clipnorm", "clipvalue", "global_clipnorm", "name")
MINDSPORE_DEFAULTS = {"learning_rate": 0.1, "weight_decay_mode": "coupled"}
ALIASES = {"lr": "learning_rate"}  # PyTorch's name


def _parameters_first(value):
    """``(is MindSpore's form, value)``: parameters first, an iterator read into a list."""
    if isinstance(value, Tensor):
        return True, value
    if isinstance(value, dict) or (hasattr(value, "__iter__") and hasattr(value, "__next__")):
        value = list(value) if not isinstance(value, dict) else [value]
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (Tensor, dict)):
        return True, value
    if isinstance(value, (list, tuple)) and not value:
        raise GlassnetValueError(
            "SGD: the first argument is empty: neither parameters nor a per-step learning-rate "
            "list; an unbuilt model has no weights yet, so build it first (model.build(shape) "
            "or one call on data) before SGD(model.trainable_weights, ...)"
        )
    if hasattr(value, "trainable_weights"):
        raise GlassnetTypeError(
            f"SGD: the first argument is a {type(value).__name__}; pass its parameters, "
            "SGD(model.trainable_weights, learning_rate=...) (MindSpore's "
            "net.trainable_params())"
        )
    return False, value


def _check_parameters(params):
    items = [params] if isinstance(params, Tensor) else list(params)
    groups = [i for i, item in enumerate(items) if isinstance(item, dict)]
    if groups:
        raise GlassnetTypeError(
            f"SGD: `params` item {groups[0]} is a dict: parameter groups (MindSpore's and "
            "PyTorch's per-group 'lr'/'weight_decay' dicts) are not supported; pass a list of "
            "Tensors (model.trainable_weights), or build one optimizer per group"
        )
    return items


@register
class SGD(Optimizer):
    r"""Gradient descent with momentum (Keras 3 and PyTorch/MindSpore forms).

    Plain (``momentum=0``)::

        w = w - lr * g

    Keras 3 velocity form (``dampening == 0``, the default)::

        m = momentum * m - lr * g
        w = w + m                                  # nesterov=False
        w = w + momentum * m - lr * g              # nesterov=True

    PyTorch/MindSpore form (used when ``dampening != 0``)::

        v = g                                      # first step of each parameter
        v = momentum * v + (1 - dampening) * g     # later steps
        w = w - lr * v

    With a constant learning rate and ``dampening=0`` the two forms give the same weights
    (Keras's ``m`` is ``-lr`` times PyTorch's ``v``; MindSpore's Nesterov step
    ``w - lr * (g + momentum * v)`` is Keras's); they differ only when the rate changes.
    Nesterov needs ``momentum > 0`` and ``dampening == 0``.

    Weight decay, two conventions side by side (``weight_decay_mode``):

    * ``'decoupled'`` (Keras 3): ``w = w - lr * weight_decay * w`` before the update.
    * ``'coupled'`` (PyTorch ``SGD(weight_decay=...)``, MindSpore): ``g = g + weight_decay * w``
      before the momentum.

    Loss scaling (MindSpore's ``loss_scale``): a loss multiplied by ``loss_scale`` before
    ``backward()`` (to keep small float16 gradients from underflowing) has gradients
    ``loss_scale`` times too large; the optimizer divides them back, ``g = g / loss_scale``,
    before clipping, weight decay and the update. The default 1.0 changes nothing. glassnet
    never scales the loss itself: pass ``loss_scale`` only if your own code does (the same
    contract as MindSpore's ``FixedLossScaleManager(..., drop_overflow_update=False)``).

    **Two call forms**, told apart by the first argument:

    * Keras: ``SGD(learning_rate=0.01, momentum=0.0, nesterov=False, dampening=0.0,
      weight_decay=None, weight_decay_mode='decoupled', loss_scale=1.0)`` (positional in this
      order); ``params=`` may bind parameters by keyword.
    * MindSpore (seed 003's ``nn.SGD(params, learning_rate=0.1, momentum=0.0, dampening=0.0,
      weight_decay=0.0, nesterov=False, loss_scale=1.0)``): the parameters first (a Tensor, or
      a list or iterator of Tensors, e.g. ``model.trainable_weights``), then MindSpore's
      positional order, and MindSpore's defaults: ``learning_rate=0.1`` and ``'coupled'``
      weight decay. MindSpore also exempts parameters named ``beta``/``gamma`` from weight
      decay; here call ``opt.exclude_from_weight_decay(var_names=['beta', 'gamma'])``.
      Parameter groups (a list of dicts) are refused with an error saying what to pass.

    Args:
        learning_rate: float, schedule, per-step list or callable (Keras default 0.01,
            MindSpore form 0.1).
        momentum: float in [0, 1].
        nesterov: Nesterov momentum.
        dampening: float in [0, 1]; non-zero selects the PyTorch/MindSpore form.
        weight_decay: optional float >= 0.
        weight_decay_mode: ``'decoupled'`` or ``'coupled'`` (default: ``'decoupled'``, or
            ``'coupled'`` in the MindSpore form).
        loss_scale: float > 0: gradients are divided by it (MindSpore's ``loss_scale``).
        **kwargs: ``params``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.optimizers import SGD
        >>> w = gn.tensor([1.0, 2.0], requires_grad=True)
        >>> opt = SGD(learning_rate=0.1, momentum=0.9, params=[w])
        >>> (w * w).sum().backward()
        >>> _ = opt.step()
        >>> w.data.tolist()  # w - 0.1 * 2w
        [0.800000011920929, 1.600000023841858]
        >>> SGD([w], momentum=0.9).learning_rate  # MindSpore's form and default rate
        0.1
    """

    hyper_names = ("momentum", "nesterov", "dampening", "loss_scale")

    def __init__(self, *args, **kwargs):
        mindspore, first = _parameters_first(args[0]) if args else (False, None)
        if args:
            args = (first, *args[1:])
        order = MINDSPORE_ORDER if mindspore else KERAS_ORDER
        form = "nn.SGD(params, ...) (MindSpore)" if mindspore else "SGD(...) (Keras)"
        if len(args) > len(order):
            raise GlassnetTypeError(
                f"SGD: {form} takes at most {len(order)} positional arguments "
                f"({', '.join(order)}), received {len(args)}"
            )
        for name, value in zip(order, args, strict=False):
            if name in kwargs:
                raise GlassnetTypeError(
                    f"SGD: `{name}` given twice, as positional argument {order.index(name) + 1} "
                    f"of {form} and by keyword"
                )
            kwargs[name] = value
        known = set(KERAS_ORDER) | set(BASE_KEYWORDS)
        for name in kwargs:
            if name not in known:
                hint = (f"did you mean `{ALIASES[name]}`?" if name in ALIASES
                        else f"expected one of {', '.join(sorted(known))}")
                raise GlassnetTypeError(
                    f"SGD: unknown argument `{name}` (received {name}={kwargs[name]!r}); {hint}"
                )
        if mindspore:
            kwargs["params"] = _check_parameters(kwargs["params"])
            for name, value in MINDSPORE_DEFAULTS.items():
                kwargs.setdefault(name, value)
        self._setup(**kwargs)

    def _setup(self, learning_rate=0.01, momentum=0.0, nesterov=False, dampening=0.0,
               weight_decay=None, weight_decay_mode="decoupled", loss_scale=1.0, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay,
                         weight_decay_mode=weight_decay_mode, **kwargs)
        self.momentum = check_hyper("SGD", "momentum", momentum, lambda v: 0 <= v <= 1,
                                    "a float in [0, 1]")
        self.dampening = check_hyper("SGD", "dampening", dampening, lambda v: 0 <= v <= 1,
                                     "a float in [0, 1]")
        self.nesterov = bool(check_bool("SGD", "nesterov", nesterov))
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise GlassnetValueError(
                "SGD: `nesterov=True` needs `momentum` > 0 and `dampening` == 0, received "
                f"momentum={momentum!r}, dampening={dampening!r}"
            )
        self.loss_scale = check_hyper("SGD", "loss_scale", loss_scale,
                                      lambda v: 0 < v < math.inf, "a finite float > 0")

    def _clip(self, grads):
        if self.loss_scale != 1.0:
            grads = [g / self.loss_scale for g in grads]      # g = g / loss_scale
        return super()._clip(grads)

    def _clip_in_kernels(self):
        return self.loss_scale == 1.0  # else the gradients are divided and clipped in NumPy

    def init_state(self, variable):
        if self.momentum == 0:
            return {}
        state = {"momentum": xp.zeros_like(variable)}
        if self.dampening != 0:
            state["steps"] = xp.zeros((), dtype=xp.int64)
        return state

    def _fused_step(self, grad, variable, state, learning_rate, pre):
        cast = variable.dtype.type
        lr, mu = cast(learning_rate), cast(self.momentum)
        if self.momentum == 0:
            fused = kernels.get("optimizers", "sgd")
            if fused is None or not fusable(grad, variable):
                return False
            fused(grad, variable, lr, *pre.scalars(cast))
            return True
        m = state["momentum"]
        if self.dampening == 0:
            fused = kernels.get("optimizers", "sgd_momentum")
            if fused is None or not fusable(grad, variable, m):
                return False
            fused(grad, variable, m, self.nesterov, mu, lr, *pre.scalars(cast))
            return True
        fused = kernels.get("optimizers", "sgd_dampened")
        if fused is None or not fusable(grad, variable, m):
            return False
        steps = state["steps"]
        fused(grad, variable, m, bool(steps == 0), mu, cast(1.0 - self.dampening), lr,
              *pre.scalars(cast))
        steps += 1
        return True

    def update_step(self, grad, variable, state, learning_rate):
        lr, mu = learning_rate, self.momentum
        if mu == 0:
            variable -= lr * grad                              # w = w - lr g
        elif self.dampening == 0:
            m = state["momentum"]
            m *= mu
            m -= lr * grad                                     # m = mu m - lr g
            if self.nesterov:
                variable += mu * m - lr * grad                 # w = w + mu m - lr g
            else:
                variable += m                                  # w = w + m
        else:
            v, steps = state["momentum"], state["steps"]
            if steps == 0:
                v[...] = grad                                  # v = g (first step)
            else:
                v *= mu
                v += (1.0 - self.dampening) * grad             # v = mu v + (1 - d) g
            steps += 1
            variable -= lr * v                                 # w = w - lr v
