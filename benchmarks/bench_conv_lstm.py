"""Training speed of LeNet-5, LSTM, GRU and CIFAR-10 CNN, glassnet beside PyTorch (CPU).

Both frameworks train the same model on the same synthetic MNIST-shaped batches with Adam, in
the same process, with the same number of threads. Runs alternate (glassnet, PyTorch,
glassnet, ...) so that both see the same machine state; the table shows the median over the
repetitions and the ratio glassnet / PyTorch (lower is better, 1.0 = as fast as PyTorch).

Models:
  * LeNet-5: Conv2D(6, 5x5, same, relu) -> MaxPool 2 -> Conv2D(16, 5x5, relu) -> MaxPool 2
    -> Flatten -> Dense(120, relu) -> Dense(84, relu) -> Dense(10), 28x28x1 inputs.
  * LSTM: LSTM(128) over the 28 rows of a 28x28 image (28 features per step) -> Dense(10).
  * GRU: GRU(128) over the 28 rows (Keras 3 defaults: tanh, sigmoid recurrent activation,
    ``reset_after=True``) -> Dense(10). ``torch.nn.GRU`` computes exactly Keras's
    ``reset_after=True`` form, n = tanh(W_n x + b_in + r * (U_n h + b_hn)), with two bias
    vectors, so both sides do the same arithmetic (gate order differs: Keras z, r, h;
    torch r, z, n).
  * CIFAR: seed 004's CNN (``examples/cifar10_cnn.py``), 32x32x3 inputs: Conv2D(32, 3x3,
    relu) -> MaxPool 2 -> Conv2D(64, 3x3, relu) -> MaxPool 2 -> Conv2D(64, 3x3, relu) ->
    Flatten -> Dense(64, relu) -> Dense(10, softmax), 122,570 parameters. As in the seed, the
    last layer applies softmax although the loss is told ``from_logits=True`` (both
    frameworks do the same; ``logits=True`` drops that softmax). Batch 64 (``CIFAR_BATCH``).
    Data: CIFAR-10 from glassnet's dataset cache when present there (:func:`cifar_data`),
    else random images of CIFAR's shape (N, 32, 32, 3) float32 in [0, 1) with labels in 0..9;
    the source is printed.
Each run: ``--batches`` (100) steps of batch ``--batch-size`` (128; 64 for CIFAR): forward,
softmax cross-entropy, backward, Adam update.

glassnet is timed twice: an explicit training loop (forward, loss, backward, ``opt.step``)
and ``model.fit`` (which adds batching, metrics and callbacks).

Usage:
    python benchmarks/bench_conv_lstm.py [--quick] [--reps 5] [--threads 2]
        [--json benchmarks/results/bench_conv_lstm.json]

Requires PyTorch (``pip install glassnet[bench]``); without it only glassnet is timed.
"""

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path


def _set_threads(threads):
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


@contextlib.contextmanager
def quiet_seed_softmax():
    """Silence glassnet's warning about softmax outputs given to a ``from_logits=True`` loss.

    Seed 004's CNN does exactly that (see the module docstring); the benchmark keeps the seed's
    model, so the warning would only repeat what is known.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*from_logits=True, but y_pred looks like")
        yield


# ------------------------------------------------------------------------ glassnet
def glassnet_lenet():
    from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from glassnet.models import Sequential

    return Sequential([
        Conv2D(6, 5, padding="same", activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D(2),
        Conv2D(16, 5, activation="relu"),
        MaxPooling2D(2),
        Flatten(),
        Dense(120, activation="relu"),
        Dense(84, activation="relu"),
        Dense(10),
    ])


def glassnet_lstm():
    from glassnet.layers import LSTM, Dense
    from glassnet.models import Sequential

    return Sequential([LSTM(128, input_shape=(28, 28)), Dense(10)])


def glassnet_loop(model, batches):
    """Explicit training loop; returns seconds."""
    from glassnet import functional as F
    from glassnet.optimizers import Adam

    params = model.trainable_weights
    opt = Adam(1e-3)
    start = time.perf_counter()
    for xb, yb in batches:
        logits = model(xb, training=True)
        with quiet_seed_softmax():
            loss = F.sparse_categorical_crossentropy(yb, logits, from_logits=True).mean()
        for p in params:
            p.grad = None
        loss.backward()
        opt.step(params)
    return time.perf_counter() - start


def glassnet_fit(model, x, y, batch_size):
    from glassnet.losses import SparseCategoricalCrossentropy
    from glassnet.optimizers import Adam

    model.compile(optimizer=Adam(1e-3), loss=SparseCategoricalCrossentropy(from_logits=True))
    start = time.perf_counter()
    with quiet_seed_softmax():
        model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - start


def glassnet_gru():
    """GRU(128) over the 28 rows of an image (Keras 3 defaults, reset_after=True), Dense(10)."""
    from glassnet.layers import GRU, Dense
    from glassnet.models import Sequential

    return Sequential([GRU(128, input_shape=(28, 28)), Dense(10)])


def glassnet_cifar(logits=False):
    """Seed 004's CIFAR-10 CNN (softmax output as in the seed unless ``logits``)."""
    from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from glassnet.models import Sequential

    return Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation=None if logits else "softmax"),
    ])


# ------------------------------------------------------------------------ data
CIFAR_BATCH = 64


def cifar_available():
    """Whether CIFAR-10 is in glassnet's dataset cache (never downloads)."""
    from glassnet.datasets import cifar10, download

    folder = download.data_home() / cifar10.CACHE_SUBDIR
    extracted = folder / cifar10.MEMBER_DIR
    names = cifar10.TRAIN_FILES + cifar10.TEST_FILES
    return all((extracted / n).is_file() for n in names) or (
        folder / cifar10.ARCHIVE_NAME).is_file()


def cifar_data(n=None, seed=0):
    """CIFAR-10 training images ``(x, labels, source)``, NHWC float32 in [0, 1], int64 labels.

    The real data when :func:`cifar_available` (``source='cifar10'``), else ``n`` (default
    50,000) random images of the same shape and dtype with labels in 0..9
    (``source='random'``). ``n`` caps the number of images either way.
    """
    import numpy as np

    if cifar_available():
        from glassnet.datasets import cifar10

        (x, y), _ = cifar10.load_data()
        x, y = x[:n], y[:n]
        return x.astype(np.float32) / np.float32(255.0), y.reshape(-1).astype(np.int64), \
            "cifar10"
    n = 50000 if n is None else n
    rng = np.random.default_rng(seed)
    x = rng.random((n, 32, 32, 3), dtype=np.float32)
    return x, rng.integers(0, 10, n).astype(np.int64), "random"


# ------------------------------------------------------------------------ PyTorch
def torch_lenet(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def torch_lstm(torch):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, batch_first=True)
            self.fc = nn.Linear(128, 10)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.fc(h[-1])

    return Net()


def torch_gru(torch):
    """``torch.nn.GRU(28, 128)`` (Keras's reset_after=True form) + Linear(128, 10)."""
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(28, 128, batch_first=True)
            self.fc = nn.Linear(128, 10)

        def forward(self, x):
            _, h = self.gru(x)
            return self.fc(h[-1])

    return Net()


def torch_cifar(torch, logits=False):
    """Seed 004's CNN in PyTorch (NCHW inputs (N, 3, 32, 32)); softmax output unless logits."""
    nn = torch.nn
    layers = [
        nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
        nn.Linear(4 * 4 * 64, 64), nn.ReLU(), nn.Linear(64, 10),
    ]
    if not logits:
        layers.append(nn.Softmax(dim=1))
    return nn.Sequential(*layers)


def torch_loop(torch, model, batches):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    start = time.perf_counter()
    for xb, yb in batches:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


# ------------------------------------------------------------------------ driver
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 batches, 1 repetition")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-fit", action="store_true", help="skip the model.fit timing")
    parser.add_argument("--json", default="benchmarks/results/bench_conv_lstm.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.reps, args.batches = 1, 10
    _set_threads(args.threads)

    import numpy as np

    import glassnet as gn

    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
        print("PyTorch is not installed: timing glassnet only (pip install glassnet[bench])")

    rng = np.random.default_rng(0)
    n = args.batches * args.batch_size
    images = rng.random((n, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, n)
    cifar_x, cifar_y, cifar_source = cifar_data(args.batches * CIFAR_BATCH)
    print(f"CIFAR-10 data: {'the real training set' if cifar_source == 'cifar10' else 'random'}"
          f" images of CIFAR's shape{'' if cifar_source == 'cifar10' else ' (data set absent)'}")
    cases = {  # name: (glassnet model, torch model, glassnet x, torch x, labels, batch size)
        "lenet5": (glassnet_lenet, torch_lenet, images[..., None], images[:, None], labels,
                   args.batch_size),
        "lstm128": (glassnet_lstm, torch_lstm, images, images, labels, args.batch_size),
        "gru128": (glassnet_gru, torch_gru, images, images, labels, args.batch_size),
        "cifar": (glassnet_cifar, torch_cifar, cifar_x, cifar_x.transpose(0, 3, 1, 2).copy(),
                  cifar_y, CIFAR_BATCH),
    }
    results = {}
    for name, (make_gn, make_torch, x, x_torch, y, bs) in cases.items():
        n = len(x)
        gn_batches = [(x[i:i + bs], y[i:i + bs]) for i in range(0, n, bs)]
        times = {"glassnet_loop": [], "glassnet_fit": [], "torch": []}
        if torch is not None:
            tx = torch.from_numpy(x_torch)
            ty = torch.from_numpy(y)
            t_batches = [(tx[i:i + bs], ty[i:i + bs]) for i in range(0, n, bs)]
        for rep in range(args.reps + 1):  # the first round is a warm-up, not counted
            gn.manual_seed(rep)
            loop_time = glassnet_loop(make_gn(), gn_batches)
            fit_time = None if args.no_fit else glassnet_fit(make_gn(), x, y, bs)
            torch_time = None
            if torch is not None:
                torch.manual_seed(rep)
                torch_time = torch_loop(torch, make_torch(torch), t_batches)
            if rep == 0 and args.reps > 0 and not args.quick:
                continue
            times["glassnet_loop"].append(loop_time)
            if fit_time is not None:
                times["glassnet_fit"].append(fit_time)
            if torch_time is not None:
                times["torch"].append(torch_time)
        medians = {k: statistics.median(v) for k, v in times.items() if v}
        entry = {"seconds": times, "median_seconds": medians}
        if "torch" in medians:
            entry["ratio_loop"] = medians["glassnet_loop"] / medians["torch"]
            if "glassnet_fit" in medians:
                entry["ratio_fit"] = medians["glassnet_fit"] / medians["torch"]
        results[name] = entry

    print(f"{args.batches} batches of {args.batch_size} ({CIFAR_BATCH} for cifar), Adam, "
          f"{args.threads} threads, "
          f"median of {max(args.reps, 1)} alternating runs")
    print(f"{'model':<10}{'glassnet loop':>15}{'glassnet fit':>14}{'PyTorch':>10}"
          f"{'ratio loop':>12}{'ratio fit':>11}")
    for name, entry in results.items():
        values = {**entry["median_seconds"], **{k: v for k, v in entry.items()
                                                if k.startswith("ratio")}}
        cells = [(values.get(key), width, fmt) for key, width, fmt in (
            ("glassnet_loop", 15, "{:.2f}s"), ("glassnet_fit", 14, "{:.2f}s"),
            ("torch", 10, "{:.2f}s"), ("ratio_loop", 12, "{:.2f}x"),
            ("ratio_fit", 11, "{:.2f}x"))]
        print(f"{name:<10}" + "".join(
            (fmt.format(v) if v is not None else "-").rjust(w) for v, w, fmt in cells))
    report = {
        "benchmark": "bench_conv_lstm",
        "batches": args.batches, "batch_size": args.batch_size, "cifar_batch_size": CIFAR_BATCH,
        "cifar_data": cifar_source, "threads": args.threads,
        "reps": args.reps, "quick": args.quick,
        "python": sys.version.split()[0], "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__,
        "machine": platform.machine(), "processor": platform.processor(),
        "results": results,
    }
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
        print(f"wrote {path}")
    return report


if __name__ == "__main__":
    main()
