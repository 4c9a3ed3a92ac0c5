"""More of ``keras.ops``: einsum, quantiles, stacking helpers and a few elementwise functions,
each composed from glassnet's differentiable ops.

``einsum`` lines every operand up on the union of the subscript letters (a reshape and a
transpose each), multiplies them with broadcasting and sums the letters that are not in the
output; so it is differentiable, with the memory of the full broadcast product (fine for the
small contractions Keras code writes by hand; use ``matmul``/``tensordot`` for big ones).

Example:
    >>> import numpy as np
    >>> from glassnet import operations as ops
    >>> a, b = np.arange(6.0).reshape(2, 3), np.ones((3, 4))
    >>> ops.einsum("ij,jk->ik", a, b).tolist()[0]
    [3.0, 3.0, 3.0, 3.0]
    >>> ops.median(ops.convert_to_tensor([3.0, 1.0, 2.0, 10.0])).item()
    2.5
"""

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError
from glassnet.operations.core import (
    constant,
    float_tensor,
    normalize_axis,
    promote,
    result_dtype,
    to_tensor,
)
from glassnet.operations.manipulation import (
    concatenate,
    moveaxis,
    reshape,
    sort,
    take,
    transpose,
)
from glassnet.operations.numpy import where
from glassnet.operations.symbolic import operation
from glassnet.ops import math as _math
from glassnet.ops import reduce as _reduce
from glassnet.tensor import Tensor


def _parse(subscripts, count):
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise GlassnetValueError(f"einsum: ellipses ('...') are not supported, received "
                                 f"{subscripts!r}")
    if "->" in spec:
        inputs, output = spec.split("->")
    else:
        inputs = spec
        letters = inputs.replace(",", "")
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = inputs.split(",")
    if len(terms) != count:
        raise GlassnetValueError(f"einsum: {subscripts!r} names {len(terms)} operands, "
                                 f"received {count}")
    for term in terms:
        if len(set(term)) != len(term):
            raise GlassnetValueError(f"einsum: a letter repeated within one operand "
                                     f"({term!r}: a diagonal) is not supported")
    return terms, output


@operation
def einsum(subscripts, *operands):
    """Einstein summation: e.g. ``'ij,jk->ik'`` (matmul), ``'bij->bji'``, ``'i,i->'``."""
    tensors = [to_tensor(x) for x in operands]
    dtype = result_dtype(*[t.dtype for t in tensors])
    tensors = [t if t.dtype == dtype else _math.cast(t, dtype) for t in tensors]
    terms, output = _parse(subscripts, len(tensors))
    sizes = {}
    for term, t in zip(terms, tensors, strict=True):
        if len(term) != t.ndim:
            raise GlassnetValueError(f"einsum: operand {term!r} has {len(term)} letters but "
                                     f"the tensor has shape {t.shape}")
        for letter, n in zip(term, t.shape, strict=True):
            if sizes.get(letter, n) != n and 1 not in (n, sizes[letter]):
                raise GlassnetValueError(f"einsum: letter {letter!r} has sizes "
                                         f"{sizes[letter]} and {n}")
            sizes[letter] = n if sizes.get(letter, 1) == 1 else sizes[letter]
    order = list(output) + sorted(set(sizes) - set(output))
    product = None
    for term, t in zip(terms, tensors, strict=True):
        present = [c for c in order if c in term]
        aligned = transpose(t, [term.index(c) for c in present]) if t.ndim > 1 else t
        aligned = reshape(aligned, [t.shape[term.index(c)] if c in term else 1 for c in order])
        product = aligned if product is None else product * aligned
    summed = tuple(range(len(output), len(order)))
    if dtype.kind != "f":
        return constant(product.data.sum(axis=summed) if summed else product.data)
    if summed:
        product = _reduce.sum(product, summed)
    return product


@operation
def hypot(x1, x2):
    """sqrt(x1^2 + x2^2)."""
    x1, x2 = promote(float_tensor(x1), float_tensor(x2))
    return _math.sqrt(x1 * x1 + x2 * x2)


@operation
def logaddexp(x1, x2):
    """log(e^x1 + e^x2) = max + log(1 + e^-|x1 - x2|)."""
    x1, x2 = promote(float_tensor(x1), float_tensor(x2))
    big = _math.maximum(x1, x2)
    return big + _math.log(_math.exp(-_math.abs(x1 - x2)) + 1.0)


@operation
def exp2(x):
    return _math.exp(float_tensor(x) * float(xp.log(2.0)))


@operation
def average(x, axis=None, weights=None):
    """sum(x w) / sum(w) over ``axis`` (the mean without weights)."""
    x = float_tensor(x)
    if weights is None:
        return _reduce.mean(x, axis)
    w = float_tensor(weights)
    if w.ndim == 1 and x.ndim > 1 and axis is not None:
        shape = [1] * x.ndim
        shape[normalize_axis(axis, x.ndim)[0]] = w.shape[0]
        w = reshape(w, shape)
    x, w = promote(x, w)
    return _reduce.sum(x * w, axis) / _reduce.sum(w * Tensor(xp.ones(x.shape, x.dtype)), axis)


@operation
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The q-th quantiles (q in [0, 1]) over one axis (or all), with NumPy's default linear
    interpolation; differentiable (a gather from the sorted values). For an array q the
    quantiles come first in the result's shape, as in NumPy."""
    if method != "linear":
        raise GlassnetValueError(f"quantile: only method='linear' is supported, received "
                                 f"{method!r}")
    x = float_tensor(x)
    if axis is None:
        work = reshape(x, (-1,))
    else:
        axis = normalize_axis(axis, x.ndim)[0]
        work = moveaxis(x, axis, -1)
    n = work.shape[-1]
    qs = xp.asarray(q.data if isinstance(q, Tensor) else q, dtype=xp.float64)
    position = qs.reshape(-1) * (n - 1)
    low = xp.floor(position).astype(int)
    high = xp.minimum(low + 1, n - 1)
    ordered = sort(work, axis=-1)
    lo, hi = take(ordered, low, axis=-1), take(ordered, high, axis=-1)
    result = lo + (hi - lo) * Tensor((position - low).astype(x.dtype))
    result = moveaxis(result, -1, 0)  # (quantiles, rest...)
    if keepdims:
        shape = list(result.shape)
        if axis is None:
            shape = shape[:1] + [1] * x.ndim
        else:
            shape.insert(axis + 1, 1)
        result = reshape(result, shape)
    return result[0] if qs.ndim == 0 else result


@operation
def median(x, axis=None, keepdims=False):
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


@operation
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN -> ``nan``, +-inf -> ``posinf``/``neginf`` (the dtype's extremes by default);
    the gradient flows to the finite entries."""
    x = to_tensor(x)
    if x.dtype.kind != "f":
        return x
    data = xp.nan_to_num(x.data, nan=nan, posinf=posinf, neginf=neginf)
    return where(xp.isfinite(x.data), x, Tensor(data))


@operation
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    x1, x2 = promote(x1, x2)
    return constant(xp.isclose(x1.data, x2.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@operation
def vstack(xs):
    tensors = [to_tensor(x) for x in xs]
    return concatenate([reshape(t, (1, -1)) if t.ndim < 2 else t for t in tensors], axis=0)


@operation
def hstack(xs):
    tensors = [to_tensor(x) for x in xs]
    return concatenate(tensors, axis=0 if tensors[0].ndim == 1 else 1)


@operation
def append(x1, x2, axis=None):
    x1, x2 = to_tensor(x1), to_tensor(x2)
    if axis is None:
        return concatenate([reshape(x1, (-1,)), reshape(x2, (-1,))], axis=0)
    return concatenate([x1, x2], axis=axis)


def meshgrid(*x, indexing="xy"):
    """Coordinate grids (constants), as NumPy's meshgrid."""
    arrays = [to_tensor(v).data for v in x]
    return [constant(g) for g in xp.meshgrid(*arrays, indexing=indexing)]


def array(x, dtype=None):
    return to_tensor(x, dtype)


def empty(shape, dtype=None):
    from glassnet.operations.numpy import zeros

    return zeros(shape, dtype)


__all__ = [
    "append", "array", "average", "einsum", "empty", "exp2", "hstack", "hypot", "isclose",
    "logaddexp", "median", "meshgrid", "nan_to_num", "quantile", "vstack",
]
