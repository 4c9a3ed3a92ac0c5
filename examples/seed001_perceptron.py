"""Seed 001: the perceptron y = step(w . x + b) learns AND, OR and NOT, but not XOR.

The perceptron rule w <- w + eta (t - y) x, b <- b + eta (t - y) (eta = 0.1, weights and bias
starting at 0, samples in truth-table order) converges — an epoch with no mistakes — exactly
when a straight line separates the 1s from the 0s. AND, OR and NOT are separable; XOR is not
(no line puts (0, 1) and (1, 0) on one side and (0, 0) and (1, 1) on the other), so training
XOR stops at the epoch limit with mistakes left and glassnet says so (``converged`` is False
and a ConvergenceWarning is issued).

Run:
    python examples/seed001_perceptron.py [--quick] [--out DIR] [--epochs N]
Writes ``perceptron.md`` (a table per function) and, unless ``--quick``, ``perceptron.png``
with the learned decision lines (only if matplotlib is installed).
"""

import argparse
import warnings
from pathlib import Path

from glassnet.classic import TRUTH_TABLES, ConvergenceWarning, Perceptron

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem


def train_all(epochs=20, learning_rate=0.1):
    """Train one perceptron per truth table; returns {name: result dict}."""
    results = {}
    for name, (x, t) in TRUTH_TABLES.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            p = Perceptron(len(x[0]), learning_rate=learning_rate).fit(x, t, epochs=epochs)
        results[name] = {
            "inputs": x,
            "targets": t,
            "predictions": [int(v) for v in p.predict(x)],
            "converged": p.converged,
            "epochs": p.epochs_run,
            "weights": [float(w) for w in p.weights],
            "bias": float(p.bias),
            "errors_per_epoch": [h["errors"] for h in p.history],
            "warning": str(caught[0].message) if caught else "",
        }
    return results


def markdown(results):
    lines = ["# Seed 001: perceptron on logic functions", ""]
    lines += ["| function | converged | epochs | weights | bias | mistakes per epoch |",
              "|---|---|---|---|---|---|"]
    for name, r in results.items():
        weights = ", ".join(f"{w:.1f}" for w in r["weights"])
        lines.append(f"| {name.upper()} | {'yes' if r['converged'] else 'NO'} | {r['epochs']} "
                     f"| [{weights}] | {r['bias']:.1f} | {r['errors_per_epoch']} |")
    for name, r in results.items():
        lines += ["", f"## {name.upper()}", "", "| x | target | prediction |", "|---|---|---|"]
        for x, t, y in zip(r["inputs"], r["targets"], r["predictions"], strict=True):
            lines.append(f"| {tuple(x)} | {t} | {y}{'' if t == y else '  (wrong)'} |")
        if r["warning"]:
            lines += ["", f"> {r['warning']}"]
    return "\n".join(lines) + "\n"


def plot(results, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    import numpy as np

    two_d = [n for n, r in results.items() if len(r["inputs"][0]) == 2]
    fig, axes = plt.subplots(1, len(two_d), figsize=(4 * len(two_d), 4))
    xs = np.linspace(-0.5, 1.5, 50)
    for ax, name in zip(axes, two_d, strict=True):
        r = results[name]
        for (a, b), t in zip(r["inputs"], r["targets"], strict=True):
            ax.scatter(a, b, c="tab:red" if t else "tab:blue", s=80)
        (w1, w2), b = r["weights"], r["bias"]
        if w2:
            ax.plot(xs, -(w1 * xs + b) / w2, "k--")
        ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5),
               title=f"{name.upper()} ({'converged' if r['converged'] else 'not separable'})")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="skip the PNG")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = train_all(epochs=args.epochs)
    (out / "perceptron.md").write_text(markdown(results), encoding="utf-8")
    if not args.quick:
        plot(results, out / "perceptron.png")
    for name, r in results.items():
        run = f"{r['epochs']} epoch{'s' if r['epochs'] != 1 else ''}"
        status = f"converged after {run}" if r["converged"] else (
            f"did NOT converge in {run}: not linearly separable")
        print(f"{name.upper():4s} {status}; predictions {r['predictions']} "
              f"(targets {r['targets']})")
    return results


if __name__ == "__main__":
    main()
