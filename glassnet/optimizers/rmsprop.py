"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from glassnet import kernels
from glassnet.backend import xp
from glassnet.hyperparameters import check_bool, check_number
from glassnet.optimizers.base import Optimizer, check_hyper, fusable, register


@register
class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012), Keras 3 form, with optional momentum and centering::

        v   = rho * v + (1 - rho) * g^2
        mg  = rho * mg + (1 - rho) * g                     # centered only
        den = v - mg^2 + epsilon  if centered  else  v + epsilon
        inc = lr * g / sqrt(den)
        mom = momentum * mom + inc;  w = w - mom            # momentum > 0
        w   = w - inc                                       # momentum == 0

    PyTorch's ``RMSprop`` differs: ``lr=0.01``, ``alpha=0.99`` (rho), ``eps=1e-8`` added
    *outside* the square root, and with momentum ``buf = momentum * buf + g / (sqrt(v) + eps)``,
    ``w -= lr * buf`` (the rate multiplies the buffer, not the increment).

    Args:
        learning_rate: Keras default 0.001.
        rho: discount factor in [0, 1).
        momentum: float >= 0.
        epsilon: >= 0, inside the square root.
        centered: normalise by the estimated variance instead of the second moment.
        **kwargs: base-class options.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.optimizers import RMSprop
        >>> w = gn.tensor(10.0, dtype=gn.float64, requires_grad=True)
        >>> _ = RMSprop(learning_rate=0.1).minimize(lambda: w * w / 2, [w])
        >>> round(w.item(), 6)  # Keras docs: 9.683772
        9.683772
    """

    hyper_names = ("rho", "momentum", "epsilon", "centered")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = check_hyper("RMSprop", "rho", rho, lambda v: 0 <= v < 1, "a float in [0, 1)")
        self.momentum = float(check_number("RMSprop", "momentum", momentum, low=0, high=1))
        self.epsilon = float(check_number("RMSprop", "epsilon", epsilon, low=0))
        self.centered = bool(check_bool("RMSprop", "centered", centered))

    def init_state(self, variable):
        state = {"velocity": xp.zeros_like(variable)}
        if self.momentum > 0:
            state["momentum"] = xp.zeros_like(variable)
        if self.centered:
            state["average_gradient"] = xp.zeros_like(variable)
        return state

    def _fused_step(self, grad, variable, state, learning_rate, pre):
        v = state["velocity"]
        mg = state.get("average_gradient")                  # None unless centered
        mom = state.get("momentum")                         # None unless momentum > 0
        fused = kernels.get("optimizers", "rmsprop")
        if fused is None or not fusable(grad, variable, v, mg, mom):
            return False
        cast = variable.dtype.type
        fused(grad, variable, v, mg, mom, cast(self.rho),
              cast(1.0 - self.rho), cast(self.epsilon), cast(learning_rate), cast(self.momentum),
              *pre.scalars(cast))
        return True

    def update_step(self, grad, variable, state, learning_rate):
        rho = self.rho
        v = state["velocity"]
        v *= rho
        v += (1.0 - rho) * grad * grad                                  # v = rho v + (1-rho) g^2
        if self.centered:
            mg = state["average_gradient"]
            mg *= rho
            mg += (1.0 - rho) * grad                                    # mg = rho mg + (1-rho) g
            denominator = v - mg * mg + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = learning_rate * grad / xp.sqrt(denominator)         # lr g / sqrt(den)
        if self.momentum > 0:
            mom = state["momentum"]
            mom *= self.momentum
            mom += increment                                            # mom = mu mom + inc
            variable -= mom
        else:
            variable -= increment
