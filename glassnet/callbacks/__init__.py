"""Callbacks: objects whose hooks ``fit``/``evaluate``/``predict`` call (Keras API).

One file per callback; adding one means one file (its class decorated with ``@register``)
plus one import line here. ``get``/``deserialize`` find a callback class by name.

Example:
    >>> from glassnet import callbacks
    >>> isinstance(callbacks.get("TerminateOnNaN"), callbacks.TerminateOnNaN)
    True
    >>> callbacks.deserialize({"class_name": "EarlyStopping", "config": {"patience": 2}}).patience
    2
"""

from glassnet.callbacks.base import REGISTRY, Callback, CallbackList, register
from glassnet.callbacks.csv_logger import CSVLogger
from glassnet.callbacks.early_stopping import EarlyStopping
from glassnet.callbacks.history import History
from glassnet.callbacks.lambda_callback import LambdaCallback
from glassnet.callbacks.learning_rate_scheduler import LearningRateScheduler
from glassnet.callbacks.model_checkpoint import ModelCheckpoint
from glassnet.callbacks.progbar import Progbar
from glassnet.callbacks.progbar_logger import ProgbarLogger
from glassnet.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from glassnet.callbacks.studio import Studio
from glassnet.callbacks.tensorboard import TensorBoard
from glassnet.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "Progbar",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "Studio",
    "TensorBoard",
    "TerminateOnNaN",
    "deserialize",
    "get",
    "register",
]


def get(identifier):
    """A callback from a class name (default arguments), a ``{'class_name': ..., 'config':
    {...}}`` dict (the config holds the constructor's arguments), a class or an instance.

    Raises:
        UnknownIdentifierError: an unknown name (with close matches).
    """
    return REGISTRY.get(identifier)


def deserialize(config):
    """A callback from ``{'class_name': ..., 'config': {constructor arguments}}``."""
    return REGISTRY.deserialize(config)
