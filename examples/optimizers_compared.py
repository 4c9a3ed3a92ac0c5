"""Every glassnet optimizer on the same 2-D loss surfaces, from the same starting point.

Seed 003 compares SGD, momentum, Nesterov, Adagrad, RMSprop and Adam; this example runs each of
them (plus Adadelta, AdamW and Ftrl) on two classic surfaces with glassnet's autodiff
(``opt.minimize(loss_fn, [p])``) and reports, per surface and optimizer, the final loss and the
number of steps needed to bring the loss under a threshold:

* an elongated quadratic bowl ``f(x, y) = 0.1 x^2 + 2 y^2`` (ill-conditioned: curvature 20x
  larger along y), from (-4, 1.5);
* the Rosenbrock valley ``f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`` (minimum 0 at (1, 1)), from
  (-1.2, 1).

It prints the table and writes it as Markdown and CSV, plus (when matplotlib is installed) a
contour plot with every optimizer's path (each its own colour, dash pattern and marker; a path
that coincides with an earlier one, as AdamW's can with Adam's, is drawn thick underneath and
named so in the legend), into ``--out`` (default
``examples/output/optimizers_compared``). The learning rates are hand-picked per surface so that
each optimizer behaves reasonably (RMSprop also shows a schedule as ``learning_rate``); they
are part of the table.

The second half of seed 003's comparison (the same optimizers training an MNIST MLP with
relu/relu/softmax and cross-entropy) is ``examples/seed003_optimizers_compared.py``.

Run:
    python examples/optimizers_compared.py [--quick] [--out DIR]
"""

import argparse
import csv
import os

import numpy as np

import glassnet as gn
from glassnet.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, Ftrl, RMSprop
from glassnet.schedules import ExponentialDecay


def quadratic(p):
    return 0.1 * p[0] ** 2 + 2.0 * p[1] ** 2


def rosenbrock(p):
    return (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2


SURFACES = {
    "quadratic": dict(
        fn=quadratic, start=(-4.0, 1.5), minimum=(0.0, 0.0), threshold=1e-4, box=(-5, 5, -2.5, 2.5),
        optimizers={
            "SGD": lambda: SGD(0.2),
            "SGD momentum": lambda: SGD(0.05, momentum=0.9),
            "SGD nesterov": lambda: SGD(0.05, momentum=0.9, nesterov=True),
            "Adagrad": lambda: Adagrad(0.8),
            "Adadelta": lambda: Adadelta(1.0, epsilon=1e-6),
            "RMSprop": lambda: RMSprop(ExponentialDecay(0.05, decay_steps=200, decay_rate=0.5)),
            "Adam": lambda: Adam(0.1),
            "AdamW": lambda: AdamW(0.1, weight_decay=0.01),
            "Ftrl": lambda: Ftrl(2.0),
        }),
    "rosenbrock": dict(
        fn=rosenbrock, start=(-1.2, 1.0), minimum=(1.0, 1.0), threshold=1e-3, box=(-2, 2, -1, 3),
        optimizers={
            "SGD": lambda: SGD(1e-3),
            "SGD momentum": lambda: SGD(2e-4, momentum=0.9),
            "SGD nesterov": lambda: SGD(2e-4, momentum=0.9, nesterov=True),
            "Adagrad": lambda: Adagrad(0.5),
            "Adadelta": lambda: Adadelta(1.0, epsilon=1e-6),
            "RMSprop": lambda: RMSprop(ExponentialDecay(0.01, decay_steps=300, decay_rate=0.5)),
            "Adam": lambda: Adam(0.05),
            "AdamW": lambda: AdamW(0.05, weight_decay=0.001),
            "Ftrl": lambda: Ftrl(1.0),
        }),
}


def run(fn, start, make_optimizer, steps, threshold):
    """Minimise ``fn`` from ``start``; return the path, the losses and steps-to-threshold."""
    p = gn.tensor(np.array(start, dtype=np.float64), requires_grad=True)
    opt = make_optimizer()
    path, losses = [p.data.copy()], []
    reached = None
    for step in range(steps):
        loss = opt.minimize(lambda: fn(p), [p]).item()
        losses.append(loss)
        if reached is None and loss < threshold:
            reached = step
        path.append(p.data.copy())
        if not np.all(np.isfinite(p.data)):
            break
    final = float(fn(gn.tensor(p.data)).item())
    return {"path": np.array(path), "losses": losses, "final_loss": final,
            "steps_to_threshold": reached, "config": opt.get_config()}


def write_table(results, out):
    rows = [(r["surface"], r["optimizer"], r["learning_rate"], r["final_loss"],
             r["steps_to_threshold"], r["threshold"]) for r in results]
    header = ("surface", "optimizer", "learning_rate", "final_loss", "steps_to_threshold",
              "threshold")
    with open(os.path.join(out, "optimizers_compared.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for surface, name, lr, final, reached, threshold in rows:
        reached = "-" if reached is None else str(reached)
        lines.append(f"| {surface} | {name} | {lr:g} | {final:.3e} | {reached} | {threshold:g} |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "optimizers_compared.md"), "w") as f:
        f.write(text)
    return text


def plot(results, out):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    from glassnet import viz

    fig, axes = plt.subplots(1, len(SURFACES), figsize=(7 * len(SURFACES), 5.5))
    for ax, (surface, spec) in zip(np.atleast_1d(axes), SURFACES.items(), strict=True):
        x0, x1, y0, y1 = spec["box"]
        xs, ys = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
        zs = spec["fn"](np.stack([xs, ys]))
        ax.contour(xs, ys, np.log10(zs + 1e-6), levels=30, cmap="Greys", linewidths=0.6)
        runs = {r["optimizer"]: r["path"] for r in results if r["surface"] == surface}
        # paths closer than 1% of the plotted box everywhere look like one line (AdamW's
        # weight decay of 0.004 barely moves it off Adam's): say so in the legend
        same = viz.coinciding(runs, rtol=0.0, atol=0.01 * max(x1 - x0, y1 - y0))
        for i, (name, path) in enumerate(runs.items()):
            style = viz.line_style(i)  # own colour, dash pattern and marker per optimizer
            every = max(1, len(path) // 12)
            if same[name] is None:
                ax.plot(path[:, 0], path[:, 1], lw=1.2, markersize=4, markevery=every,
                        label=name, zorder=3, **style)
            else:  # drawn under the path it coincides with: thick, translucent, hollow marks
                ax.plot(path[:, 0], path[:, 1], lw=4, alpha=0.5, markersize=9,
                        markerfacecolor="none", markevery=every, zorder=2,
                        label=f"{name} (coincides with {same[name]})", **style)
        ax.plot(*spec["start"], "ko")
        ax.plot(*spec["minimum"], "k*", markersize=12)
        ax.set(xlim=(x0, x1), ylim=(y0, y1), title=f"{surface} (log10 loss contours)",
               xlabel="x", ylabel="y")
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path = os.path.join(out, "optimizers_compared.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None):
    """Run the comparison; return a list of result dicts (one per surface and optimizer)."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="fewer steps (smoke test)")
    parser.add_argument("--steps", type=int, default=None, help="steps per run")
    parser.add_argument("--out", default=os.path.join("examples", "output",
                                                      "optimizers_compared"))
    args = parser.parse_args(argv)
    steps = args.steps or (150 if args.quick else 3000)
    os.makedirs(args.out, exist_ok=True)
    results = []
    for surface, spec in SURFACES.items():
        for name, make in spec["optimizers"].items():
            r = run(spec["fn"], spec["start"], make, steps, spec["threshold"])
            lr = r["config"]["learning_rate"]
            if isinstance(lr, dict):  # a serialized schedule: show its starting rate
                lr = lr["config"]["initial_learning_rate"]
            r.update(surface=surface, optimizer=name, threshold=spec["threshold"],
                     learning_rate=lr)
            results.append(r)
    print(f"{steps} steps per run")
    print(write_table(results, args.out))
    figure = plot(results, args.out)
    if figure:
        print(f"figure: {figure}")
    return results


if __name__ == "__main__":
    main()
