"""Seed 002: gradient descent theta <- theta - eta * grad J(theta), gradients from autodiff.

Three experiments from the seed, each derivative taken by ``J.backward()``:

1. J(x) = x^2 from x0 = 1.2 with eta = 0.3, until J < 0.01 (x: 1.2, 0.48, 0.192, 0.0768).
2. J(x, y) = x^2 + sin^2(y) from (3, 1) with eta = 0.1, until J < 0.01: table 2-3. After 16
   updates x = 0.084442, y = 0.050819, J = 0.009711.
   The seed's row numbers are off by one: it labels the starting point (3, 1) "1" and the
   state after one update "2", but then labels the state after 15 updates "15" and after 16
   updates "16". Counting updates, the rows are 0, 1, ..., 15, 16 (as here); counting rows
   from 1, the last two would be 16 and 17. "After 16 iterations J = 0.009711" is right when
   iterations count updates.
3. Learning rates 1.0, 0.8, 0.4 and 0.1 on J(x) = x^2 from x0 = 1.2, 10 updates each. One
   update multiplies x by (1 - 2 eta): 1.0 flips x between 1.2 and -1.2 forever (J stays
   1.44: "jumping on a horizontal line"), 0.8 zig-zags in (factor -0.6), 0.4 approaches from
   one side and is essentially there after 4 steps (factor 0.2), 0.1 approaches slowly
   (factor 0.8; after 10 steps J = 0.0166 is still above 0.01). (The seed's figures come
   from the same experiment on J = (x - 1)^2 + 0.1 from x0 = -0.8, which behaves identically.)

Run:
    python examples/seed002_gradient_descent.py [--quick] [--out DIR]
``--quick`` skips the optional PNG (written only when matplotlib is installed).
"""

import argparse
import csv
from pathlib import Path

import glassnet as gn

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
LEARNING_RATES = (1.0, 0.8, 0.4, 0.1)


def descend(J, start, learning_rate, stop_below=None, steps=None, max_steps=1000):
    """Gradient descent on J from ``start``; the gradient comes from ``J(*params).backward()``.

    Args:
        J: a function of scalar tensors returning a scalar tensor.
        start: starting values, one per parameter.
        learning_rate: eta.
        stop_below: stop as soon as J < stop_below.
        steps: or stop after this many updates.

    Returns:
        A list of rows (update count, parameter values..., J), the starting point first.
    """
    params = [gn.tensor(v, dtype=gn.float64, requires_grad=True) for v in start]
    rows = []
    for n in range(max_steps + 1):
        loss = J(*params)
        rows.append((n, *(p.item() for p in params), loss.item()))
        if (stop_below is not None and loss.item() < stop_below) or n == steps:
            return rows
        loss.backward()
        with gn.no_grad():
            for p in params:
                p.data -= learning_rate * p.grad.data  # theta <- theta - eta * dJ/dtheta
                p.zero_grad()
    raise RuntimeError(f"no convergence in {max_steps} steps")


def square(x):
    return x**2


def square_plus_sin_square(x, y):
    return x**2 + gn.sin(y) ** 2


def _markdown(header, rows, digits=6):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [str(row[0])] + [f"{v:.{digits}f}" for v in row[1:]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _write(out, name, header, rows):
    text = _markdown(header, rows)
    (out / f"{name}.md").write_text(text + "\n", encoding="utf-8")
    with open(out / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([[row[0], *(f"{v:.6f}" for v in row[1:])] for row in rows])
    return text


def descent_figure(single, double, paths):
    """The figure of the descent paths: 5 panels x vs J(x) = x² and the contour panel (x, y).

    Needs matplotlib (raises ImportError without it). Every panel has axis labels.
    """
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 8), layout="constrained")
    axes = fig.subplots(2, 3)
    grid = np.linspace(-1.3, 1.3, 200)
    panels = [("J(x) = x², eta = 0.3, until J < 0.01", single)] + [
        (f"J(x) = x², eta = {eta}", rows) for eta, rows in paths.items()
    ]
    for ax, (title, rows) in zip(axes.flat, panels, strict=False):
        xs = [r[1] for r in rows]
        ax.plot(grid, grid**2, color="0.7")
        ax.plot(xs, [x * x for x in xs], "o-", color="tab:red", markersize=4,
                label="x after each update")
        ax.set(title=title, xlabel="x", ylabel="J(x) = x²")
        ax.legend(fontsize="small", loc="upper center")
    ax = axes.flat[-1]
    gx, gy = np.meshgrid(np.linspace(-0.5, 3.2, 100), np.linspace(-0.5, 1.2, 100))
    ax.contour(gx, gy, gx**2 + np.sin(gy) ** 2, levels=20, cmap="viridis")
    ax.plot([r[1] for r in double], [r[2] for r in double], "o-", color="tab:red", markersize=3,
            label="(x, y) after each update")
    ax.set(title="contours of J(x, y) = x² + sin²(y), eta = 0.1", xlabel="x", ylabel="y")
    ax.legend(fontsize="small", loc="lower right")
    return fig


def _plot(out, single, double, paths):
    """Optional PNG of the descent paths (needs matplotlib; skipped without it)."""
    try:
        fig = descent_figure(single, double, paths)
    except ImportError:
        return None
    path = out / "gradient_descent.png"
    fig.savefig(path, dpi=80)
    return path


def main(argv=None):
    """Run the three experiments; returns their rows (for tests) and writes the tables."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="skip the optional figure")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="folder for tables and figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    single = descend(square, [1.2], 0.3, stop_below=0.01)
    print("J(x) = x^2, x0 = 1.2, eta = 0.3, until J < 0.01:")
    print(_write(out, "single_variable", ["update", "x", "J"], single) + "\n")

    double = descend(square_plus_sin_square, [3.0, 1.0], 0.1, stop_below=0.01)
    print("Table 2-3: J(x, y) = x^2 + sin^2(y), (x0, y0) = (3, 1), eta = 0.1, until J < 0.01:")
    print(_write(out, "table_2_3", ["update", "x", "y", "J"], double) + "\n")

    paths = {eta: descend(square, [1.2], eta, steps=10) for eta in LEARNING_RATES}
    header = ["update"] + [f"x (eta={eta})" for eta in LEARNING_RATES]
    rows = [(n, *(paths[eta][n][1] for eta in LEARNING_RATES)) for n in range(11)]
    print("Learning rates on J(x) = x^2 from x0 = 1.2 (x after each update):")
    print(_write(out, "learning_rates", header, rows))

    figure = None if args.quick else _plot(out, single, double, paths)
    print(f"\ntables{' and figure' if figure else ''} written to {out}")
    return {"single": single, "double": double, "learning_rates": paths, "figure": figure,
            "out": out}


if __name__ == "__main__":
    main()
