"""glassnet's only global state: one small config object.

``config.enable_grad``   whether operations record a graph (``gn.no_grad()`` turns it off).
``config.default_float`` dtype for tensors made from Python floats (float32).
``config.rng``           the random generator every initializer, dropout and shuffle uses;
                         ``gn.manual_seed(n)`` replaces it.
``config.detect_anomaly`` when True, every op checks its outputs (and gradients) for NaN/inf.
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
"""

import contextlib
from dataclasses import dataclass, field

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError


@dataclass
class Config:
    enable_grad: bool = True
    default_float: object = xp.float32
    rng: object = field(default_factory=xp.random.default_rng)
    detect_anomaly: bool = False
    seed: int | None = None
    check_inputs: str = "warn"
    retain_memory: bool = True
    image_data_format: str = "channels_last"
    epsilon: float = 1e-7


config = Config()


def manual_seed(seed):
    """Seed glassnet's random generator (weights, dropout, shuffling) for reproducible runs.

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
    return config.rng


def get_rng():
    """The generator glassnet draws all its random numbers from."""
    return config.rng


@contextlib.contextmanager
def using_config(name, value):
    """Temporarily set one config attribute (restored on exit, even on error)."""
    old = getattr(config, name)
    setattr(config, name, value)
    try:
        yield
    finally:
        setattr(config, name, old)


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
