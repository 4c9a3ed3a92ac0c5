"""Seed 004: sigmoid, ReLU and tanh on the inputs [-1, 0, 1], with their curves.

Reproduces seed 004, section 2 (深度学习中的激活函数, 2.1-2.3 and its NumPy code example): the
three functions evaluated at x = [-1, 0, 1], with the seed's printed results ::

    Sigmoid函数的输出: [0.26894142 0.5        0.73105858]
    ReLU函数的输出: [0 0 1]
    Tanh函数的输出: [-0.76159416  0.          0.76159416]

Here the functions are glassnet's (``glassnet.functional.sigmoid / relu / tanh``) on a float64
tensor, and the derivatives come from glassnet's autodiff: sigmoid'(x) = s(x)(1 - s(x)) (the
identity the seed quotes; 0.25 at 0), relu'(x) = 1 for x > 0 else 0, tanh'(x) = 1 - tanh(x)^2.
The seed's ReLU output is integer ([0 0 1]) because its NumPy input is an int array; glassnet
works in floats, so it prints [0. 0. 1.] — the same values. Table: ``activations.md``/``.csv``.

Figure (PNG, via ``glassnet.viz.plot_activations``; skipped when matplotlib is missing):

* ``activations.png``: three panels on x in [-5, 5], each the function (solid) and its
  derivative (dashed), with the seed's three points marked as dots: sigmoid rises from 0 to 1
  through 0.5 and its derivative is a bump of height 0.25 (small at both ends: the vanishing
  gradient the seed warns about); relu is 0 then the identity, its derivative a 0/1 step; tanh
  runs from -1 to 1 through 0 with a derivative bump of height 1.

Run:
    python examples/seed004_activations.py [--quick] [--out DIR]
"""

import argparse
import csv
from pathlib import Path

import numpy as np

import glassnet as gn
import glassnet.functional as F

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
POINTS = [-1.0, 0.0, 1.0]
FUNCTIONS = {"sigmoid": F.sigmoid, "relu": F.relu, "tanh": F.tanh}


def evaluate(points=POINTS):
    """{name: (values, derivatives)} at ``points`` (float64, derivatives by autodiff)."""
    results = {}
    for name, fn in FUNCTIONS.items():
        x = gn.tensor(np.asarray(points, dtype=np.float64), requires_grad=True)
        y = fn(x)
        y.sum().backward()
        results[name] = (y.numpy(), x.grad.numpy())
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="same as the default (instant)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    results = evaluate()
    for name, (values, _) in results.items():
        print(f"{name} output on {POINTS}: {values}")
    header = ["function", *(f"f({p:g})" for p in POINTS), *(f"f'({p:g})" for p in POINTS)]
    rows = [[name, *(f"{v:.8f}" for v in values), *(f"{d:.8f}" for d in grads)]
            for name, (values, grads) in results.items()]
    with open(out / "activations.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    lines = ["# Seed 004: activation functions on [-1, 0, 1]", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    (out / "activations.md").write_text(text, encoding="utf-8")
    print(text)

    figures = []
    try:
        from glassnet import viz

        fig = viz.plot_activations(list(FUNCTIONS))
        for ax, (values, _) in zip(fig.axes, results.values(), strict=True):
            ax.plot(POINTS, values, "ko", markersize=5, label="seed's points")
            ax.legend(loc="upper left", fontsize="small")
        viz.save_figure(fig, out / "activations.png")
        figures.append(out / "activations.png")
        print(f"figure: {figures[-1]}")
    except ImportError as error:
        print(f"skipped activations.png: {error}")
    return {"points": POINTS, "values": {k: v[0] for k, v in results.items()},
            "derivatives": {k: v[1] for k, v in results.items()}, "figures": figures,
            "out": out}


if __name__ == "__main__":
    main()
