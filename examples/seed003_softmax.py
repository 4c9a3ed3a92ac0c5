"""Seed 003: softmax of the scores 1, 2, 5, 3 drawn against max.

Reproduces seed 003's activation-function section (激活函数, Softmax): "假如有一组数1、2、5、3,
容易计算出它们的Softmax函数值分别约为0.01、0.04、0.83、0.11,将它们的原数值和Softmax函数值、max函数值
等比例画出" — for the numbers 1, 2, 5, 3 the softmax values are about 0.01, 0.04, 0.83, 0.11; draw
the raw values, the softmax values and the max values side by side.

softmax(z)_i = e^{z_i} / sum_j e^{z_j}, computed with ``glassnet.functional.softmax``. The exact
values are 0.0152, 0.0414, 0.8310, 0.1125: the seed's 0.01 / 0.04 / 0.83 / 0.11 are these
truncated to two decimals (rounded, the first would be 0.02). The table
(``softmax.md``/``softmax.csv``) lists z, e^z, softmax(z) and the one-hot max(z).

Figure (PNG, via ``glassnet.viz.plot_softmax_vs_max``; skipped when matplotlib is missing):

* ``softmax_vs_max.png``: three bar charts over the same four positions, labelled with their
  numbers: the scores z = 1, 2, 5, 3; softmax(z) (orange), where the largest score takes 83 % of
  the mass but every entry stays positive; and max(z) as a one-hot vector (1 at z = 5, 0
  elsewhere). Softmax is the "soft", differentiable version of max.

Run:
    python examples/seed003_softmax.py [--quick] [--out DIR]
"""

import argparse
import csv
from pathlib import Path

import numpy as np

import glassnet as gn
import glassnet.functional as F

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
SCORES = (1.0, 2.0, 5.0, 3.0)


def softmax_table(scores=SCORES):
    z = gn.tensor(np.asarray(scores, dtype=np.float64))
    probabilities = F.softmax(z).numpy()
    hard = (np.arange(len(scores)) == np.argmax(scores)).astype(np.float64)
    return [{"z": float(s), "exp_z": float(np.exp(s)), "softmax": float(p), "max": float(h)}
            for s, p, h in zip(scores, probabilities, hard, strict=True)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="same as the default (instant)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    rows = softmax_table()
    header = ["z", "e^z", "softmax(z)", "max(z)"]
    cells = [[f"{r['z']:g}", f"{r['exp_z']:.4f}", f"{r['softmax']:.4f}", f"{r['max']:g}"]
             for r in rows]
    with open(out / "softmax.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *cells])
    lines = ["# Seed 003: softmax of (1, 2, 5, 3) vs max", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c) + " |" for c in cells]
    lines += ["", f"sum of softmax(z) = {sum(r['softmax'] for r in rows):.4f}"]
    text = "\n".join(lines) + "\n"
    (out / "softmax.md").write_text(text, encoding="utf-8")
    print(text)
    print("softmax:", [round(r["softmax"], 4) for r in rows])

    figures = []
    try:
        from glassnet import viz

        viz.plot_softmax_vs_max(SCORES, path=out / "softmax_vs_max.png")
        figures.append(out / "softmax_vs_max.png")
        print(f"figure: {figures[-1]}")
    except ImportError as error:
        print(f"skipped softmax_vs_max.png: {error}")
    return {"scores": list(SCORES), "softmax": [r["softmax"] for r in rows], "rows": rows,
            "figures": figures, "out": out}


if __name__ == "__main__":
    main()
