"""``keras.metrics``: re-exports :mod:`glassnet.metrics`."""

from glassnet.metrics import *  # noqa: F401,F403
