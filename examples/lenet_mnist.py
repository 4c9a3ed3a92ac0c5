"""LeNet-5 on MNIST with glassnet's Keras API (Conv2D, MaxPooling2D, Dense).

LeCun et al.'s LeNet-5 in its common modern form: two 5x5 convolutions with ReLU, each followed
by 2x2 max pooling, then three fully connected layers (120, 84, 10)::

    28x28x1 -> Conv2D(6, 5x5, same) -> 28x28x6 -> MaxPool -> 14x14x6
            -> Conv2D(16, 5x5)      -> 10x10x16 -> MaxPool -> 5x5x16 -> Flatten (400)
            -> Dense(120) -> Dense(84) -> Dense(10) (logits)

61,706 parameters, trained with Adam (learning rate 1e-3, batch 128) on the bundled MNIST.
The default run (10 epochs) reaches about 99% test accuracy; ``--quick`` trains on a
4,000-image subset for 3 epochs (seconds; about 90% test accuracy on 500 test images).

Run:  python examples/lenet_mnist.py [--quick] [--epochs N] [--out DIR]
Writes into ``--out`` (default ``examples/output/lenet_mnist``): ``results.json`` (history and
test accuracy) and, when matplotlib is installed, ``learning_curves.png``,
``confusion_matrix.png``, ``predictions.png`` (16 test digits with their predictions) and
``misclassified.png``.
"""

import argparse
import json
import os
import time

import numpy as np

import glassnet as gn
from glassnet.datasets import mnist
from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D
from glassnet.losses import SparseCategoricalCrossentropy
from glassnet.models import Sequential
from glassnet.optimizers import Adam


def build_lenet5():
    """The LeNet-5 model (logits output)."""
    return Sequential([
        Conv2D(6, (5, 5), padding="same", activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D((2, 2)),
        Conv2D(16, (5, 5), activation="relu"),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(120, activation="relu"),
        Dense(84, activation="relu"),
        Dense(10),
    ], name="lenet5")


def load_data(quick):
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    if quick:
        x_train, y_train, x_test, y_test = x_train[:4000], y_train[:4000], x_test[:500], (
            y_test[:500])
    x_train = (x_train.astype(np.float32) / 255.0)[..., None]
    x_test = (x_test.astype(np.float32) / 255.0)[..., None]
    return (x_train, y_train.astype(np.int64)), (x_test, y_test.astype(np.int64))


def main(argv=None):
    """Train LeNet-5; return {'test_accuracy', 'test_loss', 'history', 'seconds', ...}."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="4000-image subset, 3 epochs")
    parser.add_argument("--epochs", type=int, default=None, help="default 10 (quick: 3)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("examples", "output", "lenet_mnist"))
    args = parser.parse_args(argv)
    epochs = args.epochs or (3 if args.quick else 10)

    gn.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_data(args.quick)
    model = build_lenet5()
    model.summary()
    model.compile(optimizer=Adam(learning_rate=1e-3),
                  loss=SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=epochs,
                        validation_data=(x_test, y_test), verbose=2)
    seconds = time.perf_counter() - start
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    print(f"LeNet-5: test accuracy {test_accuracy:.4f}, test loss {test_loss:.4f}, "
          f"{epochs} epoch{'s' * (epochs != 1)} in {seconds:.1f}s")
    results = {
        "test_accuracy": float(test_accuracy), "test_loss": float(test_loss),
        "epochs": epochs, "train_size": len(x_train), "seconds": seconds,
        "params": model.count_params(),
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    results["figures"] = write_figures(args.out, history, x_test, y_test, model)
    return results


def write_figures(out, history, x_test, y_test, model):
    """Learning curves, confusion matrix and digit grids (skipped without matplotlib)."""
    try:
        from glassnet import viz

        return viz.classifier_figures(out, history, y_test, model.predict(x_test, verbose=0),
                                      images=x_test)
    except ImportError as error:
        print(f"figures skipped: {error}")
        return []


if __name__ == "__main__":
    main()
