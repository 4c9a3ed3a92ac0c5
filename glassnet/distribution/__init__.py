"""Distributed training on MPI with Keras 3's distribution API (``keras.distribution``).

Under ``mpiexec -n N python train.py`` (or ``srun``), two lines make an unchanged
compile/fit script train data-parallel::

    gn.distribution.initialize()
    gn.distribution.set_distribution(gn.distribution.DataParallel())

Alone, :func:`initialize` is a no-op (rank 0 of 1) and the same script runs as before.
mpi4py (``pip install "glassnet[mpi]"``) is imported only when an MPI job is joined. The
semantics are in :mod:`glassnet.distribution.data_parallel` and
:mod:`glassnet.distribution.training`; the MPI wrapper is
:mod:`glassnet.distribution.communicator`.

Example:
    >>> import glassnet as gn
    >>> gn.distribution.num_processes(), gn.distribution.process_index()
    (1, 0)
"""

from glassnet.distribution.data_parallel import (
    DataParallel,
    distribution,
    initialize,
    list_devices,
    num_processes,
    process_index,
    set_distribution,
    shard_offsets,
)

__all__ = [
    "DataParallel", "distribution", "initialize", "list_devices", "num_processes",
    "process_index", "set_distribution", "shard_offsets",
]
