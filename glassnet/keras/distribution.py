"""``keras.distribution``: glassnet's data parallelism on MPI under Keras 3's names.

Defines nothing: it re-exports :mod:`glassnet.distribution`.

Example:
    >>> from glassnet.keras import distribution
    >>> distribution.list_devices()
    ['cpu:0']
"""

from glassnet.distribution import (  # noqa: F401
    DataParallel,
    distribution,
    initialize,
    list_devices,
    num_processes,
    process_index,
    set_distribution,
)
