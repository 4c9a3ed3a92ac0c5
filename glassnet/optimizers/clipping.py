"""Functional gradient clipping (PyTorch's ``clip_grad_norm_`` / ``clip_grad_value_``).

Call between ``loss.backward()`` and ``opt.step()``. These rewrite each parameter's ``.grad``
(a new Tensor per parameter, so gradients shared between parameters are clipped once each).
The optimizers' own ``clipnorm`` / ``clipvalue`` / ``global_clipnorm`` arguments are the Keras
way to get the same effect.
"""

import math

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError
from glassnet.tensor import Tensor


def _with_grads(params):
    params = [params] if isinstance(params, Tensor) else list(params)
    return [p for p in params if p.grad is not None]


def clip_grad_norm(params, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their total norm is at most ``max_norm``.

    ``total = (sum_i ||g_i||_p^p)^(1/p)`` (``max_i max|g_i|`` for ``norm_type=inf``), then every
    gradient is multiplied by ``min(1, max_norm / (total + 1e-6))`` — PyTorch's formula,
    including its 1e-6 (Keras's ``global_clipnorm`` has none).

    Args:
        params: a Tensor or an iterable of Tensors; those without ``.grad`` are ignored.
        max_norm: the largest allowed total norm (> 0).
        norm_type: p of the p-norm (2.0 by default; ``float('inf')`` for the max norm).
        error_if_nonfinite: raise if the total norm is NaN or inf.

    Returns:
        The total norm before clipping, as a 0-d Tensor.

    Example:
        >>> import glassnet as gn
        >>> w = gn.tensor([3.0, 4.0], requires_grad=True)
        >>> (w * w).sum().backward()           # grad = [6, 8], norm 10
        >>> gn.optimizers.clip_grad_norm([w], 5.0).item()
        10.0
        >>> w.grad.data.round(4).tolist()
        [3.0, 4.0]
    """
    if not max_norm > 0:
        raise GlassnetValueError(f"clip_grad_norm: `max_norm` must be > 0, received {max_norm!r}")
    params = _with_grads(params)
    if not params:
        return Tensor(xp.array(0.0))
    grads = [p.grad.data for p in params]
    if norm_type == math.inf:
        total = max(float(xp.max(xp.abs(g))) if g.size else 0.0 for g in grads)
    else:
        norm_type = float(norm_type)
        total = sum(float(xp.sum(xp.abs(g) ** norm_type)) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise GlassnetValueError(
            f"clip_grad_norm: the total norm of order {norm_type} is {total}; "
            "set error_if_nonfinite=False to clip anyway"
        )
    coefficient = min(1.0, max_norm / (total + 1e-6))
    if coefficient < 1.0:
        for p, g in zip(params, grads, strict=True):
            p.grad = Tensor(g * coefficient)
    return Tensor(xp.array(total, dtype=grads[0].dtype))


def clip_grad_value(params, clip_value):
    """Clip every gradient element to ``[-clip_value, clip_value]``.

    Args:
        params: a Tensor or an iterable of Tensors; those without ``.grad`` are ignored.
        clip_value: the bound (> 0).

    Example:
        >>> import glassnet as gn
        >>> w = gn.tensor([3.0, -4.0], requires_grad=True)
        >>> (w * w).sum().backward()           # grad = [6, -8]
        >>> gn.optimizers.clip_grad_value([w], 1.0)
        >>> w.grad.data.tolist()
        [1.0, -1.0]
    """
    if not clip_value > 0:
        raise GlassnetValueError(
            f"clip_grad_value: `clip_value` must be > 0, received {clip_value!r}"
        )
    for p in _with_grads(params):
        p.grad = Tensor(xp.clip(p.grad.data, -clip_value, clip_value))


clip_grad_norm_ = clip_grad_norm
clip_grad_value_ = clip_grad_value
