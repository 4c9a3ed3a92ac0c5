"""Seed 001: a linear unit y = w x + b fitted by BGD, SGD and mini-batch gradient descent.

Seed 001 gives the linear unit (a perceptron whose activation is f(x) = x) and the two ways
of descending its loss — one sample per update (SGD) or the whole batch per update (BGD) — but
no data. Here, as in the salary example of the tutorial it follows, the data are synthetic
"salary vs. years of work": salary (thousands) = 1.2 * years + 3.0 + noise, 40 people with 0
to 10 years. The loss is E = 1/2 mean((y - t)^2) and its gradients come from glassnet's
autodiff; one SGD step is exactly the seed's w <- w + eta (t - y) x.

The table compares, for the same number of epochs and learning rate, the number of updates,
the final loss, the learned w and b and the least-squares optimum. SGD makes 40 updates per
epoch and gets closest to the optimum per epoch (but noisily, and at the most Python
overhead); BGD makes one smooth update per epoch; mini-batch sits in between.

Run:
    python examples/seed001_linear_unit.py [--quick] [--out DIR] [--epochs N]
Writes ``linear_unit.md`` and, unless ``--quick``, ``linear_unit.png`` (matplotlib only).
"""

import argparse
from pathlib import Path

import glassnet as gn
from glassnet.backend import xp
from glassnet.classic import LinearUnit

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
TRUE_W, TRUE_B = 1.2, 3.0


def salary_data(n=40, seed=1):
    """Synthetic (years, salary in thousands) pairs on the line 1.2 x + 3 plus noise."""
    rng = xp.random.default_rng(seed)
    years = rng.uniform(0, 10, size=(n, 1)).astype(xp.float32)
    salary = (TRUE_W * years[:, 0] + TRUE_B + rng.normal(0, 0.5, size=n)).astype(xp.float32)
    return years, salary


def least_squares(x, t):
    """The exact minimizer of the loss (w, b, loss), by linear algebra, for comparison."""
    a = xp.hstack([x.astype(xp.float64), xp.ones((len(x), 1))])
    (w, b), *_ = xp.linalg.lstsq(a, t.astype(xp.float64), rcond=None)
    loss = 0.5 * xp.mean((a @ [w, b] - t) ** 2)
    return float(w), float(b), float(loss)


def compare(epochs=100, learning_rate=0.02, batch_size=8, seed=0):
    """Fit one linear unit per method from w = b = 0; returns {method: result dict}."""
    x, t = salary_data()
    results = {}
    for method in ("bgd", "sgd", "minibatch"):
        gn.manual_seed(seed)  # the same shuffles for every run
        unit = LinearUnit(1, learning_rate=learning_rate)
        unit.fit(x, t, epochs=epochs, method=method, batch_size=batch_size)
        results[method] = {
            "epochs": epochs,
            "updates": unit.history["steps"][-1],
            "loss": unit.history["loss"][-1],
            "loss_history": unit.history["loss"],
            "w": float(unit.weights.data[0, 0]),
            "b": float(unit.bias.data[0]),
            "seconds": unit.fit_seconds,
        }
    w, b, loss = least_squares(x, t)
    results["least_squares"] = {"w": w, "b": b, "loss": loss}
    return results


def markdown(results, learning_rate, batch_size):
    best = results["least_squares"]
    lines = ["# Seed 001: linear unit, BGD vs SGD vs mini-batch", "",
             f"Learning rate {learning_rate}, mini-batch size {batch_size}, 40 samples; "
             f"least-squares optimum w = {best['w']:.4f}, b = {best['b']:.4f}, "
             f"E = {best['loss']:.4f}.", "",
             "| method | epochs | updates | final E | w | b | seconds |",
             "|---|---|---|---|---|---|---|"]
    for method in ("bgd", "sgd", "minibatch"):
        r = results[method]
        lines.append(f"| {method.upper()} | {r['epochs']} | {r['updates']} | {r['loss']:.4f} "
                     f"| {r['w']:.4f} | {r['b']:.4f} | {r['seconds']:.2f} |")
    return "\n".join(lines) + "\n"


def plot(results, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    from glassnet import viz

    for i, method in enumerate(("bgd", "sgd", "minibatch")):
        losses = results[method]["loss_history"]
        ax.semilogy(range(1, len(losses) + 1), losses, label=method.upper(),
                    **{**viz.line_style(i), "marker": None})
    ax.axhline(results["least_squares"]["loss"], color="k", ls=":", label="optimum")
    ax.set(xlabel="epoch", ylabel="E = 1/2 mean((y - t)^2)", title="Linear unit")
    viz.integer_ticks(ax)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="fewer epochs, no PNG")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=0.02)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args(argv)
    epochs = args.epochs or (30 if args.quick else 200)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = compare(epochs, args.learning_rate, args.batch_size)
    text = markdown(results, args.learning_rate, args.batch_size)
    (out / "linear_unit.md").write_text(text, encoding="utf-8")
    if not args.quick:
        plot(results, out / "linear_unit.png")
    print(text)
    return results


if __name__ == "__main__":
    main()
