"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from glassnet import kernels
from glassnet.backend import xp
from glassnet.hyperparameters import check_number
from glassnet.optimizers.base import Optimizer, check_hyper, fusable, register


@register
class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), Keras 3 form::

        E[g^2]  = rho * E[g^2]  + (1 - rho) * g^2
        dx      = -sqrt(E[dx^2] + epsilon) / sqrt(E[g^2] + epsilon) * g
        E[dx^2] = rho * E[dx^2] + (1 - rho) * dx^2
        w       = w + lr * dx

    The paper's algorithm is ``learning_rate=1.0`` (PyTorch's default, with ``rho=0.9``,
    ``eps=1e-6``, same epsilon placement); Keras's default is 0.001.

    Args:
        learning_rate: Keras default 0.001.
        rho: decay rate in [0, 1).
        epsilon: >= 0.
        **kwargs: base-class options.

    Example:
        >>> from glassnet.optimizers import Adadelta
        >>> Adadelta().rho
        0.95
    """

    hyper_names = ("rho", "epsilon")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = check_hyper("Adadelta", "rho", rho, lambda v: 0 <= v < 1, "a float in [0, 1)")
        self.epsilon = float(check_number("Adadelta", "epsilon", epsilon, low=0))

    def init_state(self, variable):
        return {"accumulated_grad": xp.zeros_like(variable),
                "accumulated_delta_var": xp.zeros_like(variable)}

    def _fused_step(self, grad, variable, state, learning_rate, pre):
        eg2, edx2 = state["accumulated_grad"], state["accumulated_delta_var"]
        fused = kernels.get("optimizers", "adadelta")
        if fused is None or not fusable(grad, variable, eg2, edx2):
            return False
        cast = variable.dtype.type
        fused(grad, variable, eg2, edx2, cast(self.rho), cast(1.0 - self.rho), cast(self.epsilon),
              cast(learning_rate), *pre.scalars(cast))
        return True

    def update_step(self, grad, variable, state, learning_rate):
        rho, eps = self.rho, self.epsilon
        eg2, edx2 = state["accumulated_grad"], state["accumulated_delta_var"]
        eg2 *= rho
        eg2 += (1.0 - rho) * grad * grad                                # E[g^2]
        dx = -xp.sqrt(edx2 + eps) / xp.sqrt(eg2 + eps) * grad           # dx
        edx2 *= rho
        edx2 += (1.0 - rho) * dx * dx                                   # E[dx^2]
        variable += learning_rate * dx                                  # w = w + lr dx
