"""``keras.ops``: re-exports :mod:`glassnet.operations`."""

from glassnet.operations import *  # noqa: F401,F403,A004
from glassnet.operations import __all__  # noqa: F401
