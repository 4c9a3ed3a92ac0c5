"""Keras 3's distribution API on MPI: ``initialize``, ``DataParallel``, ``set_distribution``.

The same script runs on one core or under ``mpiexec -n N python train.py``::

    import glassnet as gn
    gn.distribution.initialize()                        # joins MPI's COMM_WORLD (no-op alone)
    gn.distribution.set_distribution(gn.distribution.DataParallel())
    model.compile(...); model.fit(x, y, batch_size=64)  # 64 = the GLOBAL batch

Semantics of data parallelism (``glassnet.distribution.training`` carries them out):

- ``batch_size`` is the global batch, as in Keras's ``DataParallel``: every rank draws the same
  shuffle (the random generator is broadcast from rank 0 when ``fit`` starts) and rank ``r``
  takes rows ``offsets[r]:offsets[r + 1]`` of each global batch (:func:`shard_offsets`, the
  ``numpy.array_split`` rule, so a short last batch works; a rank may get no row).
- When ``fit`` starts (for a model not built yet: after its first forward pass, which builds
  it as in one process), the parameter shapes are compared over the ranks (a mismatch is an
  error on every rank), then rank 0's weights, optimizer state and generator state are
  broadcast.
- Each rank's gradient of its shard's mean loss is scaled by ``n_r / n_global``; all of them
  are packed into one reused flat buffer per dtype and summed with one in-place allreduce, so
  the optimizer sees the gradient of the mean loss over the global batch (equal to one process
  up to rounding).
- Dropout and the noise layers draw their masks for the whole global batch and keep their
  rows, so N ranks draw exactly what one process draws.
- The loss and the metrics are computed over the global batch (metrics from the gathered
  predictions), so History, the progress line and the callbacks' decisions are identical on
  every rank; only rank 0 prints and writes files (progress bar, ModelCheckpoint, CSVLogger,
  TensorBoard, Studio).
- ``evaluate`` and ``predict`` shard every batch the same way and gather the results in order;
  every rank gets the full result.
- ``BatchNormalization`` keeps per-rank batch statistics (each rank normalizes its shard);
  ``SyncBatchNormalization`` all-reduces them, which equals one process.
- A checkpoint is written by rank 0 only; it holds no rank count, so it resumes on any number
  of ranks.

Example:
    >>> from glassnet.distribution import data_parallel as dp
    >>> dp.shard_offsets(10, 4)
    [0, 3, 6, 8, 10]
"""

from glassnet.config import config
from glassnet.errors import GlassnetTypeError, GlassnetValueError


def _communicator_module():
    from glassnet.distribution import communicator

    return communicator


def shard_offsets(n, size):
    """Row offsets of ``size`` shards of ``n`` rows, ``numpy.array_split`` style.

    The first ``n % size`` shards get one row more: shard ``r`` is rows
    ``offsets[r]:offsets[r + 1]``, offsets[r] = r * (n // size) + min(r, n % size).

    Args:
        n: rows in the global batch (>= 0).
        size: number of shards (>= 1).

    Returns:
        A list of ``size + 1`` non-decreasing ints from 0 to ``n``.

    Example:
        >>> shard_offsets(5, 2), shard_offsets(1, 3)
        ([0, 3, 5], [0, 1, 1, 1])
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise GlassnetValueError(f"shard_offsets: n must be an integer >= 0, received {n!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise GlassnetValueError(
            f"shard_offsets: size must be an integer >= 1, received {size!r}")
    base, extra = divmod(n, size)
    return [r * base + min(r, extra) for r in range(size + 1)]


def _check_count(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise GlassnetTypeError(
            f"initialize: {name} must be an integer or None, received {value!r}")
    return value


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join the distributed job: MPI's COMM_WORLD under mpiexec/srun, else a single process.

    Keras 3's signature. Under ``mpiexec -n N`` (or ``srun``) the launcher decides the hosts
    and ranks, so ``job_addresses`` is only checked for its type (it is how JAX finds its
    coordinator; MPI needs none). Alone (no launcher), this is a no-op: one process, rank 0.
    Calling it again returns the communicator already joined.

    Args:
        job_addresses: None, or a string / list of strings of host addresses (informative).
        num_processes: None, or the expected number of processes; must equal MPI's size.
        process_id: None, or the expected rank of this process; must equal MPI's rank.

    Returns:
        The :class:`~glassnet.distribution.communicator.Communicator` (also in
        ``config.communicator``).

    Raises:
        GlassnetValueError: ``num_processes`` or ``process_id`` differ from what MPI says.
        GlassnetImportError-like error: launched by MPI but mpi4py is not installed
            (``pip install "glassnet[mpi]"``).

    Example:
        >>> import glassnet as gn
        >>> comm = gn.distribution.initialize()   # a plain process: rank 0 of 1
        >>> (comm.rank, comm.size)
        (0, 1)
    """
    if job_addresses is not None and not isinstance(job_addresses, str) and not (
            isinstance(job_addresses, (list, tuple))
            and all(isinstance(a, str) for a in job_addresses)):
        raise GlassnetTypeError(
            f"initialize: job_addresses must be None, a string or a list of strings, "
            f"received {job_addresses!r}")
    num_processes = _check_count("num_processes", num_processes)
    process_id = _check_count("process_id", process_id)
    comm = config.communicator
    if comm is None:
        module = _communicator_module()
        comm = module.join_world() if module.launched_by_mpi() else module.Communicator()
    if num_processes is not None and num_processes != comm.size:
        raise GlassnetValueError(
            f"initialize: num_processes={num_processes} but the job has {comm.size} "
            f"process(es) (mpiexec -n {comm.size})")
    if process_id is not None and process_id != comm.rank:
        raise GlassnetValueError(
            f"initialize: process_id={process_id} but MPI gives this process rank "
            f"{comm.rank} of {comm.size}")
    config.communicator = comm
    return comm


def _current():
    comm = config.communicator
    return _communicator_module().current() if comm is None else comm


def process_index():
    """This process's rank (0 in a single process).

    Example:
        >>> process_index()
        0
    """
    return int(_current().rank)


def num_processes():
    """The number of processes in the job (1 in a single process).

    Example:
        >>> num_processes()
        1
    """
    return int(_current().size)


def list_devices(device_type=None):
    """The job's devices: one ``'cpu:<rank>'`` per process (glassnet runs on NumPy).

    Args:
        device_type: None or ``'cpu'`` (another type has no device here).

    Returns:
        A list of strings, in rank order.

    Example:
        >>> list_devices()
        ['cpu:0']
    """
    if device_type is not None and str(device_type).lower() != "cpu":
        return []
    return [f"cpu:{rank}" for rank in range(num_processes())]


class DataParallel:
    """Data parallelism: a full copy of the model per process, each batch split over them.

    Keras 3's signature. glassnet runs one process per device (``mpiexec -n N``), so the
    device mesh is the list of processes.

    Args:
        device_mesh: None, or a list/tuple of device names (as ``devices``).
        devices: None (every process, :func:`list_devices`), or a list of
            :func:`list_devices`'s names whose length is the number of processes.
        auto_shard_dataset: True (default): every rank reads the same data and keeps its shard
            of each global batch. False: each rank's data already yields its own shard (e.g.
            a generator that reads its part of the files); the global batch is then the sum
            of the ranks' batches (every rank must yield the same number of batches).
        timeout: glassnet's argument: seconds a collective may wait for the other ranks
            during fit/evaluate/predict before every rank is stopped with an error (a peer
            that raised, hangs or died); None keeps the communicator's (300 s by default).

    Example:
        >>> strategy = DataParallel()
        >>> strategy.auto_shard_dataset, strategy.devices
        (True, ['cpu:0'])
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True, timeout=None):
        if device_mesh is not None and devices is not None:
            raise GlassnetValueError(
                "DataParallel: give device_mesh or devices, not both")
        if config.communicator is None:  # under mpiexec, list the job's processes
            initialize()
        chosen = devices if devices is not None else device_mesh
        every = list_devices()
        if chosen is not None:
            if isinstance(chosen, str) or not isinstance(chosen, (list, tuple)):
                raise GlassnetTypeError(
                    f"DataParallel: devices must be a list of device names such as "
                    f"{every}, received {chosen!r}")
            if sorted(map(str, chosen)) != every:
                raise GlassnetValueError(
                    f"DataParallel: glassnet runs one process per device, so devices must be "
                    f"all of {every} (mpiexec -n {len(every)}), received {list(chosen)!r}")
        if not isinstance(auto_shard_dataset, bool):
            raise GlassnetTypeError(
                f"DataParallel: auto_shard_dataset must be True or False, received "
                f"{auto_shard_dataset!r}")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(
                timeout, (int, float)) or not 0 < timeout < float("inf")):
            raise GlassnetValueError(
                f"DataParallel: timeout must be a positive number of seconds or None, "
                f"received {timeout!r}")
        self.devices = every
        self.auto_shard_dataset = auto_shard_dataset
        self.timeout = None if timeout is None else float(timeout)

    @property
    def batch_dim_name(self):
        """Keras's name of the sharded axis: ``'batch'``."""
        return "batch"

    def shard(self, n, rank=None, size=None):
        """``(start, stop)`` of ``rank``'s rows in a global batch of ``n`` rows.

        Args:
            n: rows in the global batch.
            rank, size: default: this process's rank and the number of processes.

        Example:
            >>> DataParallel().shard(7, rank=1, size=2)
            (4, 7)
        """
        rank = process_index() if rank is None else rank
        size = num_processes() if size is None else size
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < size:
            raise GlassnetValueError(
                f"DataParallel.shard: rank must be an integer in [0, {size}), "
                f"received {rank!r}")
        offsets = shard_offsets(n, size)
        return offsets[rank], offsets[rank + 1]

    def __repr__(self):
        return (f"DataParallel(devices={self.devices!r}, "
                f"auto_shard_dataset={self.auto_shard_dataset})")


def set_distribution(value):
    """Choose how ``fit``/``evaluate``/``predict`` run: a :class:`DataParallel`, or None (off).

    Under an MPI launcher, :func:`initialize` is called first if it was not yet.

    Args:
        value: a :class:`DataParallel` or None.

    Raises:
        GlassnetTypeError: anything else.

    Example:
        >>> set_distribution(DataParallel())
        >>> distribution()
        DataParallel(devices=['cpu:0'], auto_shard_dataset=True)
        >>> set_distribution(None)
    """
    if value is not None and not isinstance(value, DataParallel):
        raise GlassnetTypeError(
            f"set_distribution: expected a DataParallel or None, received "
            f"{type(value).__name__}")
    if value is not None and config.communicator is None:
        initialize()
    config.distribution = value


def distribution():
    """The distribution :func:`set_distribution` chose, or None."""
    return config.distribution
