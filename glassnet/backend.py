"""The one array backend of glassnet.

All array code imports ``xp`` from here instead of ``numpy`` directly, so that a
CuPy backend can slot in later by changing this one module.
"""

import numpy as xp

__all__ = ["xp"]
