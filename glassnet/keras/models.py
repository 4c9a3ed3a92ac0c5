"""``keras.models``: Sequential, Model, load_model, clone_model."""

from glassnet.models import Model, Sequential, clone_model, load_model, model_from_json

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json"]
