"""MindSpore's class-form learning-rate schedules (``mindspore.nn.*LR``), as glassnet schedules.

Seed 003 says MindSpore offers its dynamic learning rates in two forms, "functions and classes"
(函数和类两种): the list functions (``exponential_decay_lr`` ..., in :mod:`glassnet.schedules`)
return every step's rate at once; the classes below compute the rate of one step,
``schedule(global_step)``, like Keras's schedule objects. Each is a
:class:`glassnet.schedules.LearningRateSchedule`, so any glassnet optimizer takes one as its
``learning_rate`` (``SGD(params, learning_rate=ExponentialDecayLR(0.1, 0.9, 4))``) and saves
and restores it by name.

The classes count **steps** where the list functions count **epochs**
(``current_epoch = floor(i / step_per_epoch)``). With ``decay_steps = step_per_epoch *
decay_epoch`` the two agree exactly wherever the list's rate is defined by whole decay periods
(``is_stair=True``; every step when ``step_per_epoch == 1``); in between, the class decays
smoothly and the list in per-epoch stairs. ``NaturalExpDecayLR`` differs in one more way:
its exponent is ``decay_rate * step / decay_steps`` but ``natural_exp_decay_lr``'s is
``decay_rate * current_epoch`` (not divided by ``decay_epoch``).

Example:
    >>> from glassnet.mindspore_schedules import ExponentialDecayLR
    >>> round(ExponentialDecayLR(0.1, 0.9, 4)(2), 8)  # MindSpore's documented example
    0.09486833
"""

import math

from glassnet.hyperparameters import check_bool, check_number
from glassnet.schedules import LearningRateSchedule, register

__all__ = ["ExponentialDecayLR", "NaturalExpDecayLR", "InverseDecayLR", "CosineDecayLR",
           "PolynomialDecayLR", "WarmUpLR"]


def _positive(where, name, value):
    """MindSpore's rule for rates and decay rates: a float > 0."""
    check_number(where, name, value, low=0, low_open=True)
    return float(value)


def _steps(where, name, value):
    """MindSpore's rule for ``decay_steps``/``warmup_steps``: an int >= 1."""
    check_number(where, name, value, low=1, integer=True)
    return int(value)


def _step(step):
    return float(step)


class _DecayLR(LearningRateSchedule):
    """Shared by the three ``(learning_rate, decay_rate, decay_steps, is_stair)`` classes."""

    def __init__(self, learning_rate, decay_rate, decay_steps, is_stair=False):
        where = type(self).__name__
        self.learning_rate = _positive(where, "learning_rate", learning_rate)
        self.decay_rate = _positive(where, "decay_rate", decay_rate)
        self.decay_steps = _steps(where, "decay_steps", decay_steps)
        self.is_stair = bool(check_bool(where, "is_stair", is_stair))

    def _p(self, step):
        p = _step(step) / self.decay_steps
        return math.floor(p) if self.is_stair else p

    def get_config(self):
        return {"learning_rate": self.learning_rate, "decay_rate": self.decay_rate,
                "decay_steps": self.decay_steps, "is_stair": self.is_stair}


@register
class ExponentialDecayLR(_DecayLR):
    """``mindspore.nn.ExponentialDecayLR``: ``lr(step) = learning_rate * decay_rate ** p``.

    ``p = step / decay_steps``, or ``floor(step / decay_steps)`` with ``is_stair=True``.
    Matches :func:`glassnet.schedules.exponential_decay_lr` with ``decay_steps =
    step_per_epoch * decay_epoch`` (exactly with ``is_stair``; at every step when
    ``step_per_epoch == 1``). Keras's counterpart is ``ExponentialDecay``.

    Args:
        learning_rate: the rate at step 0 (> 0).
        decay_rate: the factor per ``decay_steps`` steps (> 0).
        decay_steps: an int >= 1.
        is_stair: decay once every ``decay_steps`` steps.

    Example:
        >>> ExponentialDecayLR(0.1, 0.9, 2, is_stair=True)(5)
        0.08100000000000002
    """

    def __call__(self, step):
        return float(self.learning_rate * self.decay_rate ** self._p(step))


@register
class NaturalExpDecayLR(_DecayLR):
    """``mindspore.nn.NaturalExpDecayLR``: ``lr(step) = learning_rate * e ** (-decay_rate * p)``.

    ``p = step / decay_steps`` (``floor`` of it with ``is_stair``). The list function
    :func:`glassnet.schedules.natural_exp_decay_lr` multiplies ``decay_rate`` by the epoch
    itself, so it equals this class with ``decay_steps = step_per_epoch`` (without stairs), or
    with ``decay_steps = step_per_epoch * decay_epoch`` and ``decay_rate * decay_epoch`` as the
    rate (with stairs).

    Args:
        learning_rate: the rate at step 0 (> 0).
        decay_rate: the exponent's rate (> 0).
        decay_steps: an int >= 1.
        is_stair: decay once every ``decay_steps`` steps.

    Example:
        >>> NaturalExpDecayLR(0.1, 0.9, 4, True)(2)  # MindSpore's documented example
        0.1
    """

    def __call__(self, step):
        return float(self.learning_rate * math.exp(-self.decay_rate * self._p(step)))


@register
class InverseDecayLR(_DecayLR):
    """``mindspore.nn.InverseDecayLR``: ``lr(step) = learning_rate / (1 + decay_rate * p)``.

    ``p = step / decay_steps`` (``floor`` of it with ``is_stair``). Matches
    :func:`glassnet.schedules.inverse_decay_lr` with ``decay_steps = step_per_epoch *
    decay_epoch``; Keras's counterpart is ``InverseTimeDecay``.

    Args:
        learning_rate: the rate at step 0 (> 0).
        decay_rate: how fast the rate falls (> 0).
        decay_steps: an int >= 1.
        is_stair: decay once every ``decay_steps`` steps.

    Example:
        >>> InverseDecayLR(0.1, 0.5, 1)(2)
        0.05
    """

    def __call__(self, step):
        return float(self.learning_rate / (1.0 + self.decay_rate * self._p(step)))


@register
class CosineDecayLR(LearningRateSchedule):
    """``mindspore.nn.CosineDecayLR``: half a cosine from ``max_lr`` down to ``min_lr``.

    ``lr(step) = min_lr + 0.5 * (max_lr - min_lr) * (1 + cos(pi * s / decay_steps))`` with
    ``s = min(step, decay_steps)`` (MindSpore clamps the step, so the rate stays at
    ``min_lr`` afterwards). Matches :func:`glassnet.schedules.cosine_decay_lr` with
    ``decay_steps = step_per_epoch * decay_epoch`` at the first step of every epoch.

    Args:
        min_lr: the final rate (>= 0).
        max_lr: the rate at step 0 (> 0).
        decay_steps: an int >= 1.

    Example:
        >>> CosineDecayLR(0.01, 0.1, 4)(2)  # MindSpore's documented example
        0.05500000000000001
    """

    def __init__(self, min_lr, max_lr, decay_steps):
        where = "CosineDecayLR"
        check_number(where, "min_lr", min_lr, low=0)
        self.min_lr = float(min_lr)
        self.max_lr = _positive(where, "max_lr", max_lr)
        self.decay_steps = _steps(where, "decay_steps", decay_steps)

    def __call__(self, step):
        s = min(_step(step), self.decay_steps)
        delta = 0.5 * (self.max_lr - self.min_lr)
        return float(self.min_lr + delta * (1.0 + math.cos(math.pi * s / self.decay_steps)))

    def get_config(self):
        return {"min_lr": self.min_lr, "max_lr": self.max_lr, "decay_steps": self.decay_steps}


@register
class PolynomialDecayLR(LearningRateSchedule):
    """``mindspore.nn.PolynomialDecayLR``: from ``learning_rate`` to ``end_learning_rate``.

    ``lr(step) = (learning_rate - end_learning_rate) * (1 - s / D) ** power +
    end_learning_rate`` with ``s = min(step, decay_steps)`` and ``D = decay_steps``; with
    ``update_decay_steps=True``, ``s = step`` and ``D = decay_steps * max(ceil(step /
    decay_steps), 1)`` (the decay restarts every ``decay_steps`` steps, from a lower point).
    Matches :func:`glassnet.schedules.polynomial_decay_lr` (``update_decay_epoch``) with
    ``decay_steps = step_per_epoch * decay_epoch`` at the first step of every epoch; Keras's
    counterpart is ``PolynomialDecay`` (``cycle``).

    Args:
        learning_rate: the rate at step 0 (> 0).
        end_learning_rate: the final rate (>= 0).
        decay_steps: an int >= 1.
        power: the polynomial's power (> 0).
        update_decay_steps: restart the decay every ``decay_steps`` steps.

    Example:
        >>> round(PolynomialDecayLR(0.1, 0.01, 4, 0.5)(2), 8)  # MindSpore's documented example
        0.07363961
    """

    def __init__(self, learning_rate, end_learning_rate, decay_steps, power,
                 update_decay_steps=False):
        where = "PolynomialDecayLR"
        self.learning_rate = _positive(where, "learning_rate", learning_rate)
        check_number(where, "end_learning_rate", end_learning_rate, low=0)
        self.end_learning_rate = float(end_learning_rate)
        self.decay_steps = _steps(where, "decay_steps", decay_steps)
        self.power = _positive(where, "power", power)
        self.update_decay_steps = bool(check_bool(where, "update_decay_steps",
                                                  update_decay_steps))

    def __call__(self, step):
        s, total = _step(step), float(self.decay_steps)
        if self.update_decay_steps:
            total *= max(math.ceil(s / total), 1)
        else:
            s = min(s, total)
        delta = self.learning_rate - self.end_learning_rate
        return float(delta * (1.0 - s / total) ** self.power + self.end_learning_rate)

    def get_config(self):
        return {"learning_rate": self.learning_rate,
                "end_learning_rate": self.end_learning_rate, "decay_steps": self.decay_steps,
                "power": self.power, "update_decay_steps": self.update_decay_steps}


@register
class WarmUpLR(LearningRateSchedule):
    """``mindspore.nn.WarmUpLR``: a linear rise, ``lr(step) = learning_rate * min(step,
    warmup_steps) / warmup_steps``, then flat at ``learning_rate``.

    The rate is 0 at step 0 (as in MindSpore). Matches :func:`glassnet.schedules.warmup_lr`
    with ``warmup_steps = step_per_epoch * warmup_epoch`` at the first step of every epoch.

    Args:
        learning_rate: the rate reached at the end of warmup (> 0).
        warmup_steps: an int >= 1.

    Example:
        >>> WarmUpLR(0.1, 2)(1), WarmUpLR(0.1, 2)(5)
        (0.05, 0.1)
    """

    def __init__(self, learning_rate, warmup_steps):
        self.learning_rate = _positive("WarmUpLR", "learning_rate", learning_rate)
        self.warmup_steps = _steps("WarmUpLR", "warmup_steps", warmup_steps)

    def __call__(self, step):
        s = min(_step(step), self.warmup_steps)
        return float(self.learning_rate * s / self.warmup_steps)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "warmup_steps": self.warmup_steps}
