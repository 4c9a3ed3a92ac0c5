"""``keras.random``: re-exports :mod:`glassnet.random`."""

from glassnet.random import *  # noqa: F401,F403
from glassnet.random import __all__  # noqa: F401
