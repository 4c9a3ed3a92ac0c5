"""Seed 004's Keras CIFAR-10 CNN (section 4.1), built and trained with glassnet.

The seed's model, layer for layer::

    model = tf.keras.Sequential([
        tf.keras.layers.Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)),
        tf.keras.layers.MaxPooling2D((2, 2)),
        tf.keras.layers.Conv2D(64, (3, 3), activation='relu'),
        tf.keras.layers.MaxPooling2D((2, 2)),
        tf.keras.layers.Conv2D(64, (3, 3), activation='relu'),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(64, activation='relu'),
        tf.keras.layers.Dense(10, activation='softmax')
    ])
    model.compile(optimizer='adam',
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    model.fit(x_train, y_train, epochs=10, validation_data=(x_test, y_test))

122,570 parameters (Conv2D 896 + 18,496 + 36,928, Dense 65,600 + 650), as Keras's summary.

Note on the seed: its last layer already applies softmax while the loss is told
``from_logits=True``, so softmax is applied twice (the model still learns, more slowly). By
default this script keeps the seed's definition; ``--logits`` uses a linear last layer, which is
what ``from_logits=True`` expects.

Data: CIFAR-10 is not bundled (163 MB). It is used when present in glassnet's cache
(``glassnet.datasets.cifar10``; put ``cifar-10-binary.tar.gz`` from
https://www.cs.toronto.edu/~kriz/cifar.html into ``<data_home>/cifar-10/``) or given with
``--data PATH``; ``--download`` fetches it. Without data the script prints the model summary,
says where to put the file and, with ``--quick``, runs two training steps on random images
of the right shape: a smoke test of the code path whose loss and accuracy mean nothing (it says
so). With data, ``--quick`` trains on 1,000 / 200 images for 3 epochs.

Writes into ``--out`` (default ``examples/output/cifar10_cnn``): ``results.json`` and, after a
run on data with matplotlib installed, ``learning_curves.png``, ``confusion_matrix.png`` (the
10 CIFAR-10 classes), ``predictions.png`` (16 test images with their predicted class) and
``misclassified.png``.

Run:  python examples/cifar10_cnn.py [--quick] [--epochs N] [--logits] [--data PATH]
      [--download] [--out DIR]
"""

import argparse
import json
import os
import time

import numpy as np

import glassnet as gn
from glassnet.datasets import cifar10, download
from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D
from glassnet.losses import SparseCategoricalCrossentropy
from glassnet.models import Sequential


def build_model(logits=False):
    """Seed 004's CNN (softmax output, as in the seed, unless ``logits``)."""
    return Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation=None if logits else "softmax"),
    ], name="seed004_cifar10_cnn")


def _data_available():
    folder = download.data_home() / cifar10.CACHE_SUBDIR
    extracted = folder / cifar10.MEMBER_DIR
    names = cifar10.TRAIN_FILES + cifar10.TEST_FILES
    return all((extracted / n).is_file() for n in names) or (
        folder / cifar10.ARCHIVE_NAME).is_file()


def main(argv=None):
    """Build (and, with data, train) the seed's CNN; return a dict of numbers."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true",
                        help="1000/200-image subset and 3 epochs (or a smoke test without data)")
    parser.add_argument("--epochs", type=int, default=None, help="default 10, the seed's")
    parser.add_argument("--logits", action="store_true", help="linear last layer")
    parser.add_argument("--data", default=None, help="cifar-10-binary.tar.gz or its folder")
    parser.add_argument("--download", action="store_true", help="download CIFAR-10 if needed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("examples", "output", "cifar10_cnn"))
    args = parser.parse_args(argv)
    epochs = args.epochs or (3 if args.quick else 10)
    gn.manual_seed(args.seed)

    model = build_model(args.logits)
    model.summary()
    model.compile(optimizer="adam", loss=SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    results = {"params": model.count_params(), "logits": args.logits}
    have_data = args.data is not None or args.download or _data_available()
    if have_data:
        (x_train, y_train), (x_test, y_test) = cifar10.load_data(args.data)
        if args.quick:
            x_train, y_train, x_test, y_test = x_train[:1000], y_train[:1000], x_test[:200], (
                y_test[:200])
        x_train, x_test = x_train / np.float32(255.0), x_test / np.float32(255.0)
        start = time.perf_counter()
        history = model.fit(x_train, y_train, epochs=epochs, validation_data=(x_test, y_test),
                            verbose=2)
        test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=2)
        print("test loss:", test_loss)
        print("test accuracy:", test_accuracy)
        results.update(data=True, test_loss=float(test_loss),
                       test_accuracy=float(test_accuracy), epochs=epochs,
                       seconds=time.perf_counter() - start,
                       history={k: [float(v) for v in vs] for k, vs in history.history.items()})
        try:
            from glassnet import viz

            results["figures"] = viz.classifier_figures(
                args.out, history, y_test, model.predict(x_test, verbose=0), images=x_test,
                class_names=cifar10.CLASS_NAMES)
        except ImportError as error:
            print(f"figures skipped: {error}")
    else:
        where = download.data_home() / cifar10.CACHE_SUBDIR / cifar10.ARCHIVE_NAME
        print(f"CIFAR-10 is not available here. Download {cifar10.URL} and save it as "
              f"{where} (or pass --data PATH, or --download) to train this model.")
        results["data"] = False
        if args.quick:  # smoke test: two steps on random images of CIFAR-10's shape
            rng = np.random.default_rng(args.seed)
            x = rng.random((64, 32, 32, 3), dtype=np.float32)
            y = rng.integers(0, 10, (64, 1)).astype(np.uint8)
            history = model.fit(x, y, batch_size=32, epochs=1, verbose=0)
            results["smoke_loss"] = float(history.history["loss"][-1])
            print("This was a smoke run (two steps on random images): it checks that the model "
                  "builds and trains; its loss means nothing. For a real run, get CIFAR-10 as "
                  "said above and run: python examples/cifar10_cnn.py --download")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
