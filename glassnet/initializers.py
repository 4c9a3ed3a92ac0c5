"""Weight initializers with Keras 3's names, defaults and semantics (``keras.initializers``).

An initializer is a callable ``init(shape, dtype=None) -> ndarray`` (dtype defaults to
glassnet's default float, float32). Random ones draw from ``glassnet.config.get_rng()``, so
``gn.manual_seed(n)`` makes them reproducible; an explicit ``seed=`` makes one initializer
deterministic on its own (every call with the same shape returns the same values, as in
Keras 3).

Fans (``VarianceScaling``): for a kernel of shape (in, out), fan_in = in and fan_out = out; for
a convolution kernel (kh, kw, in, out) both are multiplied by the receptive field kh * kw
(generally the product of all but the last two axes); a 1-D shape has fan_in = fan_out = n.

Names: each class (``GlorotUniform``) and its snake_case name (``'glorot_uniform'``), plus the
Keras aliases ``'normal'``, ``'uniform'``, ``'zero'``, ``'one'``.

Example:
    >>> import glassnet as gn
    >>> from glassnet import initializers
    >>> _ = gn.manual_seed(0)
    >>> w = initializers.get("glorot_uniform")((784, 10))
    >>> w.shape, w.dtype, bool(abs(w).max() <= (6 / 794) ** 0.5)
    ((784, 10), dtype('float32'), True)
"""

import math

from glassnet.backend import xp
from glassnet.config import config, get_rng
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.registry import Registry

# stddev of a standard normal truncated to [-2, 2]: the correction VarianceScaling divides by
_TRUNCATED_STD = 0.87962566103423978


def _shape_tuple(shape):
    if isinstance(shape, (int, xp.integer)):
        return (int(shape),)
    try:
        shape = tuple(int(n) for n in shape)
    except TypeError:
        raise GlassnetTypeError(
            f"initializer: shape must be a tuple of ints, got {shape!r}"
        ) from None
    if any(n < 0 for n in shape):
        raise ShapeError(f"initializer: shape must not have negative sizes, got {shape}")
    return shape


def _dtype(dtype):
    return xp.dtype(config.default_float if dtype is None else dtype)


def compute_fans(shape):
    """(fan_in, fan_out) of a weight shape, as Keras computes them.

    Example:
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = _shape_tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns a new ndarray; ``get_config``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config_dict):
        return cls(**config_dict)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# class name and snake_case name -> class; any callable ``(shape, dtype)`` is used as it is
REGISTRY = Registry("initializer", module="initializers", base=Initializer, none=None,
                    from_callable=lambda function: function)
INITIALIZERS = REGISTRY.entries
register = REGISTRY.register  # class decorator: ``@register`` or ``@register(aliases=...)``


class _RandomInitializer(Initializer):
    """An initializer that draws random numbers: from ``seed`` if given, else the global rng."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, xp.integer))):
            raise GlassnetTypeError(f"{type(self).__name__}: seed must be an int or None, "
                                    f"got {seed!r}")
        self.seed = seed

    def _rng(self):
        return get_rng() if self.seed is None else xp.random.default_rng(int(self.seed))

    @staticmethod
    def _work_dtype(dtype):
        return dtype if dtype in (xp.float32, xp.float64) else xp.dtype(xp.float32)

    def _normal(self, shape, dtype, mean, stddev):
        work = self._work_dtype(dtype)
        values = self._rng().standard_normal(shape, dtype=work)
        values *= work.type(stddev)
        values += work.type(mean)
        return values.astype(dtype, copy=False)

    def _uniform(self, shape, dtype, low, high):
        work = self._work_dtype(dtype)
        values = self._rng().random(shape, dtype=work)
        values *= work.type(high - low)
        values += work.type(low)
        return values.astype(dtype, copy=False)

    def _truncated_normal(self, shape, dtype, mean, stddev):
        """Normal values, redrawing any farther than 2 standard deviations from the mean."""
        work = self._work_dtype(dtype)
        rng = self._rng()
        values = rng.standard_normal(shape, dtype=work)
        outside = xp.abs(values) > 2
        while outside.any():
            values[outside] = rng.standard_normal(int(outside.sum()), dtype=work)
            outside = xp.abs(values) > 2
        values *= work.type(stddev)
        values += work.type(mean)
        return values.astype(dtype, copy=False)

    def get_config(self):
        return {"seed": self.seed}


def _check_float(name, dtype):
    if dtype.kind != "f":
        raise GlassnetTypeError(f"{name}: random initializers need a float dtype, got {dtype}")


# ------------------------------------------------------------------------ constants
@register(aliases=("zero",))
class Zeros(Initializer):
    """All zeros (Keras's default bias initializer).

    Example:
        >>> Zeros()((2,))
        array([0., 0.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return xp.zeros(_shape_tuple(shape), dtype=_dtype(dtype))


@register(aliases=("one",))
class Ones(Initializer):
    """All ones.

    Example:
        >>> Ones()((2,))
        array([1., 1.], dtype=float32)
    """

    def __call__(self, shape, dtype=None):
        return xp.ones(_shape_tuple(shape), dtype=_dtype(dtype))


@register
class Constant(Initializer):
    """Every entry equal to ``value`` (default 0.0).

    Example:
        >>> Constant(0.5)((2,))
        array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return xp.full(_shape_tuple(shape), self.value, dtype=_dtype(dtype))

    def get_config(self):
        value = self.value
        return {"value": value.tolist() if hasattr(value, "tolist") else value}


@register
class Identity(Initializer):
    """gain * identity matrix (2-D shapes only; a rectangular shape gets ones on its diagonal).

    Example:
        >>> Identity()((2, 2))
        array([[1., 0.],
               [0., 1.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape_tuple(shape)
        if len(shape) != 2:
            raise ShapeError(f"Identity initializer: needs a 2-D shape, got {shape}")
        return (xp.eye(*shape) * self.gain).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


# ------------------------------------------------------------------------ plain random
@register(aliases=("normal",))
class RandomNormal(_RandomInitializer):
    """Normal N(mean, stddev^2) values; Keras defaults mean=0.0, stddev=0.05 (name 'normal').

    Example:
        >>> RandomNormal(seed=1)((2,)).shape
        (2,)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        _check_float("RandomNormal", dtype)
        return self._normal(_shape_tuple(shape), dtype, self.mean, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@register(aliases=("uniform",))
class RandomUniform(_RandomInitializer):
    """Uniform values in [minval, maxval); Keras defaults -0.05, 0.05 (name 'uniform').

    Example:
        >>> bool(abs(RandomUniform(seed=1)((100,))).max() <= 0.05)
        True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        _check_float("RandomUniform", dtype)
        return self._uniform(_shape_tuple(shape), dtype, self.minval, self.maxval)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


@register
class TruncatedNormal(_RandomInitializer):
    """N(mean, stddev^2) values, redrawn when farther than 2 stddev from the mean.

    Keras defaults mean=0.0, stddev=0.05.

    Example:
        >>> bool(abs(TruncatedNormal(seed=1)((1000,))).max() <= 0.1)
        True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        _check_float("TruncatedNormal", dtype)
        return self._truncated_normal(_shape_tuple(shape), dtype, self.mean, self.stddev)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


# ------------------------------------------------------------------------ variance scaling
@register
class VarianceScaling(_RandomInitializer):
    """Values whose variance is scale / n, n = fan_in, fan_out or their mean (``mode``).

    distribution='truncated_normal': stddev = sqrt(scale / n) / 0.8796 (the std of a standard
    normal truncated at +-2), cut at 2 stddev; 'untruncated_normal': stddev = sqrt(scale / n);
    'uniform': U(-limit, limit), limit = sqrt(3 scale / n).

    Args:
        scale: positive scaling factor (default 1.0).
        mode: 'fan_in' (default), 'fan_out' or 'fan_avg'.
        distribution: 'truncated_normal' (default), 'untruncated_normal' or 'uniform'.
        seed: optional int for a deterministic initializer.

    Example:
        >>> VarianceScaling(mode="fan_avg", distribution="uniform", seed=0)((3, 5)).shape
        (3, 5)
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        name = type(self).__name__
        if not scale > 0:
            raise GlassnetValueError(f"{name}: scale must be positive, got {scale}")
        if mode not in self._MODES:
            raise GlassnetValueError(f"{name}: mode must be one of {self._MODES}, got {mode!r}")
        if distribution == "normal":  # Keras 2 spelling
            distribution = "truncated_normal"
        if distribution not in self._DISTRIBUTIONS:
            raise GlassnetValueError(
                f"{name}: distribution must be one of {self._DISTRIBUTIONS}, got "
                f"{distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        shape, dtype = _shape_tuple(shape), _dtype(dtype)
        _check_float(type(self).__name__, dtype)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_STD
            return self._truncated_normal(shape, dtype, 0.0, stddev)
        if self.distribution == "untruncated_normal":
            return self._normal(shape, dtype, 0.0, math.sqrt(variance))
        limit = math.sqrt(3.0 * variance)
        return self._uniform(shape, dtype, -limit, limit)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling preset: only ``seed`` is configurable."""

    _PRESET = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None):
        super().__init__(*self._PRESET, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


@register
class GlorotUniform(_FixedVarianceScaling):
    """Glorot/Xavier uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).

    Keras's default kernel initializer (Dense, Conv2D).

    Example:
        >>> bool(abs(GlorotUniform(seed=0)((2, 4))).max() <= 1.0)
        True
    """

    _PRESET = (1.0, "fan_avg", "uniform")


@register
class GlorotNormal(_FixedVarianceScaling):
    """Glorot/Xavier normal: truncated normal, stddev = sqrt(2 / (fan_in + fan_out)) / 0.8796.

    Example:
        >>> GlorotNormal(seed=0)((2, 4)).dtype
        dtype('float32')
    """

    _PRESET = (1.0, "fan_avg", "truncated_normal")


@register
class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal, stddev = sqrt(2 / fan_in) / 0.8796 (for ReLU layers).

    Example:
        >>> HeNormal(seed=0)((3, 3, 1, 8)).shape
        (3, 3, 1, 8)
    """

    _PRESET = (2.0, "fan_in", "truncated_normal")


@register
class HeUniform(_FixedVarianceScaling):
    """He uniform: U(-limit, limit), limit = sqrt(6 / fan_in).

    Example:
        >>> bool(abs(HeUniform(seed=0)((6, 2))).max() <= 1.0)
        True
    """

    _PRESET = (2.0, "fan_in", "uniform")


@register
class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal, stddev = sqrt(1 / fan_in) / 0.8796 (for SELU).

    Example:
        >>> LecunNormal(seed=0)((4, 4)).shape
        (4, 4)
    """

    _PRESET = (1.0, "fan_in", "truncated_normal")


@register
class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: U(-limit, limit), limit = sqrt(3 / fan_in).

    Example:
        >>> bool(abs(LecunUniform(seed=0)((3, 2))).max() <= 1.0)
        True
    """

    _PRESET = (1.0, "fan_in", "uniform")


# ------------------------------------------------------------------------ orthogonal
@register
class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal matrix.

    The shape is flattened to (prod(shape[:-1]), shape[-1]); rows are orthonormal if there are
    fewer rows than columns, otherwise columns are. Signs are fixed by diag(R) so that the
    result is uniformly distributed (Haar measure).

    Example:
        >>> q = Orthogonal(seed=0)((4, 4), dtype="float64")
        >>> bool(abs(q.T @ q - __import__("numpy").eye(4)).max() < 1e-12)
        True
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape, dtype = _shape_tuple(shape), _dtype(dtype)
        _check_float("Orthogonal", dtype)
        if len(shape) < 2:
            raise ShapeError(f"Orthogonal initializer: needs at least a 2-D shape, got {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = xp.linalg.qr(a)
        q *= xp.sign(xp.diag(r))
        if rows < cols:
            q = q.T
        return xp.ascontiguousarray((self.gain * q).reshape(shape), dtype=dtype)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


# ------------------------------------------------------------------------ lookup
def get(identifier):
    """Resolve an initializer from a name, a class, a config dict, an instance or a callable.

    Args:
        identifier: ``None`` (returns None), a name such as ``'he_normal'`` or ``'HeNormal'``,
            a class (instantiated with defaults), a ``{'class_name': ..., 'config': {...}}``
            dict, or any callable ``(shape, dtype) -> array`` (returned unchanged).

    Returns:
        A callable ``init(shape, dtype=None) -> ndarray``.

    Raises:
        UnknownIdentifierError (a ValueError) listing the valid names.

    Example:
        >>> get("zeros")((2,))
        array([0., 0.], dtype=float32)
    """
    return REGISTRY.get(identifier)


def serialize(initializer):
    """``{'class_name': ..., 'config': {...}}`` for an Initializer (Keras's format).

    Example:
        >>> serialize(Constant(2.0))
        {'class_name': 'Constant', 'config': {'value': 2.0}}
    """
    return REGISTRY.serialize(initializer)


def deserialize(config_dict):
    """Inverse of :func:`serialize`."""
    return get(config_dict)


# Keras 3 class aliases
IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
