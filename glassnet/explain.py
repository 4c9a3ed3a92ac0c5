"""Glass box: a table of every node of a computation, its forward value and its gradient.

Two ways in:

* ``gn.trace()`` records every op run inside a ``with`` block. Outputs that take part in a
  graph are marked with ``retain_grad()``, so after ``backward()`` the table shows the
  gradient of every intermediate node as well (seed 002's 残差, the deltas), not only of the
  leaves.
* ``gn.explain(output)`` walks the graph that already leads to ``output`` and (by default)
  computes every node's gradient d(output)/d(node) without touching any ``.grad``.

Either gives a :class:`Trace`: ``print(t)``, ``t.to_text()``, ``t.to_markdown()``,
``t.to_csv(path_or_None)``, ``t.to_dot()`` (Graphviz) and ``t.rows()`` (a list of dicts). In
Jupyter, a trace left as a cell's last expression shows as an HTML table (``_repr_html_``).

Example:
    >>> import glassnet as gn
    >>> from glassnet.explain import trace
    >>> w = gn.tensor(3.0, requires_grad=True, name="w")
    >>> b = gn.tensor(4.0, requires_grad=True, name="b")
    >>> with trace() as t:
    ...     x = 2 * w + 3 * b
    ...     y = 2 * b + 1
    ...     z = x * y
    >>> t.label(x=x, y=y, z=z)
    >>> z.backward()
    >>> print(t)
    node  op    inputs      value  grad
    ----  ----  ----------  -----  ----
    w     leaf              3      18
    mul1  Mul   2, w        6      9
    b     leaf              4      63
    mul2  Mul   3, b        12     9
    x     Add   mul1, mul2  18     9
    mul3  Mul   2, b        8      18
    y     Add   mul3, 1     9      18
    z     Mul   x, y        162    1
"""

import csv
import io

from glassnet.backend import xp
from glassnet.display import html_table
from glassnet.tensor import Tensor, _op_hooks, _topological_functions

COLUMNS = ("node", "op", "inputs", "value", "grad")


def _format(array):
    """One-line text for a value or gradient: 6 significant digits, long arrays summarized."""
    if array is None:
        return ""
    array = xp.asarray(array)
    if array.size == 1:
        value = array.item()
        return f"{value:.6g}" if isinstance(value, float) else str(value)
    with xp.printoptions(precision=4, threshold=8, edgeitems=2, linewidth=10**6):
        text = xp.array2string(array, separator=", ")
    return " ".join(text.split()).replace("[ ", "[").replace(" ,", ",").replace(" ]", "]")


class Trace:
    """The nodes of a computation in the order they were computed (see module docstring)."""

    def __init__(self):
        self.records = []  # (op name, inputs, outputs), in execution order
        self._values = {}  # id(tensor) -> value when it was first seen
        self._grads = {}  # id(tensor) -> gradient computed by explain(), overrides .grad
        self._tensors = {}  # id(tensor) -> tensor (keeps them alive while the trace lives)

    # -------------------------------------------------------------- recording
    def __enter__(self):
        _op_hooks.append(self._record)
        return self

    def __exit__(self, *exc_info):
        _op_hooks.remove(self._record)
        return False

    def _record(self, function, inputs, outputs):
        for y in outputs:
            if y.requires_grad:
                y.retain_grad()
        self._add(function.op_name, inputs, outputs)

    def _add(self, op, inputs, outputs):
        for t in (*inputs, *outputs):
            if id(t) not in self._tensors:
                self._tensors[id(t)] = t
                self._values[id(t)] = t.data.copy()
        self.records.append((op, tuple(inputs), tuple(outputs)))

    def label(self, mapping=None, **named):
        """Name tensors for the table: ``t.label(x=x, y=y)`` or ``t.label(locals())``.

        Entries that are not tensors, or that are not part of the trace, are ignored; names
        already given (``gn.tensor(..., name="w")``) are kept.
        """
        for name, value in {**(mapping or {}), **named}.items():
            if isinstance(value, Tensor) and id(value) in self._tensors and value.name is None:
                value.name = name

    # -------------------------------------------------------------- the table
    def _nodes(self):
        """(tensor, op) for every row, and a display name for every tensor."""
        produced, rows, names, counts = set(), [], {}, {}

        def auto(tensor, op):
            if tensor.name is not None:
                return tensor.name
            counts[op] = counts.get(op, 0) + 1
            return f"{op.lower()}{counts[op]}"

        for op, inputs, outputs in self.records:
            for x in inputs:
                if id(x) in produced or id(x) in names:
                    continue
                if x.name is None and not x.requires_grad and x.size == 1:
                    names[id(x)] = _format(self._values[id(x)])  # a constant: shown inline
                    continue
                kind = "leaf" if x.requires_grad else "const"
                names[id(x)] = auto(x, kind)
                rows.append((x, kind))
            for y in outputs:
                produced.add(id(y))
                names[id(y)] = auto(y, op)
                rows.append((y, op))
        return rows, names

    def rows(self):
        """One dict per node: ``node, op, inputs, value, grad`` (text), plus the ``tensor``."""
        nodes, names = self._nodes()
        inputs_of = {id(y): inputs for _, inputs, outputs in self.records for y in outputs}
        table = []
        for tensor, op in nodes:
            grad = self._grads.get(id(tensor))
            if grad is None and tensor.grad is not None:
                grad = tensor.grad.data
            table.append({
                "node": names[id(tensor)],
                "op": op,
                "inputs": ", ".join(names[id(x)] for x in inputs_of.get(id(tensor), ())),
                "value": _format(self._values[id(tensor)]),
                "grad": _format(grad),
                "tensor": tensor,
            })
        return table

    def _cells(self):
        return [[row[c] for c in COLUMNS] for row in self.rows()]

    def to_text(self):
        """The table as aligned plain text."""
        cells = [list(COLUMNS), *self._cells()]
        widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def to_markdown(self):
        """The table in GitHub Markdown."""
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        for r in self._cells():
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
        return "\n".join(lines)

    def to_csv(self, path=None):
        """Write the table as CSV to ``path``; with no path, return the CSV text."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(self._cells())
        text = buffer.getvalue()
        if path is None:
            return text
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def to_dot(self):
        """Graphviz dot text: a tensor node (name, value, grad) per row and a box per op."""
        nodes, names = self._nodes()
        ids = {id(t): f"t{i}" for i, (t, _) in enumerate(nodes)}
        lines = ["digraph glassnet {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
        for tensor, _ in nodes:
            label = names[id(tensor)] + "\\nvalue " + _format(self._values[id(tensor)])
            grad = self._grads.get(id(tensor))
            if grad is None and tensor.grad is not None:
                grad = tensor.grad.data
            if grad is not None:
                label += "\\ngrad " + _format(grad)
            lines.append(f'  {ids[id(tensor)]} [label="{label}", shape=ellipse];')
        for k, (op, inputs, outputs) in enumerate(self.records):
            lines.append(f'  f{k} [label="{op}", shape=box];')
            for j, x in enumerate(inputs):
                if id(x) not in ids:  # an inline constant
                    ids[id(x)] = f"c{k}_{j}"
                    lines.append(f'  c{k}_{j} [label="{names[id(x)]}", shape=plaintext];')
                lines.append(f"  {ids[id(x)]} -> f{k};")
            lines += [f"  f{k} -> {ids[id(y)]};" for y in outputs]
        lines.append("}")
        return "\n".join(lines)

    def _repr_html_(self):
        """The table as HTML, for Jupyter (every name escaped)."""
        return html_table(COLUMNS, self._cells(), caption=f"Trace of {len(self.records)} ops",
                          align=["left", "left", "left", "right", "right"])

    def __str__(self):
        return self.to_text()

    def __repr__(self):
        return f"<Trace of {len(self.records)} ops>"


def trace():
    """Record every op run inside ``with gn.trace() as t:`` (see :class:`Trace`).

    Returns:
        A :class:`Trace`, filled while the block runs; gradients appear after ``backward()``.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.explain import trace
        >>> a = gn.tensor([1.0, 2.0], requires_grad=True, name="a")
        >>> with trace() as t:
        ...     loss = (a * a).sum()
        >>> loss.backward()
        >>> [(row["node"], row["grad"]) for row in t.rows()]
        [('a', '[2., 4.]'), ('mul1', '[1., 1.]'), ('sum1', '1')]
    """
    return Trace()


def explain(output, backward=True):
    """The table of the graph that produced ``output``.

    Args:
        output: a Tensor produced by ops on tensors that require grad.
        backward: also compute d(output)/d(node) for every node (d sum(output) for a
            non-scalar output). This uses a private backward pass: the ``.grad`` of the
            tensors is left as it was. With False, the table shows the ``.grad`` they hold.

    Returns:
        A :class:`Trace`.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.explain import explain
        >>> x = gn.tensor(2.0, requires_grad=True, name="x")
        >>> print(explain(x * x).to_markdown())
        | node | op | inputs | value | grad |
        |---|---|---|---|---|
        | x | leaf |  | 2 | 4 |
        | mul1 | Mul | x, x | 4 | 1 |
    """
    t = Trace()
    for function in reversed(_topological_functions(output)):
        outputs = [ref() for ref in function.outputs]
        t._add(function.op_name, function.inputs, [y for y in outputs if y is not None])
    if backward and output.requires_grad:
        tensors = list(t._tensors.values()) + [output]
        saved = [(x, x.grad, x._retain_grad) for x in tensors]
        try:
            for x in tensors:
                x.grad, x._retain_grad = None, True
            output.backward(Tensor(xp.ones_like(output.data)))
            t._grads = {id(x): x.grad.data for x in tensors if x.grad is not None}
        finally:
            for x, grad, retain in saved:
                x.grad, x._retain_grad = grad, retain
    return t
