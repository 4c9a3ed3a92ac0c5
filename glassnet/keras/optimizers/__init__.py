"""``keras.optimizers``: re-exports :mod:`glassnet.optimizers` (schedules under ``.schedules``)."""

from glassnet.keras.optimizers import schedules
from glassnet.optimizers import *  # noqa: F401,F403
