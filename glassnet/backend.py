"""The one array backend of glassnet.

All array code imports ``xp`` from here instead of ``numpy`` directly, so that a
CuPy backend can slot in later by changing this one module.
"""

import sys

import numpy as xp

__all__ = ["xp", "retain_freed_memory"]

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3


def retain_freed_memory(mmap_threshold=32 << 20, trim_threshold=1 << 30):
    """Let the C allocator keep freed array memory for reuse (glibc on Linux; else a no-op).

    NumPy takes every array from ``malloc``. For large blocks glibc hands freed memory back to
    the operating system at once (``munmap``, heap trimming), so the next training step, which
    allocates the same temporaries again, page-faults the same memory back in (about a third
    of LeNet-5's step time on a 2-core machine). PyTorch avoids it with its own caching
    allocator. This asks glibc to serve blocks below ``mmap_threshold`` from its heap and to
    keep up to ``trim_threshold`` bytes of freed heap, so steps reuse warm memory. Results do
    not change, only speed (and the process keeps its peak heap instead of shrinking).

    It is process-wide (it affects every library in the process) and cannot be undone, so
    glassnet never calls it on import. ``fit`` calls it when it starts, while
    ``gn.config.retain_memory`` is True (the default); set that to False before ``fit`` to keep
    the C library's defaults.

    Args:
        mmap_threshold: blocks at least this large (bytes) still get their own mapping; glibc
            accepts at most 32 MiB on 64-bit systems.
        trim_threshold: freed heap kept by the process (bytes).

    Returns:
        True if the allocator was tuned; False where there is no glibc (macOS, Windows, musl),
        where it is a no-op.

    Example:
        >>> import glassnet as gn
        >>> gn.backend.retain_freed_memory() in (True, False)
        True
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # here, not at import time: most programs never call this

    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))
                and mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)))

