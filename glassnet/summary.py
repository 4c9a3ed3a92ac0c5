"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts.

Params of a Dense layer = inputs * units + units; totals count every weight once and sizes are
in bytes (float32: 4 per parameter), as Keras 3 prints them. A functional model that is not a
plain chain gets Keras's "Connected to" column. :func:`summary_table` returns the table as an
object that Jupyter shows as HTML; in a notebook :func:`print_summary` (``model.summary()``)
displays that instead of printing text.

Example:
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,), name="dense")])
    >>> print(summary_text(model, use_unicode=False).splitlines()[-3])
     Total params: 8 (32.00 B)
"""


import sys

from glassnet import display
from glassnet.display import html_table


class SummaryTable:
    """``model.summary()``'s table as an object: text with ``str()``, HTML in Jupyter.

    Attributes:
        name: the model's name.
        headers: the column titles (``Layer (type)``, ``Output Shape``, ``Param #``, ...).
        rows: one list of cells (text) per layer.
        totals: ``(label, count, size)`` for ``Total``, ``Trainable`` and ``Non-trainable``
            params (size in bytes).
    """

    def __init__(self, model, expand_nested=False, show_trainable=False):
        self.model = model
        self.name = model.name
        self.expand_nested = expand_nested
        self.show_trainable = show_trainable
        connected = _connections(model)
        self.headers = ["Layer (type)", "Output Shape", "Param #"] + (
            ["Connected to"] if connected is not None else []) + (
            ["Trainable"] if show_trainable else [])
        self.rows = []
        for layer, prefix in _summary_layers(model, expand_nested):
            row = _summary_row(layer, prefix, show_trainable)
            if connected is not None:
                row.insert(3, connected.get(id(layer), "") if not prefix else "")
            self.rows.append(row)
        weights = model.weights
        trainable = model.trainable_weights
        trainable_ids = {id(w) for w in trainable}
        non_trainable = [w for w in weights if id(w) not in trainable_ids]
        self.totals = [
            (label, sum(int(w.size) for w in group),
             sum(int(w.size) * w.dtype.itemsize for w in group))
            for label, group in (("Total", weights), ("Trainable", trainable),
                                 ("Non-trainable", non_trainable))
        ]

    def total_lines(self):
        """`` Total params: 8 (32.00 B)`` and the two lines after it, as Keras 3 prints them."""
        return [f" {label} params: {count:,} ({_readable_size(size)})"
                for label, count, size in self.totals]

    def to_text(self, line_length=None, use_unicode=True):
        """The text ``model.summary()`` prints, as one string."""
        headers, rows = self.headers, self.rows
        widths = [31, 22, 13] + ([20] if "Connected to" in headers else []) + (
            [9] if self.show_trainable else [])
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

        lines = [f'Model: "{self.name}"', rule(tl, h, tt, tr), fmt(headers, v),
                 rule(hl, h, hx, hr)]
        for i, row in enumerate(rows):
            lines.append(fmt(row, sv))
            if i < len(rows) - 1:
                lines.append(rule(ml, mh, mx, mr))
        lines.append(rule(bl, mh, bt, br))
        return "\n".join(lines + self.total_lines())

    def _repr_html_(self):
        """The table as HTML, for Jupyter (names escaped)."""
        align = ["left", "left", "right"] + ["left"] * (len(self.headers) - 3)
        return html_table(self.headers, self.rows, caption=f'Model: "{self.name}"',
                          align=align, footer=[line.strip() for line in self.total_lines()])

    def __str__(self):
        return self.to_text()

    def __repr__(self):
        return self.to_text()


def summary_table(model, expand_nested=False, show_trainable=False):
    """``model.summary()``'s table as a :class:`SummaryTable` (HTML in Jupyter).

    Example:
        >>> import glassnet as gn
        >>> model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,), name="dense")])
        >>> table = summary_table(model)
        >>> table.rows
        [['dense (Dense)', '(None, 2)', '8']]
        >>> table.totals[0]
        ('Total', 8, 32)
    """
    return SummaryTable(model, expand_nested, show_trainable)


def summary_text(model, line_length=None, expand_nested=False, show_trainable=False,
                 use_unicode=True):
    """The text ``model.summary()`` prints, as one string."""
    return SummaryTable(model, expand_nested, show_trainable).to_text(line_length, use_unicode)


def print_summary(model, line_length=None, print_fn=None, expand_nested=False,
                  show_trainable=False):
    """What ``model.summary()`` does: print the table line by line; returns None (Keras).

    With ``print_fn`` given, each line of the text goes to it. Without, in a Jupyter notebook
    the table is displayed as HTML (with the text as its plain-text form); elsewhere it is
    printed, in ASCII where the terminal's encoding has no box-drawing characters.
    """
    table = SummaryTable(model, expand_nested, show_trainable)
    if print_fn is None and display.display(table):
        return None
    use_unicode = True
    if print_fn is None:
        encoding = getattr(sys.stdout, "encoding", None) or "ascii"
        try:
            "┏━┃│└─".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            use_unicode = False
        print_fn = print
    for line in table.to_text(line_length, use_unicode).split("\n"):
        print_fn(line)
    return None

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
