"""``keras.utils``: to_categorical, normalize, pad_sequences, split_dataset, set_random_seed,
PyDataset, get_file, plot_model/model_to_dot and the serialization helpers Keras also lists
here."""

from glassnet.datasets.download import get_file
from glassnet.interop.plot_model import model_to_dot, plot_model
from glassnet.layers.base import clear_session
from glassnet.saving import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from glassnet.training.py_dataset import PyDataset
from glassnet.utils import (
    is_keras_tensor,
    normalize,
    pad_sequences,
    set_random_seed,
    split_dataset,
    to_categorical,
)

__all__ = [
    "CustomObjectScope",
    "PyDataset",
    "clear_session",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "is_keras_tensor",
    "model_to_dot",
    "normalize",
    "pad_sequences",
    "plot_model",
    "register_keras_serializable",
    "serialize_keras_object",
    "set_random_seed",
    "split_dataset",
    "to_categorical",
]
