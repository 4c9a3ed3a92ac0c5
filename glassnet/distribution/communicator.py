"""The MPI wrapper of data-parallel training: collectives on arrays, with a timeout, never pickle.

:class:`Communicator` is the single-process one (rank 0 of 1: every collective is the identity);
:class:`MpiCommunicator` runs the same methods over MPI's ``COMM_WORLD`` (a duplicate of it, so
glassnet's messages never mix with the user's). mpi4py is imported only by :func:`join_world`.

Rules kept here:

- Only mpi4py's uppercase buffer methods are used (the lowercase ones pickle, and unpickling a
  peer's bytes can run code). Objects travel as JSON bytes (:meth:`~Communicator.broadcast_json`).
- Every collective has a deadline of ``timeout`` seconds. The gradient path,
  :meth:`~Communicator.allreduce_sum`, calls MPI's blocking Allreduce (faster than the
  non-blocking one) under a watchdog thread; the other collectives are started non-blocking
  and polled (yielding the core while they wait, so oversubscribed ranks do not starve each
  other). A rank whose collective does not complete in time prints ``glassnet rank r/N: ...``
  and aborts every rank: a peer that raised, hangs in Python or was killed never leaves the
  others hanging.
  (mpiexec, hydra, already ends the job when a rank is killed by a signal or exits without
  finalizing; the timeout covers the rank that is alive but never arrives.)
- :func:`guard` turns an exception on one rank into a rank-tagged message and an abort of all.

Example:
    >>> import numpy as np
    >>> comm = Communicator()                       # one process: rank 0 of 1
    >>> (comm.rank, comm.size)
    (0, 1)
    >>> comm.allreduce_sum(np.ones(3)).tolist()     # in place; the sum over one rank
    [1.0, 1.0, 1.0]
    >>> comm.broadcast_json({"epoch": 3})
    {'epoch': 3}
"""

import json
import os
import sys
import threading
import time
import traceback
from contextlib import contextmanager

from glassnet.backend import xp
from glassnet.distribution.processes import process_identity, stop_processes
from glassnet.distribution.threads import blas_threads, oversubscription_warning, usable_cpus
from glassnet.errors import GlassnetError, GlassnetTypeError, GlassnetValueError

INSTALL_HINT = 'pip install "glassnet[mpi]"'

# Environment variables that mpiexec / srun / Open MPI's launcher set to the number of ranks.
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMIX_SIZE")

# dtypes that can travel in allgather_arrays (by position in this tuple: a fixed code per dtype).
_DTYPES = ("float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8",
           "uint16", "uint32", "uint64", "bool", "complex64", "complex128")
_MAX_NDIM = 8
_SUM_DTYPES = ("float32", "float64", "int32", "int64")


class DistributedError(GlassnetError, RuntimeError):
    """A distributed operation failed (raised in a single process; under MPI ranks abort)."""


class MpiUnavailableError(GlassnetError, ImportError):
    """MPI was asked for but mpi4py (the ``[mpi]`` extra) is not installed."""


def _check_buffer(where, array, dtypes=None):
    """``array`` must be a C-contiguous, writable ndarray (of one of ``dtypes``)."""
    if not isinstance(array, xp.ndarray):
        raise GlassnetTypeError(f"{where}: expected a numpy array, received "
                                f"{type(array).__name__}")
    if not array.flags.c_contiguous or not array.flags.writeable:
        raise GlassnetValueError(f"{where}: expected a C-contiguous writable array (it is "
                                 f"changed in place), received one that is not "
                                 f"(shape {array.shape}); pass numpy.ascontiguousarray(a)")
    if dtypes is not None and array.dtype.name not in dtypes:
        raise GlassnetTypeError(f"{where}: expected dtype {' or '.join(dtypes)}, received "
                                f"{array.dtype.name}")


def _json_default(value):
    """Let numpy scalars and arrays travel in JSON (as Python numbers and lists)."""
    if isinstance(value, (xp.generic, xp.ndarray)):
        return value.tolist()
    raise GlassnetTypeError(f"broadcast_json: expected a JSON-able object, received a "
                            f"{type(value).__name__} inside it")


def _to_json_bytes(obj):
    return json.dumps(obj, default=_json_default).encode("utf-8")


def _from_json_bytes(data):
    return json.loads(bytes(data).decode("utf-8"))


class Communicator:
    """The single-process communicator: rank 0 of 1, every collective is the identity.

    It defines the API :class:`MpiCommunicator` runs over MPI, so training code calls the same
    methods in one process and on N ranks.

    Args:
        timeout: seconds a collective may wait for the other ranks before every rank is
            aborted (used by :class:`MpiCommunicator`; kept here so both have it).

    Example:
        >>> import numpy as np
        >>> comm = Communicator(timeout=60)
        >>> [a.shape for a in comm.allgather_arrays(np.zeros((2, 3)))]
        [(2, 3)]
    """

    rank = 0
    size = 1

    def __init__(self, timeout=300.0):
        self.timeout = timeout

    @property
    def timeout(self):
        """Seconds a collective may wait for its peers (a positive number)."""
        return self._timeout

    @timeout.setter
    def timeout(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise GlassnetValueError(f"Communicator: expected timeout a positive number of "
                                     f"seconds, received {value!r}")
        self._timeout = float(value)

    @property
    def is_distributed(self):
        """True when more than one rank takes part."""
        return self.size > 1

    def __repr__(self):
        return f"{type(self).__name__}(rank={self.rank}, size={self.size})"

    # -- collectives (identities in one process) -----------------------------------------
    def allreduce_sum(self, array):
        """Sum ``array`` over all ranks, in place: every rank ends with the same sums.

        Args:
            array: a C-contiguous float32/float64/int32/int64 ndarray; overwritten.

        Returns:
            ``array`` itself, now holding the element-wise sum over ranks.
        """
        _check_buffer("allreduce_sum", array, _SUM_DTYPES)
        return array

    def start_allreduce_sum(self, array):
        """Start :meth:`allreduce_sum` without waiting; ``.wait()`` on the result finishes it.

        Lets the caller compute (e.g. the rest of backward) while the sums travel.

        Returns:
            An object whose ``wait()`` returns ``array`` holding the sums.
        """
        _check_buffer("start_allreduce_sum", array, _SUM_DTYPES)
        return _Done(array)

    def allgather_arrays(self, array):
        """Every rank's ``array``, in rank order; first dimensions may differ between ranks.

        Args:
            array: an ndarray; the dtype and every dimension after the first must agree.

        Returns:
            A list of ``size`` arrays (this rank's entry is a copy).
        """
        array = xp.asarray(array)
        _describe(array)
        return [array.copy()]

    def broadcast_arrays(self, arrays, root=0):
        """Copy root's arrays into every rank's arrays of the same shapes and dtypes, in place.

        Args:
            arrays: a list of writable ndarrays (same shapes and dtypes on every rank).
            root: the rank whose values are sent.

        Returns:
            ``arrays`` (the same list), now holding root's values.
        """
        self._check_root(root)
        return list(arrays)

    def broadcast_json(self, obj, root=0):
        """Root's JSON-able object on every rank (it travels as JSON bytes, never pickled).

        Returns:
            The object as JSON round-trips it (tuples become lists), identical on all ranks.
        """
        self._check_root(root)
        return _from_json_bytes(_to_json_bytes(obj))

    def allgather_json(self, obj):
        """Every rank's JSON-able object, in rank order."""
        return [_from_json_bytes(_to_json_bytes(obj))]

    def barrier(self):
        """Wait until every rank has reached this call."""

    def abort(self, message, code=1):
        """Print ``glassnet rank r/N: message`` to stderr and stop every rank.

        In one process it raises :class:`DistributedError` instead (nothing else to stop).
        """
        raise DistributedError(message)

    def _check_root(self, root):
        if isinstance(root, bool) or not isinstance(root, int) or not 0 <= root < self.size:
            raise GlassnetValueError(f"broadcast: expected root a rank in [0, {self.size}), "
                                     f"received {root!r}")

    def _tag(self, message):
        return f"glassnet rank {self.rank}/{self.size}: {message}"


class _Done:
    """A finished collective (single process)."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value


def _describe(array):
    """An int64 header ``[dtype code, ndim, dims...]`` for allgather_arrays."""
    if array.dtype.name not in _DTYPES or array.ndim > _MAX_NDIM:
        raise GlassnetTypeError(f"allgather_arrays: expected an array of one of {_DTYPES} with "
                                f"at most {_MAX_NDIM} dimensions, received {array.dtype.name} "
                                f"with shape {array.shape}")
    header = xp.full(2 + _MAX_NDIM, -1, dtype=xp.int64)
    header[0] = _DTYPES.index(array.dtype.name)
    header[1] = array.ndim
    header[2:2 + array.ndim] = array.shape
    return header


class _Pending:
    """A started MPI collective; ``wait()`` polls it against the communicator's deadline."""

    def __init__(self, comm, request, what, value, after=None):
        self._comm, self._request, self._what = comm, request, what
        self._value, self._after = value, after

    def wait(self):
        self._comm._wait(self._request, self._what)
        if self._after is not None:
            self._after()
        return self._value


class _Watchdog:
    """A daemon thread that aborts every rank when a watched blocking call outlasts the timeout.

    ``with watchdog.watch(what):`` around a blocking MPI call (mpi4py releases the GIL while
    it waits, so the thread runs); the thread sleeps until the deadline of the call in flight.
    """

    def __init__(self, comm):
        self._comm = comm
        self._condition = threading.Condition()
        self._deadline = self._what = self._thread = None

    @contextmanager
    def watch(self, what):
        with self._condition:
            self._deadline = time.monotonic() + self._comm.timeout
            self._what = what
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="glassnet-mpi-watchdog")
                self._thread.start()
            self._condition.notify()
        try:
            yield
        finally:
            with self._condition:
                self._deadline = None

    def _run(self):
        with self._condition:
            while True:
                if self._deadline is None:
                    self._condition.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(remaining)
            what = self._what
        self._comm.abort(self._comm._timeout_message(what), code=1)


class MpiCommunicator(Communicator):
    """The communicator over MPI: a duplicate of ``COMM_WORLD`` (made by :func:`join_world`).

    Every method is a collective: all ranks call it in the same order. Each waits at most
    ``timeout`` seconds (a watchdog thread around the blocking Allreduce, polling for the
    non-blocking others); past that the rank prints what it was waiting for and aborts the job.

    Args:
        comm: an mpi4py communicator (``MPI.COMM_WORLD`` if None); it is duplicated.
        timeout: seconds a collective may wait for the other ranks.
    """

    def __init__(self, comm=None, timeout=300.0):
        super().__init__(timeout)
        from mpi4py import MPI

        self._mpi = MPI
        self._comm = (comm if comm is not None else MPI.COMM_WORLD).Dup()
        self.rank = self._comm.Get_rank()
        self.size = self._comm.Get_size()
        # a thread may abort while the main thread blocks in MPI only at THREAD_MULTIPLE
        # (mpi4py's default); otherwise every collective is polled non-blocking
        multiple = MPI.Query_thread() == MPI.THREAD_MULTIPLE
        self._watchdog = _Watchdog(self) if multiple else None
        # the ranks on this machine (same host, boot and process namespace), which abort()
        # stops itself: MPICH's launcher sometimes left a sleeping rank running after the
        # aborting rank had exited (seen 1 run in 3-4 on 2 cores)
        self._local_peers = []
        me = process_identity()
        self._local_peers = [peer for peer in self.allgather_json(me)
                             if me is not None and peer is not None and peer["pid"] != me["pid"]
                             and peer["machine"] == me["machine"]]
        if self.rank == 0 and me is not None:
            text = oversubscription_warning(len(self._local_peers) + 1, blas_threads(),
                                            usable_cpus())
            if text:
                import warnings

                warnings.warn(text, RuntimeWarning, stacklevel=2)

    # -- waiting ----------------------------------------------------------------------
    def _wait(self, request, what):
        """Poll ``request`` until done; past the deadline, abort every rank with a message."""
        if request.Test():
            return
        start = time.monotonic()
        deadline = start + self._timeout
        pause = 0.0
        yield_ = getattr(os, "sched_yield", lambda: time.sleep(0))
        while not request.Test():
            now = time.monotonic()
            if now > deadline:
                self.abort(self._timeout_message(what), code=1)
            if now - start < 0.002:
                yield_()                      # a short wait: stay responsive
            else:
                pause = min(0.001, max(2e-5, pause * 2))
                time.sleep(pause)             # a long wait: give the core to the others

    def _timeout_message(self, what):
        return (f"{what} did not complete within {self._timeout:g} s: another rank died, "
                f"hangs or raised before reaching it (the timeout is "
                f"DataParallel(timeout=...) / Communicator.timeout)")

    # -- collectives -----------------------------------------------------------------
    def allreduce_sum(self, array):
        if self._watchdog is None:
            return self.start_allreduce_sum(array).wait()
        # the hot path (gradients): MPI's blocking Allreduce is faster than its non-blocking
        # one; the watchdog thread aborts every rank if it outlasts the timeout
        _check_buffer("allreduce_sum", array, _SUM_DTYPES)
        with self._watchdog.watch(f"allreduce_sum of {array.size} {array.dtype.name}"):
            self._comm.Allreduce(self._mpi.IN_PLACE, array, op=self._mpi.SUM)
        return array

    def start_allreduce_sum(self, array):
        _check_buffer("allreduce_sum", array, _SUM_DTYPES)
        request = self._comm.Iallreduce(self._mpi.IN_PLACE, array, op=self._mpi.SUM)
        return _Pending(self, request, f"allreduce_sum of {array.size} {array.dtype.name}",
                        array)

    def _allgather_bytes(self, data, what):
        """Every rank's ``data`` (a 1-D uint8 array), rank order, as one uint8 array + counts."""
        counts = xp.zeros(self.size, dtype=xp.int64)
        mine = xp.array([data.size], dtype=xp.int64)
        self._wait(self._comm.Iallgather(mine, counts), what)
        offsets = xp.zeros(self.size + 1, dtype=xp.int64)
        xp.cumsum(counts, out=offsets[1:])
        received = xp.empty(max(int(offsets[-1]), 1), dtype=xp.uint8)
        self._wait(self._comm.Iallgatherv(
            [data, self._mpi.BYTE],
            [received, (counts.tolist(), offsets[:-1].tolist()), self._mpi.BYTE]), what)
        return received, offsets

    def allgather_arrays(self, array):
        array = xp.ascontiguousarray(array)
        header = _describe(array)
        headers = xp.empty((self.size, header.size), dtype=xp.int64)
        what = f"allgather_arrays of shape {array.shape}"
        self._wait(self._comm.Iallgather(header, headers), what)
        shapes = [tuple(int(d) for d in h[2:2 + h[1]]) for h in headers]
        codes = {int(h[0]) for h in headers}
        tails = {shape[1:] for shape in shapes}
        if len(codes) > 1 or len(tails) > 1 or len({len(s) for s in shapes}) > 1:
            found = ", ".join(f"rank {r}: {_DTYPES[int(h[0])]} {shapes[r]}"
                              for r, h in enumerate(headers))
            raise GlassnetValueError(f"allgather_arrays: expected the same dtype and the same "
                                     f"dimensions after the first on every rank, received "
                                     f"{found}")
        if array.ndim == 0:
            raise GlassnetValueError("allgather_arrays: expected an array with a first "
                                     "dimension, received a scalar (use array.reshape(1))")
        data = array.reshape(-1).view(xp.uint8)
        received, offsets = self._allgather_bytes(data, what)
        return [received[offsets[r]:offsets[r + 1]].view(array.dtype).reshape(shapes[r]).copy()
                for r in range(self.size)]

    def broadcast_arrays(self, arrays, root=0):
        self._check_root(root)
        arrays = list(arrays)
        for i, a in enumerate(arrays):
            if not isinstance(a, xp.ndarray) or not a.flags.writeable:
                raise GlassnetTypeError(f"broadcast_arrays: expected writable numpy arrays, "
                                        f"received {type(a).__name__} at position {i}")
        layout = [[list(a.shape), a.dtype.name] for a in arrays]
        roots = self.broadcast_json(layout, root)
        bad = -1
        for i, (mine, theirs) in enumerate(zip(layout, roots, strict=False)):
            if mine != theirs:
                bad = i
                break
        if bad < 0 and len(layout) != len(roots):
            bad = min(len(layout), len(roots))
        flags = xp.array([bad + 1 if bad >= 0 else 0], dtype=xp.int64)
        self.allreduce_sum(flags)                  # every rank learns whether any differs
        if flags[0] != 0:
            if bad >= 0:
                mine = layout[bad] if bad < len(layout) else "nothing"
                theirs = roots[bad] if bad < len(roots) else "nothing"
                raise GlassnetValueError(f"broadcast_arrays: rank {self.rank} expected root "
                                         f"{root}'s array {bad} to match its own {mine}, "
                                         f"root has {theirs}")
            raise GlassnetValueError(f"broadcast_arrays: the arrays differ between rank "
                                     f"{root} and another rank (shapes or dtypes)")
        pending = []
        for a in arrays:
            buffer = a if a.flags.c_contiguous else xp.ascontiguousarray(a)
            request = self._comm.Ibcast([buffer.reshape(-1).view(xp.uint8), self._mpi.BYTE],
                                        root=root)
            pending.append((request, a, buffer))
        for request, a, buffer in pending:
            self._wait(request, f"broadcast_arrays from rank {root}")
            if buffer is not a:
                a[...] = buffer
        return arrays

    def broadcast_json(self, obj, root=0):
        self._check_root(root)
        data = _to_json_bytes(obj) if self.rank == root else b""
        length = xp.array([len(data)], dtype=xp.int64)
        what = f"broadcast_json from rank {root}"
        self._wait(self._comm.Ibcast(length, root=root), what)
        buffer = xp.empty(int(length[0]), dtype=xp.uint8)
        if self.rank == root:
            buffer[:] = xp.frombuffer(data, dtype=xp.uint8)
        self._wait(self._comm.Ibcast([buffer, self._mpi.BYTE], root=root), what)
        return _from_json_bytes(buffer.tobytes())

    def allgather_json(self, obj):
        data = xp.frombuffer(_to_json_bytes(obj), dtype=xp.uint8).copy()
        received, offsets = self._allgather_bytes(data, "allgather_json")
        return [_from_json_bytes(received[offsets[r]:offsets[r + 1]].tobytes())
                for r in range(self.size)]

    def barrier(self):
        self._wait(self._comm.Ibarrier(), "barrier")

    def abort(self, message, code=1):
        sys.stdout.flush()
        print(self._tag(message), file=sys.stderr, flush=True)
        # MPI_Abort called from the watchdog thread while the main thread sits in a blocking
        # collective can stall inside MPICH (seen once in CI): whatever happens, this process
        # ends within a second. The ranks on this machine are stopped here first (hydra did
        # not always stop a rank sleeping in Python); MPI_Abort stops those on other hosts.
        fallback = threading.Timer(1.0, os._exit, args=(code,))
        fallback.daemon = True
        fallback.start()
        stop_processes(self._local_peers)
        self._comm.Abort(code)
        os._exit(code)                              # pragma: no cover - Abort does not return


def launched_by_mpi():
    """True when this process is one of several ranks started by mpiexec, srun or mpirun.

    It reads the launcher's environment (``PMI_SIZE``, ``OMPI_COMM_WORLD_SIZE``,
    ``MPI_LOCALNRANKS``, ``PMIX_SIZE``; with ``PMIX_RANK``, Slurm's ``SLURM_STEP_NUM_TASKS``):
    a plain ``python train.py`` (or ``mpiexec -n 1``) is not.

    Example:
        >>> isinstance(launched_by_mpi(), bool)
        True
    """
    env = os.environ
    sizes = [env.get(name) for name in _SIZE_VARIABLES]
    if "PMIX_RANK" in env or "PMI_RANK" in env:
        sizes.append(env.get("SLURM_STEP_NUM_TASKS"))
    for value in sizes:
        try:
            if value is not None and int(value) > 1:
                return True
        except ValueError:
            continue
    return False


def join_world(timeout=300.0):
    """Join MPI's ``COMM_WORLD`` (initializing MPI) and return its :class:`MpiCommunicator`.

    Args:
        timeout: seconds any collective waits for the other ranks before all are aborted.

    Returns:
        The :class:`MpiCommunicator` of this rank.

    Raises:
        MpiUnavailableError: mpi4py is not installed (it names ``pip install "glassnet[mpi]"``).
    """
    try:
        from mpi4py import MPI  # noqa: F401 - importing it initializes MPI
    except ImportError as error:
        raise MpiUnavailableError(f"distributed training needs MPI through the optional "
                                  f"mpi4py package, which could not be imported ({error}): "
                                  f"{INSTALL_HINT}") from None
    return MpiCommunicator(timeout=timeout)


def current():
    """The communicator of this process: the one :func:`glassnet.distribution.initialize`
    joined (``config.communicator``), else a single-process :class:`Communicator`.

    Example:
        >>> current().size >= 1
        True
    """
    from glassnet.config import config

    if config.communicator is not None:
        return config.communicator
    return _SINGLE


_SINGLE = Communicator()


@contextmanager
def guard(comm=None, where="training"):
    """Run a block so that an exception on one rank stops every rank instead of hanging them.

    On several ranks, an exception inside (other than ``SystemExit(0)``) prints its traceback
    and ``glassnet rank r/N: <where> failed: <Type>: <message>`` to stderr, then aborts all
    ranks (the job exits non-zero). In one process the exception propagates unchanged.

    Args:
        comm: the communicator (:func:`current` if None).
        where: what the block does, named in the message (e.g. ``"fit"``).

    Yields:
        The communicator.

    Example:
        >>> with guard(Communicator(), "a step") as comm:
        ...     comm.size
        1
    """
    comm = current() if comm is None else comm
    try:
        yield comm
    except SystemExit as error:
        if error.code in (None, 0) or comm.size <= 1:
            raise
        comm.abort(f"{where} exited with code {error.code!r}", code=1)
    except BaseException as error:  # noqa: BLE001 - every failure must stop the other ranks
        if comm.size <= 1:
            raise
        lines = traceback.format_exc().rstrip().splitlines()
        sys.stderr.write("".join(comm._tag(line) + "\n" for line in lines))
        comm.abort(f"{where} failed: {type(error).__name__}: {error}", code=1)
