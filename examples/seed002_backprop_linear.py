"""Seed 002: back-propagation on a linear graph, with every derivative from glassnet's autodiff.

The seed's example::

    x = 2w + 3b,   y = 2b + 1,   z = x * y,   at w = 3, b = 4:   z = 162

``z.backward()`` gives dz/dw = 18 and dz/db = 63 (the seed's formulas 4 and 5). The seed then
asks for the change that brings z to 150 and solves it three ways, iterating until
|z - 150| < 1e-4 and recomputing the derivatives at every step:

* change w only:   w <- w - (z - 150) / (dz/dw)
* change b only:   b <- b - (z - 150) / (dz/db)
* change both:     half of (z - 150) is charged to each,
                   w <- w - (z - 150)/2 / (dz/dw),  b <- b - (z - 150)/2 / (dz/db)

The seed's one-step numbers differ slightly from the exact ones because it rounds first:
"z = 150.0003" comes from w = 3 - 0.6667 (exactly, one step gives z = 150, since z is linear in
w), and "z = 150.2162" from b = 3.8095 (exactly 150.217687 at b = 3.809524); "150.2" for the
both-at-once step is 150.181406 rounded.

The script also writes the traced graph at w = 3, b = 4 (the seed's figure flow2): every node
with its forward value and its gradient, as Markdown, CSV and Graphviz dot.

Run:
    python examples/seed002_backprop_linear.py [--quick] [--out DIR]
"""

import argparse
import csv
from pathlib import Path

import glassnet as gn
from glassnet.explain import trace

TARGET = 150.0
TOLERANCE = 1e-4
DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
COLUMNS = ["iteration", "w", "b", "x", "y", "z", "delta_z", "dz/dw", "dz/db"]


def forward(w, b):
    """The seed's graph: returns x, y and z."""
    x = 2 * w + 3 * b
    y = 2 * b + 1
    z = x * y
    return x, y, z


def evaluate(w_value, b_value):
    """Forward values and dz/dw, dz/db at (w, b), the derivatives from ``z.backward()``."""
    w = gn.tensor(w_value, dtype=gn.float64, requires_grad=True)
    b = gn.tensor(b_value, dtype=gn.float64, requires_grad=True)
    x, y, z = forward(w, b)
    z.backward()
    return {"w": w_value, "b": b_value, "x": x.item(), "y": y.item(), "z": z.item(),
            "dz/dw": w.grad.item(), "dz/db": b.grad.item()}


def solve(change, w=3.0, b=4.0, target=TARGET, tolerance=TOLERANCE, max_iterations=100):
    """Iterate the seed's update until |z - target| < tolerance.

    Args:
        change: "w", "b" or "both" (then delta z is split half and half).
        w, b: the starting point.

    Returns:
        One dict per iteration (the last one meets the tolerance), keys as in ``COLUMNS``.
    """
    if change not in ("w", "b", "both"):
        raise ValueError(f"change must be 'w', 'b' or 'both', got {change!r}")
    share = 0.5 if change == "both" else 1.0
    rows = []
    for iteration in range(max_iterations + 1):
        row = {"iteration": iteration, **evaluate(w, b)}
        row["delta_z"] = row["z"] - target
        rows.append(row)
        if abs(row["delta_z"]) < tolerance:
            return rows
        if change in ("w", "both"):
            w -= share * row["delta_z"] / row["dz/dw"]
        if change in ("b", "both"):
            b -= share * row["delta_z"] / row["dz/db"]
    raise RuntimeError(f"no convergence in {max_iterations} iterations")


def trace_graph(w_value=3.0, b_value=4.0):
    """The traced graph at (w, b) after backward: a :class:`glassnet.explain.Trace`."""
    w = gn.tensor(w_value, dtype=gn.float64, requires_grad=True, name="w")
    b = gn.tensor(b_value, dtype=gn.float64, requires_grad=True, name="b")
    with trace() as graph:
        x, y, z = forward(w, b)
    graph.label(x=x, y=y, z=z)
    z.backward()
    return graph


def _format(value):
    return str(value) if isinstance(value, int) else f"{value:.6f}"


def format_table(rows):
    """Markdown table of a solve."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_format(r[c]) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def _write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows([[_format(r[c]) for c in COLUMNS] for r in rows])


def main(argv=None):
    """Run the seed's example; returns the numbers (for tests) and writes the tables."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="accepted; the example is instant")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="folder for the tables")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    start = evaluate(3.0, 4.0)
    print(f"w=3, b=4:  x={start['x']:g}  y={start['y']:g}  z={start['z']:g}")
    print(f"dz/dw = {start['dz/dw']:g}   dz/db = {start['dz/db']:g}   (from z.backward())\n")

    graph = trace_graph()
    print("The graph at w=3, b=4 (forward value and gradient dz/d(node) of every node):")
    print(graph.to_text() + "\n")
    (out / "graph.md").write_text(graph.to_markdown() + "\n", encoding="utf-8")
    graph.to_csv(out / "graph.csv")
    (out / "graph.dot").write_text(graph.to_dot() + "\n", encoding="utf-8")

    solves = {}
    for change in ("w", "b", "both"):
        rows = solves[change] = solve(change)
        title = {"w": "change w only", "b": "change b only", "both": "change w and b"}[change]
        print(f"Bring z to {TARGET:g} ({title}; |z - {TARGET:g}| < {TOLERANCE:g}):")
        print(format_table(rows) + "\n")
        (out / f"solve_{change}.md").write_text(format_table(rows) + "\n", encoding="utf-8")
        _write_csv(out / f"solve_{change}.csv", rows)
    print(f"tables written to {out}")
    return {"x": start["x"], "y": start["y"], "z": start["z"], "dz_dw": start["dz/dw"],
            "dz_db": start["dz/db"], "solves": solves, "graph": graph, "out": out}


if __name__ == "__main__":
    main()
