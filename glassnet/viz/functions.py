"""Function galleries: activation functions with their derivatives, loss functions, softmax."""

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, unknown_identifier
from glassnet.viz._base import label_of, new_figure, save_figure, to_numpy

_NOT_ELEMENTWISE = ("softmax", "log_softmax")


def activation_and_derivative(activation, x):
    """Values f(x) and derivatives f'(x) of an element-wise activation at the points ``x``.

    A glassnet activation (a name for ``glassnet.activations.get`` or a callable on Tensors) is
    differentiated by glassnet's own autodiff: ``t = tensor(x, requires_grad=True)``,
    ``f(t).sum().backward()`` and ``f'(x) = t.grad`` (exact, e.g. 0 for the step function).
    A plain callable on NumPy arrays is differentiated numerically (central differences).

    Args:
        activation: a name such as ``'relu'`` or a callable.
        x: 1-D points (float64 is used).

    Returns:
        (y, dy): two float64 arrays shaped like ``x``.

    Example:
        >>> import numpy as np
        >>> y, dy = activation_and_derivative("sigmoid", np.array([0.0]))
        >>> float(y[0]), float(dy[0])
        (0.5, 0.25)
    """
    from glassnet import activations
    from glassnet.tensor import Tensor, tensor

    if isinstance(activation, str) and activation.lower() in _NOT_ELEMENTWISE:
        raise GlassnetValueError(
            f"activation {activation!r} is not element-wise (it normalises over a vector), so it "
            "has no per-point curve: use plot_softmax_vs_max instead"
        )
    fn = activations.get(activation) if isinstance(activation, str) else activation
    x = to_numpy(x, xp.float64)
    t = tensor(x.copy(), dtype=xp.float64, requires_grad=True)
    try:
        y = fn(t)
    except Exception:  # noqa: BLE001  (a NumPy-only callable: differentiate numerically)
        y = None
    if isinstance(y, Tensor) and y.requires_grad:
        y.sum().backward()
        grad = t.grad.numpy() if t.grad is not None else xp.zeros_like(x)
        return y.numpy().astype(xp.float64), xp.asarray(grad, dtype=xp.float64)
    values = to_numpy(fn(x), xp.float64) if y is None else to_numpy(y, xp.float64)
    h = 1e-5
    derivative = (to_numpy(fn(x + h), xp.float64) - to_numpy(fn(x - h), xp.float64)) / (2 * h)
    return values, derivative


def plot_activations(activations, x=None, derivatives=True, path=None):
    """Activation functions (solid) and their derivatives (dashed), one panel each.

    Args:
        activations: a name (``'sigmoid'``), a callable, or a list of them. Names are resolved
            with ``glassnet.activations.get`` and differentiated with glassnet autodiff; plain
            callables on NumPy arrays are differentiated numerically.
        x: the points (default 401 points in [-5, 5]).
        derivatives: also draw f'(x).
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: one axes per activation, with the line f(x) (and the line f'(x)).

    Example:
        >>> fig = plot_activations(["sigmoid", "tanh", "relu"])
        >>> len(fig.axes), len(fig.axes[0].lines)
        (3, 2)
    """
    if isinstance(activations, str) or callable(activations):
        activations = [activations]
    activations = list(activations)
    if not activations:
        raise GlassnetValueError("activations: expected at least one name or callable, got none")
    x = xp.linspace(-5.0, 5.0, 401) if x is None else to_numpy(x, xp.float64).reshape(-1)
    fig, axes = new_figure(len(activations), panel_size=(3.6, 3.0))
    for ax, activation in zip(axes, activations, strict=True):
        y, dy = activation_and_derivative(activation, x)
        name = label_of(activation)
        ax.plot(x, y, "-", linewidth=2, label=f"{name}(x)")
        if derivatives:
            ax.plot(x, dy, "--", label=f"{name}'(x)")
        ax.set_title(name)
        ax.set_xlabel("x")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize="small")
    return save_figure(fig, path)


def _log_loss(a, y):
    a = xp.clip(a, 1e-12, 1 - 1e-12)
    return -(y * xp.log(a) + (1 - y) * xp.log(1 - a))


# name -> (title with the formula, x label, x range, [(curve label, f(x))]); seed 002's gallery.
# ``a`` is the prediction, ``y`` the label; margin-style losses are drawn against y·a.
LOSS_GALLERY = {
    "0-1": (r"0-1: $1$ if $a \neq y$ else $0$", r"margin $y \cdot a$  ($y = \pm 1$)", (-2, 2),
            [("0-1", lambda m: (m <= 0).astype(xp.float64))]),
    "absolute": (r"absolute: $|y - a|$", r"prediction $a$  ($y = 1$)", (-1, 3),
                 [("y = 1", lambda a: xp.abs(1 - a))]),
    "hinge": (r"hinge: $\max(0,\ 1 - y \cdot a)$", r"margin $y \cdot a$  ($y = \pm 1$)", (-2, 2),
              [("hinge", lambda m: xp.maximum(0, 1 - m))]),
    "log": (r"log: $-[y \ln a + (1-y) \ln(1-a)]$", r"prediction $a \in (0, 1)$", (0.005, 0.995),
            [("y = 1", lambda a: _log_loss(a, 1.0)), ("y = 0", lambda a: _log_loss(a, 0.0))]),
    "squared": (r"squared: $(a - y)^2$", r"prediction $a$  ($y = 1$)", (-1, 3),
                [("y = 1", lambda a: (a - 1) ** 2)]),
    "exponential": (r"exponential: $e^{-y \cdot a}$", r"margin $y \cdot a$  ($y = \pm 1$)",
                    (-2, 2), [("exponential", lambda m: xp.exp(-m))]),
}


def plot_losses(names=None, points=401, path=None):
    """Seed 002's loss-function gallery side by side, each titled with its formula.

    0-1, hinge and exponential losses are drawn against the margin y·a (labels y = ±1);
    absolute and squared against the prediction a for the label y = 1; the log (cross-entropy)
    loss against a ∈ (0, 1) for y = 1 and y = 0.

    Args:
        names: losses to draw, from ``LOSS_GALLERY`` (default all six, in the seed's order).
        points: number of sample points per curve.
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: one axes per loss (the log loss has two lines, the others one).

    Example:
        >>> fig = plot_losses(["hinge", "squared"])
        >>> [ax.get_title().split(":")[0] for ax in fig.axes]
        ['hinge', 'squared']
    """
    names = list(LOSS_GALLERY) if names is None else [names] if isinstance(names, str) else names
    if not names:
        raise GlassnetValueError(f"names: expected names from {list(LOSS_GALLERY)}, got none")
    for name in names:
        if name not in LOSS_GALLERY:
            raise unknown_identifier("loss", name, list(LOSS_GALLERY))
    fig, axes = new_figure(len(names), panel_size=(3.8, 3.0))
    for ax, name in zip(axes, names, strict=True):
        title, xlabel, (low, high), curves = LOSS_GALLERY[name]
        x = xp.linspace(low, high, int(points))
        for label, fn in curves:
            ax.plot(x, fn(x), linewidth=2, label=label)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("loss")
        ax.grid(True, alpha=0.3)
        if len(curves) > 1:
            ax.legend()
    return save_figure(fig, path)


def plot_softmax_vs_max(values=(1.0, 2.0, 5.0, 3.0), path=None):
    """Seed 003's picture: raw values, their softmax and their (hard) max, side by side.

    softmax(z)_i = e^{z_i} / Σ_j e^{z_j}; for (1, 2, 5, 3) it is (0.015, 0.041, 0.831, 0.112)
    (the seed prints 0.01, 0.04, 0.83, 0.11), while max keeps only the largest entry (one-hot).

    Args:
        values: the scores z (a 1-D sequence).
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: three axes (values, softmax, max), each a bar chart annotated with numbers.

    Example:
        >>> fig = plot_softmax_vs_max([1, 2, 5, 3])
        >>> [round(float(p.get_height()), 3) for p in fig.axes[1].patches]
        [0.015, 0.041, 0.831, 0.112]
    """
    z = to_numpy(values, xp.float64).reshape(-1)
    e = xp.exp(z - z.max())
    softmax = e / e.sum()
    hard = (xp.arange(z.size) == xp.argmax(z)).astype(xp.float64)
    fig, axes = new_figure(3, panel_size=(3.4, 3.0))
    index = xp.arange(z.size)
    titles = ("values z", "softmax(z)", "max(z)")
    for ax, data, title in zip(axes, (z, softmax, hard), titles, strict=True):
        bars = ax.bar(index, data, color="tab:orange" if title == "softmax(z)" else "tab:blue")
        ax.bar_label(bars, fmt="%.3g", fontsize="small")
        ax.margins(y=0.12)
        ax.set_xticks(index, [f"{v:g}" for v in z])
        ax.set_title(title)
        ax.set_xlabel("z")
    return save_figure(fig, path)
