"""Keras-compatible paths (``tf.keras`` layout) onto glassnet's own objects.

This package only re-exports: ``glassnet.keras.layers.Dense is glassnet.layers.Dense``. A seed's
Keras script runs with its import line changed to ``import glassnet.keras as ka`` (or
``import glassnet as tf`` and then ``tf.keras...``).

Example:
    >>> import glassnet.keras as ka
    >>> model = ka.Sequential([ka.layers.Dense(3, input_shape=(4,), activation="relu")])
    >>> model.count_params()
    15
"""

from glassnet.keras import (
    activations,
    backend,
    callbacks,
    datasets,
    distribution,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    utils,
)
from glassnet.keras import saving
from glassnet.layers import Input
from glassnet.models import Model, Sequential

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "datasets",
    "distribution",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "optimizers",
    "random",
    "regularizers",
    "utils",
]
__all__ += ["saving"]
