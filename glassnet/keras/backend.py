"""``keras.backend``: the global settings (image data format, epsilon, floatx), backend()."""

from glassnet.config import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from glassnet.layers.base import clear_session
from glassnet.utils import is_keras_tensor

__all__ = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "image_data_format",
    "is_keras_tensor",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]
