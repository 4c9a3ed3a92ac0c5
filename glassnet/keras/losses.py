"""``keras.losses``: re-exports :mod:`glassnet.losses`."""

from glassnet.losses import *  # noqa: F401,F403
