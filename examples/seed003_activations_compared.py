"""Seed 003: activation-function combinations compared on MNIST (MSE loss, SGD, 20 epochs).

Reproduces seed 003's activation-function comparison (激活函数: "修改示例代码,使模型分别采用不同
激活函数组合进行比较,其他参数不变,仍为MSE损失函数、SGD优化方法,并训练20轮"): the seed's Keras MNIST
MLP (784 -> Dense 784 -> Dense 784 -> Dense 10, ``kernel_initializer='normal'``, batch size 200,
``loss='mse'``, ``optimizer='sgd'`` i.e. learning rate 0.01, 20 epochs, validation on the test
set) trained once per combination of the three layers' activations. The seed's result table
is a picture that is not in its text, so the combinations are chosen here to cover what it
discusses (sigmoid, tanh, ReLU, softplus hidden layers; a sigmoid or a softmax output):

    sigmoid/sigmoid/sigmoid (the seed's script), tanh/tanh/sigmoid, relu/relu/sigmoid,
    softplus/softplus/sigmoid, sigmoid/sigmoid/softmax, tanh/tanh/softmax, relu/relu/softmax.

The model is built with glassnet's Keras-style API (``Sequential``, ``Dense``, ``compile``,
``fit``). The full MNIST training set makes 7 x 20 epochs of a 1.2-million-weight MLP (hours
on a busy 2-core machine: the 10-epoch runs on 10,000 images below took 40-190 s each, the
full run is 12 times more work), so the default trains on the first ``--samples 10000``
training images (``--samples 60000`` is the seed's run) and validates on the whole 10,000-image
test set; ``--quick`` is a smoke test: 400 / 200 images, 1 epoch, and only sigmoid/sigmoid/
sigmoid, relu/relu/sigmoid and relu/relu/softmax. The table
(``activations_compared.md``/``.csv``) gives, per combination, the final training loss (MSE),
the final and best validation accuracy, and the training time.

With MSE and plain SGD at learning rate 0.01 every combination learns slowly: MSE's gradient
carries an extra factor of the output derivative, and small 'normal' (stddev 0.05) weights
start every unit near the middle of its range. Measured with ``--epochs 10`` on the default
10,000 / 10,000 images (final validation accuracy; training MSE): tanh/tanh/sigmoid 0.499
(0.077), tanh/tanh/softmax 0.450 (0.076), relu/relu/sigmoid 0.370 (0.087), relu/relu/softmax
0.265 (0.086), softplus/softplus/sigmoid 0.235 (0.088), sigmoid/sigmoid/sigmoid 0.158 (0.090),
sigmoid/sigmoid/softmax 0.141 (0.090). The zero-centred tanh learns fastest; sigmoid hidden
layers (derivative at most 0.25, outputs not centred) hardly leave chance level (0.1) — the
seed's argument for ReLU-family and tanh hidden layers. Compare with the cross-entropy +
Adam runs of ``seed003_optimizers_compared.py`` (0.96 after 10 epochs): the loss and the
optimizer matter more than the activation here.

Figure (PNG; matplotlib, saved with ``glassnet.viz.save_figure``; skipped when matplotlib is
missing):

* ``activations_compared.png``: two panels against the epoch, one line per combination:
  the validation accuracy (left) and the training MSE (right, log scale). The two
  sigmoid/sigmoid/* lines level off at 0.14-0.16 after 6 epochs; all the others still climb
  steadily at epoch 10, tanh/tanh/* fastest; the MSE of the sigmoid-output models starts
  near 0.25 (or lower) and drops to about 0.09 in two epochs (the outputs learn to say "not
  this class"), after which only the tanh models keep lowering it.

Run:
    python examples/seed003_activations_compared.py [--quick] [--samples N] [--epochs N]
"""

import argparse
import csv
import time
from pathlib import Path

import glassnet as gn
from glassnet.datasets import mnist
from glassnet.layers import Dense
from glassnet.models import Sequential
from glassnet.utils import to_categorical

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
COMBINATIONS = (
    ("sigmoid", "sigmoid", "sigmoid"),
    ("tanh", "tanh", "sigmoid"),
    ("relu", "relu", "sigmoid"),
    ("softplus", "softplus", "sigmoid"),
    ("sigmoid", "sigmoid", "softmax"),
    ("tanh", "tanh", "softmax"),
    ("relu", "relu", "softmax"),
)
QUICK_COMBINATIONS = (COMBINATIONS[0], COMBINATIONS[2], COMBINATIONS[-1])


def load_mnist(samples, val_samples):
    """The seed's preprocessing: flatten to 784, scale to [0, 1], one-hot labels."""
    (x_train, y_train), (x_val, y_val) = mnist.load_data()
    x_train = x_train[:samples].reshape(-1, 784).astype("float32") / 255
    x_val = x_val[:val_samples].reshape(-1, 784).astype("float32") / 255
    return (x_train, to_categorical(y_train[:samples], 10)), (
        x_val, to_categorical(y_val[:val_samples], 10))


def build(activations, num_pixels=784, num_classes=10):
    first, second, output = activations
    return Sequential([
        Dense(num_pixels, input_shape=(num_pixels,), kernel_initializer="normal",
              activation=first),
        Dense(784, kernel_initializer="normal", activation=second),
        Dense(num_classes, kernel_initializer="normal", activation=output),
    ])


def run(activations, train, val, epochs, seed=0, loss="mse", optimizer="sgd"):
    gn.manual_seed(seed)
    model = build(activations)
    model.compile(loss=loss, optimizer=optimizer, metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(*train, validation_data=val, epochs=epochs, batch_size=200, verbose=0)
    seconds = time.perf_counter() - start
    logs = history.history
    return {"name": "/".join(activations), "history": logs, "seconds": seconds,
            "loss": logs["loss"][-1], "val_accuracy": logs["val_accuracy"][-1],
            "best_val_accuracy": max(logs["val_accuracy"])}


def write_table(out, stem, results, title):
    header = ["model", "final loss", "final val_accuracy", "best val_accuracy", "seconds"]
    rows = [[r["name"], f"{r['loss']:.4f}", f"{r['val_accuracy']:.4f}",
             f"{r['best_val_accuracy']:.4f}", f"{r['seconds']:.1f}"] for r in results]
    with open(out / f"{stem}.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    lines = [f"# {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    (out / f"{stem}.md").write_text(text, encoding="utf-8")
    return text


def curves_figure(results, path, loss_label):
    """Validation accuracy and training loss per epoch, one line per run.

    Each run gets its own colour, dash pattern and marker (``glassnet.viz.plot_curves``); a run
    whose curve coincides with an earlier one (Adam and AdamW can) is named so in the legend.
    """
    try:
        from matplotlib.figure import Figure

        from glassnet import viz
    except ImportError as error:
        print(f"skipped {Path(path).name}: matplotlib is not installed ({error})")
        return None
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    viz.plot_curves({r["name"]: r["history"]["val_accuracy"] for r in results}, ax=left,
                    ylabel="validation accuracy", title="validation accuracy")
    viz.plot_curves({r["name"]: r["history"]["loss"] for r in results}, ax=right,
                    ylabel=f"training loss ({loss_label})", title="training loss",
                    log_scale=True)
    left.get_legend().remove()
    right.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small")
    viz.save_figure(fig, path)
    return path


def smoke_notice(script, real_run):
    """The message of a --quick run whose numbers are not meaningful."""
    return (f"\nNOTE: --quick is a smoke run (a few hundred images, 1 epoch): it checks that the "
            f"script works; its accuracies are not a result. For a real run: python "
            f"examples/{script} {real_run}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="400/200 images, 1 epoch, 3 models")
    parser.add_argument("--samples", type=int, default=None,
                        help="training images (default 10,000; the seed uses 60,000)")
    parser.add_argument("--val-samples", type=int, default=None,
                        help="validation (test-set) images (default 10,000)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (the seed: 20)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    args = parser.parse_args(argv)
    samples = args.samples or (400 if args.quick else 10_000)
    val_samples = args.val_samples or (200 if args.quick else 10_000)
    epochs = args.epochs or (1 if args.quick else 20)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    train, val = load_mnist(samples, val_samples)
    results = []
    for activations in QUICK_COMBINATIONS if args.quick else COMBINATIONS:
        results.append(run(activations, train, val, epochs))
        r = results[-1]
        print(f"{r['name']:>26}: loss {r['loss']:.4f}  val_accuracy {r['val_accuracy']:.4f}  "
              f"({r['seconds']:.1f} s)", flush=True)
    title = (f"Seed 003: activation functions, MSE + SGD(0.01), {epochs} "
             f"epoch{'s' * (epochs != 1)}, {len(train[0])} training / {len(val[0])} "
             f"validation images")
    print(write_table(out, "activations_compared", results, title))
    figure = curves_figure(results, out / "activations_compared.png", "MSE")
    if figure:
        print(f"figure: {figure}")
    if args.quick:
        print(smoke_notice("seed003_activations_compared.py", "--epochs 10  (10,000 images; "
                           "MSE + SGD still learns slowly: see the docstring)"))
    return {"results": results, "figures": [figure] if figure else [], "out": out,
            "samples": len(train[0]), "epochs": epochs}


if __name__ == "__main__":
    main()
