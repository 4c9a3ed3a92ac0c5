"""FTRL-Proximal: Follow The Regularized Leader, for large sparse linear models."""

from glassnet.backend import xp
from glassnet.hyperparameters import check_number
from glassnet.optimizers.base import Optimizer, check_hyper, register


@register
class Ftrl(Optimizer):
    r"""FTRL-Proximal (McMahan et al., 2013, Algorithm 1), Keras 3 form.

    With ``p = -learning_rate_power`` (0.5 by default), accumulators ``n`` (starting at
    ``initial_accumulator_value``) and ``z`` (starting at 0)::

        g_s   = g + 2 * l2_shrinkage * w                   # shrinkage-type L2 (magnitude)
        n_new = n + g^2                                     # plain g, not g_s
        sigma = (n_new^p - n^p) / lr
        z     = z + g_s - sigma * w
        q     = n_new^p / lr + 2 * (l2 + beta / (2 * lr))   # = (beta + n_new^p)/lr + 2 l2
        w     = (clip(z, -l1, l1) - z) / q                  # 0 where |z| <= l1
        n     = n_new

    ``l2`` (``l2_regularization_strength``) is the paper's online, stabilising L2;
    ``l2_shrinkage_regularization_strength`` adds an L2 penalty to the loss itself.
    Note: Keras's docstring writes the denominator with ``lambda_2``; its code (and this one)
    uses ``2 * lambda_2``.

    Args:
        learning_rate: default 0.001 (> 0 in practice: it divides).
        learning_rate_power: <= 0 (-0.5 by default; 0 for a fixed rate).
        initial_accumulator_value: >= 0.
        l1_regularization_strength: >= 0.
        l2_regularization_strength: >= 0.
        l2_shrinkage_regularization_strength: >= 0.
        beta: >= 0, the paper's beta.
        **kwargs: base-class options.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.optimizers import Ftrl
        >>> w = gn.tensor([0.0], dtype=gn.float64, requires_grad=True)
        >>> _ = Ftrl(learning_rate=0.1, l1_regularization_strength=10.0).apply_gradients(
        ...     [(gn.tensor([1.0], dtype=gn.float64), w)])
        >>> w.item()  # |z| = 1 <= l1: the weight stays exactly 0
        0.0
    """

    hyper_names = ("learning_rate_power", "initial_accumulator_value",
                   "l1_regularization_strength", "l2_regularization_strength",
                   "l2_shrinkage_regularization_strength", "beta")

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)

        def non_negative(name, value):
            return float(check_number("Ftrl", name, value, low=0))

        self.learning_rate_power = check_hyper("Ftrl", "learning_rate_power",
                                               learning_rate_power, lambda v: v <= 0,
                                               "a float <= 0")
        self.initial_accumulator_value = non_negative("initial_accumulator_value",
                                                      initial_accumulator_value)
        self.l1_regularization_strength = non_negative("l1_regularization_strength",
                                                       l1_regularization_strength)
        self.l2_regularization_strength = non_negative("l2_regularization_strength",
                                                       l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = non_negative(
            "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)
        self.beta = non_negative("beta", beta)

    def init_state(self, variable):
        return {"accumulator": xp.full_like(variable, self.initial_accumulator_value),
                "linear": xp.zeros_like(variable)}

    def update_step(self, grad, variable, state, learning_rate):
        lr, p = learning_rate, -self.learning_rate_power
        l1, l2 = self.l1_regularization_strength, self.l2_regularization_strength
        n, z = state["accumulator"], state["linear"]
        g_s = grad + (2.0 * self.l2_shrinkage_regularization_strength) * variable
        n_new = n + grad * grad                                         # n_new = n + g^2
        n_new_p = n_new**p
        sigma = (n_new_p - n**p) / lr                                   # sigma
        z += g_s - sigma * variable                                     # z = z + g_s - sigma w
        q = n_new_p / lr + 2.0 * (l2 + self.beta / (2.0 * lr))          # q
        variable[...] = (xp.clip(z, -l1, l1) - z) / q                   # w = (clip(z) - z) / q
        n[...] = n_new
