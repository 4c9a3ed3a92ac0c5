"""Gradient descent pictures: 1-D paths, learning-rate comparisons, 3-D surfaces and contours."""

import math

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError
from glassnet.viz._base import evaluate, new_figure, save_figure, to_numpy


def _points_1d(points, name="points"):
    points = to_numpy(points, xp.float64).reshape(-1)
    if points.size == 0:
        raise GlassnetValueError(f"{name}: expected at least one x value, received none")
    return points


def _domain(points, x):
    if x is not None:
        return to_numpy(x, xp.float64).reshape(-1)
    low, high = float(points.min()), float(points.max())
    pad = 0.15 * (high - low) if high > low else 1.0
    return xp.linspace(low - pad, high + pad, 300)


def _draw_descent_1d(ax, fn, points, x):
    curve = evaluate(fn, x)
    ax.plot(x, curve, "-", color="tab:blue", linewidth=2, label="J(x)")
    ax.plot(points, evaluate(fn, points), "o-", color="tab:red", markersize=4, linewidth=1,
            label=f"path ({points.size} points)")
    ax.plot(points[:1], evaluate(fn, points[:1]), "*", color="black", markersize=10,
            label=f"start x = {points[0]:g}")
    ax.set_xlabel("x")
    ax.set_ylabel("J(x)")
    ax.grid(True, alpha=0.3)


def plot_descent_1d(fn, points, x=None, title=None, path=None):
    """A 1-D function and the path of gradient descent on it (seed 002, J(x) = x²).

    Args:
        fn: J(x), vectorised over NumPy arrays (or a scalar function, called per point).
        points: the iterates x₀, x₁, ... of gradient descent x_{n+1} = x_n − η J'(x_n).
        x: points at which to draw J (default: the path's range plus a margin).
        title: optional axes title.
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: one axes with three lines, the curve J(x), the path (x_n, J(x_n)) with
        markers and a star at the start.

    Example:
        >>> fig = plot_descent_1d(lambda x: x ** 2, [1.2, 0.48, 0.192])
        >>> fig.axes[0].lines[1].get_xdata().tolist()
        [1.2, 0.48, 0.192]
    """
    points = _points_1d(points)
    fig, (ax,) = new_figure(1, panel_size=(5.0, 3.8))
    _draw_descent_1d(ax, fn, points, _domain(points, x))
    ax.set_title(title or f"gradient descent, {points.size - 1} steps")
    ax.legend()
    return save_figure(fig, path)


def plot_lr_comparison(fn, paths_by_lr, x=None, columns=2, path=None):
    """Seed 002's learning-rate table: one panel per learning rate, J(x) and the zig-zag path.

    Args:
        fn: J(x), vectorised over NumPy arrays (or scalar).
        paths_by_lr: dict learning rate -> iterates x₀, x₁, ... (e.g. the seed's 1.0, 0.8, 0.4,
            0.1 on J(x) = x² from the same start).
        x: points at which to draw J (default: the range of all paths plus a margin, shared).
        columns: panels per row.
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: one axes per learning rate, titled "learning rate = η", each with the
        curve, the path and the start marker.

    Example:
        >>> paths = {1.0: [1.2, -1.2, 1.2], 0.4: [1.2, 0.24, 0.048]}
        >>> len(plot_lr_comparison(lambda x: x ** 2, paths).axes)
        2
    """
    if not paths_by_lr:
        raise GlassnetValueError("paths_by_lr: expected a dict learning rate -> path, received {}")
    paths = {lr: _points_1d(p, f"paths_by_lr[{lr!r}]") for lr, p in paths_by_lr.items()}
    domain = _domain(xp.concatenate(list(paths.values())), x)
    fig, axes = new_figure(len(paths), columns=columns, panel_size=(4.2, 3.2))
    for ax, (lr, points) in zip(axes, paths.items(), strict=True):
        _draw_descent_1d(ax, fn, points, domain)
        ax.set_title(f"learning rate = {lr}, {points.size - 1} steps")
    axes[0].legend(fontsize="small")
    return save_figure(fig, path)


def _path_2d(path_points):
    if path_points is None:
        return None
    points = to_numpy(path_points, xp.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise GlassnetValueError(
            f"path_points: expected a sequence of (x, y) points, shape (n, 2), "
            f"received shape {points.shape}"
        )
    return points


def plot_surface(fn, xlim, ylim, path_points=None, kind="both", resolution=80, levels=20,
                 labels=("x", "y"), title=None, path=None):
    """A 2-D function as a 3-D surface and as a contour map, with a gradient-descent path.

    Seed 002's J(x, y) = x² + sin²(y) from (3, 1), or a loss J(w, b) over the weight and the
    bias (the contour "map" whose rings the path crosses on its way to the minimum).

    Args:
        fn: J(x, y), vectorised over NumPy arrays (called on a meshgrid) or scalar.
        xlim, ylim: (low, high) ranges of the two variables.
        path_points: optional sequence of (x, y) iterates; drawn on both plots (on the surface
            at height J(x, y)).
        kind: ``'both'`` (surface and contour, default), ``'surface'`` or ``'contour'``.
        resolution: grid points per axis.
        levels: number of contour levels.
        labels: names of the two variables (e.g. ``('w', 'b')``).
        title: optional figure title.
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: a 3-D axes and/or a 2-D contour axes; the path is each axes' one line.

    Example:
        >>> import numpy as np
        >>> fig = plot_surface(lambda x, y: x ** 2 + np.sin(y) ** 2, (-3, 3), (-3, 3),
        ...                    [(3, 1), (2.4, 0.91)], resolution=20)
        >>> len(fig.axes)
        3
    """
    if kind not in ("both", "surface", "contour"):
        raise GlassnetValueError(
            f"kind: expected 'both', 'surface' or 'contour', received {kind!r}"
        )
    points = _path_2d(path_points)
    gx, gy = xp.meshgrid(xp.linspace(*xlim, int(resolution)), xp.linspace(*ylim, int(resolution)))
    gz = evaluate(fn, gx, gy)
    projections = {"both": ["3d", None], "surface": ["3d"], "contour": [None]}[kind]
    fig, axes = new_figure(len(projections), panel_size=(5.0, 4.2), projections=projections)
    xname, yname = labels
    for ax, projection in zip(axes, projections, strict=True):
        if projection == "3d":
            ax.computed_zorder = False  # keep the path drawn over the surface
            ax.plot_surface(gx, gy, gz, cmap="viridis", alpha=0.75, linewidth=0)
            ax.set_zlabel(f"J({xname}, {yname})")
            if points is not None:
                pz = evaluate(fn, points[:, 0], points[:, 1])
                ax.plot(points[:, 0], points[:, 1], pz, "o-", color="tab:red", markersize=3,
                        zorder=10)
        else:
            contour = ax.contour(gx, gy, gz, levels=int(levels), cmap="viridis")
            ax.clabel(contour, fontsize="x-small", fmt="%.2g")
            fig.colorbar(contour, ax=ax, shrink=0.8)
            if points is not None:
                ax.plot(points[:, 0], points[:, 1], "o-", color="tab:red", markersize=3,
                        label=f"path ({len(points)} points)")
                ax.legend(fontsize="small")
        ax.set_xlabel(xname)
        ax.set_ylabel(yname)
    if title:
        fig.suptitle(title)
    elif points is not None:
        fig.suptitle(f"gradient descent from ({points[0, 0]:g}, {points[0, 1]:g}), "
                     f"{len(points) - 1} steps")
    return save_figure(fig, path)


def descent_path(grad, start, learning_rate, steps):
    """Plain gradient-descent iterates θ_{n+1} = θ_n − η ∇J(θ_n), for the plots above.

    Args:
        grad: ∇J: a function of θ (a float, or a 1-D array for several variables) returning
            the gradient of the same shape.
        start: θ₀.
        learning_rate: η.
        steps: number of updates.

    Returns:
        An array of shape (steps + 1,) (scalar θ) or (steps + 1, n): θ₀ ... θ_steps.

    Example:
        >>> descent_path(lambda x: 2 * x, 1.2, 0.3, 2).round(3).tolist()
        [1.2, 0.48, 0.192]
    """
    theta = to_numpy(start, xp.float64).copy()
    path = [theta.copy()]
    for _ in range(int(steps)):
        step = to_numpy(grad(theta), xp.float64)
        if not math.isfinite(float(xp.sum(step))):
            break
        theta = theta - learning_rate * step
        path.append(theta.copy())
    return xp.stack(path)
