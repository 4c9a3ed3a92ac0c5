"""``glassnet train``: seed 003's MNIST MLP (or a LeNet-style CNN, or an LSTM), end to end.

The default run is seed 003's Keras MLP, exactly: 784-784-784-10, ``kernel_initializer=
'normal'``, sigmoid activations everywhere (output included), categorical cross-entropy on
one-hot labels, Adam, 20 epochs of batches of 200, validated on the 10,000 test images; it
writes the run folder described in :mod:`glassnet.cli`.

``--quick`` is a smoke run (2,000 training and 500 validation images, 1 epoch: about a second):
it checks that everything runs and writes every file, but its accuracy is not meaningful (seed
003's sigmoid MLP is still at chance, about 10%, after those 10 steps; the CNN reaches about
60%). Measured on a laptop-class CPU: ``--train-samples 20000 --epochs 2`` trains the MLP to
about 92% in about 3 seconds, and the full 20-epoch default reaches about 98%.

Under MPI (``mpiexec -n N python -m glassnet train ...``, or ``srun``) the job joins the N
processes (:func:`glassnet.distribution.initialize`) and trains data-parallel
(``set_distribution(DataParallel())``): ``--batch-size`` is the global batch, split across the
ranks, so the result equals a one-process run of the same command. Only rank 0 prints and
writes the run folder; the others stay quiet (docs/distributed.md).
"""

import datetime
import json
import os
import time

from glassnet.backend import xp
from glassnet.commands.common import (
    MAX_SEED,
    UsageError,
    check_int_range,
    check_number,
    check_out_folder,
    require_path,
)

PRESETS = ("mlp", "cnn", "lstm")
#: Epochs when --epochs is not given: seed 003's 20 for the MLP; the CNN and LSTM learn more
#: per epoch and cost more per step on a CPU.
DEFAULT_EPOCHS = {"mlp": 20, "cnn": 5, "lstm": 5}
QUICK_TRAIN, QUICK_VAL = 2000, 500
#: What ``train --quick`` says at the end (and, shorter, in its --help).
QUICK_NOTE = (
    "Note: --quick is a smoke run (a small subset, 1 epoch): it checks that everything works "
    "and writes every file, but its accuracy is not meaningful. For a meaningful result in "
    "seconds try --train-samples 20000 --epochs 2 (the MLP reaches about 92%); the default "
    "run (no --quick) reaches about 98%.")


# ============================================================================ models
def build_mlp():
    """Seed 003's network: three sigmoid Dense layers with N(0, 0.05) initial weights."""
    from glassnet.layers import Dense
    from glassnet.models import Sequential

    num_pixels = 784
    return Sequential([
        Dense(num_pixels, input_shape=(num_pixels,), kernel_initializer="normal",
              activation="sigmoid"),
        Dense(784, kernel_initializer="normal", activation="sigmoid"),
        Dense(10, kernel_initializer="normal", activation="sigmoid"),
    ])


def build_cnn():
    """A LeNet-style CNN: two conv/pool stages, a Dense(64) and a softmax over 10 digits."""
    from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from glassnet.models import Sequential

    return Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ])


def build_lstm():
    """An LSTM reading each image as 28 time steps of 28 pixels, then a softmax layer."""
    from glassnet.layers import LSTM, Dense
    from glassnet.models import Sequential

    return Sequential([LSTM(128, input_shape=(28, 28)), Dense(10, activation="softmax")])


BUILDERS = {"mlp": build_mlp, "cnn": build_cnn, "lstm": build_lstm}


def prepare_data(preset, quick, data_path=None, train_samples=None, val_samples=None):
    """MNIST scaled to [0, 1] and shaped for the preset; one-hot labels for the MLP.

    ``quick`` keeps the first 2000 training and 500 validation images; ``train_samples`` /
    ``val_samples`` keep the first N instead.
    """
    from glassnet.datasets import mnist
    from glassnet.utils import to_categorical

    (x_train, y_train), (x_val, y_val) = mnist.load_data(data_path)
    n_train = train_samples or (QUICK_TRAIN if quick else None)
    n_val = val_samples or (QUICK_VAL if quick else None)
    if n_train:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
    if n_val:
        x_val, y_val = x_val[:n_val], y_val[:n_val]
    shape = {"mlp": (784,), "cnn": (28, 28, 1), "lstm": (28, 28)}[preset]
    x_train = x_train.reshape((len(x_train), *shape)).astype("float32") / 255
    x_val = x_val.reshape((len(x_val), *shape)).astype("float32") / 255
    labels = y_val
    if preset == "mlp":
        y_train = to_categorical(y_train, 10)
        y_val = to_categorical(y_val, 10)
    return (x_train, y_train), (x_val, y_val), labels


def confusion_matrix(labels, predicted, num_classes=10):
    """counts[i, j] = number of samples of true class i predicted as class j."""
    counts = xp.zeros((num_classes, num_classes), dtype=xp.int64)
    xp.add.at(counts, (labels.astype(xp.int64), predicted.astype(xp.int64)), 1)
    return counts


# ============================================================================ plots
def save_plots(folder, history, matrix):
    """learning_curves.png and confusion_matrix.png; returns the files written ([] without
    matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    epochs = range(1, len(history.get("loss", [])) + 1)
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for axis, key in zip(axes, ("loss", "accuracy"), strict=True):
        for name in (key, f"val_{key}"):
            if name in history:
                axis.plot(epochs, history[name], marker="o", label=name)
        axis.set_xlabel("epoch")
        axis.set_title(key)
        axis.grid(True, alpha=0.3)
        axis.legend()
    figure.tight_layout()
    path = os.path.join(folder, "learning_curves.png")
    figure.savefig(path, dpi=100)
    plt.close(figure)
    written.append(path)
    figure, axis = plt.subplots(figsize=(6, 5))
    image = axis.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axis)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            color = "white" if matrix[i, j] > matrix.max() / 2 else "black"
            axis.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                      color=color)
    axis.set_xlabel("predicted digit")
    axis.set_ylabel("true digit")
    axis.set_xticks(range(matrix.shape[1]))
    axis.set_yticks(range(matrix.shape[0]))
    axis.set_title("confusion matrix (validation)")
    figure.tight_layout()
    path = os.path.join(folder, "confusion_matrix.png")
    figure.savefig(path, dpi=100)
    plt.close(figure)
    written.append(path)
    return written


# ============================================================================ train
def _run_folder(out):
    if out is not None:
        try:
            os.makedirs(out, exist_ok=True)
        except OSError as error:
            raise UsageError(f"--out {out!r}: cannot make the run folder "
                             f"({error.strerror or error})") from None
        return out
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = os.path.join("runs", stamp)
    folder, suffix = base, 1
    while os.path.exists(folder):
        suffix += 1
        folder = f"{base}-{suffix}"
    os.makedirs(folder)
    return folder


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (xp.floating, xp.integer)):
        return value.item()
    return value


def is_smoke_run(args):
    """``--quick`` with its own subset and epoch count (not overridden by the user)."""
    return bool(args.quick) and args.train_samples is None and args.epochs is None


def check_arguments(args):
    """Every flag of ``glassnet train``, checked before any data is read: a bad one is a
    :class:`~glassnet.commands.common.UsageError` (one line, exit code 2)."""
    from glassnet import optimizers
    from glassnet.errors import GlassnetError

    if args.model not in BUILDERS:
        raise UsageError(f"--model must be one of {', '.join(PRESETS)}, received {args.model!r}")
    check_int_range(args.seed, "--seed", 0, MAX_SEED)
    for flag, value in (("--epochs", args.epochs), ("--batch-size", args.batch_size),
                        ("--train-samples", args.train_samples),
                        ("--val-samples", args.val_samples)):
        if value is not None:
            check_int_range(value, flag, 1, 2**63 - 1)
    check_number(args.learning_rate, "--learning-rate")
    try:
        optimizers.get(args.optimizer)
    except GlassnetError as error:
        raise UsageError(f"--optimizer: {error}") from None
    if args.data is not None:
        require_path(args.data, "--data", folder_ok=True)
    check_out_folder(args.out)


def join_processes():
    """Join the MPI job when launched by mpiexec/srun; returns (rank, number of processes).

    With more than one process the training is data-parallel (``DataParallel()``); a plain
    ``glassnet train`` is one process and imports nothing of MPI.
    """
    from glassnet.distribution.communicator import launched_by_mpi

    if not launched_by_mpi():
        return 0, 1
    from glassnet import distribution

    distribution.initialize()
    if distribution.num_processes() > 1:
        distribution.set_distribution(distribution.DataParallel())
    return distribution.process_index(), distribution.num_processes()


def _shared_run_folder(out, rank):
    """Rank 0 makes the run folder; every rank learns its name, or rank 0's error."""
    from glassnet.distribution.communicator import current

    folder, error = None, None
    if rank == 0:
        try:
            folder = _run_folder(out)
        except UsageError as failure:
            error = str(failure)
    shared = current().broadcast_json({"folder": folder, "error": error})
    if shared["error"] is not None:
        raise UsageError(shared["error"])
    return shared["folder"]


def _plural(count, noun):
    return f"{count} {noun}" + ("" if count == 1 else "s")


def train(args):
    """Run one training as described by the parsed ``args``; returns the run folder.

    Under mpiexec with several processes it trains data-parallel; only rank 0 prints and
    writes files (the other ranks return the same folder name without writing to it).
    """
    import glassnet as gn
    from glassnet import optimizers
    from glassnet.callbacks import CSVLogger

    check_arguments(args)
    rank, processes = join_processes()
    root = rank == 0

    def say(text):
        if root:
            print(text)

    gn.manual_seed(args.seed)
    xp.random.seed(args.seed)
    model = BUILDERS[args.model]()
    (x_train, y_train), (x_val, y_val), labels = prepare_data(
        args.model, args.quick, args.data, args.train_samples, args.val_samples)
    optimizer = optimizers.get(args.optimizer)
    if args.learning_rate is not None:
        optimizer.learning_rate = args.learning_rate
    loss = "categorical_crossentropy" if args.model == "mlp" else "sparse_categorical_crossentropy"
    model.compile(loss=loss, optimizer=optimizer, metrics=["accuracy"])
    folder = _shared_run_folder(args.out, rank) if processes > 1 else _run_folder(args.out)
    lines = []
    if hasattr(model, "summary") and root:
        model.summary(print_fn=lines.append)
        with open(os.path.join(folder, "summary.txt"), "w", encoding="utf-8") as stream:
            stream.write("\n".join(lines) + "\n")
        if args.verbose:
            print("\n".join(lines))
    epochs = args.epochs if args.epochs is not None else (
        1 if args.quick else DEFAULT_EPOCHS[args.model])
    on = f" on {processes} processes (data-parallel)" if processes > 1 else ""
    say(f"Training --model {args.model}{on} on {len(x_train)} images, validating on "
        f"{len(x_val)}; {_plural(epochs, 'epoch')}, batch size {args.batch_size}, "
        f"optimizer {type(optimizer).__name__}(learning_rate={optimizer.learning_rate:g}); "
        f"run folder: {folder}")
    start = time.perf_counter()
    history = model.fit(
        x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
        batch_size=args.batch_size, verbose=args.verbose if root else 0,
        callbacks=[CSVLogger(os.path.join(folder, "history.csv"))] if root else [],
    )
    seconds = time.perf_counter() - start
    # predict is a collective under MPI (sharded, gathered in order): every rank runs it.
    probabilities = model.predict(x_val, batch_size=max(args.batch_size, 256), verbose=0)
    if not root:
        return folder
    model_path = os.path.join(folder, "model.glassnet")
    model.save(model_path)
    matrix = confusion_matrix(labels, probabilities.argmax(axis=-1))
    xp.savetxt(os.path.join(folder, "confusion_matrix.csv"), matrix, fmt="%d", delimiter=",")
    record = _json_safe(history.history)
    val_accuracy = record.get("val_accuracy", [])
    summary = {
        "epochs": epochs,
        "history": record,
        "best_val_accuracy": max(val_accuracy) if val_accuracy else None,
        "best_epoch": (val_accuracy.index(max(val_accuracy)) + 1) if val_accuracy else None,
        "final_val_accuracy": val_accuracy[-1] if val_accuracy else None,
    }
    with open(os.path.join(folder, "history.json"), "w", encoding="utf-8") as stream:
        json.dump(summary, stream, indent=1)
    plots = save_plots(folder, record, matrix) if not args.no_plots else []
    run = {
        "command": "train",
        "arguments": vars(args),
        "processes": processes,
        "train_samples": len(x_train),
        "validation_samples": len(x_val),
        "training_seconds": round(seconds, 3),
        "model_file": os.path.basename(model_path),
        "plots": [os.path.basename(p) for p in plots],
        "best_val_accuracy": summary["best_val_accuracy"],
        "final_val_accuracy": summary["final_val_accuracy"],
        "glassnet_version": gn.__version__,
        "smoke_run": is_smoke_run(args),
    }
    with open(os.path.join(folder, "run.json"), "w", encoding="utf-8") as stream:
        json.dump(_json_safe(run), stream, indent=1)
    if val_accuracy:
        print(f"Best validation accuracy {summary['best_val_accuracy']:.4f} (epoch "
              f"{summary['best_epoch']}), final {summary['final_val_accuracy']:.4f}; "
              f"trained in {seconds:.1f}s")
    if is_smoke_run(args):
        print(QUICK_NOTE)
    print(f"Run folder: {folder}")
    return folder
