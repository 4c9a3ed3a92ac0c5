"""What the Studio shows of a model, as JSON-ready dicts (pure NumPy + glassnet, no server).

Every function here turns arrays that glassnet already records (``layer.inspect()``, the
weights around an optimizer step, a model's outputs) into small payloads for the browser:

- :func:`to_json` — an array as nested lists rounded to 6 significant digits (NaN/inf -> None);
- :func:`histogram` — counts and edges on a subsample of at most 100,000 values, with the
  min/max/mean/std/mean |x| of the full array;
- :func:`model_graph` — layers, output shapes, parameter counts and edges of a Sequential,
  functional or subclassed model;
- :func:`layer_record` — one layer at one training step: histograms of its input, z, output,
  delta dL/dz, weights, gradients and last update, their scalars (mean |delta|, mean |grad|,
  update/weight ratio), and the neuron (y = f(w.x + b) with the numbers in), convolution,
  recurrent (gates recomputed in NumPy) and batch-normalization views;
- :func:`sample_view` and :func:`misclassified` (from :mod:`glassnet.studio.samples`) — one
  validation sample through the network, and the samples the model gets wrong.

Large arrays are looked at through a deterministic strided subsample, and no full-size copy
is made except the update (after - before), so a record of the seed MLP takes milliseconds.
"""

import math

import numpy as np

from glassnet import activations
from glassnet.tensor import Tensor

MAX_HISTOGRAM_VALUES = 100_000
RECORD_HISTOGRAM_VALUES = 20_000  # layer records: 20,000 values per histogram is plenty
MAX_NEURON_UNITS = 64
MAX_NEURON_INPUTS = 16
MAX_CHANNELS = 16
MAX_MAP_SIDE = 32
MAX_RECURRENT_UNITS = 32
MAX_VALUES = 64


# ------------------------------------------------------------------------ JSON numbers
def to_json(array):
    """An array (or a number) as nested lists of floats rounded to 6 significant digits.

    NaN and infinities become None (JSON null). A scalar gives a float (or None).

    Example:
        >>> to_json(np.array([[1 / 3, float("nan")], [123456789.0, -2e-9]]))
        [[0.333333, None], [123457000.0, -2e-09]]
    """
    if array is None:
        return None
    values = np.asarray(array.data if isinstance(array, Tensor) else array, dtype=np.float64)
    finite = np.isfinite(values)
    all_finite = bool(finite.all())
    clean = values if all_finite else np.where(finite, values, 0.0)
    magnitude = np.floor(np.log10(np.where(clean == 0, 1.0, np.abs(clean)))).astype(np.int64)
    shift = 5 - magnitude  # the 6th significant digit sits at 10**-shift
    small = shift >= 0
    with np.errstate(over="ignore", invalid="ignore"):
        up = 10.0 ** np.where(small, shift, 0)
        down = 10.0 ** np.where(small, 0, -shift)
        rounded = np.where(small, np.round(clean * up) / up, np.round(clean / down) * down)
    if all_finite:
        return rounded.tolist() if rounded.ndim else float(rounded)
    if not rounded.ndim:
        return None
    result = rounded.astype(object)
    result[~finite] = None
    return result.tolist()


def _number(value):
    """A Python float, or None for NaN/inf/None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _array(value):
    """The ndarray of a Tensor/array; the first one of a list of several inputs/outputs."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if isinstance(value, Tensor):
        value = value.data
    return value


# ------------------------------------------------------------------------ histograms
def _subsample(flat, max_values):
    """A deterministic strided subsample (every ceil(n / max_values)-th value)."""
    if flat.size <= max_values:
        return flat
    return flat[:: -(-flat.size // max_values)]


def _stats(array, bins=30, max_values=MAX_HISTOGRAM_VALUES):
    """Histogram dict plus the raw sums (``sum_abs``, ``sum_sq``, ``n``) for the scalars."""
    flat = np.asarray(array)
    if flat.dtype.kind != "f":
        flat = flat.astype(np.float64)
    flat = flat.reshape(-1)
    n = flat.size
    if n == 0:
        edges = np.linspace(0.0, 1.0, bins + 1)
        return {"counts": [0] * bins, "edges": to_json(edges), "min": None, "max": None,
                "mean": None, "std": None, "mean_abs": None, "size": 0}, 0.0, 0.0, 0
    low, high = float(flat.min()), float(flat.max())
    full_min, full_max = low, high
    sample = _subsample(flat, max_values)
    if math.isfinite(low) and math.isfinite(high):
        mean = float(flat.sum()) / n
        work = np.abs(flat)
        sum_abs = float(work.sum())
        np.subtract(flat, flat.dtype.type(mean), out=work)
        variance = max(float(np.dot(work, work)) / n, 0.0)
        sum_sq = n * (variance + mean * mean)
    else:  # NaN or inf somewhere: the stats are not numbers; count the finite values
        sample = sample[np.isfinite(sample)]
        finite = flat[np.isfinite(flat)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        mean = variance = sum_abs = sum_sq = float("nan")
    if low == high:  # as np.histogram does for a constant array
        low, high = low - 0.5, high + 0.5
    counts, edges = _counts(sample, bins, low, high)
    record = {"counts": counts, "edges": to_json(edges), "min": _number(full_min),
              "max": _number(full_max), "mean": _number(mean),
              "std": _number(math.sqrt(variance)) if math.isfinite(variance) else None,
              "mean_abs": _number(sum_abs / n), "size": int(n)}
    return record, sum_abs, sum_sq, n


def _counts(sample, bins, low, high):
    """np.histogram(sample, bins, range=(low, high)) counts, binned the way NumPy bins them
    (float64 edges, the same index formula and edge corrections), with a faster bincount."""
    edges = np.linspace(low, high, bins + 1)
    values = sample.astype(np.float64)
    index = ((values - low) / (high - low) * bins).astype(np.intp)
    np.minimum(index, bins - 1, out=index)
    np.maximum(index, 0, out=index)
    index[values < edges[index]] -= 1
    index[(values >= edges[index + 1]) & (index != bins - 1)] += 1
    return np.bincount(index, minlength=bins).tolist(), edges


def histogram(array, bins=30, max_values=MAX_HISTOGRAM_VALUES):
    """Counts, edges and summary statistics of an array, for the Studio's histograms.

    The counts are on at most ``max_values`` values (every k-th value of the flattened array,
    k = ceil(size / max_values)) over the range [min, max] of the full array; ``min``, ``max``,
    ``mean``, ``std`` and ``mean_abs`` are on the full array (None when it holds NaN or inf;
    the counts then cover its finite values).

    Args:
        array: an ndarray or Tensor (None gives None).
        bins: number of equal-width bins.
        max_values: the size of the subsample the counts are made on.

    Returns:
        ``{"counts", "edges", "min", "max", "mean", "std", "mean_abs", "size"}``.

    Example:
        >>> h = histogram(np.array([0.0, 1.0, 1.0, 3.0]), bins=3)
        >>> h["counts"], h["edges"], h["mean"]
        ([1, 2, 1], [0.0, 1.0, 2.0, 3.0], 1.25)
    """
    array = _array(array)
    if array is None:
        return None
    return _stats(array, bins, max_values)[0]


# ------------------------------------------------------------------------ graph
def layer_kind(layer):
    """The family of a layer: "dense", "conv", "pool", "recurrent", "normalization",
    "dropout" or "other" (from its class and base classes).

    Example:
        >>> from glassnet.layers import Conv2D, Dense, LSTM
        >>> [layer_kind(x) for x in (Dense(2), Conv2D(4, 3), LSTM(3))]
        ['dense', 'conv', 'recurrent']
    """
    names = [cls.__name__ for cls in type(layer).__mro__]
    if any(n in ("_RNN", "RNN", "Bidirectional", "SimpleRNN", "LSTM", "GRU") for n in names):
        return "recurrent"
    if "Dense" in names or "EinsumDense" in names:
        return "dense"
    if any("Pooling" in n for n in names):
        return "pool"
    if any("Conv" in n for n in names):
        return "conv"
    if any("Normalization" in n for n in names):
        return "normalization"
    if any("Dropout" in n for n in names):
        return "dropout"
    return "other"


def _activation_name(layer):
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    if isinstance(activation, str):
        return activation
    try:
        return activations.serialize(activation)
    except Exception:  # a custom callable the registry does not know
        return getattr(activation, "__name__", None)


def _shape(shape):
    if shape is None:
        return None
    if isinstance(shape, list):
        return [_shape(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


def _node(layer):
    try:
        params = layer.count_params()
    except Exception:  # not built yet
        params = 0
    trainable = sum(int(w.size) for w in layer.trainable_weights) if layer.built else 0
    units = getattr(layer, "units", getattr(layer, "filters", None))
    return {"id": layer.name, "class": type(layer).__name__,
            "output_shape": _shape(layer.output_shape), "params": int(params),
            "trainable_params": int(trainable), "activation": _activation_name(layer),
            "units": None if units is None else int(units), "kind": layer_kind(layer)}


def model_graph(model):
    """The model as a graph of layers: nodes with shapes and parameter counts, and edges.

    Sequential models are a chain of their layers; functional models give the edges of their
    layer graph (their InputLayers included); subclassed models list the layers found on the
    model, in the order they were assigned, as a chain.

    Returns:
        ``{"name", "class", "nodes": [{"id", "class", "output_shape", "params",
        "trainable_params", "activation", "units", "kind"}], "edges": [[from, to]],
        "total_params"}``.

    Example:
        >>> from glassnet.layers import Dense
        >>> from glassnet.models import Sequential
        >>> net = Sequential([Dense(3, input_shape=(2,), name="h"), Dense(1, name="y")])
        >>> graph = model_graph(net)
        >>> graph["edges"], graph["total_params"]
        ([['h', 'y']], 13)
    """
    from glassnet.models import Sequential

    if isinstance(model, Sequential):
        class_name = "Sequential"
    elif getattr(model, "_is_functional", False) and type(model).__name__ == "Model":
        class_name = "Functional"
    else:
        class_name = type(model).__name__
    layers = model.layers
    edges = []
    if getattr(model, "_is_functional", False) and not isinstance(model, Sequential):
        for node in model._nodes:
            for tensor in node.flat_inputs:
                edge = [tensor.node.layer.name, node.layer.name]
                if edge not in edges:
                    edges.append(edge)
    else:
        edges = [[a.name, b.name] for a, b in zip(layers, layers[1:], strict=False)]
    nodes = [_node(layer) for layer in layers]
    try:
        total = int(model.count_params())
    except Exception:
        total = sum(node["params"] for node in nodes)
    return {"name": model.name, "class": class_name, "nodes": nodes, "edges": edges,
            "total_params": total}


# ------------------------------------------------------------------------ weights
def _layer_weights(layer):
    """{name: weight} of a layer: its own weights, or (wrappers) those of its sublayers."""
    own = layer._own_weights()
    weights = own if own else layer.weights
    named = {}
    for weight in weights:
        name, k = weight.name, 1
        while name in named:
            name, k = f"{weight.name}_{k}", k + 1
        named[name] = weight
    return named


def snapshot_weights(layer):
    """Copies of the layer's trainable weights, ``{name: ndarray}`` (only this layer's).

    Example:
        >>> from glassnet.layers import Dense
        >>> layer = Dense(2)
        >>> _ = layer(np.ones((1, 3)))
        >>> sorted(snapshot_weights(layer))
        ['bias', 'kernel']
    """
    return {name: w.data.copy() for name, w in _layer_weights(layer).items()
            if getattr(w, "trainable", w.requires_grad) and layer.trainable}


def _sample_index(array, sample):
    return int(min(max(int(sample), 0), array.shape[0] - 1))


# ------------------------------------------------------------------------ layer record
def _rank_grad_norms(norms):
    """Data-parallel training: the layer's gradient norm on each rank, sqrt(sum_W ||g_r(W)||^2).

    ``norms`` is ``layer.inspect()['rank_grad_norms']`` (``{weight: one norm per rank}``), None
    in one process; the averaged gradient's norm is the ``grad_norm`` beside it.
    """
    if not norms:
        return None
    squares = sum(np.square(np.asarray(value, dtype=np.float64)) for value in norms.values())
    return [_number(math.sqrt(float(value))) for value in squares]


def layer_record(layer, inspect_dict, before=None, after=None, sample=0, step=0,
                 max_values=RECORD_HISTOGRAM_VALUES):
    """One layer at one training step: histograms, scalars and the views that fit the layer.

    Args:
        layer: the layer (it recorded during the step: ``layer.record`` was on).
        inspect_dict: ``layer.inspect()`` after backward (None: weights only).
        before: ``snapshot_weights(layer)`` taken before the optimizer step (or None).
        after: the same after the step; None uses the layer's current weights (no copy).
        sample: the index in the batch of the sample the neuron/conv/recurrent views show.
        step: the global batch index, passed through.
        max_values: the subsample size of each histogram's counts (the statistics are
            always on the full arrays).

    Returns:
        ``{"layer", "class", "kind", "step", "hist", "scalars", "neurons", "conv",
        "recurrent", "batchnorm"}`` (see the Studio contract). The neuron and recurrent views
        use the ``before`` weights when given: the ones that computed the recorded values.
    """
    data = inspect_dict or {}
    weights = _layer_weights(layer)

    def stats(array):
        return _stats(array, max_values=max_values)

    current = {name: w.data for name, w in weights.items()}
    after = current if after is None else after
    hist = {}
    for key in ("input", "z", "output", "delta"):
        value = _array(data.get(key))
        hist[key] = None if value is None else stats(value)[0]
    hist["weights"], hist["grads"], hist["update"] = {}, {}, {}
    weight_sq = grad_abs = grad_sq = update_sq = before_sq = 0.0
    grad_n = 0
    for name, value in after.items():
        record, _, sum_sq, _ = stats(value)
        hist["weights"][name] = record
        weight_sq += sum_sq
    for name, weight in weights.items():
        if weight.grad is not None:
            record, sum_abs, sum_sq, n = stats(weight.grad.data)
            hist["grads"][name] = record
            grad_abs, grad_sq, grad_n = grad_abs + sum_abs, grad_sq + sum_sq, grad_n + n
    for name, old in (before or {}).items():
        if name in after:
            record, _, sum_sq, _ = stats(after[name] - old)
            hist["update"][name] = record
            update_sq += sum_sq
            before_sq += float(np.dot(old.reshape(-1), old.reshape(-1)))
    delta = hist["delta"]
    scalars = {
        "mean_abs_delta": None if delta is None else delta["mean_abs"],
        "mean_abs_grad": _number(grad_abs / grad_n) if grad_n else None,
        "grad_norm": _number(math.sqrt(grad_sq)) if grad_n else None,
        "weight_norm": _number(math.sqrt(weight_sq)) if after else None,
        "update_norm": _number(math.sqrt(update_sq)) if hist["update"] else None,
        "update_ratio": (_number(math.sqrt(update_sq) / math.sqrt(before_sq))
                         if hist["update"] and before_sq > 0 else None),
        "rank_grad_norms": _rank_grad_norms(data.get("rank_grad_norms")),
    }
    used = {**current, **(before or {})}  # the weights that computed the recorded values
    kind = layer_kind(layer)
    return {"layer": layer.name, "class": type(layer).__name__, "kind": kind,
            "step": int(step), "hist": hist, "scalars": scalars,
            "neurons": _neuron_view(layer, data, used, sample) if kind == "dense" else None,
            "conv": _conv_view(layer, data, used, sample) if kind == "conv" else None,
            "recurrent": _recurrent_view(layer, data, used, sample),
            "batchnorm": _batchnorm_view(layer, current)}


def _neuron_view(layer, data, weights, sample):
    """Dense with <= 64 units: z, a, delta, bias and the first weights of every unit."""
    units = getattr(layer, "units", 0)
    x, z, a = (_array(data.get(k)) for k in ("input", "z", "output"))
    kernel = weights.get("kernel")
    if units > MAX_NEURON_UNITS or x is None or a is None or kernel is None:
        return None
    z = a if z is None else z
    delta = _array(data.get("delta"))
    s = _sample_index(a, sample)

    def row(array):  # the sample's values on the last axis (its first position if rank > 2)
        return array[s].reshape(-1, array.shape[-1])[0]

    x_row, z_row, a_row = row(x), row(z), row(a)
    delta_row = None if delta is None else row(delta)
    bias = weights.get("bias")
    n_in = min(MAX_NEURON_INPUTS, kernel.shape[0])
    return {"sample": s, "activation": _activation_name(layer),
            "x": to_json(x_row[:MAX_NEURON_INPUTS]), "n_inputs": int(kernel.shape[0]),
            "units": [{"index": j, "z": _number(z_row[j]), "a": _number(a_row[j]),
                       "delta": None if delta_row is None else _number(delta_row[j]),
                       "b": 0.0 if bias is None else _number(bias[j]),
                       "w": to_json(kernel[:n_in, j])} for j in range(units)]}


def _feature_maps(sample_output, channels_last=True):
    """(H, W, C) or (W, C) of one sample -> <= 16 maps of <= 32 x 32 (strided)."""
    maps = sample_output if channels_last else np.moveaxis(sample_output, 0, -1)
    if maps.ndim == 2:
        maps = maps[None]
    if maps.ndim != 3:
        return None
    h_step = -(-maps.shape[0] // MAX_MAP_SIDE)
    w_step = -(-maps.shape[1] // MAX_MAP_SIDE)
    maps = maps[::h_step, ::w_step, :MAX_CHANNELS]
    return to_json(np.moveaxis(maps, -1, 0))


def _conv_view(layer, data, weights, sample):
    """Feature maps of the sample (the layer's output) and the first kernels (channel 0)."""
    output, kernel = _array(data.get("output")), weights.get("kernel")
    if output is None or output.ndim not in (3, 4):
        return None
    s = _sample_index(output, sample)
    channels_last = getattr(layer, "data_format", "channels_last") != "channels_first"
    kernels = None
    if kernel is not None and kernel.ndim in (3, 4):
        k = kernel[..., 0, :MAX_CHANNELS]  # (kh, kw, filters) or (k, filters)
        k = k[None] if k.ndim == 2 else k
        kernels = to_json(np.moveaxis(k, -1, 0))
    return {"sample": s, "feature_maps": _feature_maps(output[s], channels_last),
            "kernels": kernels}


def _batchnorm_view(layer, weights):
    if "BatchNormalization" not in [cls.__name__ for cls in type(layer).__mro__]:
        return None
    return {key: to_json(weights.get(key))
            for key in ("moving_mean", "moving_variance", "gamma", "beta")}


# ------------------------------------------------------------------------ recurrent
def _act(name):
    return {"sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)), "tanh": np.tanh,
            "relu": lambda v: np.maximum(v, 0.0), "linear": lambda v: v}[name]


def recurrent_gates(layer, x, weights=None):
    """Recompute a SimpleRNN/LSTM/GRU layer on one sequence ``x`` (T, features) in float64.

    Keras's equations and layouts (LSTM gates i, f, c, o; GRU z, r, h with reset_after),
    zero initial state, no mask and no dropout. ``c`` (LSTM) and ``h`` (GRU) are the
    candidate values tanh(...); ``hidden`` is the state h_t after each step.

    Returns:
        ``{gate: (T, units) array}`` plus ``"hidden"`` (T, units).
    """
    w = weights or {n: v.data for n, v in _layer_weights(layer).items()}
    kernel = np.asarray(w["kernel"], np.float64)
    recurrent = np.asarray(w["recurrent_kernel"], np.float64)
    units = recurrent.shape[0]
    x = np.asarray(x, np.float64)
    x = x[::-1] if getattr(layer, "go_backwards", False) else x
    kind = type(layer).__name__
    bias = w.get("bias")
    if bias is None:
        bias = np.zeros((2, 3 * units) if kind == "GRU" and layer.reset_after
                        else kernel.shape[1])
    bias = np.asarray(bias, np.float64)
    act = _act(layer.activation)
    ract = _act(getattr(layer, "recurrent_activation", "sigmoid"))
    names = {"LSTM": ("i", "f", "c", "o"), "GRU": ("z", "r", "h")}.get(kind, ("h",))
    gates = {name: [] for name in names}
    hidden = []
    h, c = np.zeros(units), np.zeros(units)
    reset_after = kind == "GRU" and layer.reset_after
    x_part = x @ kernel + (bias[0] if reset_after else bias)
    for t in range(x.shape[0]):
        if kind == "LSTM":
            zs = x_part[t] + h @ recurrent
            i, f = ract(zs[:units]), ract(zs[units:2 * units])
            g, o = act(zs[2 * units:3 * units]), ract(zs[3 * units:])
            c = f * c + i * g
            h = o * act(c)
            values = (i, f, g, o)
        elif kind == "GRU":
            u2 = 2 * units
            if reset_after:
                rec = h @ recurrent + bias[1]
                zr = ract(x_part[t][:u2] + rec[:u2])
                z, r = zr[:units], zr[units:]
                hh = act(x_part[t][u2:] + r * rec[u2:])
            else:
                zr = ract(x_part[t][:u2] + h @ recurrent[:, :u2])
                z, r = zr[:units], zr[units:]
                hh = act(x_part[t][u2:] + (r * h) @ recurrent[:, u2:])
            h = z * h + (1.0 - z) * hh
            values = (z, r, hh)
        else:
            h = act(x_part[t] + h @ recurrent)
            values = (h,)
        for name, value in zip(names, values, strict=True):
            gates[name].append(value)
        hidden.append(h)
    result = {name: np.array(v) for name, v in gates.items()}
    result["hidden"] = np.array(hidden)
    return result


def _recurrent_view(layer, data, weights, sample):
    if type(layer).__name__ not in ("LSTM", "GRU", "SimpleRNN"):
        return None
    x = _array(data.get("input"))
    if x is None or x.ndim != 3 or "kernel" not in weights:
        return None
    s = _sample_index(x, sample)
    gates = recurrent_gates(layer, x[s], weights)
    hidden = gates.pop("hidden")
    output = _array(data.get("output"))
    error = None
    if output is not None:
        final = output[s] if output.ndim == 2 else output[s, -1]
        error = _number(np.max(np.abs(final - hidden[-1])))
    k = MAX_RECURRENT_UNITS
    return {"sample": s, "gates": {g: to_json(v[:, :k]) for g, v in gates.items()},
            "gate_means": {g: to_json(v.mean(axis=1)) for g, v in gates.items()},
            "hidden": to_json(hidden[:, :k]), "max_abs_error": error}


def __getattr__(name):
    """``recorder.sample_view`` and ``recorder.misclassified`` live in
    :mod:`glassnet.studio.samples` (imported on first use: it imports this module)."""
    if name in ("sample_view", "misclassified"):
        from glassnet.studio import samples

        return getattr(samples, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["histogram", "layer_kind", "layer_record", "model_graph", "recurrent_gates",
           "snapshot_weights", "to_json"]  # and sample_view, misclassified (see __getattr__)
