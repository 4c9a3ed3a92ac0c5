"""``keras.callbacks``: re-exports :mod:`glassnet.callbacks`."""

from glassnet.callbacks import *  # noqa: F401,F403
