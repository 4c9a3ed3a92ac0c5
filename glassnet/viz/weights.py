"""Histograms of weights (or activations, deltas, gradients) per layer."""

from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError
from glassnet.viz._base import new_figure, save_figure, to_numpy


def _arrays_of_model(model):
    """name -> array for every weight of every layer (``layer/weight`` names when known)."""
    arrays = {}
    for index, layer in enumerate(model.layers):
        layer_name = getattr(layer, "name", None) or f"layer_{index}"
        values = layer.get_weights()
        names = [getattr(w, "name", None) for w in getattr(layer, "weights", [])]
        if len(names) != len(values) or None in names:
            names = [str(k) for k in range(len(values))]
        for name, value in zip(names, values, strict=True):
            arrays[f"{layer_name}/{name}"] = value
    return arrays


def plot_histograms(arrays, bins=50, columns=None, path=None):
    """One histogram per array: weights per layer, or activations/deltas/gradients per layer.

    Args:
        arrays: a dict name -> array (or Tensor), or a model (anything with ``.layers`` whose
            layers have ``get_weights()``): every weight of every layer is drawn, named
            ``'<layer>/<weight>'`` (e.g. ``'dense/kernel'``).
        bins: number of histogram bins.
        columns: panels per row (default up to 3).
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: one axes per array, titled with the name, the shape, the mean and the
        standard deviation (vanishing activations show up as a spike at 0, saturated sigmoids
        as spikes at 0 and 1).

    Example:
        >>> import numpy as np
        >>> fig = plot_histograms({"w1": np.ones((3, 4)), "b1": np.zeros(4)})
        >>> len(fig.axes)
        2
    """
    if hasattr(arrays, "layers"):
        arrays = _arrays_of_model(arrays)
    if not isinstance(arrays, dict) or not arrays:
        raise GlassnetTypeError(
            "arrays: expected a non-empty dict name -> array or a model with .layers, "
            f"received {type(arrays).__name__}"
        )
    fig, axes = new_figure(len(arrays), columns=columns, panel_size=(3.6, 2.8))
    for ax, (name, value) in zip(axes, arrays.items(), strict=True):
        data = to_numpy(value, xp.float64)
        flat = data.reshape(-1)
        flat = flat[xp.isfinite(flat)]
        ax.hist(flat, bins=int(bins), color="tab:blue", alpha=0.8)
        stats = f"mean {flat.mean():.3g}, std {flat.std():.3g}" if flat.size else "empty"
        ax.set_title(f"{name} {tuple(data.shape)}\n{stats}", fontsize="small")
        ax.set_xlabel("value")
        ax.set_ylabel("count")
        ax.grid(True, alpha=0.3)
    return save_figure(fig, path)
