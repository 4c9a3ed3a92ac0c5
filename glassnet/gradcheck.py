"""Numerical gradient checking in float64: first derivatives (:func:`gradcheck`) and second
derivatives through ``create_graph=True`` (:func:`gradgradcheck`), against central differences.
"""

from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError
from glassnet.tensor import Tensor, grad


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


def _float64_inputs(inputs, caller):
    """float64 copies of the floating inputs (requiring grad); other inputs held constant."""
    tensors = []
    for x in inputs:
        data = x.data if isinstance(x, Tensor) else xp.asarray(x)
        if data.dtype.kind == "f":
            tensors.append(Tensor(data.astype(xp.float64), requires_grad=True))
        else:
            tensors.append(Tensor(data.copy()))
    if not any(t.requires_grad for t in tensors):
        raise GlassnetTypeError(
            f"{caller}: expected at least one floating-point input to check, received dtypes "
            f"{[str(t.data.dtype) for t in tensors]}; pass floats, e.g. gn.tensor([1.0, 2.0])"
        )
    return tensors


def _mismatch(what, analytic, numeric, atol, rtol, raise_exception):
    """None when the arrays agree; else raise AssertionError (or return False)."""
    if xp.allclose(analytic, numeric, atol=atol, rtol=rtol):
        return None
    if not raise_exception:
        return False
    worst = xp.unravel_index(xp.argmax(xp.abs(analytic - numeric)), analytic.shape)
    raise AssertionError(
        f"{what}: analytic {analytic[worst]!r} vs numerical {numeric[worst]!r} at index "
        f"{worst} (max abs error {xp.max(xp.abs(analytic - numeric)):.3g})\n"
        f"analytic:\n{analytic}\nnumerical:\n{numeric}"
    )


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
    tensors = _float64_inputs(inputs, "gradcheck")
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


def gradgradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-4, raise_exception=True, seed=0):
    """Check second derivatives of ``fn`` (through ``create_graph=True``) numerically, float64.

    Like ``torch.autograd.gradgradcheck``. With fixed random output weights u and directions
    v_i (one per checked input x_i), let g(x) = d sum(fn(x) * u) / dx, computed with
    ``gn.grad(..., create_graph=True)``. Then

    * g must equal the first-order gradient (the create_graph path computes the same values);
    * the Hessian-vector product H v = d (sum_i g_i . v_i) / dx, from a second ``gn.grad``,
      must equal the central difference (g(x + eps v) - g(x - eps v)) / (2 eps);
    * d (sum_i g_i . v_i) / du (how g depends on the output gradient) must equal the
      directional derivative (fn(x + eps v) - fn(x - eps v)) / (2 eps).

    An op that is first-order only makes the create_graph gradient raise HigherOrderError.
    Nesting works: if ``fn`` itself returns a create_graph gradient, this checks third
    derivatives.

    Args:
        fn: a function of Tensors returning a Tensor.
        *inputs: Tensors or arrays; floating ones are checked (as float64 copies), others
            (integer labels, indices) are held constant.
        eps: finite-difference step.
        atol, rtol: tolerances, as in ``numpy.allclose``.
        raise_exception: raise AssertionError with the worst mismatch instead of returning False.
        seed: seed of the output weights and directions.

    Returns:
        True when every check passes.

    Example:
        >>> import glassnet as gn
        >>> gn.gradgradcheck(lambda x: gn.tanh(x) ** 2, gn.tensor([0.5, -1.0]))
        True
    """
    tensors = _float64_inputs(inputs, "gradgradcheck")
    checked = [t for t in tensors if t.requires_grad]
    rng = xp.random.default_rng(seed)
    out_shape = fn(*tensors).shape
    weights = Tensor(rng.uniform(0.5, 1.5, size=out_shape), requires_grad=True)
    directions = [rng.uniform(-1.0, 1.0, size=t.shape) for t in checked]

    def first_derivative(create_graph):
        y = fn(*tensors)
        grads = grad((y * weights).sum(), checked, create_graph=create_graph)
        return [Tensor(xp.zeros_like(t.data)) if g is None else g
                for g, t in zip(grads, checked, strict=True)]

    def shifted(step, compute):
        for t, v in zip(checked, directions, strict=True):
            t.data += step * v
        try:
            return compute()
        finally:
            for t, v in zip(checked, directions, strict=True):
                t.data -= step * v

    g_graph = first_derivative(create_graph=True)
    g_plain = first_derivative(create_graph=False)
    for i, (a, b) in enumerate(zip(g_graph, g_plain, strict=True)):
        failed = _mismatch(f"gradgradcheck: the create_graph gradient of input {i}", a.data,
                           b.data, atol, rtol, raise_exception)
        if failed is False:
            return False
    terms = [(g * Tensor(v)).sum() for g, v in zip(g_graph, directions, strict=True)
             if g.requires_grad]
    second = [None] * (len(checked) + 1)
    if terms:
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        second = grad(total, checked + [weights])
    plus = shifted(eps, lambda: [g.data.copy() for g in first_derivative(False)])
    minus = shifted(-eps, lambda: [g.data.copy() for g in first_derivative(False)])
    for i, t in enumerate(checked):
        analytic = xp.zeros_like(t.data) if second[i] is None else second[i].data
        numeric = (plus[i] - minus[i]) / (2 * eps)
        failed = _mismatch(f"gradgradcheck: Hessian-vector product for input {i} (shape "
                           f"{t.shape})", analytic, numeric, atol, rtol, raise_exception)
        if failed is False:
            return False
    y_plus = shifted(eps, lambda: fn(*tensors).data.copy())
    y_minus = shifted(-eps, lambda: fn(*tensors).data.copy())
    analytic = xp.zeros(out_shape) if second[-1] is None else second[-1].data
    failed = _mismatch("gradgradcheck: derivative of the gradient with respect to the output "
                       "gradient", analytic, (y_plus - y_minus) / (2 * eps), atol, rtol,
                       raise_exception)
    return failed is None
