"""Shared plumbing for :mod:`glassnet.viz`: the lazy matplotlib import, figures, saving.

matplotlib is an optional extra (``pip install 'glassnet[viz]'``) and is imported here only when a
plotting function runs, never at ``import glassnet`` or ``import glassnet.viz`` time. Figures are
``matplotlib.figure.Figure`` objects built with the object-oriented API (no ``pyplot`` state), so
plotting is headless-safe and thread-safe; saving uses the Agg/SVG renderers chosen by extension.
"""

import math
import os

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError

MISSING_MATPLOTLIB = "glassnet.viz needs matplotlib: pip install 'glassnet[viz]'"


def require_matplotlib():
    """Import matplotlib (for the Figure class) or raise ImportError naming the extra.

    Returns:
        The ``matplotlib.figure.Figure`` class.

    Raises:
        ImportError: "glassnet.viz needs matplotlib: pip install 'glassnet[viz]'".
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(MISSING_MATPLOTLIB) from err
    return Figure


def new_figure(panels=1, columns=None, panel_size=(4.0, 3.2), projections=None):
    """A Figure with ``panels`` axes laid out on a grid (row-major).

    Args:
        panels: number of axes to create (only these are created; no empty cells).
        columns: grid columns (default: all in one row up to 3, then 3 per row).
        panel_size: (width, height) in inches of one panel.
        projections: optional list of per-panel projections (e.g. ``[None, "3d"]``... ).

    Returns:
        (fig, axes): the Figure and the list of its axes.
    """
    figure_class = require_matplotlib()
    if projections is not None:
        import mpl_toolkits.mplot3d  # noqa: F401  (registers the '3d' projection)
    panels = max(int(panels), 1)
    columns = min(panels, 3) if columns is None else max(1, min(int(columns), panels))
    rows = math.ceil(panels / columns)
    fig = figure_class(figsize=(panel_size[0] * columns, panel_size[1] * rows),
                       layout="constrained")
    axes = []
    for i in range(panels):
        projection = projections[i] if projections is not None else None
        axes.append(fig.add_subplot(rows, columns, i + 1, projection=projection))
    return fig, axes


def save_figure(fig, path, dpi=110):
    """Save ``fig`` to ``path`` when it is not None; the format follows the extension.

    Args:
        fig: a matplotlib Figure.
        path: None (do nothing) or a file path ending in ``.png``, ``.svg`` (or ``.pdf``,
            ``.jpg``... any format matplotlib supports). Parent folders are created.
        dpi: resolution for raster formats.

    Returns:
        ``fig`` (so a plot function can ``return save_figure(fig, path)``).

    Raises:
        GlassnetValueError: the extension is missing or not a format matplotlib can write.
    """
    if path is None:
        return fig
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    supported = fig.canvas.get_supported_filetypes()
    if extension not in supported:
        raise GlassnetValueError(
            f"path: expected a file name ending in one of "
            f"{sorted('.' + e for e in supported)} (e.g. 'figure.png' or 'figure.svg'), "
            f"received {path!r}"
        )
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(path, format=extension, dpi=dpi)
    return fig


def integer_ticks(ax, axis="x"):
    """Put major ticks on whole numbers only on ``axis`` ("x", "y" or "both"): epochs, steps.

    Args:
        ax: a matplotlib Axes.
        axis: which axis gets integer ticks.

    Returns:
        ``ax``.
    """
    from matplotlib.ticker import MaxNLocator

    for name in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"{name}axis").set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        low, high = getattr(ax, f"get_{name}lim")()
        if high - low < 2:  # one or two epochs: room around them, ticks still on whole numbers
            middle = (low + high) / 2
            getattr(ax, f"set_{name}lim")(min(low, middle - 0.75), max(high, middle + 0.75))
    return ax


def plain_log_labels(ax, axis="y"):
    """On a log axis spanning less than a decade, label ticks as plain numbers (2.4, not 2.4e0).

    Args:
        ax: a matplotlib Axes whose ``axis`` is already log-scaled.
        axis: "x" or "y".

    Returns:
        ``ax``.
    """
    from matplotlib.ticker import FuncFormatter

    low, high = getattr(ax, f"get_{axis}lim")()
    if low > 0 and high / low < 10:
        formatter = FuncFormatter(lambda value, _: f"{value:.3g}")
        getattr(ax, f"{axis}axis").set_major_formatter(formatter)
        getattr(ax, f"{axis}axis").set_minor_formatter(formatter)
    return ax


LINE_STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "v", "D", "x", "+", "*", "P")


def line_style(i):
    """Matplotlib keyword arguments giving line ``i`` its own colour, dash pattern and marker.

    Colours cycle through the 10 of ``tab10``, dash patterns through 4 and markers through 9,
    so any two of the first 36 lines differ in at least two of the three (readable in grey).

    Example:
        >>> line_style(0)["linestyle"], line_style(1)["linestyle"], line_style(1)["marker"]
        ('-', '--', 's')
    """
    return {"color": f"C{i % 10}", "linestyle": LINE_STYLES[i % len(LINE_STYLES)],
            "marker": MARKERS[i % len(MARKERS)]}


def to_numpy(value, dtype=None):
    """A NumPy array from an ndarray, list, scalar or glassnet Tensor (no copy if possible)."""
    if hasattr(value, "numpy") and not isinstance(value, xp.ndarray):
        value = value.numpy()
    return xp.asarray(value, dtype=dtype)


def evaluate(fn, *arrays):
    """``fn(*arrays)`` as a float64 array of the broadcast shape of ``arrays``.

    ``fn`` is called once on the whole arrays (vectorised); if that fails or returns the wrong
    shape, it is called once per element (so ``math.sin``-style scalar functions work too).
    """
    arrays = [xp.asarray(a, dtype=xp.float64) for a in arrays]
    shape = xp.broadcast_shapes(*(a.shape for a in arrays))
    try:
        values = to_numpy(fn(*arrays), dtype=xp.float64)
        if values.shape == shape:
            return values
        if values.size == 1 and shape == ():
            return values.reshape(shape)
    except Exception:  # noqa: BLE001  (fall back to element-wise calls)
        pass
    flat = [xp.broadcast_to(a, shape).ravel() for a in arrays]
    values = [float(to_numpy(fn(*(float(a[i]) for a in flat)))) for i in range(flat[0].size)]
    return xp.asarray(values, dtype=xp.float64).reshape(shape)


def label_of(item):
    """A display name: a string as is, else a callable's ``__name__`` or the object's class."""
    if isinstance(item, str):
        return item
    name = getattr(item, "__name__", None) or type(item).__name__
    return "f" if name == "<lambda>" else name
