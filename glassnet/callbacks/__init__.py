"""Callbacks: objects whose hooks ``fit``/``evaluate``/``predict`` call (Keras API).

One file per callback; adding one means one file plus one import line here.
"""

from glassnet.callbacks.base import Callback, CallbackList
from glassnet.callbacks.csv_logger import CSVLogger
from glassnet.callbacks.early_stopping import EarlyStopping
from glassnet.callbacks.history import History
from glassnet.callbacks.lambda_callback import LambdaCallback
from glassnet.callbacks.learning_rate_scheduler import LearningRateScheduler
from glassnet.callbacks.model_checkpoint import ModelCheckpoint
from glassnet.callbacks.progbar import Progbar
from glassnet.callbacks.progbar_logger import ProgbarLogger
from glassnet.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
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
    "TerminateOnNaN",
]
