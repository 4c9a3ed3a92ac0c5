"""What glassnet Studio costs a training run: the seed MLP's epoch with and without it attached.

The workload is seed 003's 784-784-784-10 sigmoid MLP (``glassnet.cli.build_mlp``), compiled as
``python -m glassnet train`` compiles it (categorical cross-entropy, Adam, accuracy), trained
one epoch on the first 10,000 MNIST training images in batches of 200 (50 batches). Timed:
seconds per epoch without a callback, and with ``gn.callbacks.Studio(every=20)`` publishing to
a hub (no server, no browser: the cost of recording and publishing itself). Repetitions
alternate the two (plain, studio, plain, ...) after one untimed warm-up epoch of each; the
medians and their ratio are printed (target: at most 1.15) and written to
``benchmarks/results/<name>.json``.

Usage:
    python benchmarks/studio_overhead.py [--reps 3] [--samples 10000] [--every 20]
        [--threads 2] [--data PATH] [--name studio_overhead]
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import glassnet as gn  # noqa: E402
from glassnet import cli  # noqa: E402
from glassnet.studio import Hub  # noqa: E402


def limit_blas_threads(threads):
    """Limit NumPy's BLAS to ``threads`` threads when threadpoolctl is installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=threads)


def load(samples, data_path=None):
    """The first ``samples`` MNIST training images, flat float32 in [0, 1], one-hot labels."""
    (x, y), _, _ = cli.prepare_data("mlp", False, data_path, train_samples=samples,
                                    val_samples=1)
    return x, y


def train_epoch(x, y, studio_every=None, seed=0):
    """Seconds of one ``fit`` epoch of the seed MLP (with a Studio callback when asked)."""
    gn.manual_seed(seed)
    model = cli.build_mlp()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    callbacks = []
    if studio_every is not None:
        callbacks.append(gn.callbacks.Studio(every=studio_every, hub=Hub()))
    start = time.perf_counter()
    model.fit(x, y, batch_size=200, epochs=1, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="timed epochs of each (median)")
    parser.add_argument("--samples", type=int, default=10_000, help="training images")
    parser.add_argument("--every", type=int, default=20, help="Studio(every=...)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads")
    parser.add_argument("--data", default=None, help="an mnist.npz (default: the bundled one)")
    parser.add_argument("--name", default="studio_overhead", help="results file name")
    args = parser.parse_args(argv)
    limit_blas_threads(args.threads)
    x, y = load(args.samples, args.data)
    train_epoch(x, y)  # warm-up: imports, memory pools, BLAS
    train_epoch(x, y, args.every)
    plain, studio = [], []
    for rep in range(args.reps):
        plain.append(train_epoch(x, y, seed=rep))
        studio.append(train_epoch(x, y, args.every, seed=rep))
        print(f"rep {rep + 1}: plain {plain[-1]:.3f} s, studio {studio[-1]:.3f} s", flush=True)
    ratio = statistics.median(studio) / statistics.median(plain)
    print(f"seed MLP, {len(x)} images, batch 200: plain {statistics.median(plain):.3f} s/epoch, "
          f"with Studio(every={args.every}) {statistics.median(studio):.3f} s/epoch, "
          f"ratio {ratio:.3f}x (target <= 1.15x)")
    results = {"samples": len(x), "batch_size": 200, "every": args.every, "reps": args.reps,
               "threads": args.threads, "plain_seconds": plain, "studio_seconds": studio,
               "ratio": ratio, "glassnet_version": gn.__version__}
    folder = ROOT / "benchmarks" / "results"
    os.makedirs(folder, exist_ok=True)
    with open(folder / f"{args.name}.json", "w", encoding="utf-8") as stream:
        json.dump(results, stream, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
