"""Keras 3's ``keras.random``: random tensors, dropout and shuffling, with Keras's seeds.

``seed`` is, as in Keras, one of:

- ``None``: draw from glassnet's global generator (``config.rng``), so that
  ``gn.manual_seed(n)`` makes a whole run reproducible;
- an int: the same numbers on every call with that seed (the call is a pure function of it);
- a :class:`SeedGenerator`: a new key on every call (its state advances), reproducible from
  the generator's own seed.

Every function returns a glassnet Tensor; ``dtype`` defaults to float32 (int32 for
``randint`` and ``categorical``). ``dropout`` is differentiable (the input times a constant
mask scaled by 1 / (1 - rate)). ``dropout``, ``shuffle`` and ``categorical`` also take
KerasTensors (they become layers of the functional graph, like ``keras.ops`` calls).

Example:
    >>> import glassnet as gn
    >>> from glassnet import random
    >>> a = random.normal((2, 3), seed=7)
    >>> b = random.normal((2, 3), seed=7)
    >>> bool((a.numpy() == b.numpy()).all()), a.dtype
    (True, dtype('float32'))
    >>> generator = random.SeedGenerator(42)
    >>> first, second = random.uniform((2,), seed=generator), random.uniform((2,), seed=generator)
    >>> bool((first.numpy() == second.numpy()).all())
    False
"""

from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.operations.symbolic import operation
from glassnet.tensor import Tensor, as_tensor

_MAX_SEED = 2**31 - 1


class SeedGenerator:
    """A random state that gives a new key on each call (Keras's ``keras.random.SeedGenerator``).

    Args:
        seed: an int; None draws one from glassnet's global generator (so it is deterministic
            under ``gn.manual_seed``).
        name: optional label.

    Example:
        >>> from glassnet.random import SeedGenerator
        >>> generator = SeedGenerator(3)
        >>> generator.next() != generator.next()
        True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs.pop("backend", None) is not None or kwargs:
            raise GlassnetTypeError(f"SeedGenerator: unexpected arguments {sorted(kwargs)}")
        if seed is None:
            seed = int(config.rng.integers(0, _MAX_SEED))
        if isinstance(seed, bool) or not isinstance(seed, (int, xp.integer)):
            raise GlassnetTypeError(f"SeedGenerator: seed must be an int or None, received "
                                    f"{seed!r}")
        self.seed = int(seed)
        self.name = name or "seed_generator"
        self.counter = 0

    @property
    def state(self):
        """[seed, counter]: the generator's whole state (as an int64 Tensor)."""
        return Tensor(xp.asarray([self.seed, self.counter], dtype=xp.int64))

    def next(self, ordered=True):  # noqa: ARG002 - Keras's signature
        """A new key ``(seed, counter)``; the counter advances."""
        key = (self.seed, self.counter)
        self.counter += 1
        return key

    def get_config(self):
        return {"seed": self.seed, "name": self.name}

    @classmethod
    def from_config(cls, config_):
        return cls(**config_)

    def __repr__(self):
        return f"<SeedGenerator seed={self.seed}, counter={self.counter}>"


def _generator(seed):
    """The NumPy generator for one call with ``seed`` (see the module docstring)."""
    if seed is None:
        return config.rng
    if isinstance(seed, SeedGenerator):
        return xp.random.default_rng(seed.next())
    if isinstance(seed, bool) or not isinstance(seed, (int, xp.integer)):
        raise GlassnetTypeError(f"keras.random: seed must be None, an int or a SeedGenerator, "
                                f"received {seed!r}")
    if seed < 0:
        raise GlassnetValueError(f"keras.random: seed must be non-negative, received {seed}")
    return xp.random.default_rng(int(seed))


def _dtype(dtype, kind="f"):
    if dtype is None:
        return xp.dtype(config.default_float if kind == "f" else xp.int32)
    dtype = xp.dtype(dtype)
    if kind == "f" and dtype.kind != "f":
        raise GlassnetTypeError(f"keras.random: dtype must be a float type, received {dtype}")
    return dtype


def _shape(shape):
    return (int(shape),) if isinstance(shape, (int, xp.integer)) else tuple(int(n) for n in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of N(mean, stddev^2)."""
    values = _generator(seed).normal(mean, stddev, _shape(shape))
    return Tensor(values.astype(_dtype(dtype)))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of U[minval, maxval)."""
    if dtype is not None and xp.dtype(dtype).kind in "iu":
        return randint(shape, minval, maxval, dtype, seed)
    values = _generator(seed).uniform(minval, maxval, _shape(shape))
    return Tensor(values.astype(_dtype(dtype)))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """N(mean, stddev^2) restricted to within two standard deviations (redrawn outside)."""
    rng, shape = _generator(seed), _shape(shape)
    values = rng.standard_normal(shape)
    outside = xp.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = xp.abs(values) > 2
    return Tensor((mean + stddev * values).astype(_dtype(dtype)))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in [minval, maxval)."""
    values = _generator(seed).integers(minval, maxval, _shape(shape))
    return Tensor(values.astype(_dtype(dtype, "i")))


@operation
def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices per row of ``logits`` (batch, classes), drawn with
    probabilities softmax(logits): shape (batch, num_samples)."""
    z = xp.asarray(logits.data if isinstance(logits, Tensor) else logits, dtype=xp.float64)
    if z.ndim != 2:
        raise GlassnetValueError(f"categorical: logits must be 2-D (batch, classes), received "
                                 f"shape {z.shape}")
    p = xp.exp(z - z.max(axis=-1, keepdims=True))
    cdf = xp.cumsum(p / p.sum(axis=-1, keepdims=True), axis=-1)
    u = _generator(seed).random((z.shape[0], int(num_samples)))
    index = (u[:, :, None] >= cdf[:, None, :]).sum(axis=-1)
    return Tensor(xp.minimum(index, z.shape[1] - 1).astype(_dtype(dtype, "i")))


@operation
def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each entry with probability ``rate`` and scale the rest by 1 / (1 - rate)
    (``noise_shape``: the mask's shape, broadcast to the input's)."""
    x = as_tensor(inputs)
    if not 0 <= rate < 1:
        raise GlassnetValueError(f"dropout: rate must be in [0, 1), received {rate}")
    shape = x.shape if noise_shape is None else tuple(
        x.shape[i] if n is None else int(n) for i, n in enumerate(noise_shape)
    )
    keep = _generator(seed).random(shape) >= rate
    dtype = x.dtype if x.dtype.kind == "f" else xp.dtype(config.default_float)
    mask = Tensor((keep / (1.0 - rate)).astype(dtype))
    if x.dtype != dtype:
        x = x.astype(dtype)
    return x * mask


@operation
def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in a random order (the gradient follows them)."""
    x = as_tensor(x)
    order = _generator(seed).permutation(x.shape[axis])
    return x[(slice(None),) * (axis % x.ndim) + (order,)]


def gamma(shape, alpha, dtype=None, seed=None):
    """Samples of Gamma(alpha, 1)."""
    return Tensor(_generator(seed).gamma(alpha, 1.0, _shape(shape)).astype(_dtype(dtype)))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples of Binomial(counts, probabilities) (float32 by default, as Keras)."""
    values = _generator(seed).binomial(counts, probabilities, _shape(shape))
    return Tensor(values.astype(_dtype(dtype)))


def beta(shape, alpha, beta, dtype=None, seed=None):  # noqa: A002
    """Samples of Beta(alpha, beta)."""
    return Tensor(_generator(seed).beta(alpha, beta, _shape(shape)).astype(_dtype(dtype)))


__all__ = [
    "SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
    "randint", "shuffle", "truncated_normal", "uniform",
]
