"""The ``glassnet`` command (also ``python -m glassnet``): train, evaluate, predict, inspect,
export and convert models, and start the Studio.

::

    glassnet --version                        glassnet 0.1.0 (NumPy 2.x)
    glassnet train [--model mlp|cnn|lstm]     train on MNIST, write runs/<timestamp>/
    glassnet evaluate MODEL|RUN_DIR           loss, metrics and accuracy on MNIST's test set
    glassnet predict MODEL INPUT              outputs and class for a PNG/JPEG, .npy or .csv
    glassnet inspect MODEL [--out DIR]        summary, weight statistics, weight histograms
    glassnet export MODEL --format onnx|safetensors [--out PATH]
    glassnet convert KERAS_FILE OUT           a Keras .keras/.h5 model to glassnet's format
    glassnet studio [--port 8765]             the browser glass box (the URL is printed first)

``glassnet train`` runs seed 003's Keras MLP by default, exactly: 784-784-784-10,
``kernel_initializer='normal'``, sigmoid activations everywhere (output included), categorical
cross-entropy on one-hot labels, Adam, 20 epochs of batches of 200, validated on the 10,000
test images (:mod:`glassnet.commands.train`). It shows the progress bar, then writes a run
folder, which ``evaluate``, ``predict``, ``inspect`` and ``export`` take as MODEL::

    runs/<timestamp>/
        model.glassnet          the trained model (gn.models.load_model)
        history.csv             one row per epoch (CSVLogger)
        history.json            the same as JSON, plus best/final validation accuracy
        run.json                the arguments, timings and final evaluation
        summary.txt             the model summary table
        confusion_matrix.csv    rows: true digit, columns: predicted digit
        learning_curves.png     loss and accuracy per epoch   (when matplotlib is installed)
        confusion_matrix.png    the confusion matrix as an image (when matplotlib is installed)

``train --quick`` is a smoke run (2,000 images, 1 epoch, about a second): everything runs and
every file is written, but its accuracy is not meaningful, and it says so.

Every subcommand has ``--help``. Exit codes: 0 done; 2 a command line that cannot work (an
unknown option, a missing file, a file of the wrong kind), with the usage, as argparse does;
1 a failure (a file that cannot be read, data that does not fit the model, a missing optional
package, whose message names the extra to install). Errors are one line, never a traceback.

Examples::

    python -m glassnet train --quick --out runs/smoke
    python -m glassnet evaluate runs/smoke --json
    python -m glassnet predict runs/smoke digit.png --top 3
    python -m glassnet inspect runs/smoke/model.glassnet --out figures
    python -m glassnet export runs/smoke --format onnx --out mlp.onnx
    python -m glassnet convert keras_model.keras model.glassnet
"""

import argparse
import sys

from glassnet.commands.common import UsageError
from glassnet.commands.train import (  # noqa: F401 (the names scripts and the Studio use)
    BUILDERS,
    DEFAULT_EPOCHS,
    PRESETS,
    QUICK_NOTE,
    QUICK_TRAIN,
    QUICK_VAL,
    build_cnn,
    build_lstm,
    build_mlp,
    confusion_matrix,
    prepare_data,
    save_plots,
    train,
)
from glassnet.errors import GlassnetError


def version_text():
    """``glassnet <version> (NumPy <version>)``: what ``glassnet --version`` prints."""
    import numpy

    from glassnet import __version__

    return f"glassnet {__version__} (NumPy {numpy.__version__})"


def _positive_int(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _add_train(commands):
    trainer = commands.add_parser(
        "train", help="train an MNIST model (default: seed 003's MLP) and write a run folder",
        description="Train an MNIST model on the bundled data and write a run folder.",
        epilog=QUICK_NOTE)
    trainer.add_argument("--model", choices=PRESETS, default="mlp",
                         help="network preset (default: mlp, seed 003's 784-784-784-10)")
    trainer.add_argument("--epochs", type=int, default=None,
                         help="epochs (default: 20 for mlp, 5 for cnn/lstm, 1 with --quick)")
    trainer.add_argument("--batch-size", type=_positive_int, default=200,
                         help="batch size (default: 200)")
    trainer.add_argument("--optimizer", default="adam", help="optimizer name (default: adam)")
    trainer.add_argument("--learning-rate", type=float, default=None,
                         help="learning rate (default: the optimizer's)")
    trainer.add_argument("--out", default=None,
                         help="run folder (default: runs/<timestamp>)")
    trainer.add_argument("--quick", action="store_true",
                         help=f"smoke run: {QUICK_TRAIN} training and {QUICK_VAL} validation "
                              "images, 1 epoch, about a second; its accuracy is not "
                              "meaningful")
    trainer.add_argument("--train-samples", type=_positive_int, default=None,
                         help="use only the first N training images")
    trainer.add_argument("--val-samples", type=_positive_int, default=None,
                         help="use only the first N validation (test-set) images")
    trainer.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    trainer.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                         help="0 silent, 1 progress bar (default), 2 one line per epoch")
    trainer.add_argument("--data", default=None,
                         help="an mnist.npz file or IDX folder (default: the bundled copy)")
    trainer.add_argument("--no-plots", action="store_true", help="skip the PNG figures")


def _add_studio(commands):
    studio = commands.add_parser(
        "studio", help="start glassnet Studio: watch networks learn, live in the browser",
        description="Start the glassnet Studio server, print its URL (with the access token) "
                    "and open it in the browser.")
    studio.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only)")
    studio.add_argument("--port", type=int, default=8765,
                        help="port (default: 8765; 0 picks a free one)")
    studio.add_argument("--no-browser", action="store_true", help="do not open the browser")


MODEL_HELP = "a model file (glassnet's format) or a run folder written by `glassnet train`"


def _add_evaluate(commands):
    from glassnet.commands.evaluate import DATASETS

    evaluate = commands.add_parser(
        "evaluate", help="loss, metrics and accuracy of a model on MNIST's test set",
        description="Evaluate a model on the 10,000 test images, prepared as `glassnet train` "
                    "prepares them (pixels / 255, shaped for the model's input).")
    evaluate.add_argument("model", metavar="MODEL|RUN_DIR", help=MODEL_HELP)
    evaluate.add_argument("--data", choices=DATASETS, default="mnist",
                          help="the test set (default: mnist)")
    evaluate.add_argument("--data-path", default=None,
                          help="an mnist.npz file or IDX folder (default: the one the run "
                               "trained on, else the bundled copy)")
    evaluate.add_argument("--batch-size", type=_positive_int, default=256,
                          help="batch size (default: 256)")
    evaluate.add_argument("--samples", type=_positive_int, default=None,
                          help="use only the first N test images")
    evaluate.add_argument("--json", action="store_true", help="print the result as JSON")


def _add_predict(commands):
    predict = commands.add_parser(
        "predict", help="a model's outputs and predicted class for an image, .npy or .csv",
        description="Print what the model outputs for INPUT, per class, and the argmax. "
                    "Images are made grayscale 28x28 as MNIST (white digit on black: a light "
                    "background is inverted, and the output says so); pixels are scaled as "
                    "in training.")
    predict.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    predict.add_argument("input", metavar="INPUT",
                         help="a .png/.jpg image (needs Pillow: glassnet[viz]), a .npy array "
                              "or a .csv file (one sample per row, or one 28x28 grid)")
    predict.add_argument("--top", type=int, default=None,
                         help="show only the K largest outputs (default: all)")
    predict.add_argument("--softmax", action="store_true",
                         help="show logits or sigmoid scores as probabilities (softmax)")
    predict.add_argument("--json", action="store_true", help="print the result as JSON")


def _add_inspect(commands):
    inspect = commands.add_parser(
        "inspect", help="summary, per-layer weight statistics and weight histograms",
        description="Print the model summary and, for every weight, its shape, mean, std, "
                    "min, max, mean |w| and fraction of zeros; draw their histograms as a PNG "
                    "(needs matplotlib: glassnet[viz]).")
    inspect.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    inspect.add_argument("--out", default=None,
                         help="folder for <model>.weights.png (default: the model's folder)")
    inspect.add_argument("--no-plot", action="store_true", help="do not draw the histograms")
    inspect.add_argument("--json", action="store_true", help="print the result as JSON")


def _add_export(commands):
    from glassnet.commands.export import FORMATS

    export = commands.add_parser(
        "export", help="export a model as ONNX (glassnet[onnx]) or its weights as safetensors",
        description="Write the model as an ONNX graph (model.export) or its weights as a "
                    "safetensors file (gn.io.save_safetensors).")
    export.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    export.add_argument("--format", choices=FORMATS, required=True, help="what to write")
    export.add_argument("--out", default=None,
                        help="the file to write (default: the model's name with .onnx or "
                             ".safetensors)")
    export.add_argument("--overwrite", action="store_true", help="replace an existing file")
    convert = commands.add_parser(
        "convert", help="convert a Keras .keras/.h5 model to glassnet's format",
        description="Read a Keras 3 .keras archive or a Keras 2 / tf.keras .h5 model "
                    "(gn.io.load_model) and save it in glassnet's format.")
    convert.add_argument("keras_file", metavar="KERAS_FILE", help="the .keras or .h5 file")
    convert.add_argument("out", metavar="OUT", help="the glassnet model file to write")
    convert.add_argument("--no-compile", action="store_true",
                         help="leave out the loss, metrics and optimizer saved with the model")
    convert.add_argument("--overwrite", action="store_true", help="replace an existing OUT")


def build_parser():
    """The argument parser: ``--version`` and one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="glassnet", description="glassnet: a glass-box deep-learning library on NumPy.")
    parser.add_argument("--version", action="store_true",
                        help="print glassnet's and NumPy's versions and exit")
    commands = parser.add_subparsers(dest="command", metavar="command")
    for add in (_add_train, _add_evaluate, _add_predict, _add_inspect, _add_export,
                _add_studio):
        add(commands)
    return parser, commands


def _run(args):
    from glassnet.commands import evaluate, export, inspect_model, predict, studio

    if args.command == "studio":
        return studio.run_studio(args)
    handlers = {"train": train, "evaluate": evaluate.evaluate, "predict": predict.predict,
                "inspect": inspect_model.inspect, "export": export.export,
                "convert": export.convert}
    handlers[args.command](args)
    return 0


def main(argv=None):
    """Console entry point (``glassnet`` / ``python -m glassnet``); returns the exit code.

    Usage errors raise ``SystemExit(2)`` with the usage on stderr, as argparse does.
    """
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(version_text())
        return 0
    if args.command is None:
        parser.print_help()
        return 0
    subparser = commands.choices[args.command]
    if args.command == "train" and args.epochs is not None and args.epochs < 1:
        subparser.error(f"--epochs must be at least 1, got {args.epochs}")
    try:
        return _run(args)
    except UsageError as error:
        subparser.error(str(error))
    except (GlassnetError, OSError, ImportError) as error:
        print(f"glassnet {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"glassnet {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0  # not reached: subparser.error exits


if __name__ == "__main__":
    sys.exit(main())
