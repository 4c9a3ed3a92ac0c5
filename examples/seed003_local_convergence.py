"""Seed 003: back-propagation converges or not depending on the initial weights (局部收敛).

Reproduces seed 003's last section, 局部收敛与梯度消散: "a BP network does not necessarily
converge, i.e. training does not necessarily succeed. The squared error is a non-convex
function; whether the network converges, and whether it reaches the global optimum, depends on
the initial values." The seed has no code for it; this script shows it on the smallest problem
where it happens: XOR with a 2-2-1 sigmoid network trained by plain gradient descent on the
squared error.

Set-up: the four XOR points, a 2-2-1 network (sigmoid hidden and output units, with biases),
loss = mean squared error, full-batch SGD with learning rate 2.0 for 10,000 steps
(``--quick``: 4 runs per scale and 2,000 steps). Every weight and bias starts uniform in
[-s, s]; s takes the values 0.5, 1, 2, 4 and 8, with 20 runs (random seeds) per value. All the
runs are trained at once: their weights are stacked along a first axis and one batched
``x @ W1`` computes every network, so the summed loss's gradient is each run's own gradient
(glassnet autodiff, one ``backward()`` per step).

A run **converged** when its final loss is below 0.01 and all four outputs are on the right
side of 0.5; otherwise it is **stuck**: its loss stops at a plateau, usually 0.125 (the network
gets two of the four points right and answers 0.5 for the other two), 0.167 or 0.5 (saturated
sigmoids answering wrong with confidence), and stays there for thousands of steps ("stuck"
means: still on a plateau after the last step; a few runs leave theirs late, one at s = 4
after 8,000 steps).

Outputs in ``examples/output/seed003_local_convergence/``:

* ``runs.csv``: scale, seed, final loss, converged, the step where the loss fell below 0.01.
* ``convergence.md``/``results.json``: per scale, the number of runs that converged, the
  median final loss of the stuck runs and the median number of steps to converge.
* ``loss_curves.png``: one panel per scale, every run's loss against the step (log scale),
  green for converged runs and red for stuck ones.
* ``convergence_rate.png``: the fraction of runs that converged, per initial scale.

Measured (default run): converged 19/20 runs at s = 0.5, 14 at s = 1, 10 at s = 2, 12 at s = 4
and 5 at s = 8 (``convergence_rate.png``: bars of 95%, 70%, 50%, 60%, 25%); the stuck runs
end at loss 0.125 (most), 0.167 or 0.5 (one run at s = 8). In ``loss_curves.png`` the s = 0.5
runs first sit on a plateau at 0.25 (all outputs near 0.5: the near-symmetric start) for
500-6,000 steps, then drop to 1e-4; at s = 8 most curves fall onto a flat red line within the
first few hundred steps. Small random weights start in the sigmoids' linear part and usually
find the XOR solution; large ones start saturated, in a basin that gradient descent does not
leave.

Run:
    python examples/seed003_local_convergence.py [--quick] [--steps N] [--out DIR]
"""

import argparse
import csv
import json
from pathlib import Path

import numpy as np

import glassnet as gn
import glassnet.functional as F
from glassnet.optimizers import SGD

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])
SCALES = (0.5, 1.0, 2.0, 4.0, 8.0)
HIDDEN, LEARNING_RATE, TOLERANCE = 2, 2.0, 0.01


def train_all(scales, runs, steps, seed=0):
    """Train len(scales) * runs XOR networks at once; per-step losses and final outputs."""
    rng = np.random.default_rng(seed)
    count = len(scales) * runs
    s = np.repeat(np.asarray(scales, dtype=np.float64), runs)[:, None, None]
    shapes = [(2, HIDDEN), (1, HIDDEN), (HIDDEN, 1), (1, 1)]
    params = [gn.tensor(rng.uniform(-1.0, 1.0, (count, *shape)) * s, requires_grad=True)
              for shape in shapes]
    w1, b1, w2, b2 = params
    x, y = gn.tensor(np.broadcast_to(X, (count, 4, 2)).copy()), gn.tensor(Y)
    opt = SGD(learning_rate=LEARNING_RATE, params=params)
    losses = np.empty((steps, count))
    for step in range(steps):
        opt.zero_grad()
        out = F.sigmoid(F.sigmoid(x @ w1 + b1) @ w2 + b2)
        per_run = ((out - y) ** 2).mean(axis=(1, 2))
        losses[step] = per_run.data
        per_run.sum().backward()
        opt.step()
    out = F.sigmoid(F.sigmoid(x @ w1 + b1) @ w2 + b2).data[..., 0]
    return losses, out


def summarize(scales, runs, losses, outputs):
    rows, by_scale = [], {}
    correct = ((outputs > 0.5) == (Y[:, 0] > 0.5)).all(axis=1)
    final = losses[-1]
    for i, scale in enumerate(np.repeat(scales, runs)):
        ok = bool(final[i] < TOLERANCE and correct[i])
        below = np.nonzero(losses[:, i] < TOLERANCE)[0]
        rows.append({"scale": float(scale), "seed": i % runs, "final_loss": float(final[i]),
                     "converged": ok,
                     "converged_at": int(below[0]) + 1 if ok and below.size else None})
    for scale in scales:
        mine = [r for r in rows if r["scale"] == scale]
        good = [r for r in mine if r["converged"]]
        stuck = [r["final_loss"] for r in mine if not r["converged"]]
        by_scale[str(scale)] = {
            "runs": len(mine), "converged": len(good),
            "median_steps_to_converge": (float(np.median([r["converged_at"] for r in good]))
                                         if good else None),
            "stuck_final_losses": sorted(round(v, 4) for v in stuck),
            "median_stuck_loss": float(np.median(stuck)) if stuck else None,
        }
    return rows, by_scale


def write_tables(out, rows, by_scale, steps):
    with open(out / "runs.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["scale", "seed", "final_loss", "converged", "converged_at_step"])
        writer.writerows([r["scale"], r["seed"], f"{r['final_loss']:.6f}", r["converged"],
                          r["converged_at"] if r["converged_at"] is not None else ""]
                         for r in rows)
    header = ["initial weights uniform in [-s, s]", "converged", "median steps to converge",
              "stuck runs' final losses"]
    lines = [f"# Seed 003: XOR 2-2-1 sigmoid network, SGD({LEARNING_RATE}), {steps} steps", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for scale, s in by_scale.items():
        median = s["median_steps_to_converge"]
        stuck = ", ".join(f"{v:.3f}" for v in s["stuck_final_losses"]) or "-"
        lines.append(f"| s = {scale} | {s['converged']}/{s['runs']} | "
                     f"{'-' if median is None else f'{median:.0f}'} | {stuck} |")
    text = "\n".join(lines) + "\n"
    (out / "convergence.md").write_text(text, encoding="utf-8")
    return text


def draw(out, scales, runs, losses, rows, by_scale):
    from matplotlib.figure import Figure

    from glassnet import viz

    fig = Figure(figsize=(3.4 * len(scales), 3.4), layout="constrained")
    axes = fig.subplots(1, len(scales), sharey=True)
    steps = np.arange(1, losses.shape[0] + 1)
    for k, (ax, scale) in enumerate(zip(np.atleast_1d(axes), scales, strict=True)):
        for j in range(runs):
            i = k * runs + j
            ok = rows[i]["converged"]
            ax.plot(steps, np.maximum(losses[:, i], 1e-8), color="tab:green" if ok else "tab:red",
                    alpha=0.6, linewidth=1.0)
        s = by_scale[str(scale)]
        ax.set(title=f"s = {scale}: {s['converged']}/{s['runs']} converged", xlabel="step",
               yscale="log")
        ax.grid(True, alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("squared error (green: converged, red: stuck)")
    fig.suptitle("XOR 2-2-1 sigmoid network: the same gradient descent from different "
                 "initial weights")
    viz.save_figure(fig, out / "loss_curves.png")

    fig = Figure(figsize=(5.5, 3.6), layout="constrained")
    ax = fig.subplots()
    rates = [by_scale[str(s)]["converged"] / by_scale[str(s)]["runs"] for s in scales]
    ax.bar([str(s) for s in scales], rates, color="tab:blue")
    for i, rate in enumerate(rates):
        ax.text(i, rate + 0.02, f"{rate:.0%}", ha="center")
    ax.set(xlabel="initial weights uniform in [-s, s]", ylabel="fraction of runs converged",
           ylim=(0, 1.1), title="convergence depends on the initial weights")
    ax.grid(True, axis="y", alpha=0.3)
    viz.save_figure(fig, out / "convergence_rate.png")
    return [out / "loss_curves.png", out / "convergence_rate.png"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 4 runs per scale, 2,000 steps (seconds)")
    parser.add_argument("--steps", type=int, default=None, help="SGD steps (default 10,000)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    args = parser.parse_args(argv)
    steps = args.steps or (2000 if args.quick else 10000)
    runs = 4 if args.quick else 20
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    losses, outputs = train_all(SCALES, runs, steps)
    rows, by_scale = summarize(SCALES, runs, losses, outputs)
    print(write_tables(out, rows, by_scale, steps))
    results = {"steps": steps, "runs_per_scale": runs, "learning_rate": LEARNING_RATE,
               "hidden_units": HIDDEN, "tolerance": TOLERANCE, "by_scale": by_scale,
               "quick": args.quick}
    (out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    figures = []
    try:
        figures = draw(out, SCALES, runs, losses, rows, by_scale)
        for path in figures:
            print(f"figure: {path}")
    except ImportError as error:
        print(f"skipped the figures: {error}")
    return {**results, "runs": rows, "losses": losses, "figures": figures, "out": out}


if __name__ == "__main__":
    main()
