"""Learning-rate schedules: Keras schedule objects and MindSpore-style per-step lists.

Two families, the same ideas:

* Keras objects (``keras.optimizers.schedules``): callables ``schedule(step) -> float`` that an
  optimizer evaluates at its current ``iterations`` before every update. Pass one as
  ``learning_rate=``.
* MindSpore functions (``mindspore.nn.*_lr``): return the whole per-step list at once, where
  ``current_epoch = floor(i / step_per_epoch)`` for step ``i``. A list can also be passed as
  ``learning_rate=`` (step ``i`` uses ``lrs[i]``; past the end, the last value).

Keras computes its schedules in the dtype of ``initial_learning_rate`` (float32 for a Python
float); glassnet computes them in float64 and returns Python floats.

Example:
    >>> from glassnet import schedules
    >>> schedules.exponential_decay_lr(0.1, 0.9, 6, 2, 1)  # seed 003
    [0.1, 0.1, 0.09000000000000001, 0.09000000000000001, 0.08100000000000002, 0.08100000000000002]
    >>> schedule = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.9)
    >>> round(schedule(4), 6)
    0.081
"""

import math

from glassnet.hyperparameters import check_bool, check_number, is_int, require
from glassnet.registry import Registry, exact_name

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PolynomialDecay",
    "PiecewiseConstantDecay",
    "CosineDecay",
    "StepList",
    "exponential_decay_lr",
    "natural_exp_decay_lr",
    "inverse_decay_lr",
    "cosine_decay_lr",
    "polynomial_decay_lr",
    "piecewise_constant_lr",
    "warmup_lr",
    "get",
    "serialize",
    "deserialize",
    "register",
]


class LearningRateSchedule:
    """Base class: a learning rate as a function of the optimizer step (0, 1, 2, ...).

    Subclasses implement ``__call__(step) -> float`` and ``get_config() -> dict`` (JSON-able,
    the constructor's arguments), so ``cls.from_config(schedule.get_config())`` rebuilds it.
    """

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# class name -> LearningRateSchedule subclass
REGISTRY = Registry("learning-rate schedule", module="schedules", base=LearningRateSchedule,
                    name_forms=exact_name)
register = REGISTRY.register  # class decorator


def _check_decay_steps(where, decay_steps):
    check_number(where, "decay_steps", decay_steps, low=0, low_open=True)


def _check_rate(where, name, value):
    """A learning rate given to a schedule: a finite float >= 0 (as an optimizer's own)."""
    check_number(where, name, value, low=0)


def _check_common(where, initial_learning_rate, decay_steps, staircase=False):
    _check_rate(where, "initial_learning_rate", initial_learning_rate)
    _check_decay_steps(where, decay_steps)
    check_bool(where, "staircase", staircase)


@register
class ExponentialDecay(LearningRateSchedule):
    """Exponential decay: ``lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps over which the rate is multiplied by ``decay_rate`` (> 0).
        decay_rate: the factor per ``decay_steps`` steps.
        staircase: decay in discrete jumps.
        name: label (kept for Keras compatibility).

    Example:
        >>> ExponentialDecay(1.0, 10, 0.5)(20)
        0.25
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        _check_common("ExponentialDecay", initial_learning_rate, decay_steps, staircase)
        # decay_rate ** p: a negative rate gives complex numbers, 0 a rate of 0 after step 0
        check_number("ExponentialDecay", "decay_rate", decay_rate, low=0, low_open=True)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate * self.decay_rate**p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


@register
class InverseTimeDecay(LearningRateSchedule):
    """Inverse-time decay: ``lr(step) = initial_learning_rate / (1 + decay_rate * step /
    decay_steps)``; with ``staircase=True`` the ratio is ``floor(step / decay_steps)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the time scale of the decay (> 0).
        decay_rate: how fast the rate falls.
        staircase: decay in discrete jumps.
        name: label.

    Example:
        >>> InverseTimeDecay(0.1, 1, 0.5)(2)
        0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        _check_common("InverseTimeDecay", initial_learning_rate, decay_steps, staircase)
        # 1 / (1 + decay_rate * p): a negative rate divides by zero (or grows the rate)
        check_number("InverseTimeDecay", "decay_rate", decay_rate, low=0)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate / (1.0 + self.decay_rate * p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


@register
class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate``.

    ``lr(step) = (initial - end) * (1 - s / D) ** power + end`` where, without ``cycle``,
    ``s = min(step, decay_steps)`` and ``D = decay_steps``; with ``cycle=True``, ``s = step`` and
    ``D = decay_steps * ceil(step / decay_steps)`` (``D = decay_steps`` at step 0).

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps to reach ``end_learning_rate`` (> 0).
        end_learning_rate: the final rate (Keras default 0.0001).
        power: the polynomial's power (1.0: linear).
        cycle: restart the decay every ``decay_steps`` steps.
        name: label.

    Example:
        >>> PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        where = "PolynomialDecay"
        _check_common(where, initial_learning_rate, decay_steps)
        _check_rate(where, "end_learning_rate", end_learning_rate)
        # (1 - s / D) ** power reaches 0 ** power at s = D: a negative power divides by zero
        # (Keras documents no range; 0 is a constant rate, > 0 a decay)
        check_number(where, "power", power, low=0)
        check_bool(where, "cycle", cycle)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = float(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        delta = self.initial_learning_rate - self.end_learning_rate
        return float(delta * (1.0 - step / decay_steps) ** self.power + self.end_learning_rate)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


@register
class PiecewiseConstantDecay(LearningRateSchedule):
    """Piecewise constant: ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after the last boundary.

    Args:
        boundaries: increasing step numbers.
        values: one more value than boundaries.
        name: label.

    Example:
        >>> s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
        >>> s(10), s(11), s(21)
        (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        where = "PiecewiseConstantDecay"
        boundaries, values = list(boundaries), list(values)
        for i, boundary in enumerate(boundaries):
            check_number(where, f"boundaries[{i}]", boundary)
        for i, value in enumerate(values):
            _check_rate(where, f"values[{i}]", value)
        require(len(boundaries) == len(values) - 1, "PiecewiseConstantDecay", "values",
                 f"one element longer than boundaries (len {len(boundaries)})", values)
        require(all(a < b for a, b in zip(boundaries, boundaries[1:], strict=False)),
                 "PiecewiseConstantDecay", "boundaries", "strictly increasing", boundaries)
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values, strict=False):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@register
class CosineDecay(LearningRateSchedule):
    """Cosine decay with optional linear warmup (Loshchilov & Hutter, SGDR).

    Without warmup (``warmup_target=None``)::

        s = min(step, decay_steps)
        lr(step) = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps))
                                            + alpha)

    With warmup: for ``step < warmup_steps`` the rate rises linearly,
    ``lr = initial_learning_rate + (warmup_target - initial_learning_rate) * step /
    warmup_steps``; afterwards the cosine decay above runs from ``warmup_target`` over
    ``step - warmup_steps`` (clamped to ``decay_steps``).

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps of cosine decay (> 0).
        alpha: the final rate as a fraction of the decay's starting rate.
        name: label.
        warmup_target: the rate reached at the end of warmup, or None (no warmup).
        warmup_steps: steps of warmup.

    Example:
        >>> CosineDecay(1.0, 10)(5)
        0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        where = "CosineDecay"
        _check_rate(where, "initial_learning_rate", initial_learning_rate)
        _check_decay_steps(where, decay_steps)
        check_number(where, "alpha", alpha, low=0, high=1)
        check_number(where, "warmup_steps", warmup_steps, low=0)
        if warmup_target is not None:
            _check_rate(where, "warmup_target", warmup_target)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, start):
        fraction = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * fraction))
        return float(start * ((1.0 - self.alpha) * cosine + self.alpha))

    def __call__(self, step):
        step = float(step)
        if self.warmup_target is None:
            return self._decay(step, self.initial_learning_rate)
        if step < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return float(delta * step / self.warmup_steps + self.initial_learning_rate)
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


@register
class StepList(LearningRateSchedule):
    """A precomputed per-step list (MindSpore's dynamic learning rate): ``lr(i) = values[i]``,
    and the last value once the list is used up.

    Optimizers wrap a list/tuple/1-D array ``learning_rate`` in this class automatically.

    Args:
        values: the learning rate of each step.

    Example:
        >>> StepList([0.1, 0.05])(7)
        0.05
    """

    def __init__(self, values):
        values = list(values)
        for i, value in enumerate(values):
            _check_rate("StepList", f"values[{i}]", value)
        values = [float(v) for v in values]
        require(len(values) > 0, "StepList", "values", "a non-empty list", values)
        self.values = values

    def __call__(self, step):
        return self.values[min(int(step), len(self.values) - 1)]

    def get_config(self):
        return {"values": self.values}


# --------------------------------------------------------------------------- registry
def serialize(schedule):
    """``{"class_name": ..., "config": ...}`` for a schedule (Keras's serialized form)."""
    return REGISTRY.serialize(schedule)


def deserialize(config):
    """Rebuild a schedule from :func:`serialize`'s dict."""
    return REGISTRY.deserialize(config)


def get(identifier):
    """A schedule from a schedule instance or a serialized dict (a name gives its defaults)."""
    return REGISTRY.get(identifier)


# --------------------------------------------------------------------------- MindSpore lists
def _check_steps(where, total_step, step_per_epoch, decay_epoch, decay_name="decay_epoch"):
    for name, value in (("total_step", total_step), ("step_per_epoch", step_per_epoch),
                        (decay_name, decay_epoch)):
        require(is_int(value) and value > 0, where, name, "a positive int", value)


def _check_positive(where, name, value, allow_zero=False):
    check_number(where, name, value, low=0, low_open=not allow_zero)


def _epoch(i, step_per_epoch):
    return math.floor(i / step_per_epoch)


def exponential_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch,
                         is_stair=False):
    """MindSpore's per-step exponential decay list.

    ``lr[i] = learning_rate * decay_rate ** (current_epoch / decay_epoch)`` with
    ``current_epoch = floor(i / step_per_epoch)``; with ``is_stair=True`` the exponent is
    ``floor(current_epoch / decay_epoch)``.

    Args:
        learning_rate: initial rate (> 0).
        decay_rate: decay factor (> 0).
        total_step: length of the list.
        step_per_epoch: steps in one epoch.
        decay_epoch: epochs per full ``decay_rate`` factor.
        is_stair: decay once every ``decay_epoch`` epochs.

    Returns:
        list[float] of length ``total_step``.

    Example:
        >>> exponential_decay_lr(0.1, 0.9, 6, 2, 1)[2]
        0.09000000000000001
    """
    where = "exponential_decay_lr"
    _check_positive(where, "learning_rate", learning_rate)
    _check_positive(where, "decay_rate", decay_rate)
    _check_steps(where, total_step, step_per_epoch, decay_epoch)
    lrs = []
    for i in range(total_step):
        p = _epoch(i, step_per_epoch) / decay_epoch
        lrs.append(learning_rate * decay_rate ** (math.floor(p) if is_stair else p))
    return lrs


def natural_exp_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch,
                         is_stair=False):
    """MindSpore's natural-exponential decay list: ``lr[i] = learning_rate *
    e ** (-decay_rate * current_epoch)``; with ``is_stair`` the epoch is rounded down to a
    multiple of ``decay_epoch``.

    Example:
        >>> natural_exp_decay_lr(0.1, 0.9, 6, 2, 2, True)[4]
        0.016529888822158657
    """
    where = "natural_exp_decay_lr"
    _check_positive(where, "learning_rate", learning_rate)
    _check_positive(where, "decay_rate", decay_rate)
    _check_steps(where, total_step, step_per_epoch, decay_epoch)
    lrs = []
    for i in range(total_step):
        epoch = _epoch(i, step_per_epoch)
        if is_stair:
            epoch = math.floor(epoch / decay_epoch) * decay_epoch
        lrs.append(learning_rate * math.e ** (-decay_rate * epoch))
    return lrs


def inverse_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch,
                     is_stair=False):
    """MindSpore's inverse-time decay list.

    ``lr[i] = learning_rate / (1 + decay_rate * current_epoch / decay_epoch)``; with
    ``is_stair`` the ratio is ``floor(current_epoch / decay_epoch)``.

    Example:
        >>> inverse_decay_lr(0.1, 0.5, 6, 1, 1, True)[1]
        0.06666666666666667
    """
    where = "inverse_decay_lr"
    _check_positive(where, "learning_rate", learning_rate)
    _check_positive(where, "decay_rate", decay_rate)
    _check_steps(where, total_step, step_per_epoch, decay_epoch)
    lrs = []
    for i in range(total_step):
        epoch = _epoch(i, step_per_epoch)
        if is_stair:
            lrs.append(learning_rate / (1 + decay_rate * math.floor(epoch / decay_epoch)))
        else:
            lrs.append(learning_rate / (1 + decay_rate * epoch / decay_epoch))
    return lrs


def cosine_decay_lr(min_lr, max_lr, total_step, step_per_epoch, decay_epoch):
    """MindSpore's cosine decay list.

    ``lr[i] = min_lr + 0.5 * (max_lr - min_lr) * (1 + cos(pi * e / decay_epoch))`` with
    ``e = min(current_epoch, decay_epoch)``.

    Example:
        >>> cosine_decay_lr(0.01, 0.1, 6, 2, 2)
        [0.1, 0.1, 0.05500000000000001, 0.05500000000000001, 0.01, 0.01]
    """
    where = "cosine_decay_lr"
    _check_positive(where, "min_lr", min_lr, allow_zero=True)
    _check_positive(where, "max_lr", max_lr)
    require(max_lr > min_lr, where, "max_lr", f"> min_lr ({min_lr})", max_lr)
    _check_steps(where, total_step, step_per_epoch, decay_epoch)
    delta = 0.5 * (max_lr - min_lr)
    lrs = []
    for i in range(total_step):
        epoch = min(_epoch(i, step_per_epoch), decay_epoch)
        lrs.append(min_lr + delta * (1 + math.cos(math.pi * epoch / decay_epoch)))
    return lrs


def polynomial_decay_lr(learning_rate, end_learning_rate, total_step, step_per_epoch,
                        decay_epoch, power, update_decay_epoch=False):
    """MindSpore's polynomial decay list.

    ``lr[i] = (learning_rate - end_learning_rate) * (1 - e / D) ** power + end_learning_rate``
    with ``e = min(current_epoch, decay_epoch)`` and ``D = decay_epoch``; with
    ``update_decay_epoch=True``, ``e = current_epoch`` and
    ``D = decay_epoch * max(ceil(current_epoch / decay_epoch), 1)``.

    Example:
        >>> polynomial_decay_lr(0.1, 0.01, 6, 2, 2, 0.5)[2]
        0.07363961030678928
    """
    where = "polynomial_decay_lr"
    _check_positive(where, "learning_rate", learning_rate)
    _check_positive(where, "end_learning_rate", end_learning_rate, allow_zero=True)
    _check_positive(where, "power", power)
    _check_steps(where, total_step, step_per_epoch, decay_epoch)
    delta = learning_rate - end_learning_rate
    lrs = []
    for i in range(total_step):
        epoch = _epoch(i, step_per_epoch)
        if update_decay_epoch:
            decay = decay_epoch * max(math.ceil(epoch / decay_epoch), 1)
        else:
            decay, epoch = decay_epoch, min(epoch, decay_epoch)
        lrs.append(delta * (1 - epoch / decay) ** power + end_learning_rate)
    return lrs


def piecewise_constant_lr(milestone, learning_rates):
    """MindSpore's piecewise constant list: ``lr[i] = learning_rates[t]`` for
    ``milestone[t-1] <= i < milestone[t]``; the list has ``milestone[-1]`` entries.

    Example:
        >>> piecewise_constant_lr([2, 5, 10], [0.1, 0.05, 0.01])
        [0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01]
    """
    where = "piecewise_constant_lr"
    milestone, learning_rates = list(milestone), list(learning_rates)
    require(len(milestone) == len(learning_rates), where, "learning_rates",
             f"as long as milestone ({len(milestone)})", learning_rates)
    lrs, last = [], 0
    for i, (item, rate) in enumerate(zip(milestone, learning_rates, strict=True)):
        _check_rate(where, f"learning_rates[{i}]", rate)
        ok = is_int(item) and item > 0 and item >= last
        require(ok, where, f"milestone[{i}]", "a positive int, not below the previous one", item)
        lrs += [rate] * (item - last)
        last = item
    return lrs


def warmup_lr(learning_rate, total_step, step_per_epoch, warmup_epoch):
    """MindSpore's linear warmup list: ``lr[i] = learning_rate * min(current_epoch,
    warmup_epoch) / warmup_epoch``.

    Example:
        >>> warmup_lr(0.1, 6, 2, 2)
        [0.0, 0.0, 0.05, 0.05, 0.1, 0.1]
    """
    where = "warmup_lr"
    _check_positive(where, "learning_rate", learning_rate, allow_zero=True)
    _check_steps(where, total_step, step_per_epoch, warmup_epoch, "warmup_epoch")
    return [learning_rate * min(_epoch(i, step_per_epoch), warmup_epoch) / warmup_epoch
            for i in range(total_step)]
