"""``glassnet inspect MODEL``: the summary, per-weight statistics and a PNG of their histograms.

For every weight of every layer (nested models included, named ``layer/weight``) the table
gives its shape, mean, standard deviation, minimum, maximum, mean absolute value and the
fraction of entries that are exactly zero -- dead ReLU filters, saturated or vanishing layers
and pruned weights show up there. The histograms (``glassnet.viz.plot_histograms``) need
matplotlib (``pip install "glassnet[viz]"``); without it the command prints the text and a
note saying so.

Example:
    >>> import numpy as np
    >>> stats = weight_statistics(np.array([[0.0, 1.0], [-2.0, 1.0]]))
    >>> stats["mean"], stats["min"], stats["abs_mean"], stats["zeros"]
    (0.0, -2.0, 1.0, 0.25)
"""

import os

from glassnet.backend import xp
from glassnet.commands.common import check_out_folder, open_model, print_json

COLUMNS = ("shape", "mean", "std", "min", "max", "abs_mean", "zeros")


def weight_statistics(array):
    """Shape, mean, std, min, max, mean of |w| and fraction of zeros of one weight array."""
    values = xp.asarray(array, dtype=xp.float64)
    flat = values.reshape(-1)
    if not flat.size:
        return {"shape": list(values.shape), "size": 0, "mean": None, "std": None,
                "min": None, "max": None, "abs_mean": None, "zeros": None}
    return {"shape": list(values.shape), "size": int(flat.size), "mean": float(flat.mean()),
            "std": float(flat.std()), "min": float(flat.min()), "max": float(flat.max()),
            "abs_mean": float(xp.abs(flat).mean()),
            "zeros": float((flat == 0).sum() / flat.size)}


def named_weights(model, prefix=""):
    """``{'layer/weight': array}`` for every weight, in layer order (nested models expanded)."""
    arrays = {}
    for index, layer in enumerate(getattr(model, "layers", [])):
        name = prefix + (getattr(layer, "name", None) or f"layer_{index}")
        if getattr(layer, "layers", None):
            arrays.update(named_weights(layer, name + "/"))
            continue
        values = layer.get_weights()
        names = [getattr(w, "name", None) for w in getattr(layer, "weights", [])]
        if len(names) != len(values) or None in names or len(set(names)) != len(names):
            names = [str(k) for k in range(len(values))]
        for weight, value in zip(names, values, strict=True):
            arrays[f"{name}/{weight}"] = value
    return arrays


def histogram_file(model_file, out):
    """Where the PNG goes: ``<out or the model's folder>/<model name>.weights.png``."""
    stem = os.path.splitext(os.path.basename(model_file))[0]
    return os.path.join(out if out is not None else os.path.dirname(model_file) or ".",
                        f"{stem}.weights.png")


def _format(value):
    return "-" if value is None else f"{value:.4g}"


def inspect(args):
    """Run ``glassnet inspect``; returns the result dict (also printed)."""
    check_out_folder(args.out)
    model, model_file, _ = open_model(args.model, compile=False)
    summary = []
    if hasattr(model, "summary"):
        model.summary(print_fn=summary.append)
    arrays = named_weights(model)
    stats = {name: weight_statistics(value) for name, value in arrays.items()}
    png, note = None, None
    if args.no_plot:
        note = "--no-plot: no histogram PNG written"
    elif not arrays:
        note = "the model has no weights: no histogram PNG written"
    else:
        try:
            from glassnet.viz.weights import plot_histograms

            png = histogram_file(model_file, args.out)
            plot_histograms(arrays, path=png)
        except ImportError:
            png = None
            note = ('the weight histograms need matplotlib: pip install "glassnet[viz]"; '
                    "printed the text only")
    result = {"model": model_file, "summary": summary, "weights": stats,
              "histograms": png, "note": note}
    if args.json:
        print_json(result)
        return result
    print("\n".join(summary))
    print()
    name_width = max([len("weight"), *(len(name) for name in stats)])
    shape_width = max([len("shape"), *(len(str(tuple(s["shape"]))) for s in stats.values())])
    print(f"{'weight':<{name_width}}  {'shape':<{shape_width}}  " + "  ".join(
        f"{column:>10}" for column in ("mean", "std", "min", "max", "|w| mean", "zeros")))
    for name, entry in stats.items():
        numbers = "  ".join(f"{_format(entry[key]):>10}" for key in COLUMNS[1:])
        print(f"{name:<{name_width}}  {str(tuple(entry['shape'])):<{shape_width}}  {numbers}")
    if not stats:
        print("(no weights)")
    if png:
        print(f"Weight histograms: {png}")
    if note:
        print(f"Note: {note}")
    return result
