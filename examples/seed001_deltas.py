"""Seed 001 §4.2: the delta (误差项) formulas of back-propagation, traced on a small network.

The seed trains a sigmoid network with squared error L = 1/2 sum_k (t_k - y_k)^2 by

    output unit k:  delta_k = y_k (1 - y_k) (t_k - y_k)
    hidden unit i:  delta_i = a_i (1 - a_i) sum_k w_ki delta_k
    every weight:   w_ji <- w_ji + eta delta_j x_ji

This script builds a 2-3-2 sigmoid network with fixed weights, runs one sample forward and
backward through glassnet's autodiff with the layers recording (``gn.layers.base.recording``),
and prints, for every unit, glassnet's recorded delta next to the seed's formula computed by
hand from the recorded activations. glassnet's ``delta`` is dL/dz; the seed's delta is its
negative (-dL/dz), which is why the seed *adds* eta delta x: both are the same gradient
descent step. Finally one SGD step (``gn.optimizers.SGD``) is compared with the seed's update.

Run:  python examples/seed001_deltas.py [--quick] [--out DIR] [--learning-rate ETA]
Writes ``deltas.md`` (the tables) and ``results.json``. ``--quick`` changes nothing here (the
network is tiny); it is accepted like in every example.
"""

import argparse
import json
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.layers import Dense
from glassnet.layers.base import recording
from glassnet.models import Sequential
from glassnet.optimizers import SGD

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem

W1 = np.array([[0.15, 0.25, -0.30], [0.20, -0.35, 0.40]])  # kernel[j, i]: input j -> hidden i
B1 = np.array([0.35, 0.35, -0.10])
W2 = np.array([[0.40, 0.50], [0.45, -0.55], [0.60, 0.65]])  # kernel[i, k]: hidden i -> output k
B2 = np.array([0.60, 0.60])
X = np.array([[0.05, 0.10]])
T = np.array([[0.01, 0.99]])


def build():
    """The 2-3-2 sigmoid network in float64 with the fixed weights above."""
    model = Sequential([Dense(3, activation="sigmoid", input_shape=(2,), dtype="float64"),
                        Dense(2, activation="sigmoid", dtype="float64")])
    model.set_weights([W1, B1, W2, B2])
    return model


def trace(learning_rate=0.5):
    """Forward and backward once; return glassnet's recorded values and the seed's formulas."""
    model = build()
    hidden, output = model.layers
    with recording(model):
        y = model(X)
        loss = 0.5 * ((gn.tensor(T) - y) ** 2).sum()
        loss.backward()
    hid, out = hidden.inspect(), output.inspect()
    a, y = hid["output"][0], out["output"][0]
    seed_out = y * (1 - y) * (T[0] - y)                   # delta_k = y(1-y)(t-y)
    seed_hidden = a * (1 - a) * (W2 @ seed_out)          # delta_i = a(1-a) sum_k w_ki delta_k
    # one step: the seed's rule, and glassnet's SGD on the gradients autodiff produced
    seed_w2 = W2 + learning_rate * np.outer(a, seed_out)  # w_ik <- w_ik + eta delta_k a_i
    seed_w1 = W1 + learning_rate * np.outer(X[0], seed_hidden)
    SGD(learning_rate=learning_rate).apply_gradients(
        (p.grad, p) for p in model.trainable_weights)
    sgd_w1, _, sgd_w2, _ = model.get_weights()
    return {
        "loss": float(loss.item()), "hidden_output": a.tolist(), "output": y.tolist(),
        "glassnet_delta_output": out["delta"][0].tolist(),
        "seed_delta_output": seed_out.tolist(),
        "glassnet_delta_hidden": hid["delta"][0].tolist(),
        "seed_delta_hidden": seed_hidden.tolist(),
        "seed_update_w1": seed_w1.tolist(), "sgd_update_w1": sgd_w1.tolist(),
        "seed_update_w2": seed_w2.tolist(), "sgd_update_w2": sgd_w2.tolist(),
        "learning_rate": learning_rate,
    }


def markdown(r):
    lines = ["# Seed 001: delta formulas on a 2-3-2 sigmoid network", "",
             f"Input x = {X[0].tolist()}, target t = {T[0].tolist()}, "
             f"L = 1/2 sum (t - y)^2 = {r['loss']:.8f}.", "",
             "| layer | unit | output | glassnet delta = dL/dz | seed delta (formula) | "
             "seed = -glassnet |", "|---|---|---|---|---|---|"]
    for name, outs, ours, seeds in (
            ("output", r["output"], r["glassnet_delta_output"], r["seed_delta_output"]),
            ("hidden", r["hidden_output"], r["glassnet_delta_hidden"], r["seed_delta_hidden"])):
        for unit, (o, d, s) in enumerate(zip(outs, ours, seeds, strict=True)):
            lines.append(f"| {name} | {unit} | {o:.8f} | {d:+.8f} | {s:+.8f} | "
                         f"{'yes' if np.isclose(s, -d, rtol=1e-12, atol=0) else 'NO'} |")
    same = np.allclose(r["seed_update_w1"], r["sgd_update_w1"], rtol=1e-12) and np.allclose(
        r["seed_update_w2"], r["sgd_update_w2"], rtol=1e-12)
    lines += ["", f"One step with eta = {r['learning_rate']}: the seed's w <- w + eta delta x "
              f"and glassnet's SGD give {'the same' if same else 'DIFFERENT'} weights.", ""]
    for name in ("w1", "w2"):
        lines.append(f"- {name} after the step: {np.round(r['sgd_update_' + name], 8).tolist()}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    """Trace the deltas; returns the result dict (also written to results.json)."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="accepted; the run is tiny")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--learning-rate", type=float, default=0.5)
    args = parser.parse_args(argv)
    result = trace(args.learning_rate)
    text = markdown(result)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "deltas.md").write_text(text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
