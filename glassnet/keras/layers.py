"""``keras.layers``: re-exports :mod:`glassnet.layers`."""

from glassnet.layers import *  # noqa: F401,F403
