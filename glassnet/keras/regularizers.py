"""``keras.regularizers``: re-exports :mod:`glassnet.regularizers`."""

from glassnet.regularizers import *  # noqa: F401,F403
