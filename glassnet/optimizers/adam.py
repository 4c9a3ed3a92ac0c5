"""Adam: adaptive moment estimation (with the AMSGrad variant)."""

import math

from glassnet import kernels
from glassnet.backend import xp
from glassnet.hyperparameters import check_bool, check_number
from glassnet.optimizers.base import Optimizer, check_hyper, fusable, register


@register
class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), Keras 3 form with "epsilon hat"::

        t     = iterations + 1
        m     = m + (1 - beta_1) * (g - m)                  # = beta_1 m + (1 - beta_1) g
        v     = v + (1 - beta_2) * (g^2 - v)
        v_hat = max(v_hat, v);  v = v_hat                   # amsgrad only
        alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)    # bias correction in the step size
        w     = w - alpha * m / (sqrt(v) + epsilon)

    Because the bias correction is folded into ``alpha``, ``epsilon`` is the paper's "epsilon
    hat" (formula before its section 2.1). PyTorch's ``Adam`` instead adds ``eps=1e-8`` to
    ``sqrt(v / (1 - beta_2^t))``: ``w -= lr * m_hat / (sqrt(v_hat) + eps)`` — the same up to
    where epsilon sits (and its default 1e-8 vs Keras's 1e-7).

    Args:
        learning_rate: default 0.001.
        beta_1: first-moment decay in [0, 1).
        beta_2: second-moment decay in [0, 1).
        epsilon: >= 0.
        amsgrad: use the running maximum of ``v`` (Reddi et al., 2018).
        **kwargs: base-class options.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.optimizers import Adam
        >>> w = gn.tensor([1.0, -1.0], dtype=gn.float64, requires_grad=True)
        >>> _ = Adam(learning_rate=0.1).minimize(lambda: (w * w).sum(), [w])
        >>> w.data.round(6).tolist()  # the first Adam step moves each weight by about lr
        [0.9, -0.9]
    """

    hyper_names = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        where = type(self).__name__
        self.beta_1 = check_hyper(where, "beta_1", beta_1, lambda v: 0 <= v < 1,
                                  "a float in [0, 1)")
        self.beta_2 = check_hyper(where, "beta_2", beta_2, lambda v: 0 <= v < 1,
                                  "a float in [0, 1)")
        self.epsilon = float(check_number(where, "epsilon", epsilon, low=0))
        self.amsgrad = bool(check_bool(where, "amsgrad", amsgrad))

    def init_state(self, variable):
        state = {"momentum": xp.zeros_like(variable), "velocity": xp.zeros_like(variable)}
        if self.amsgrad:
            state["velocity_hat"] = xp.zeros_like(variable)
        return state

    def _step_size(self, learning_rate):
        """``alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)``, t = iterations + 1."""
        t = self.iterations + 1
        return learning_rate * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)

    def _fused_step(self, grad, variable, state, learning_rate, pre):
        m, v = state["momentum"], state["velocity"]
        v_hat = state.get("velocity_hat")                   # None without amsgrad
        fused = kernels.get("optimizers", "adam")
        if fused is None or not fusable(grad, variable, m, v, v_hat):
            return False
        cast = variable.dtype.type
        fused(grad, variable, m, v, v_hat, cast(1.0 - self.beta_1),
              cast(1.0 - self.beta_2), cast(self._step_size(learning_rate)), cast(self.epsilon),
              *pre.scalars(cast))
        return True

    def update_step(self, grad, variable, state, learning_rate):
        b1, b2 = self.beta_1, self.beta_2
        m, v = state["momentum"], state["velocity"]
        alpha = self._step_size(learning_rate)
        # in place, through one reusable work array: no temporary array per step
        work = self._work_array(variable)
        xp.subtract(grad, m, out=work)
        work *= 1.0 - b1
        m += work                                                       # m = b1 m + (1-b1) g
        xp.multiply(grad, grad, out=work)
        work -= v
        work *= 1.0 - b2
        v += work                                                       # v = b2 v + (1-b2) g^2
        if self.amsgrad:
            v_hat = state["velocity_hat"]
            xp.maximum(v_hat, v, out=v_hat)                             # v_hat = max(v_hat, v)
            v = v_hat
        xp.sqrt(v, out=work)
        work += self.epsilon
        xp.divide(m, work, out=work)
        work *= alpha
        variable -= work                                                # w -= a m/(sqrt v + eps)

    def _work_array(self, like):
        """A scratch array shaped like ``like``, reused across steps (not optimizer state)."""
        work = self.__dict__.setdefault("_work", {})
        key = (like.shape, like.dtype.str)
        if key not in work:
            work[key] = xp.empty_like(like)
        return work[key]

