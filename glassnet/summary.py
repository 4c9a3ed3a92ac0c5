"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts.

Params of a Dense layer = inputs * units + units; totals count every weight once and sizes are
in bytes (float32: 4 per parameter), as Keras 3 prints them. A functional model that is not a
plain chain gets Keras's "Connected to" column.

Example:
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,), name="dense")])
    >>> print(summary_text(model, use_unicode=False).splitlines()[-3])
     Total params: 8 (32.00 B)
"""


def summary_text(model, line_length=None, expand_nested=False, show_trainable=False,
                 use_unicode=True):
    """The text ``model.summary()`` prints, as one string."""
    connected = _connections(model)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (
        ["Connected to"] if connected is not None else []) + (
        ["Trainable"] if show_trainable else [])
    rows = []
    for layer, prefix in _summary_layers(model, expand_nested):
        row = _summary_row(layer, prefix, show_trainable)
        if connected is not None:
            row.insert(3, connected.get(id(layer), "") if not prefix else "")
        rows.append(row)
    widths = [31, 22, 13] + ([20] if connected is not None else []) + (
        [9] if show_trainable else [])
    for row in [headers] + rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    if line_length is not None:
        extra = line_length - (sum(widths) + 3 * len(widths) + 1)
        if extra > 0:
            widths[0] += extra
    chars = "┏━┳┓┃┡╇┩│├─┼┤└┴┘" if use_unicode else "+-++|+++|+-+++++"
    (tl, h, tt, tr, v, hl, hx, hr, sv, ml, mh, mx, mr, bl, bt, br) = chars

    def fmt(cells, sep):
        parts = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            right = i == 2
            parts.append(" " + (cell.rjust(width) if right else cell.ljust(width)) + " ")
        return sep + sep.join(parts) + sep

    def rule(left, fill, cross, end):
        return left + cross.join(fill * (w + 2) for w in widths) + end

    lines = [f'Model: "{model.name}"', rule(tl, h, tt, tr), fmt(headers, v),
             rule(hl, h, hx, hr)]
    for i, row in enumerate(rows):
        lines.append(fmt(row, sv))
        if i < len(rows) - 1:
            lines.append(rule(ml, mh, mx, mr))
    lines.append(rule(bl, mh, bt, br))
    weights = model.weights
    trainable = model.trainable_weights
    trainable_ids = {id(w) for w in trainable}
    non_trainable = [w for w in weights if id(w) not in trainable_ids]
    for label, group in (("Total", weights), ("Trainable", trainable),
                         ("Non-trainable", non_trainable)):
        count = sum(int(w.size) for w in group)
        size = sum(int(w.size) * w.dtype.itemsize for w in group)
        lines.append(f" {label} params: {count:,} ({_readable_size(size)})")
    return "\n".join(lines)

def _connections(model):
    """{id(layer): 'name[call][output], ...'} for Keras's "Connected to" column, or None
    when the model is a plain chain (Sequential, or a functional model that reads like one:
    one input, one output, every layer called once on the previous layer's output)."""
    nodes = getattr(model, "_nodes", None)
    if not getattr(model, "_is_functional", False) or not nodes:  # Sequential: never
        return None
    chain = len(model.inputs) == len(model.outputs) == 1 and all(
        len(node.flat_inputs) == 1 for node in nodes) and len(
        {id(node.layer) for node in nodes}) == len(nodes) and all(
        node.flat_inputs[0].node.layer is previous.layer
        for previous, node in zip(nodes, nodes[1:], strict=False))
    if chain:
        return None
    cells = {}
    for node in nodes:
        refs = [model._tensor_ref(t) for t in node.flat_inputs]
        text = ", ".join(f"{name}[{call}][{index}]" for name, call, index in refs)
        key = id(node.layer)
        cells[key] = f"{cells[key]}, {text}" if key in cells else text
    for tensor in model.inputs:
        cells.setdefault(id(tensor.node.layer), "-")
    return cells

def _summary_layers(model, expand_nested, prefix=""):
    from glassnet.models import Model  # models imports this module

    rows = []
    for layer in model.layers:
        rows.append((layer, prefix))
        if expand_nested and isinstance(layer, Model):
            rows += _summary_layers(layer, True, prefix + " └ ")
    return rows

def _summary_row(layer, prefix, show_trainable):
    shape = layer.output_shape
    shape_text = "?" if shape is None else str(
        list(shape) if isinstance(shape, list) else tuple(shape)
    )
    if layer.built or layer.weights:
        params = f"{sum(int(w.size) for w in layer.weights):,}"
    else:
        params = "0 (unbuilt)"
    row = [f"{prefix}{layer.name} ({type(layer).__name__})", shape_text, params]
    if show_trainable:
        row.append("Y" if layer.trainable else "N")
    return row


def _readable_size(size):
    """Bytes as Keras 3 prints them: ``4.73 MB``, ``0.00 B``."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} PB"
