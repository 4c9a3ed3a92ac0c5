"""Numerical gradient checking: compare backward() with central differences in float64."""

from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError
from glassnet.tensor import Tensor


def numerical_grad(fn, inputs, index, eps=1e-6, seed_grad=None):
    """Central-difference gradient of sum(fn(*inputs) * seed_grad) w.r.t. ``inputs[index]``."""
    x = inputs[index].data
    grad = xp.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        up = _scalar(fn(*inputs), seed_grad)
        flat[i] = original - eps
        down = _scalar(fn(*inputs), seed_grad)
        flat[i] = original
        gflat[i] = (up - down) / (2 * eps)
    return grad


def _scalar(y, seed_grad):
    data = y.data if isinstance(y, Tensor) else xp.asarray(y)
    return float((data * seed_grad).sum()) if seed_grad is not None else float(data.sum())


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-4, raise_exception=True, seed=0):
    """Check the gradients of ``fn`` at ``inputs`` against central differences (float64).

    ``fn`` may return a tensor of any shape; it is reduced to a scalar with a fixed random
    weighting so that every output element is checked. Inputs are converted to float64 copies;
    those that are not Tensors, or are Tensors without ``requires_grad``, are held constant
    only if they are not floating point.

    Args:
        fn: a function of Tensors returning a Tensor.
        *inputs: Tensors or arrays; floating ones are checked.
        eps: finite-difference step.
        atol, rtol: tolerances, as in ``numpy.allclose``.
        raise_exception: raise AssertionError with the worst mismatch instead of returning False.
        seed: seed for the output weighting.

    Returns:
        True when every gradient matches.

    Example:
        >>> import glassnet as gn
        >>> gn.gradcheck(lambda x: (x * x).sum(), gn.tensor([1.0, 2.0]))
        True
    """
    tensors = []
    for x in inputs:
        data = x.data if isinstance(x, Tensor) else xp.asarray(x)
        if data.dtype.kind == "f":
            tensors.append(Tensor(data.astype(xp.float64), requires_grad=True))
        else:
            tensors.append(Tensor(data.copy()))
    if not any(t.requires_grad for t in tensors):
        raise GlassnetTypeError(
            f"gradcheck: expected at least one floating-point input to check, received dtypes "
            f"{[str(t.data.dtype) for t in tensors]}; pass floats, e.g. gn.tensor([1.0, 2.0])"
        )
    out = fn(*tensors)
    seed_grad = xp.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape)
    out.backward(Tensor(seed_grad.astype(out.dtype)))
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            continue
        analytic = t.grad.data if t.grad is not None else xp.zeros_like(t.data)
        numeric = numerical_grad(fn, tensors, i, eps, seed_grad)
        if not xp.allclose(analytic, numeric, atol=atol, rtol=rtol):
            if raise_exception:
                worst = xp.unravel_index(xp.argmax(xp.abs(analytic - numeric)), analytic.shape)
                raise AssertionError(
                    f"gradcheck failed for input {i} (shape {t.shape}): analytic "
                    f"{analytic[worst]!r} vs numerical {numeric[worst]!r} at index {worst}\n"
                    f"analytic:\n{analytic}\nnumerical:\n{numeric}"
                )
            return False
    return True
