"""Adagrad: per-coordinate step sizes shrinking with the sum of squared gradients."""

from glassnet import kernels
from glassnet.backend import xp
from glassnet.hyperparameters import check_number
from glassnet.optimizers.base import Optimizer, check_hyper, fusable, register


@register
class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), Keras 3 form::

        a = a + g^2                                # a starts at initial_accumulator_value
        w = w - lr * g / sqrt(a + epsilon)

    PyTorch's ``Adagrad`` differs: ``lr=0.01``, ``initial_accumulator_value=0``,
    ``eps=1e-10`` added *outside* the square root (``g / (sqrt(a) + eps)``), optional lr_decay.

    Args:
        learning_rate: Keras default 0.001 (the paper's form corresponds to 1.0).
        initial_accumulator_value: starting value of ``a`` (>= 0).
        epsilon: >= 0, inside the square root.
        **kwargs: base-class options (weight_decay, clipnorm, params, ...).

    Example:
        >>> import glassnet as gn
        >>> from glassnet.optimizers import Adagrad
        >>> w = gn.tensor([1.0], dtype=gn.float64, requires_grad=True)
        >>> _ = Adagrad(learning_rate=0.1).minimize(lambda: (w * w).sum(), [w])
        >>> round(w.item(), 6)  # 1 - 0.1 * 2 / sqrt(0.1 + 4 + 1e-7)
        0.901227
    """

    hyper_names = ("initial_accumulator_value", "epsilon")

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = check_hyper(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value,
            lambda v: v >= 0, "a float >= 0")
        self.epsilon = float(check_number("Adagrad", "epsilon", epsilon, low=0))

    def init_state(self, variable):
        return {"accumulator": xp.full_like(variable, self.initial_accumulator_value)}

    def _fused_step(self, grad, variable, state, learning_rate, pre):
        a = state["accumulator"]
        fused = kernels.get("optimizers", "adagrad")
        if fused is None or not fusable(grad, variable, a):
            return False
        cast = variable.dtype.type
        fused(grad, variable, a, cast(learning_rate), cast(self.epsilon), *pre.scalars(cast))
        return True

    def update_step(self, grad, variable, state, learning_rate):
        a = state["accumulator"]
        a += grad * grad                                                  # a = a + g^2
        variable -= learning_rate * grad / xp.sqrt(a + self.epsilon)      # w -= lr g/sqrt(a+eps)
