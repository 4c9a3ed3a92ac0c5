"""SGD: gradient descent with optional (Nesterov) momentum, dampening and weight decay."""

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError
from glassnet.hyperparameters import check_bool
from glassnet.optimizers.base import Optimizer, check_hyper, register


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
    (Keras's ``m`` is ``-lr`` times PyTorch's ``v``); they differ only when the rate changes.
    Nesterov needs ``momentum > 0`` and ``dampening == 0``.

    Weight decay, two conventions side by side (``weight_decay_mode``):

    * ``'decoupled'`` (default, Keras 3): ``w = w - lr * weight_decay * w`` before the update.
    * ``'coupled'`` (PyTorch ``SGD(weight_decay=...)``, MindSpore): ``g = g + weight_decay * w``
      before the momentum; use this to reproduce MindSpore/PyTorch runs.

    Defaults: Keras ``learning_rate=0.01``; MindSpore's ``nn.SGD`` uses 0.1, PyTorch requires it.

    Args:
        learning_rate: float, schedule, per-step list or callable.
        momentum: float in [0, 1].
        nesterov: Nesterov momentum.
        dampening: float in [0, 1]; non-zero selects the PyTorch/MindSpore form.
        weight_decay: optional float >= 0.
        weight_decay_mode: ``'decoupled'`` or ``'coupled'``.
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
    """

    hyper_names = ("momentum", "nesterov", "dampening")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, dampening=0.0,
                 weight_decay=None, weight_decay_mode="decoupled", **kwargs):
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

    def init_state(self, variable):
        if self.momentum == 0:
            return {}
        state = {"momentum": xp.zeros_like(variable)}
        if self.dampening != 0:
            state["steps"] = xp.zeros((), dtype=xp.int64)
        return state

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
