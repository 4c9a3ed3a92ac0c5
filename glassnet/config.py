"""glassnet's only global state: one small config object.

``config.enable_grad``   whether operations record a graph (``gn.no_grad()`` turns it off).
``config.default_float`` dtype for tensors made from Python floats (float32).
``config.rng``           the random generator every initializer, dropout and shuffle uses;
                         ``gn.manual_seed(n)`` replaces it.
``config.detect_anomaly`` when True, every op checks its outputs (and gradients) for NaN/inf.
``config.check_inputs``  what fit/evaluate/predict do with NaN or inf in x, y or sample_weight:
                         'warn' (default: a RuntimeWarning naming the array, the count and the
                         first position), 'raise' (a GlassnetValueError) or 'ignore'.
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
