"""Fused kernels: the optional accelerator (the ``[fast]`` extra, numba).

The NumPy code in ``ops/`` and ``optimizers/`` is the reference: it is what the docs show and
what runs without the extra. Where a chain of element-wise NumPy passes costs real time (an
Adam update is twelve passes over every weight), a *kernel* does the same arithmetic in one
pass over all cores. Every kernel is tested against its NumPy reference (``tests/kernels/``):
same results up to float rounding, in float32 and float64.

How a call site uses one::

    from glassnet import kernels

    adam = kernels.get("optimizers", "adam")   # None without numba or when switched off
    if adam is not None:
        adam(grad, variable, m, v, ...)          # in place, one pass
    else:
        ...                                      # the NumPy reference

Rules of the house:

* ``import glassnet`` never imports numba: ``get`` imports the kernel module (and numba)
  on its first call, and numba compiles each kernel on its first use. Compiled code is cached
  on disk (numba's ``cache=True``: beside the module, or numba's user cache directory when
  the package is read-only), so compile time is paid once per install; ``compile_report()``
  says what each kernel cost.
* ``gn.config.accelerator`` chooses: ``'auto'`` (default: numba when installed), ``'numba'``
  (required: an error naming the ``[fast]`` extra when missing) or ``'numpy'`` (the
  reference only). No environment variable changes anything.
* Kernels are element-wise or work row by row, never reduce in parallel, so a result does not
  depend on the number of threads. A kernel runs in parallel (numba's thread pool) only when
  its arrays are large and no other Python thread is inside a parallel kernel; otherwise the
  serial build of the same code runs (numba's default thread pool must not be entered by two
  threads at once). Both builds give identical results.
* ``error_model='numpy'`` (division by zero gives inf/nan as in NumPy) and no fastmath.
"""

import importlib
import importlib.util
import os
import threading
import time
import types
import warnings

from glassnet.errors import GlassnetValueError

__all__ = ["available", "active", "get", "kernel", "compile_report", "set_num_threads",
           "get_num_threads", "MIN_PARALLEL_SIZE"]

ACCELERATORS = ("auto", "numba", "numpy")
MIN_PARALLEL_SIZE = 1 << 14  # elements below which the serial build runs (thread start costs)

_parallel_lock = threading.Lock()
_start_lock = threading.Lock()
_available = None
_num_threads = None  # set_num_threads's choice, for every thread (numba's own is per thread)
_kernels = []  # every Kernel made by @kernel, for compile_report()
_started = False  # numba's thread pool started (by _numba)
_forked = False  # in a child of os.fork() after the pool started: serial builds only


def available():
    """Whether numba (the ``[fast]`` extra) is installed; looked up once, never imported here."""
    global _available
    if _available is None:
        try:
            _available = importlib.util.find_spec("numba") is not None
        except (ImportError, ValueError):  # a broken entry in sys.modules
            _available = False
    return _available


def active():
    """Whether kernels are used now: ``gn.config.accelerator`` and numba's presence.

    Raises:
        GlassnetValueError: ``config.accelerator`` is not one of 'auto', 'numba', 'numpy', or
            is 'numba' while numba is not installed.
    """
    from glassnet.config import config

    choice = config.accelerator
    if choice == "numpy":
        return False
    if choice == "auto":
        return available()
    if choice == "numba":
        if not available():
            raise GlassnetValueError(
                "gn.config.accelerator = 'numba' needs numba, the optional [fast] extra: "
                "pip install 'glassnet[fast]' (or set accelerator to 'auto' or 'numpy')")
        return True
    raise GlassnetValueError(
        f"gn.config.accelerator must be one of {', '.join(map(repr, ACCELERATORS))}; "
        f"received {choice!r}")


def get(module, name):
    """The kernel ``name`` of ``glassnet/kernels/<module>.py``, or None when not :func:`active`.

    Args:
        module: the kernel module's name (``'optimizers'``, ``'elementwise'``, ...).
        name: the kernel's name in it.

    Returns:
        A callable :class:`Kernel` (or whatever the module defines under that name), or None.

    Example:
        >>> from glassnet import kernels
        >>> from glassnet.config import using_config
        >>> with using_config("accelerator", "numpy"):
        ...     kernels.get("optimizers", "adam") is None
        True
    """
    if not active() or not _numba_imports():
        return None
    return getattr(importlib.import_module(f"glassnet.kernels.{module}"), name)


def _numba():
    """numba, its thread pool started: libgomp with passive waiting unless the user chose.

    The layer is fixed when numba first starts its threads (the first parallel kernel,
    ``set_num_threads`` or ``get_num_threads``), so every path here comes through this, and
    this starts them. Unless the user set ``NUMBA_THREADING_LAYER``, the layers tried are
    libgomp ('omp'), then 'workqueue' (then TBB) where libgomp is missing; unless the user
    set ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``, libgomp is loaded with
    ``OMP_WAIT_POLICY=PASSIVE`` (the environment is restored right after). Where a libgomp is
    already loaded (``import torch`` first: PyTorch's libgomp.so.1, spinning), numba's pool
    would share it, so 'workqueue' comes first then. Why:

    * libgomp spinning (its default) after each kernel took the cores from OpenBLAS's threads:
      the seed MLP ran 2.8x slower at 2 threads (AVX2 VM, 2026-11).
    * workqueue hands every kernel to sleeping threads while the caller waits; on a 2-vCPU
      Zen 5 VM an empty parallel region cost 70-130 µs that way against 9 µs with passive
      libgomp (whose caller runs the first share), and Adam on 615 k parameters 270-300 µs
      against 126 µs serial. In alternating whole-benchmark processes there, the LSTM trained
      25 % faster with passive libgomp (1.04-1.13 against 1.28-1.53 s per 100 batches), the
      other workloads the same within noise.

    It changes no result, only how threads wait. libgomp's pool does not survive ``fork``, so
    a forked child runs the serial builds (``_forked``); ``_parallel_lock`` keeps the pool
    from being entered by two threads at once.
    """
    import numba

    global _started
    with _start_lock:
        if _started:
            return numba
        _started = True
        os.register_at_fork(after_in_child=_after_fork_in_child)
        if numba.config.THREADING_LAYER == "default":
            order = ["workqueue", "omp"] if _libgomp_loaded() else ["omp", "workqueue"]
            numba.config.THREADING_LAYER_PRIORITY = [*order, "tbb"]
        keys = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
        passive = not any(key in os.environ for key in keys)
        if passive:
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        try:
            numba.get_num_threads()  # starts the pool: libgomp reads its settings now
        finally:
            if passive:
                del os.environ["OMP_WAIT_POLICY"]
    return numba


def _libgomp_loaded():
    """Whether a libgomp is already in the process (PyTorch's, say): its wait policy was read
    when it loaded, so numba's pool would share it as it is (spinning, by default)."""
    try:
        import ctypes

        ctypes.CDLL("libgomp.so.1", mode=os.RTLD_NOLOAD)
    except (OSError, AttributeError):  # not loaded, or no RTLD_NOLOAD on this system
        return False
    return True


def _after_fork_in_child():
    """In a child of ``os.fork``: parallel builds off (libgomp's pool is the parent's)."""
    global _forked
    _forked = True


def _numba_imports():
    """Import numba; an installed numba that fails to import (one built for another NumPy)
    turns the kernels off with a warning under 'auto', and is an error under 'numba'."""
    global _available
    try:
        _numba()
    except Exception as error:
        from glassnet.config import config

        if config.accelerator == "numba":
            raise GlassnetValueError(
                f"gn.config.accelerator = 'numba', but numba cannot be imported ({error}); "
                "reinstall the [fast] extra (pip install 'glassnet[fast]') or set accelerator "
                "to 'auto' or 'numpy'") from error
        warnings.warn(f"glassnet: numba is installed but cannot be imported ({error}); the "
                      "fused kernels are off and the NumPy code runs", RuntimeWarning,
                      stacklevel=3)
        _available = False
        return False
    return True


class Kernel:
    """One kernel: a Python function numba compiles twice, in parallel and serially.

    Calling it runs the parallel build when the largest array argument has at least
    ``min_parallel_size`` elements and no other thread is in a parallel kernel, else the
    serial build. Both are compiled on first use (cached on disk). ``compile_seconds`` adds up
    the calls that compiled (or loaded from the cache) a build for new argument types.
    """

    def __init__(self, py_func, min_parallel_size=MIN_PARALLEL_SIZE):
        self.py_func = py_func
        self.name = f"{py_func.__module__.rsplit('.', 1)[-1]}.{py_func.__name__}"
        self.min_parallel_size = min_parallel_size
        self._parallel = self._serial = None
        self.compile_seconds = 0.0
        _kernels.append(self)

    def _build(self):
        numba = _numba()

        options = dict(cache=True, error_model="numpy", nogil=True)
        func = self.py_func
        # a twin with its own qualified name, so the two builds get separate cache entries
        twin = types.FunctionType(func.__code__, func.__globals__, func.__name__ + "_serial",
                                  func.__defaults__, func.__closure__)
        twin.__qualname__ = func.__qualname__ + "_serial"
        twin.__module__ = func.__module__
        self._numba = numba
        self._parallel = numba.njit(parallel=True, **options)(func)
        self._serial = numba.njit(**options)(twin)

    def __call__(self, *args):
        if self._serial is None:
            self._build()
        size = 0
        for a in args:
            n = getattr(a, "size", 0)
            if n > size:
                size = n
        if (size >= self.min_parallel_size and _num_threads != 1 and not _forked
                and _parallel_lock.acquire(blocking=False)):
            try:
                if _num_threads is not None and self._numba.get_num_threads() != _num_threads:
                    self._numba.set_num_threads(_num_threads)  # numba's count is per thread
                return self._timed(self._parallel, args)
            finally:
                _parallel_lock.release()
        return self._timed(self._serial, args)

    def _timed(self, build, args):
        """Run one build; a call that compiled (or loaded) a signature adds to compile_seconds."""
        known = len(build.overloads)
        start = time.perf_counter()
        out = build(*args)
        if len(build.overloads) != known:  # compiled or loaded from the disk cache, and ran once
            self.compile_seconds += time.perf_counter() - start
        return out

    def warm_up(self, *args):
        """Compile (or load) both builds for these argument types, running each once."""
        if self._serial is None:
            self._build()
        self._timed(self._serial, args)
        with _parallel_lock:
            self._timed(self._parallel, args)

    def cache_hits(self):
        """How many of this kernel's compiled signatures came from numba's disk cache."""
        if self._serial is None:
            return 0
        return sum(sum(d.stats.cache_hits.values()) for d in (self._parallel, self._serial))


def kernel(func=None, *, min_parallel_size=MIN_PARALLEL_SIZE):
    """Decorator of a kernel module's function: makes it a :class:`Kernel` (lazy, cached).

    Write the function as plain loops over arrays (``numba.prange`` for the outer loop), taking
    its outputs as arguments (in place). It must not reduce across the ``prange`` loop.
    Bind each view on its own line (``w = variable.reshape(-1)``): numba 0.68's parallel build
    silently loses the writes through views unpacked from one tuple (``g, w = a.reshape(-1),
    b.reshape(-1)``), which the agreement tests would catch.
    """
    if func is None:
        return lambda f: Kernel(f, min_parallel_size)
    return Kernel(func, min_parallel_size)


def compile_report():
    """The kernels used so far in this process: name -> (compile seconds, cache hits).

    The seconds are those of the calls that compiled a build (parallel or serial) for new
    argument types, or loaded it from numba's disk cache, each including one run; the cache
    hits count the builds loaded from the disk cache instead of compiled.
    """
    return {k.name: (round(k.compile_seconds, 3), k.cache_hits())
            for k in _kernels if k._serial is not None}


def set_num_threads(n):
    """Threads numba's parallel kernels use, whichever Python thread calls them (at most the
    cores numba found, ``numba.config.NUMBA_NUM_THREADS``). Results do not depend on it."""
    global _num_threads
    numba = _numba()
    numba.set_num_threads(int(n))  # checks n; numba's own setting is for this thread only
    _num_threads = int(n)


def get_num_threads():
    """Threads numba's parallel kernels use now (1 when numba is not installed)."""
    if not available():
        return 1
    if _num_threads is not None:
        return _num_threads
    return _numba().get_num_threads()
