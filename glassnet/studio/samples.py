"""The Studio's sample inspector: one sample through the network, and the misclassified ones.

Part of :mod:`glassnet.studio.recorder` (which re-exports :func:`sample_view` and
:func:`misclassified`); pure NumPy + glassnet.
"""

import math

import numpy as np

from glassnet.config import no_grad
from glassnet.layers.recording import recording
from glassnet.studio.recorder import (
    MAX_VALUES,
    _array,
    _feature_maps,
    _number,
    _stats,
    layer_kind,
    to_json,
)

MAX_IMAGE_SIDE = 128

def _take(x, index):
    """Rows ``index`` (an int or a slice) of an array or of each array of a list/dict."""
    if isinstance(x, dict):
        return {k: _take(v, index) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_take(v, index) for v in x]
    return np.asarray(x)[index]


def _count(x):
    if isinstance(x, dict):
        x = next(iter(x.values()))
    if isinstance(x, (list, tuple)):
        x = x[0]
    return len(x)


def _input_view(sample):
    """An image (HxW, HxWxC, or a flat vector of n*n >= 64 values) or a vector."""
    sample = np.asarray(sample)
    shape = [int(d) for d in sample.shape]
    image = None
    if sample.ndim == 2:
        image = sample
    elif sample.ndim == 3:
        channels = sample.shape[-1]
        image = sample[..., :3] if channels >= 3 else sample[..., 0]
    elif sample.ndim == 1 and sample.size >= 64 and math.isqrt(sample.size) ** 2 == sample.size:
        side = math.isqrt(sample.size)
        image = sample.reshape(side, side)
    if image is None:
        return {"kind": "vector", "values": to_json(sample.reshape(-1)[:MAX_VALUES]),
                "shape": shape}
    h_step = -(-image.shape[0] // MAX_IMAGE_SIDE)
    w_step = -(-image.shape[1] // MAX_IMAGE_SIDE)
    return {"kind": "image", "pixels": to_json(image[::h_step, ::w_step]), "shape": shape}


def _labels(y):
    """Integer labels from integer labels (n,) / (n, 1) or one-hot rows (n, k)."""
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y.reshape(len(y), -1), axis=1)
    return np.rint(y.reshape(len(y))).astype(np.int64)


def _predicted(outputs):
    """Predicted classes and their confidence from raw outputs (n, k) or (n, 1)/(n,)."""
    outputs = np.asarray(outputs, np.float64).reshape(len(outputs), -1)
    if outputs.shape[1] == 1:  # one sigmoid unit: class 1 when p > 0.5
        p = outputs[:, 0]
        predicted = (p > 0.5).astype(np.int64)
        return predicted, np.where(predicted == 1, p, 1.0 - p)
    predicted = np.argmax(outputs, axis=1)
    return predicted, outputs[np.arange(len(outputs)), predicted]


def _outputs(model, x, batch_size=256):
    """The model's raw outputs for ``x``, batch by batch under no_grad (first output)."""
    parts = []
    with no_grad():
        for start in range(0, _count(x), batch_size):
            out = _array(model(_take(x, slice(start, start + batch_size)), training=False))
            parts.append(np.asarray(out))
    return np.concatenate(parts)


def sample_view(model, x, y, index):
    """One sample through the model: its input, the raw output and every layer's output.

    The model runs on the one sample with its layers recording, under ``no_grad`` (the
    layers' earlier recordings are put back afterwards).

    Args:
        model: a built model.
        x: the inputs (an array, or a list/dict of arrays for several inputs).
        y: the labels (integers or one-hot; None if unknown).
        index: the sample.

    Returns:
        ``{"index", "input", "label", "probabilities", "predicted", "layers": [{"layer",
        "output", "values", "feature_maps"}]}``.
    """
    index = int(index)
    one = _take(x, slice(index, index + 1))
    first = one
    while isinstance(first, (dict, list, tuple)):
        first = next(iter(first.values())) if isinstance(first, dict) else first[0]
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    targets = model._flatten_layers()
    saved = [(layer, layer._inspect_data) for layer in targets]
    try:
        with no_grad(), recording(model):
            output = np.asarray(_array(model(one, training=False)))
        views = []
        for layer in layers:
            data = layer._inspect_data
            value = None if data is None else _array(data.get("output"))
            if value is None:
                continue
            value = np.asarray(value)[0]
            maps = None
            if value.ndim == 3 or (value.ndim == 2 and layer_kind(layer) in ("conv", "pool")):
                maps = _feature_maps(value, getattr(layer, "data_format", "channels_last")
                                     != "channels_first")
            views.append({"layer": layer.name, "output": _stats(value)[0],
                          "values": to_json(value.reshape(-1)[:MAX_VALUES]),
                          "feature_maps": maps})
    finally:
        for layer, data in saved:
            layer._inspect_data = data
    predicted, _ = _predicted(output)
    label = None
    if y is not None:
        label = int(_labels(_take(y, slice(index, index + 1)))[0])
    return {"index": index, "input": _input_view(np.asarray(first)[0]), "label": label,
            "probabilities": to_json(output.reshape(-1)), "predicted": int(predicted[0]),
            "layers": views}


def misclassified(model, x, y, limit=50, batch_size=256):
    """The samples the model gets wrong, most confident first.

    Args:
        model: a built model.
        x: the inputs; y: integer labels (n,) or (n, 1), or one-hot rows (n, k).
        limit: the most entries returned.
        batch_size: samples per forward pass.

    Returns:
        ``[{"index", "label", "predicted", "confidence"}]``, ``confidence`` being the raw
        output for the predicted class (p or 1 - p for a single sigmoid unit).

    Example:
        >>> from glassnet.layers import Dense
        >>> from glassnet.models import Sequential
        >>> net = Sequential([Dense(2, input_shape=(2,), use_bias=False)])
        >>> net.set_weights([np.eye(2)])
        >>> misclassified(net, np.array([[1.0, 0.0], [0.0, 2.0]]), np.array([0, 0]))
        [{'index': 1, 'label': 0, 'predicted': 1, 'confidence': 2.0}]
    """
    labels = _labels(y)
    predicted, confidence = _predicted(_outputs(model, x, batch_size))
    wrong = np.flatnonzero(predicted != labels)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][: int(limit)]
    return [{"index": int(i), "label": int(labels[i]), "predicted": int(predicted[i]),
             "confidence": _number(confidence[i])} for i in order]
