"""Seed 002: non-linear back-propagation, table 2-2, with the derivatives from autodiff.

The seed's chain of five "people"::

    x  ->  a = x^2  ->  b = ln a  ->  c = sqrt(b)      target y = 2.13, start x = 2

Each iteration runs forward, takes Delta c = c - y and passes it back: the seed's deltas are
Delta c divided by the derivative of c with respect to each node,

    Delta b = Delta c / (dc/db) = Delta c * 2 sqrt(b)
    Delta a = Delta c / (dc/da) = Delta b * a
    Delta x = Delta c / (dc/dx) = Delta a / (2x)

and x <- x - Delta x, until |c - y| < 0.001. Here dc/db, dc/da and dc/dx are the gradients
that ``c.backward()`` leaves in ``b.grad``, ``a.grad`` (both kept with ``retain_grad()``) and
``x.grad``; nothing is differentiated by hand.

Exact values (float64) versus the seed's table 2-2: the seed prints x = 9.665 in iteration 5,
a typo for 9.656 (its own a = 93.233 = 9.656^2); it also writes c = 2.129 there (2.12958,
i.e. 2.130 rounded), Delta a = -26.317 in iteration 2 (exactly -26.314) and -6.698 in
iteration 4 (-6.6986). Every other entry agrees to the printed three decimals.

Run:
    python examples/seed002_backprop_nonlinear.py [--quick] [--out DIR]
"""

import argparse
import csv
from pathlib import Path

import glassnet as gn

TARGET = 2.13
TOLERANCE = 0.001
DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
FORWARD = ["x", "a", "b", "c", "y"]
BACKWARD = ["delta_c", "delta_b", "delta_a", "delta_x"]
LABELS = {"x": "x = x - delta_x", "a": "a = x^2", "b": "b = ln(a)", "c": "c = sqrt(b)",
          "y": "target y", "delta_c": "delta_c = c - y", "delta_b": "delta_b = delta_c * 2sqrt(b)",
          "delta_a": "delta_a = delta_b * a", "delta_x": "delta_x = delta_a / 2x"}


def iteration(x_value, target=TARGET):
    """One forward and backward pass at x; returns the column of table 2-2 as a dict."""
    x = gn.tensor(x_value, dtype=gn.float64, requires_grad=True)
    a = (x**2).retain_grad()
    b = gn.log(a).retain_grad()
    c = gn.sqrt(b)
    c.backward()
    delta_c = c.item() - target
    return {"x": x_value, "a": a.item(), "b": b.item(), "c": c.item(), "y": target,
            "delta_c": delta_c, "delta_b": delta_c / b.grad.item(),
            "delta_a": delta_c / a.grad.item(), "delta_x": delta_c / x.grad.item()}


def solve(x=2.0, target=TARGET, tolerance=TOLERANCE, max_iterations=50):
    """Iterate until |c - y| < tolerance; the last column has no backward pass (it stops)."""
    columns = []
    for _ in range(max_iterations):
        column = iteration(x, target)
        if abs(column["delta_c"]) < tolerance:
            columns.append({k: column[k] for k in FORWARD})
            return columns
        columns.append(column)
        x -= column["delta_x"]
    raise RuntimeError(f"no convergence in {max_iterations} iterations")


def table_rows(columns):
    """Table 2-2's layout: one row per quantity, one column per iteration (3 decimals)."""
    rows = []
    for key in FORWARD + BACKWARD:
        rows.append([LABELS[key]] + [f"{c[key]:.3f}" if key in c else "" for c in columns])
    return rows


def format_table(columns):
    header = ["quantity"] + [f"iteration {i + 1}" for i in range(len(columns))]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(columns)]
    return "\n".join(lines)


def main(argv=None):
    """Reproduce table 2-2; returns the columns (for tests) and writes Markdown and CSV."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="accepted; the example is instant")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="folder for the tables")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    columns = solve()
    table = format_table(columns)
    print(f"Table 2-2: solve sqrt(ln(x^2)) = {TARGET} from x = 2 (|c - y| < {TOLERANCE})")
    print(table)
    print(f"\nx = {columns[-1]['x']:.6f} gives c = {columns[-1]['c']:.6f}")
    (out / "table_2_2.md").write_text(table + "\n", encoding="utf-8")
    with open(out / "table_2_2.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["quantity"] + [f"iteration {i + 1}" for i in range(len(columns))])
        writer.writerows(table_rows(columns))
    print(f"tables written to {out}")
    return {"columns": columns, "x": columns[-1]["x"], "c": columns[-1]["c"], "out": out}


if __name__ == "__main__":
    main()
