"""Seed 002: the loss over (w, b) as a contour map, with the gradient-descent path drawn on it.

Reproduces seed 002's 用等高线图理解双变量对损失函数影响 (figure gd3d): for a linear unit
``z = w * x + b`` every pair (w, b) has one loss value; joining the pairs of equal loss draws
ellipses, and gradient descent walks down them towards the centre. The seed says the centre is
"the position where the loss is 0". That holds only when the data lie exactly on a line: the
centre is the **minimum** of the loss, the least-squares (w*, b*), and with noisy data its loss
is about half the noise variance, not 0 (docs/seed_errata.md, 002-8). This script computes
both cases.

Set-up: 200 points x uniform in [0, 2], y = 2 x + 3 + noise (noise N(0, 0.5^2); a noise-free
copy for comparison), loss J(w, b) = mean((w x + b - y)^2) / 2, start (w, b) = (5.5, -0.5).
Gradient descent is glassnet's: ``w`` and ``b`` are Tensors, ``J.backward()`` gives dJ/dw and
dJ/db, ``SGD.step()`` moves them; 100 full-batch steps at learning rate 0.7 (the steep
direction across the valley overshoots, so the path zig-zags across it first, then runs along
the valley floor) and at 0.1 (a smooth path that is still far from the centre after 100
steps: the valley floor is almost flat). The minimum is found exactly with the normal
equations.

Outputs in ``examples/output/seed002_loss_contour/`` (``--quick``: the same runs on a coarser
grid):

* ``path.csv``: step, w, b, J for both learning rates.
* ``results.json``: the least-squares minimum, J there (noisy and noise-free data), each path's
  end point, its distance to the minimum and its loss.
* ``loss_contour.png`` (via ``glassnet.viz.plot_surface``): left the surface J(w, b) with the
  lr = 0.7 path on it, right the contour map (elongated ellipses tilted from top left to bottom
  right) with both paths and the minimum marked by a star, labelled with its loss.

Measured (default run): minimum (w*, b*) = (1.937, 3.024) with J = 0.130 (not 0; the
noise-free data give J = 7e-30, i.e. 0, at exactly (2, 3)); lr = 0.7 ends 6e-5 from the
minimum, lr = 0.1 still 1.06 away after 100 steps (J = 0.217).

Run:
    python examples/seed002_loss_contour.py [--quick] [--out DIR]
"""

import argparse
import csv
import json
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.optimizers import SGD

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
TRUE_W, TRUE_B, NOISE, SAMPLES = 2.0, 3.0, 0.5, 200
START = (5.5, -0.5)
STEPS = 100
RATES = (0.7, 0.1)


def make_data(seed=0, noise=NOISE):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, SAMPLES)
    return x, TRUE_W * x + TRUE_B + noise * rng.standard_normal(SAMPLES)


def loss_grid(x, y):
    """J(w, b) = mean((w x + b - y)^2) / 2, vectorised over arrays w and b."""
    def fn(w, b):
        w, b = np.asarray(w, dtype=np.float64), np.asarray(b, dtype=np.float64)
        residual = w[..., None] * x + b[..., None] - y
        return 0.5 * np.mean(residual**2, axis=-1)
    return fn


def least_squares(x, y):
    """(w*, b*) from the normal equations: the centre of the ellipses."""
    design = np.stack([x, np.ones_like(x)], axis=1)
    w, b = np.linalg.solve(design.T @ design, design.T @ y)
    return float(w), float(b)


def descend(x, y, learning_rate, steps=STEPS, start=START):
    """Full-batch gradient descent with glassnet autodiff; returns [(w, b, J), ...]."""
    w = gn.tensor(np.array(start[0]), requires_grad=True)
    b = gn.tensor(np.array(start[1]), requires_grad=True)
    xt, yt = gn.tensor(x), gn.tensor(y)
    opt = SGD(learning_rate=learning_rate, params=[w, b])
    path = []
    for _ in range(steps + 1):
        opt.zero_grad()
        loss = 0.5 * ((w * xt + b - yt) ** 2).mean()
        path.append((float(w.item()), float(b.item()), float(loss.item())))
        if len(path) > steps:
            break
        loss.backward()
        opt.step()
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="the same descent on a coarser contour grid (a second)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    x, y = make_data()
    w_star, b_star = least_squares(x, y)
    fn = loss_grid(x, y)
    j_star = float(fn(w_star, b_star))
    x0, y0 = make_data(noise=0.0)
    w0, b0 = least_squares(x0, y0)
    j0 = float(loss_grid(x0, y0)(w0, b0))

    paths = {lr: descend(x, y, lr) for lr in RATES}
    with open(out / "path.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["learning_rate", "step", "w", "b", "J"])
        for lr, path in paths.items():
            writer.writerows([lr, i, f"{w:.8f}", f"{b:.8f}", f"{j:.8f}"]
                             for i, (w, b, j) in enumerate(path))
    ends = {}
    for lr, path in paths.items():
        w, b, j = path[-1]
        ends[str(lr)] = {"w": w, "b": b, "loss": j, "steps": len(path) - 1,
                         "distance_to_minimum": float(np.hypot(w - w_star, b - b_star))}
    results = {
        "data": {"samples": SAMPLES, "true_w": TRUE_W, "true_b": TRUE_B, "noise_std": NOISE},
        "start": list(START),
        "minimum": {"w": w_star, "b": b_star, "loss": j_star},
        "noise_free_minimum": {"w": w0, "b": b0, "loss": j0},
        "paths": ends,
        "note": "the contour centre is the least-squares minimum; its loss is > 0 for noisy "
                "data (seed 002 says 0)",
    }
    (out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"minimum (w*, b*) = ({w_star:.4f}, {b_star:.4f}), J = {j_star:.4f} "
          f"(noise-free data: J = {j0:.2e} at ({w0:.3f}, {b0:.3f}))")
    for lr, end in ends.items():
        print(f"lr = {lr}: ends at ({end['w']:.4f}, {end['b']:.4f}), J = {end['loss']:.4f}, "
              f"{end['distance_to_minimum']:.2e} from the minimum")

    figures = []
    try:
        from glassnet import viz

        main_path = np.array([(w, b) for w, b, _ in paths[RATES[0]]])
        fig = viz.plot_surface(fn, (-3.0, 6.0), (-2.0, 7.0), main_path,
                               resolution=30 if args.quick else 120, levels=25,
                               labels=("w", "b"),
                               title=f"seed 002: J(w, b) and gradient descent from {START}")
        contour = next(ax for ax in fig.axes if ax.name != "3d" and ax.lines)
        contour.lines[0].set_label(f"lr = {RATES[0]} ({STEPS} steps)")
        slow = np.array([(w, b) for w, b, _ in paths[RATES[1]]])
        contour.plot(slow[:, 0], slow[:, 1], "s--", color="tab:orange", markersize=2.5,
                     label=f"lr = {RATES[1]} ({STEPS} steps)")
        contour.plot([w_star], [b_star], "*", color="black", markersize=13,
                     label=f"minimum: J = {j_star:.3f} (not 0)")
        contour.legend(fontsize="small", loc="upper left")
        viz.save_figure(fig, out / "loss_contour.png")
        figures.append(out / "loss_contour.png")
        print(f"figure: {out / 'loss_contour.png'}")
    except ImportError as error:
        print(f"skipped the figures: {error}")
    return {**results, "path_points": paths, "figures": figures, "out": out}


if __name__ == "__main__":
    main()
