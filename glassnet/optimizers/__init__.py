"""Optimizers: SGD, Adagrad, Adadelta, RMSprop, Adam, AdamW, Ftrl, and gradient clipping.

Each optimizer is one small file whose class docstring states its update rule. Adding one is
its file (decorated with ``@register``) plus one import line below.

Example:
    >>> import glassnet as gn
    >>> from glassnet import optimizers
    >>> optimizers.get("Adam").learning_rate
    0.001
"""

# One import line per optimizer file; its @register decorator adds it to the registry.
from glassnet.optimizers.adadelta import Adadelta
from glassnet.optimizers.adagrad import Adagrad
from glassnet.optimizers.adam import Adam
from glassnet.optimizers.adamw import AdamW
from glassnet.optimizers.base import REGISTRY, Optimizer, register
from glassnet.optimizers.clipping import clip_grad_norm, clip_grad_value
from glassnet.optimizers.ftrl import Ftrl
from glassnet.optimizers.rmsprop import RMSprop
from glassnet.optimizers.sgd import SGD

__all__ = ["Optimizer", "register", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW",
           "Ftrl", "get", "serialize", "deserialize", "clip_grad_norm", "clip_grad_value"]


def serialize(optimizer):
    """``{"class_name": ..., "config": ...}`` (Keras's serialized form)."""
    return REGISTRY.serialize(optimizer)


def deserialize(config):
    """Rebuild an optimizer from :func:`serialize`'s dict."""
    return REGISTRY.deserialize(config)


def get(identifier):
    """An optimizer from a name (case-insensitive: 'adam', 'SGD', 'rmsprop'...), a serialized
    dict, an Optimizer class, or an instance (returned as is).

    Raises:
        UnknownIdentifierError: for an unknown name (with close suggestions).
    """
    return REGISTRY.get(identifier)
