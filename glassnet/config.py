"""glassnet's only global state: one small config object, part of it per thread.

Per thread (each thread has its own value, as PyTorch's grad mode; the context managers below
change only the calling thread's):

``config.enable_grad``   whether operations record a graph (``gn.no_grad()`` turns it off).
``config.detect_anomaly`` when True, every op checks its outputs (and gradients) for NaN/inf.

A thread that has not set one of these sees its process-wide default (True and False). Assigning
it (``gn.config.detect_anomaly = True``) in the main thread sets that default, so a script that
sets it once at the top also covers the fits it runs in other threads; in any other thread it
sets that thread's value only. Also per thread, without a config attribute: the training flag
that a layer call passes to the layers it calls (``glassnet.layers.base``), the hooks of an
active ``gn.trace()`` (it records the ops of the thread that opened it, never another thread's),
and the generator of a :func:`thread_rng` block.

Process-wide (shared by all threads; set them before starting threads):

``config.default_float`` dtype for tensors made from Python floats (float32).
``config.rng``           the random generator every initializer, dropout and shuffle uses;
                         ``gn.manual_seed(n)`` replaces it. Threads that draw from it at the
                         same time get numbers in an order that depends on scheduling, so seeded
                         runs in threads are reproducible only if each thread draws from a
                         generator of its own: run its work inside ``with thread_rng(seed):``,
                         or give the model its own seeds (``seed=`` on every random initializer
                         and on Dropout, and ``fit(shuffle=False)``), so that nothing draws from
                         ``config.rng`` at all. ``load_model`` restores this generator (not a
                         thread's own).
``config.check_inputs``  what fit/evaluate/predict do with NaN or inf in x, y or sample_weight:
                         'warn' (default: a RuntimeWarning naming the array, the count and the
                         first position), 'raise' (a GlassnetValueError) or 'ignore'.
``config.image_data_format`` 'channels_last' (default) or 'channels_first': what a layer's
                         ``data_format=None`` means (Keras's ``image_data_format()``).
``config.epsilon``       the small constant losses clip probabilities with (1e-7, Keras's
                         ``backend.epsilon()``).
``config.retain_memory`` when True (default), ``fit`` asks the C allocator (as it starts) to
                         keep freed array memory for reuse
                         (``gn.backend.retain_freed_memory``): speed only, results are
                         identical; set False before ``fit`` to opt out.
``config.accelerator``   'auto' (default), 'numba' or 'numpy': whether the fused kernels of
                         the optional ``[fast]`` extra (``glassnet.kernels``) replace chains
                         of NumPy passes. 'auto' uses them when numba is installed; 'numpy'
                         runs the reference code only. Results agree to float rounding.

Also process-wide, outside this module: the automatic layer-name counters
(``gn.layers.base.clear_session``) and the registered custom objects.
"""

import contextlib
import threading
from dataclasses import dataclass, field

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError


class _PerThread(threading.local):
    """The calling thread's own values; the class attributes are the process-wide defaults."""

    enable_grad = True
    detect_anomaly = False
    rng = None  # a thread_rng block's generator; None: the process-wide config.rng
    batch_shard = None  # (start, stop, total): this rank's rows of the global batch, or None


_thread = _PerThread()
per_thread = _thread  # hot paths read ``per_thread.enable_grad`` (same as config's)
PER_THREAD = ("enable_grad", "detect_anomaly")


def _per_thread_setting(name, doc):
    def get(self):
        return getattr(_thread, name)

    def set(self, value):
        if threading.current_thread() is threading.main_thread():
            setattr(_PerThread, name, value)  # the process-wide default ...
            _thread.__dict__.pop(name, None)  # ... which the main thread now follows too
        else:
            setattr(_thread, name, value)

    return property(get, set, doc=doc)


class PerThreadList(threading.local):
    """A list of which every thread has its own copy (empty in a new thread).

    Supports what glassnet's per-thread stacks and hook lists need: ``append``, ``pop``,
    ``remove``, ``clear``, iteration, ``len``, truth, indexing and slice assignment; ``items``
    is the calling thread's plain list.

    Example:
        >>> import threading
        >>> stack = PerThreadList()
        >>> stack.append(1)
        >>> seen = []
        >>> thread = threading.Thread(target=lambda: seen.append(len(stack)))
        >>> thread.start(); thread.join()
        >>> seen, stack[-1]
        ([0], 1)
    """

    def __init__(self):
        self.items = []

    def append(self, value):
        self.items.append(value)

    def pop(self, index=-1):
        return self.items.pop(index)

    def remove(self, value):
        self.items.remove(value)

    def clear(self):
        self.items.clear()

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]

    def __setitem__(self, index, value):
        self.items[index] = value


@dataclass
class Config:
    default_float: object = xp.float32
    global_rng: object = field(default_factory=xp.random.default_rng)
    seed: int | None = None
    check_inputs: str = "warn"
    retain_memory: bool = True
    image_data_format: str = "channels_last"
    epsilon: float = 1e-7
    accelerator: str = "auto"
    # Distributed training (glassnet.distribution): the Communicator that initialize() joined
    # (None: a plain single process) and the distribution set_distribution() chose (None: off).
    communicator: object = None
    distribution: object = None

    enable_grad = _per_thread_setting(
        "enable_grad", "Whether operations record a graph (this thread's value).")
    detect_anomaly = _per_thread_setting(
        "detect_anomaly", "Whether every op checks for NaN/inf (this thread's value).")

    @property
    def rng(self):
        """The generator this thread draws from: its :func:`thread_rng`'s, else the global one.

        Assigning sets the process-wide generator (``global_rng``), in any thread.
        """
        own = _thread.rng
        return self.global_rng if own is None else own

    @rng.setter
    def rng(self, generator):
        self.global_rng = generator


config = Config()


def manual_seed(seed):
    """Seed glassnet's random generator (weights, dropout, shuffling) for reproducible runs.

    It replaces the process-wide generator (shared by all threads; see :func:`thread_rng`).

    Args:
        seed: a non-negative integer.

    Returns:
        The new ``numpy.random.Generator``.

    Example:
        >>> import glassnet as gn
        >>> _ = gn.manual_seed(0)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, xp.integer)) or seed < 0:
        raise GlassnetValueError(
            f"manual_seed: seed must be a non-negative integer, received {seed!r}"
        )
    config.seed = int(seed)
    config.rng = xp.random.default_rng(int(seed))
    return config.global_rng


def get_rng():
    """The generator glassnet draws its random numbers from in this thread (``config.rng``)."""
    return config.rng


@contextlib.contextmanager
def using_config(name, value):
    """Temporarily set one config attribute (restored on exit, even on error).

    For a per-thread setting (``enable_grad``, ``detect_anomaly``) only the calling thread's
    value changes; other threads are not affected.
    """
    if name not in PER_THREAD:
        old = getattr(config, name)
        setattr(config, name, value)
        try:
            yield
        finally:
            setattr(config, name, old)
        return
    own = _thread.__dict__
    had, old = name in own, own.get(name)
    own[name] = value
    try:
        yield
    finally:
        if had:
            own[name] = old
        else:
            own.pop(name, None)


@contextlib.contextmanager
def thread_rng(seed):
    """Context manager: inside, this thread draws its random numbers from a generator of its own.

    Initializers without a seed, dropout and fit's shuffling then use it instead of the
    process-wide ``config.rng``, so a seeded run gives the same numbers whatever other threads
    draw meanwhile. Other threads keep the process-wide generator.

    Args:
        seed: a non-negative integer, or a ``numpy.random.Generator`` to use as it is.

    Yields:
        The thread's generator.

    Raises:
        GlassnetValueError: ``seed`` is neither.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.config import thread_rng
        >>> with thread_rng(0) as generator:
        ...     gn.config.rng is generator
        True
    """
    if isinstance(seed, xp.random.Generator):
        generator = seed
    elif isinstance(seed, bool) or not isinstance(seed, (int, xp.integer)) or seed < 0:
        raise GlassnetValueError(
            f"thread_rng: seed must be a non-negative integer or a numpy.random.Generator, "
            f"received {seed!r}"
        )
    else:
        generator = xp.random.default_rng(int(seed))
    old, _thread.rng = _thread.rng, generator
    try:
        yield generator
    finally:
        _thread.rng = old


@contextlib.contextmanager
def batch_shard(start, stop, total):
    """Context manager: the batch this thread computes is rows ``start:stop`` of ``total``.

    Data-parallel training (``glassnet.distribution``) sets it around each rank's forward
    pass, so that random layers draw with :func:`shard_draw` for the whole global batch and
    keep their rows: N ranks then draw exactly what one process draws.

    Example:
        >>> import numpy as np
        >>> with batch_shard(2, 4, 5):
        ...     shard_draw(lambda shape: np.arange(shape[0]), (2,))
        array([2, 3])
    """
    old, _thread.batch_shard = _thread.batch_shard, (int(start), int(stop), int(total))
    try:
        yield
    finally:
        _thread.batch_shard = old


def shard_draw(draw, shape):
    """``draw(shape)``, or, inside :func:`batch_shard`, this rank's rows of a global-batch draw.

    When a batch shard is set and ``shape[0]`` is the shard's row count, ``draw`` is called with
    the global batch's shape ``(total,) + shape[1:]`` and rows ``start:stop`` are returned (a
    mask broadcast over the batch, ``shape[0] == 1``, is drawn as it is). Otherwise this is
    ``draw(shape)``.
    """
    shard = _thread.batch_shard
    if shard is None or not shape or shape[0] != shard[1] - shard[0]:
        return draw(shape)
    start, stop, total = shard
    return draw((total,) + tuple(shape[1:]))[start:stop]


def no_grad():
    """Context manager: operations inside record no graph (inference, manual updates).

    Example:
        >>> import glassnet as gn
        >>> w = gn.tensor(1.0, requires_grad=True)
        >>> with gn.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """
    return using_config("enable_grad", False)


def enable_grad():
    """Context manager: record graphs again inside a ``no_grad`` block."""
    return using_config("enable_grad", True)


def detect_anomaly():
    """Context manager: raise as soon as an op produces NaN or inf, naming the op.

    Checks forward outputs and, during backward, the gradients each op returns.
    """
    return using_config("detect_anomaly", True)


# ------------------------------------------------------------------ Keras's backend settings
_IMAGE_FORMATS = ("channels_last", "channels_first")
_FLOATS = ("float16", "float32", "float64")


def image_data_format():
    """``'channels_last'`` (default) or ``'channels_first'``: what ``data_format=None`` means.

    Example:
        >>> from glassnet.config import image_data_format
        >>> image_data_format()
        'channels_last'
    """
    return config.image_data_format


def set_image_data_format(data_format):
    """Set what a convolution or pooling layer's ``data_format=None`` means from now on.

    Raises:
        GlassnetValueError: not 'channels_last' or 'channels_first'.
    """
    fmt = str(data_format).lower() if isinstance(data_format, str) else data_format
    if fmt not in _IMAGE_FORMATS:
        raise GlassnetValueError(
            f"set_image_data_format: expected 'channels_last' or 'channels_first', received "
            f"{data_format!r}"
        )
    config.image_data_format = fmt


def epsilon():
    """The fuzz factor losses clip probabilities with (default 1e-7, as Keras).

    Example:
        >>> from glassnet.config import epsilon
        >>> epsilon()
        1e-07
    """
    return config.epsilon


def set_epsilon(value):
    """Set the fuzz factor :func:`epsilon` returns (and cross-entropy losses clip with).

    Raises:
        GlassnetValueError: not a non-negative finite number.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, xp.floating)) or not (
        0 <= float(value) < float("inf")
    ):
        raise GlassnetValueError(
            f"set_epsilon: expected a non-negative finite number, received {value!r}"
        )
    config.epsilon = float(value)


def floatx():
    """The default float type as a string (``'float32'``), as Keras's ``floatx()``.

    Example:
        >>> from glassnet.config import floatx
        >>> floatx()
        'float32'
    """
    return xp.dtype(config.default_float).name


def set_floatx(value):
    """Set the default float type: ``'float16'``, ``'float32'`` or ``'float64'``.

    New tensors made from Python floats, new layers' weights and the data ``fit`` receives use
    it from then on (``config.default_float``).

    Raises:
        GlassnetValueError: another name.
    """
    name = value if isinstance(value, str) else getattr(value, "__name__", str(value))
    if name not in _FLOATS:
        raise GlassnetValueError(
            f"set_floatx: expected one of {', '.join(_FLOATS)}, received {value!r}"
        )
    config.default_float = getattr(xp, name)


def backend():
    """The name of the backend: ``'glassnet'``.

    Keras returns the name of the framework that runs its ops (``'tensorflow'``, ``'jax'``,
    ``'torch'`` or ``'numpy'``); glassnet runs on its own engine (over NumPy arrays, see
    :mod:`glassnet.backend`), so it names itself. A script that branches on
    ``keras.backend.backend()`` therefore takes none of the framework-specific branches.

    Example:
        >>> from glassnet.config import backend
        >>> backend()
        'glassnet'
    """
    return "glassnet"
