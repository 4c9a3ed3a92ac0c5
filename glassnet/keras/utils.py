"""``keras.utils``: to_categorical and normalize."""

from glassnet.layers.base import clear_session
from glassnet.utils import normalize, to_categorical

__all__ = ["clear_session", "normalize", "to_categorical"]
from glassnet.training.py_dataset import PyDataset  # noqa: F401 - keras.utils.PyDataset
