"""``keras.activations``: re-exports :mod:`glassnet.activations`."""

from glassnet.activations import *  # noqa: F401,F403
