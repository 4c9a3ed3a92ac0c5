"""Seed 003: optimizers compared on MNIST (relu, relu, softmax + cross-entropy, 20 epochs).

Reproduces seed 003's optimizer comparison (优化算法: "神经网络三隐层分别采用relu、relu和softmax激活
函数组合,采用交叉熵损失函数,训练20轮,采用不同的优化方法"): the seed's Keras MNIST MLP
(784 -> Dense 784 relu -> Dense 784 relu -> Dense 10 softmax, ``kernel_initializer='normal'``,
``loss='categorical_crossentropy'``, batch size 200, 20 epochs, validation on the test set)
trained once per optimizer, each with its Keras default hyper-parameters — what the seed gets
from ``optimizer='sgd'``, ``'adam'`` and so on:

    SGD (0.01), SGD + momentum 0.9, SGD + Nesterov momentum 0.9, Adagrad (0.001), Adadelta
    (0.001), RMSprop (0.001), Adam (0.001), AdamW (0.001, weight decay 0.004), Ftrl (0.001).

This is the MNIST half of the optimizer comparison; ``examples/optimizers_compared.py`` is the
other half (the same optimizers on 2-D loss surfaces, with their paths drawn on the contours).

As in ``seed003_activations_compared.py`` (whose data loading, model and table code this script
reuses), the default trains on the first ``--samples 10000`` training images (``--samples
60000`` is the seed's full run, 12 times the work of the measured runs below) and
validates on the whole test set; ``--quick`` is a smoke test (400 / 200 images, 1 epoch, SGD,
Adagrad, RMSprop and Adam only); ``--optimizers`` picks a subset by name. The table
(``optimizers_compared.md``/``.csv``) gives each optimizer's final training cross-entropy,
final and best validation accuracy and training time.

What it shows, measured with ``--epochs 10`` on the default 10,000 / 10,000 images (final
validation accuracy; training cross-entropy): RMSprop 0.962 (0.0035), Adam 0.960 (0.0024),
AdamW 0.959 (0.0039) — the adaptive methods are best within two epochs; Momentum 0.934
(0.143) and Nesterov 0.934 (0.141) — momentum makes SGD several times faster; SGD 0.891
(0.42); Adagrad 0.823 (0.88) — its steps shrink as its accumulator grows; Adadelta 0.374
(2.06) — at learning rate 0.001 it barely moves; Ftrl 0.114 (2.302 = ln 10, the
uniform prediction: at learning rate 0.001 its proximal step keeps the weights near 0; Ftrl is
meant for sparse linear models). The training loop took 110-440 s per optimizer on a busy
2-core machine.

Figure (PNG; matplotlib, saved with ``glassnet.viz.save_figure``; skipped when matplotlib is
missing):

* ``optimizers_compared.png``: validation accuracy (left) and training cross-entropy (right,
  log scale) against the epoch, one line per optimizer, each with its own colour, dash
  pattern and marker (a curve that coincides with an earlier one, as AdamW's can with Adam's,
  is named so in the legend): Adam/AdamW/RMSprop on top (accuracy
  0.89-0.93 after the first epoch, loss falling to a few 1e-3), Momentum and Nesterov on one
  line just under them, then SGD, Adagrad, Adadelta's slow straight climb from 0.1, and Ftrl
  flat at 0.11.

Run:
    python examples/seed003_optimizers_compared.py [--quick] [--samples N] [--epochs N]
        [--optimizers Adam,RMSprop,...]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling example below

from seed003_activations_compared import (  # noqa: E402
    curves_figure,
    load_mnist,
    run,
    smoke_notice,
    write_table,
)

from glassnet.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, Ftrl, RMSprop  # noqa: E402

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
ACTIVATIONS = ("relu", "relu", "softmax")
OPTIMIZERS = {
    "SGD": lambda: SGD(),
    "Momentum": lambda: SGD(momentum=0.9),
    "Nesterov": lambda: SGD(momentum=0.9, nesterov=True),
    "Adagrad": lambda: Adagrad(),
    "Adadelta": lambda: Adadelta(),
    "RMSprop": lambda: RMSprop(),
    "Adam": lambda: Adam(),
    "AdamW": lambda: AdamW(),
    "Ftrl": lambda: Ftrl(),
}
QUICK_OPTIMIZERS = ("SGD", "Adagrad", "RMSprop", "Adam")


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="400/200 images, 1 epoch, 4 runs")
    parser.add_argument("--samples", type=int, default=None,
                        help="training images (default 10,000; the seed uses 60,000)")
    parser.add_argument("--val-samples", type=int, default=None,
                        help="validation (test-set) images (default 10,000)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (the seed: 20)")
    parser.add_argument("--optimizers", default=None,
                        help=f"comma-separated subset of {', '.join(OPTIMIZERS)}")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    args = parser.parse_args(argv)
    samples = args.samples or (400 if args.quick else 10_000)
    val_samples = args.val_samples or (200 if args.quick else 10_000)
    epochs = args.epochs or (1 if args.quick else 20)
    if args.optimizers:
        names = [n.strip() for n in args.optimizers.split(",") if n.strip()]
        unknown = [n for n in names if n not in OPTIMIZERS]
        if unknown:
            parser.error(f"--optimizers: unknown {unknown}; choose from {list(OPTIMIZERS)}")
    else:
        names = list(QUICK_OPTIMIZERS if args.quick else OPTIMIZERS)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    train, val = load_mnist(samples, val_samples)
    results = []
    for name in names:
        r = run(ACTIVATIONS, train, val, epochs, loss="categorical_crossentropy",
                optimizer=OPTIMIZERS[name]())
        r["name"] = name
        results.append(r)
        print(f"{name:>9}: loss {r['loss']:.4f}  val_accuracy {r['val_accuracy']:.4f}  "
              f"({r['seconds']:.1f} s)", flush=True)
    title = (f"Seed 003: optimizers, relu/relu/softmax + cross-entropy, {epochs} "
             f"epoch{'s' * (epochs != 1)}, {len(train[0])} training / {len(val[0])} "
             f"validation images")
    print(write_table(out, "optimizers_compared", results, title))
    figure = curves_figure(results, out / "optimizers_compared.png", "cross-entropy")
    if figure:
        print(f"figure: {figure}")
    if args.quick:
        print(smoke_notice("seed003_optimizers_compared.py", "--epochs 10  (10,000 images)"))
    return {"results": results, "figures": [figure] if figure else [], "out": out,
            "samples": len(train[0]), "epochs": epochs}


if __name__ == "__main__":
    main()
