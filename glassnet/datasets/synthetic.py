"""Small synthetic problems from the tutorials: sin, polynomial, xor, spirals, circles, gaussians,
linear.

Every generator draws from ``glassnet.config.get_rng()`` (so ``gn.manual_seed(n)`` makes it
reproducible) and returns ``(x, y)`` NumPy arrays; features are float32 unless ``dtype`` says
otherwise. Regression targets are ``(n, 1)`` floats; class labels are ``(n,)`` int64 (use
``gn.utils.to_categorical`` for one-hot), except :func:`xor`, whose ``(n, 1)`` float targets
suit a sigmoid output.

Example:
    >>> import glassnet as gn
    >>> _ = gn.manual_seed(0)
    >>> x, y = gn.datasets.synthetic.sin(100)
    >>> x.shape, y.shape, x.dtype
    ((100, 1), (100, 1), dtype('float32'))
"""

import math

from glassnet.backend import xp
from glassnet.config import get_rng
from glassnet.errors import GlassnetValueError


def _check_count(n_samples, name="n_samples", minimum=1):
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, xp.integer)) or (
        n_samples < minimum
    ):
        raise GlassnetValueError(f"{name}: expected an integer >= {minimum}, got {n_samples!r}")
    return int(n_samples)


def _noise(shape, noise, dtype):
    if noise < 0:
        raise GlassnetValueError(f"noise: expected a standard deviation >= 0, got {noise!r}")
    if noise == 0:
        return xp.zeros(shape, dtype=dtype)
    return (noise * get_rng().standard_normal(shape)).astype(dtype)


def sin(n_samples=1000, low=0.0, high=2 * math.pi, noise=0.0, dtype="float32"):
    """Samples of the sine curve (seed 000 fits it with a 3-layer network).

    ``x ~ Uniform[low, high)``, ``y = sin(x) + noise * N(0, 1)``.

    Args:
        n_samples: number of samples n.
        low, high: the x interval (default ``[0, 2*pi)``).
        noise: standard deviation of Gaussian noise added to y.
        dtype: dtype of x and y.

    Returns:
        ``x`` ``(n, 1)``, ``y`` ``(n, 1)``.

    Example:
        >>> import glassnet as gn
        >>> x, y = gn.datasets.synthetic.sin(5)
        >>> bool(((x >= 0) & (x < 2 * 3.1416)).all())
        True
    """
    n = _check_count(n_samples)
    x = get_rng().uniform(low, high, size=(n, 1))
    return x.astype(dtype), (xp.sin(x) + _noise((n, 1), noise, xp.float64)).astype(dtype)


def polynomial(n_samples=100, coefficients=(0.0, 1.0, -2.0, 1.0), low=-1.0, high=1.0,
               noise=0.1, dtype="float32"):
    """Noisy samples of a polynomial (the over/under-fitting example of seed 003).

    ``x ~ Uniform[low, high)``, ``y = c0 + c1 x + c2 x^2 + ... + noise * N(0, 1)``
    (coefficients in ascending powers).

    Args:
        n_samples: number of samples n.
        coefficients: ``(c0, c1, ..., ck)``.
        low, high: the x interval.
        noise: standard deviation of the Gaussian noise.
        dtype: dtype of x and y.

    Returns:
        ``x`` ``(n, 1)``, ``y`` ``(n, 1)``.

    Example:
        >>> import glassnet as gn
        >>> x, y = gn.datasets.synthetic.polynomial(3, coefficients=(1.0, 2.0), noise=0.0)
        >>> bool(abs(y - (1 + 2 * x)).max() < 1e-6)
        True
    """
    n = _check_count(n_samples)
    if len(coefficients) == 0:
        raise GlassnetValueError("coefficients: expected at least one coefficient, got none")
    x = get_rng().uniform(low, high, size=(n, 1))
    y = xp.polynomial.polynomial.polyval(x, xp.asarray(coefficients, dtype=xp.float64))
    return x.astype(dtype), (y + _noise((n, 1), noise, xp.float64)).astype(dtype)


def xor(n_samples=None, noise=0.0, dtype="float32"):
    """The XOR problem, which a single neuron cannot solve but one hidden layer can.

    With ``n_samples=None``: the truth table ``x = [[0,0],[0,1],[1,0],[1,1]]``,
    ``y = [[0],[1],[1],[0]]``. Otherwise n corners drawn at random, each coordinate plus
    ``noise * N(0, 1)``; ``y = x0 XOR x1`` of the corner.

    Args:
        n_samples: None for the 4-row truth table, else the number of samples n.
        noise: standard deviation of the Gaussian jitter added to x.
        dtype: dtype of x and y.

    Returns:
        ``x`` ``(n, 2)``, ``y`` ``(n, 1)`` with values 0.0 or 1.0.

    Example:
        >>> import glassnet as gn
        >>> x, y = gn.datasets.synthetic.xor()
        >>> y.ravel().tolist()
        [0.0, 1.0, 1.0, 0.0]
    """
    if n_samples is None:
        corners = xp.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    else:
        corners = get_rng().integers(0, 2, size=(_check_count(n_samples), 2))
    y = (corners[:, :1] ^ corners[:, 1:]).astype(dtype)
    x = corners.astype(xp.float64) + _noise(corners.shape, noise, xp.float64)
    return x.astype(dtype), y


def _per_class(n, n_classes):
    """Class sizes as equal as possible: the first ``n % n_classes`` classes get one more."""
    return [n // n_classes + (k < n % n_classes) for k in range(n_classes)]


def spirals(n_samples=300, n_classes=2, noise=0.2, turns=1.0, dtype="float32"):
    """Interleaved spiral arms, one per class (the classic non-linear 2-D classification).

    For class k with m points::

        r = linspace(0, 1, m)
        t = 2*pi*(turns*r + k/n_classes) + noise * N(0, 1)
        x = (r sin t, r cos t)

    so every arm starts at the origin and the arms are rotated by ``2*pi/n_classes``.

    Args:
        n_samples: total number of points n (split as evenly as possible between classes).
        n_classes: number of arms/classes (>= 2).
        noise: standard deviation of the Gaussian noise on the angle.
        turns: how many full turns each arm makes.
        dtype: dtype of x.

    Returns:
        ``x`` ``(n, 2)`` with points inside the unit disc, ``y`` ``(n,)`` int64 in
        ``[0, n_classes)``, classes in consecutive blocks.

    Example:
        >>> import glassnet as gn
        >>> x, y = gn.datasets.synthetic.spirals(90, n_classes=3)
        >>> x.shape, sorted(set(y.tolist()))
        ((90, 2), [0, 1, 2])
    """
    n = _check_count(n_samples)
    n_classes = _check_count(n_classes, "n_classes", minimum=2)
    xs, ys = [], []
    for k, m in enumerate(_per_class(n, n_classes)):
        r = xp.linspace(0.0, 1.0, m)
        t = 2 * math.pi * (turns * r + k / n_classes) + _noise((m,), noise, xp.float64)
        xs.append(xp.stack([r * xp.sin(t), r * xp.cos(t)], axis=1))
        ys.append(xp.full(m, k, dtype=xp.int64))
    return xp.concatenate(xs).astype(dtype), xp.concatenate(ys)


def circles(n_samples=200, noise=0.05, factor=0.5, dtype="float32"):
    """Two concentric circles: the outer one (radius 1) is class 0, the inner one
    (radius ``factor``) class 1.

    Points are ``radius * (cos t, sin t)`` with ``t ~ Uniform[0, 2*pi)``, plus
    ``noise * N(0, 1)`` on each coordinate.

    Args:
        n_samples: total number of points n (the outer circle gets the extra one if odd).
        noise: standard deviation of the Gaussian noise on x.
        factor: inner radius, ``0 < factor < 1``.
        dtype: dtype of x.

    Returns:
        ``x`` ``(n, 2)``, ``y`` ``(n,)`` int64 (0 outer, 1 inner).

    Example:
        >>> import glassnet as gn
        >>> x, y = gn.datasets.synthetic.circles(4, noise=0.0)
        >>> y.tolist()
        [0, 0, 1, 1]
    """
    n = _check_count(n_samples)
    if not 0 < factor < 1:
        raise GlassnetValueError(f"factor: expected 0 < factor < 1, got {factor!r}")
    sizes = _per_class(n, 2)
    radius = xp.repeat(xp.array([1.0, factor]), sizes)[:, None]
    t = get_rng().uniform(0.0, 2 * math.pi, size=(n, 1))
    x = radius * xp.concatenate([xp.cos(t), xp.sin(t)], axis=1)
    y = xp.repeat(xp.arange(2, dtype=xp.int64), sizes)
    return (x + _noise(x.shape, noise, xp.float64)).astype(dtype), y


def gaussians(n_samples=200, n_classes=2, std=0.15, radius=0.5, dtype="float32"):
    """Gaussian blobs, one per class, with their centres evenly spaced on a circle.

    Class k of K has its centre at ``radius * (cos t_k, sin t_k)`` with
    ``t_k = pi/4 + 2*pi*k/K`` (for two classes: the diagonal, as in TensorFlow Playground's
    Gaussian data set), and its points are the centre plus ``std * N(0, 1)`` on each
    coordinate.

    Args:
        n_samples: total number of points n (split as evenly as possible between classes).
        n_classes: number of blobs/classes (>= 2).
        std: standard deviation of every blob (0 puts every point on its centre).
        radius: distance of each centre from the origin.
        dtype: dtype of x.

    Returns:
        ``x`` ``(n, 2)``, ``y`` ``(n,)`` int64 in ``[0, n_classes)``, classes in consecutive
        blocks.

    Example:
        >>> import glassnet as gn
        >>> x, y = gn.datasets.synthetic.gaussians(4, std=0.0, radius=1.0)
        >>> y.tolist(), [round(float(v), 4) for v in x[0]]
        ([0, 0, 1, 1], [0.7071, 0.7071])
    """
    n = _check_count(n_samples)
    n_classes = _check_count(n_classes, "n_classes", minimum=2)
    if std < 0:
        raise GlassnetValueError(f"std: expected a standard deviation >= 0, got {std!r}")
    sizes = _per_class(n, n_classes)
    angles = math.pi / 4 + 2 * math.pi * xp.arange(n_classes) / n_classes
    centers = radius * xp.stack([xp.cos(angles), xp.sin(angles)], axis=1)
    y = xp.repeat(xp.arange(n_classes, dtype=xp.int64), sizes)
    x = centers[y] + _noise((n, 2), std, xp.float64)
    return x.astype(dtype), y


def linear(n_samples=100, weight=2.0, bias=1.0, noise=0.1, low=-1.0, high=1.0,
           dtype="float32"):
    """Data for a linear unit: ``y = x @ w + b + noise * N(0, 1)``.

    Args:
        n_samples: number of samples n.
        weight: a number (one feature) or a sequence of d numbers (d features).
        bias: the intercept b.
        noise: standard deviation of the Gaussian noise on y.
        low, high: each feature ``~ Uniform[low, high)``.
        dtype: dtype of x and y.

    Returns:
        ``x`` ``(n, d)``, ``y`` ``(n, 1)``.

    Example:
        >>> import glassnet as gn
        >>> x, y = gn.datasets.synthetic.linear(4, weight=[1.0, -1.0], bias=0.5, noise=0.0)
        >>> x.shape, y.shape
        ((4, 2), (4, 1))
    """
    n = _check_count(n_samples)
    w = xp.atleast_1d(xp.asarray(weight, dtype=xp.float64))
    if w.ndim != 1:
        raise GlassnetValueError(
            f"weight: expected a number or a 1-D sequence, got shape {w.shape}"
        )
    x = get_rng().uniform(low, high, size=(n, w.size))
    y = x @ w[:, None] + bias + _noise((n, 1), noise, xp.float64)
    return x.astype(dtype), y.astype(dtype)
