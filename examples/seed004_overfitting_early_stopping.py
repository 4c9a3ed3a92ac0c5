"""Seed 004: under-fitting, over-fitting, and early stopping (提前停止训练).

Reproduces seed 004, section 6.1 (过拟合与欠拟合): over-fitting is a model that does well on the
training set and badly on new data, typical of a model too complex for too little data; its
remedies include more data, a simpler model and stopping training early (提前停止训练).
Under-fitting is a model too simple to fit even the training data; the remedy is a more
complex model. The seed gives no data or code for it, so this script builds the three cases
on one small regression problem:

* data: y = sin(3x) + N(0, 0.2^2) for x ~ U[-1, 1): 20 training points, 100 validation
  points (new data from the same curve);
* under-fitting: a linear model ``Sequential([Dense(1)])`` — a straight line;
* over-fitting: ``Sequential([Dense(64, 'tanh'), Dense(64, 'tanh'), Dense(1)])``
  (4,353 weights for 20 points), Adam(0.01), full-batch ``fit`` for 2000 epochs
  (``--quick``: 300), which ends up threading the noise;
* early stopping: the same network, same seed, with
  ``EarlyStopping(monitor='val_loss', patience=100, restore_best_weights=True)``: training
  stops 100 epochs after the validation loss stopped improving and the weights of the best
  epoch are put back (``--quick``: patience 50).

The table (``early_stopping.md``/``.csv``) gives each model's epochs run, final training MSE,
validation MSE (of the weights kept) and, for early stopping, the best epoch.

Figures (PNG, via ``glassnet.viz``; skipped when matplotlib is missing):

* ``fits.png`` (``plot_fit_over_time``): the noise-free sin(3x) (solid black), the training
  points (dots) and the three models' curves (dashed): the straight line misses the wave
  (under-fitting); the 2000-epoch network wiggles through the training points (over-fitting);
  the early-stopped network follows the smooth curve.
* ``validation_curves.png`` (``plot_history``): the over-fitting network's training loss
  (solid) and validation loss (dashed) per epoch, log scale: the training loss keeps falling
  while the validation loss reaches its minimum and then climbs; the vertical line marks the
  epoch early stopping restored.
* ``underfitting_curves.png`` (``plot_history``): the linear model's training and validation
  loss: both flatten within a few dozen epochs at a high value (0.19 and 0.22: the part of
  sin(3x) a straight line cannot explain, plus the noise) and stay there however long it
  trains.

Measured (default run): the linear model ends at training / validation MSE 0.185 / 0.223; the
1-64-64-1 network after 2000 epochs at 0.006 / 0.434 (training loss 30 times lower than the
noise variance 0.04: it has learned the noise); early stopping ran 227 epochs, kept epoch 127
and has 0.033 / 0.051.

Run:
    python examples/seed004_overfitting_early_stopping.py [--quick] [--epochs N] [--out DIR]
"""

import argparse
import csv
import time
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet.callbacks import EarlyStopping
from glassnet.layers import Dense
from glassnet.models import Sequential
from glassnet.optimizers import Adam

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem


def truth(x):
    return np.sin(3 * x)


def make_data(n_train=20, n_val=100, noise=0.2, seed=4):
    rng = np.random.default_rng(seed)

    def sample(n):
        x = np.sort(rng.uniform(-1, 1, (n, 1))).astype(np.float32)
        return x, (truth(x) + rng.normal(0, noise, (n, 1))).astype(np.float32)

    return sample(n_train), sample(n_val)


def build(kind):
    if kind == "linear":
        return Sequential([Dense(1, input_shape=(1,))])
    return Sequential([Dense(64, activation="tanh", input_shape=(1,)),
                       Dense(64, activation="tanh"), Dense(1)])


def train(kind, data, epochs, callbacks=(), seed=0, learning_rate=0.01):
    (x, y), validation = data
    gn.manual_seed(seed)
    model = build(kind)
    model.compile(optimizer=Adam(learning_rate), loss="mse")
    start = time.perf_counter()
    history = model.fit(x, y, validation_data=validation, epochs=epochs, batch_size=len(x),
                        shuffle=False, verbose=0, callbacks=list(callbacks))
    seconds = time.perf_counter() - start
    return model, history.history, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="300 epochs instead of 2000")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs (2000)")
    parser.add_argument("--patience", type=int, default=None, help="EarlyStopping patience")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    args = parser.parse_args(argv)
    epochs = args.epochs or (300 if args.quick else 2000)
    patience = args.patience or (50 if args.quick else 100)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    data = make_data()
    (x, y), (x_val, y_val) = data
    grid = np.linspace(-1, 1, 201, dtype=np.float32)[:, None]
    stop = EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    runs = {
        "under-fitting (linear)": train("linear", data, epochs),
        "over-fitting (1-64-64-1)": train("mlp", data, epochs),
        "early stopping (1-64-64-1)": train("mlp", data, epochs, callbacks=[stop]),
    }
    results = {}
    for name, (model, history, seconds) in runs.items():
        kept_val = model.evaluate(x_val, y_val, verbose=0)
        kept_train = model.evaluate(x, y, verbose=0)
        results[name] = {"history": history, "epochs": len(history["loss"]), "seconds": seconds,
                         "train_mse": float(np.ravel(kept_train)[0]),
                         "val_mse": float(np.ravel(kept_val)[0]),
                         "curve": model.predict(grid, verbose=0)[:, 0]}
    early = results["early stopping (1-64-64-1)"]
    early["best_epoch"] = stop.best_epoch + 1
    early["stopped_epoch"] = stop.stopped_epoch + 1 if stop.stopped_epoch else None

    header = ["model", "epochs run", "training MSE", "validation MSE", "best epoch", "seconds"]
    rows = [[name, r["epochs"], f"{r['train_mse']:.4f}", f"{r['val_mse']:.4f}",
             r.get("best_epoch", "-"), f"{r['seconds']:.1f}"] for name, r in results.items()]
    with open(out / "early_stopping.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    lines = ["# Seed 004: under-fitting, over-fitting and early stopping", "",
             f"20 training / 100 validation points of sin(3x) + noise (sd 0.2); Adam(0.01), "
             f"at most {epochs} full-batch epochs; EarlyStopping(patience={patience}, "
             "restore_best_weights=True). MSE of the weights kept.", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    (out / "early_stopping.md").write_text(text, encoding="utf-8")
    print(text)

    written = []
    try:
        from glassnet import viz

        fig = viz.plot_fit_over_time(grid[:, 0], truth(grid[:, 0]),
                                     {k: r["curve"] for k, r in results.items()},
                                     title="under-fitting, over-fitting, early stopping")
        ax = fig.axes[0]
        ax.lines[0].set_label("sin(3x)")
        ax.plot(x[:, 0], y[:, 0], "ko", markersize=4, label="training points")
        ax.legend(fontsize="small")
        viz.save_figure(fig, out / "fits.png")
        written.append(out / "fits.png")

        overfit = results["over-fitting (1-64-64-1)"]["history"]
        fig = viz.plot_history(overfit, metrics=["loss"])
        ax = fig.axes[0]
        ax.set_yscale("log")
        ax.set_title("1-64-64-1 network: training vs validation MSE")
        for line in ax.lines:
            line.set_marker("")
        ax.axvline(early["best_epoch"], color="tab:green", ls=":",
                   label=f"early stopping keeps epoch {early['best_epoch']}")
        ax.legend(fontsize="small")
        fig.set_size_inches(6.5, 4.0)
        viz.save_figure(fig, out / "validation_curves.png")
        written.append(out / "validation_curves.png")

        fig = viz.plot_history(results["under-fitting (linear)"]["history"], metrics=["loss"])
        ax = fig.axes[0]
        ax.set_title("linear model: training vs validation MSE")
        for line in ax.lines:
            line.set_marker("")
        ax.legend()
        viz.save_figure(fig, out / "underfitting_curves.png")
        written.append(out / "underfitting_curves.png")
    except ImportError as error:
        print(f"skipped the figures: {error}")
    for path in written:
        print(f"figure: {path}")
    return {"results": results, "figures": written, "out": out, "epochs": epochs,
            "patience": patience}


if __name__ == "__main__":
    main()
