"""Weight regularizers (``keras.regularizers``): penalties added to the training loss.

A regularizer is a callable ``penalty(weight) -> scalar Tensor``. Give one to a layer
(``Dense(..., kernel_regularizer="l2")``); the layer's ``losses`` then hold the penalty, and
training adds it to the data loss, so the gradient of L1 adds ``l1 * sign(w)`` and that of L2
adds ``2 * l2 * w`` to every weight's gradient.

Names (as in Keras): ``'l1'``, ``'l2'``, ``'l1_l2'`` (and the class names).

Example:
    >>> import glassnet as gn
    >>> from glassnet import regularizers
    >>> regularizers.L2(0.1)(gn.tensor([1.0, 2.0])).item()
    0.5
"""

import math

from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.registry import Registry, exact_name


def _factor(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GlassnetTypeError(f"regularizer: {name} must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise GlassnetValueError(
            f"regularizer: {name} must be a finite number >= 0, got {value!r}"
        )
    return float(value)


class Regularizer:
    """Base class: ``__call__(weight)`` returns the penalty as a scalar Tensor."""

    def __call__(self, x):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# class names and the names given to ``register`` -> Regularizer subclass; any callable
# ``penalty(weight)`` is used as it is
REGISTRY = Registry("regularizer", module="regularizers", base=Regularizer,
                    name_forms=exact_name, none=None, from_callable=lambda function: function)
REGULARIZERS = REGISTRY.entries


def register(*names):
    """Class decorator registering a regularizer under its class name and ``names``."""
    return REGISTRY.register(aliases=names)


@register("l1")
class L1(Regularizer):
    """L1 penalty: l1 * sum(|w|).

    Args:
        l1: the factor (Keras default 0.01).

    Example:
        >>> import glassnet as gn
        >>> L1(0.5)(gn.tensor([1.0, -3.0])).item()
        2.0
    """

    def __init__(self, l1=0.01):
        self.l1 = _factor("l1", l1)

    def __call__(self, x):
        return x.abs().sum() * self.l1

    def get_config(self):
        return {"l1": self.l1}


@register("l2")
class L2(Regularizer):
    """L2 penalty: l2 * sum(w^2) (no factor 1/2, as in Keras).

    Args:
        l2: the factor (Keras default 0.01).

    Example:
        >>> import glassnet as gn
        >>> L2(0.5)(gn.tensor([1.0, -3.0])).item()
        5.0
    """

    def __init__(self, l2=0.01):
        self.l2 = _factor("l2", l2)

    def __call__(self, x):
        return (x * x).sum() * self.l2

    def get_config(self):
        return {"l2": self.l2}


@register("l1_l2", "l1l2")
class L1L2(Regularizer):
    """L1 and L2 penalties together: l1 * sum(|w|) + l2 * sum(w^2).

    Args:
        l1: the L1 factor (Keras 3 default 0.0).
        l2: the L2 factor (Keras 3 default 0.0).

    Example:
        >>> import glassnet as gn
        >>> L1L2(l1=1.0, l2=1.0)(gn.tensor([1.0, -3.0])).item()
        14.0
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor("l1", l1)
        self.l2 = _factor("l2", l2)

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = x.abs().sum() * self.l1
        if self.l2 or penalty is None:
            term = (x * x).sum() * self.l2
            penalty = term if penalty is None else penalty + term
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


# Keras's lower-case aliases
l1 = L1
l2 = L2
l1_l2 = L1L2


def get(identifier):
    """Resolve a regularizer from None, a name, a config dict, an instance or a callable.

    Args:
        identifier: ``None`` (returns None), ``'l1'``/``'l2'``/``'l1_l2'`` (default factors),
            ``{'class_name': 'L2', 'config': {'l2': 0.001}}``, a Regularizer or a callable.

    Returns:
        A callable ``penalty(weight) -> Tensor`` or None.

    Raises:
        UnknownIdentifierError: for an unknown name (listing the valid ones).

    Example:
        >>> get("l2")
        L2(l2=0.01)
    """
    return REGISTRY.get(identifier)


def serialize(regularizer):
    """``{'class_name': ..., 'config': {...}}`` for a Regularizer, None for None."""
    if regularizer is None:
        return None
    if not isinstance(regularizer, Regularizer):
        raise GlassnetTypeError(
            f"regularizers.serialize: cannot serialize the callable {regularizer!r}; "
            f"subclass glassnet.regularizers.Regularizer and implement get_config"
        )
    return REGISTRY.serialize(regularizer)


def deserialize(config):
    """Inverse of :func:`serialize`."""
    return get(config)
