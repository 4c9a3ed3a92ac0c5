"""``keras.initializers``: re-exports :mod:`glassnet.initializers`."""

from glassnet.initializers import *  # noqa: F401,F403
