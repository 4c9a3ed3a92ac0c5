"""Seed 003: greedy layer-wise pre-training (预训练) against vanishing gradients, on MNIST.

Reproduces the remedy seed 003 names in 局部收敛与梯度消散: "common remedies include a suitable
activation function (ReLU), **pre-training**, suitable network models, gradient clipping". The
seed gives no code for pre-training; this script does the classic version (Hinton & Salakhutdinov
2006; Bengio et al. 2007): greedy layer-wise autoencoders, then fine-tuning of the whole net.

Set-up: a deep sigmoid MLP 784-100-100-100-100-100-10 (five sigmoid hidden layers, logits out,
softmax cross-entropy), the seed's ``kernel_initializer='normal'`` (N(0, 0.05^2)) for the
random start. MNIST: 6,000 training and 2,000 test images (``--quick``: 600 and 300, one
epoch each), pixels scaled to [0, 1].

* **random init**: the network as built, trained directly.
* **pre-trained**: each hidden layer is first trained as the encoder of an autoencoder on the
  previous layer's output (encoder Dense(100, sigmoid), decoder Dense(n_in, sigmoid),
  mean squared reconstruction error, Adam(1e-3), 3 epochs per layer; ``--quick``: 1), layer 1
  on the pixels, layer 2 on layer 1's codes, and so on (greedy: earlier layers frozen). The
  five encoders' weights are then copied into the deep network (the output layer stays
  random).

Both networks are then fine-tuned the same way: SGD(0.1), batches of 32, 5 epochs
(``--quick``: 1). Before the first update the script measures each Dense layer's gradient
norm ||dL/dW|| on 500 training images (the glass box: ``layer.kernel.grad``).

Outputs in ``examples/output/seed003_pretraining/``:

* ``results.json`` and ``pretraining.md``: per network, the gradient norm of every layer
  before fine-tuning, the first/last layer ratio, the test accuracy after each fine-tuning
  epoch; the autoencoders' reconstruction errors.
* ``gradient_norms.png``: the per-layer gradient norms (log scale) of both networks before
  fine-tuning, side by side.
* ``accuracy.png``: test accuracy against the fine-tuning epoch for both networks.

Measured (default run, about 2 minutes): before fine-tuning the random network's layer-1
gradient norm is 3.5e-5, 1e-4 of its output layer's 0.38 (a factor 3-10 lost per sigmoid
layer: sigmoid' <= 0.25 times small weights); the pre-trained network's is 2.0e-2, 570 times
larger, and its five hidden layers all get 1.7e-2 to 6.4e-2 (no staircase). Test accuracy
after the 5 fine-tuning epochs: random init 0.089 (chance: 0.11, 0.11, 0.10, 0.10, 0.09 per
epoch), pre-trained 0.775 (0.61, 0.62, 0.71, 0.72, 0.77). The autoencoders' reconstruction
errors (MSE) fall from 0.051 (pixels) to 0.0004 (layer 5's codes). ``--quick`` is a smoke run:
one epoch on 600 images leaves both networks near chance accuracy, but the gradient norms
before fine-tuning already differ (layer 1: 3.5e-5 random, 2.1e-4 pre-trained).

Run:
    python examples/seed003_pretraining.py [--quick] [--out DIR]
"""

import argparse
import json
from pathlib import Path

import numpy as np

import glassnet as gn
import glassnet.functional as F
from glassnet.datasets import mnist
from glassnet.initializers import RandomNormal
from glassnet.layers import Dense
from glassnet.models import Sequential
from glassnet.optimizers import SGD, Adam
from glassnet.utils import to_categorical

DEFAULT_OUT = Path(__file__).parent / "output" / Path(__file__).stem
DEPTH, WIDTH = 5, 100
FINE_TUNE_LR, BATCH = 0.1, 32


def build(seed=0):
    """The deep sigmoid MLP with the seed's 'normal' initializer: N(0, 0.05^2)."""
    gn.manual_seed(seed)
    layers = [Dense(WIDTH, activation="sigmoid", kernel_initializer=RandomNormal(0.0, 0.05),
                    **({"input_shape": (784,)} if i == 0 else {})) for i in range(DEPTH)]
    layers.append(Dense(10, kernel_initializer=RandomNormal(0.0, 0.05)))  # logits
    return Sequential(layers)


def pretrain(x, epochs, seed=0):
    """Greedy layer-wise autoencoders; returns [(kernel, bias)] per hidden layer, and errors."""
    weights, errors, codes = [], [], x
    for i in range(DEPTH):
        gn.manual_seed(seed + 1 + i)
        encoder = Dense(WIDTH, activation="sigmoid", input_shape=(codes.shape[1],))
        autoencoder = Sequential([encoder, Dense(codes.shape[1], activation="sigmoid")])
        autoencoder.compile(optimizer=Adam(1e-3), loss="mse")
        history = autoencoder.fit(codes, codes, batch_size=BATCH, epochs=epochs, verbose=0,
                                  shuffle=True)
        errors.append(float(history.history["loss"][-1]))
        weights.append(encoder.get_weights())
        codes = np.asarray(encoder(codes).data)            # the next layer's training data
    return weights, errors


def gradient_norms(model, x, y):
    """||dL/dW|| of every Dense kernel for one batch, input side first."""
    for weight in model.trainable_weights:
        weight.grad = None
    loss = F.categorical_crossentropy(gn.tensor(y), model(x, training=True),
                                      from_logits=True).mean()
    loss.backward()
    return [float(np.linalg.norm(layer.kernel.grad.data)) for layer in model.layers]


def fine_tune(model, data, epochs):
    (x, y), (x_test, y_test) = data
    model.compile(optimizer=SGD(FINE_TUNE_LR),
                  loss=gn.losses.CategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    accuracy = []
    for _ in range(epochs):
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)
        accuracy.append(float(model.evaluate(x_test, y_test, verbose=0)[1]))
    return accuracy


def write_table(out, results, epochs):
    labels = [f"layer {i + 1}" for i in range(DEPTH)] + ["output"]
    header = ["network", *(f"{label} ‖dL/dW‖" for label in labels), "layer 1 / output",
              f"test accuracy after {epochs} epoch(s)"]
    lines = ["# Seed 003: greedy layer-wise pre-training vs random initialisation "
             f"(784-{'-'.join([str(WIDTH)] * DEPTH)}-10 sigmoid MLP, MNIST)", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, r in results.items():
        lines.append("| " + " | ".join([name, *(f"{v:.2e}" for v in r["gradient_norms"]),
                                        f"{r['first_to_last']:.2e}",
                                        f"{r['accuracy'][-1]:.4f}"]) + " |")
    text = "\n".join(lines) + "\n"
    (out / "pretraining.md").write_text(text, encoding="utf-8")
    return text


def draw(out, results):
    from matplotlib.figure import Figure

    from glassnet import viz

    labels = [f"layer {i + 1}" for i in range(DEPTH)] + ["output"]
    fig = Figure(figsize=(7.5, 4.0), layout="constrained")
    ax = fig.subplots()
    positions = np.arange(len(labels))
    for k, (name, r) in enumerate(results.items()):
        ax.bar(positions + (k - 0.5) * 0.38, r["gradient_norms"], width=0.38, label=name)
    ax.set_xticks(positions, labels)
    ax.set(yscale="log", xlabel="Dense layer (input → output)", ylabel="‖∂L/∂W‖",
           title="gradient norm per layer before fine-tuning")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend()
    viz.save_figure(fig, out / "gradient_norms.png")

    fig = Figure(figsize=(6.0, 3.8), layout="constrained")
    ax = fig.subplots()
    for k, (name, r) in enumerate(results.items()):
        epochs = np.arange(1, len(r["accuracy"]) + 1)
        ax.plot(epochs, r["accuracy"], label=name, **viz.line_style(k))
    ax.axhline(0.1, color="grey", linestyle=":", label="chance (0.1)")
    ax.set(xlabel="fine-tuning epoch", ylabel="test accuracy", ylim=(0, 1),
           title="SGD fine-tuning of the deep sigmoid MLP")
    viz.integer_ticks(ax)
    ax.grid(True, alpha=0.3)
    ax.legend()
    viz.save_figure(fig, out / "accuracy.png")
    return [out / "gradient_norms.png", out / "accuracy.png"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 600 images, one epoch of each stage (seconds)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    args = parser.parse_args(argv)
    train, test = (600, 300) if args.quick else (6000, 2000)
    ae_epochs, epochs = (1, 1) if args.quick else (3, 5)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    (x, y), (x_test, y_test) = mnist.load_data()
    x = x[:train].reshape(-1, 784).astype("float32") / 255
    x_test = x_test[:test].reshape(-1, 784).astype("float32") / 255
    y, y_test = to_categorical(y[:train], 10), to_categorical(y_test[:test], 10)
    probe = (x[:500], y[:500])
    if args.quick:
        print("quick: a smoke run (600 images, one epoch per stage): both networks stay near "
              "chance accuracy; the gradient norms before fine-tuning already differ")

    encoders, errors = pretrain(x, ae_epochs)
    results = {}
    for name in ("random init", "pre-trained"):
        model = build()
        model(x[:1])                                        # build the weights
        if name == "pre-trained":
            for layer, weights in zip(model.layers, encoders, strict=False):
                layer.set_weights(weights)
        norms = gradient_norms(model, *probe)
        accuracy = fine_tune(model, ((x, y), (x_test, y_test)), epochs)
        results[name] = {"gradient_norms": norms, "first_to_last": norms[0] / norms[-1],
                         "accuracy": accuracy}
        print(f"{name}: layer-1 gradient norm {norms[0]:.3e} (output {norms[-1]:.3e}), "
              f"test accuracy {accuracy[-1]:.4f}")
    print(write_table(out, results, epochs))
    summary = {"train_images": train, "test_images": test, "autoencoder_epochs": ae_epochs,
               "fine_tune_epochs": epochs, "reconstruction_errors": errors,
               "networks": results, "quick": args.quick}
    (out / "results.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    figures = []
    try:
        figures = draw(out, results)
        for path in figures:
            print(f"figure: {path}")
    except ImportError as error:
        print(f"skipped the figures: {error}")
    return {**summary, "figures": figures, "out": out}


if __name__ == "__main__":
    main()
