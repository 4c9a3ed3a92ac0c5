"""``glassnet evaluate MODEL|RUN_DIR``: loss, metrics and accuracy on MNIST's test set.

The images are prepared as ``glassnet train`` prepares them: 0-255 pixels divided by 255 and
shaped for the model's input, which is read from the model (``(None, 784)`` for the MLP,
``(None, 28, 28, 1)`` for the CNN, ``(None, 28, 28)`` for the LSTM; any shape holding 784
values works). The labels follow the compiled loss: one-hot for ``categorical_crossentropy``
(seed 003's MLP), digits for the sparse losses. A model saved without compile arguments (a
Keras file, say) is evaluated with ``sparse_categorical_crossentropy`` (``from_logits=True``
when its outputs are not probabilities) and ``accuracy``, and the output says so. Beside
the model's own metrics the command prints the accuracy of ``argmax(predict)``, computed here
with NumPy.
"""

import math
import os

from glassnet.backend import xp
from glassnet.commands.common import (
    fit_to_input,
    input_shape_of,
    open_model,
    output_kind,
    require_path,
)
from glassnet.errors import GlassnetValueError

DATASETS = ("mnist", "fashion_mnist")
DATASET_TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}


def load_test_set(name, data_path=None):
    """The test images (uint8, N x 28 x 28) and labels of ``name``."""
    from glassnet import datasets

    _, (x_test, y_test) = getattr(datasets, name).load_data(data_path)
    return x_test, y_test


def _labels_for(model, labels, classes):
    """Labels in the form the compiled loss takes: digits, or one-hot for non-sparse losses."""
    state = getattr(model, "_compiled_state", None)
    fns = getattr(state, "loss_fns", None)
    fn = fns[0] if isinstance(fns, list) and len(fns) == 1 else None
    name = (getattr(fn, "name", None) or getattr(fn, "__name__", None) or type(fn).__name__)
    if fn is not None and "sparse" not in str(name).lower():
        from glassnet.utils import to_categorical

        return to_categorical(labels, classes), f"one-hot labels (the model's loss is {name})"
    return labels, f"digit labels (the model's loss is {name})" if fn is not None else None


def _compile_default(model, outputs):
    """Compile an uncompiled model for evaluation; returns the note saying how."""
    from glassnet.losses import SparseCategoricalCrossentropy

    logits = output_kind(outputs) == "logits"
    model.compile(optimizer="sgd", loss=SparseCategoricalCrossentropy(from_logits=logits),
                  metrics=["accuracy"])
    return ("the model was saved without a loss: evaluated with "
            f"sparse_categorical_crossentropy(from_logits={logits}) and accuracy")


def evaluate(args):
    """Run ``glassnet evaluate``; returns the result dict (also printed)."""
    from glassnet.commands.common import print_json

    if args.data_path is not None:
        require_path(args.data_path, "--data-path", folder_ok=True)
    model, model_file, run = open_model(args.model)
    data_path = args.data_path
    if data_path is None:
        trained_on = (run.get("arguments") or {}).get("data")
        if isinstance(trained_on, str) and os.path.exists(trained_on):
            data_path = trained_on  # the run trained on its own copy: evaluate on it too
    x_test, labels = load_test_set(args.data, data_path)
    if args.samples:
        x_test, labels = x_test[:args.samples], labels[:args.samples]
    shape = input_shape_of(model, f"MODEL {model_file!r}")
    if math.prod(shape[1:]) != 28 * 28:
        raise GlassnetValueError(
            f"MODEL {model_file!r} takes inputs of shape {shape[1:]} "
            f"({math.prod(shape[1:])} values); {DATASET_TITLES[args.data]} images are 28x28 "
            "(784 values): expected a model whose input holds 784 values, such as (None, 784), "
            "(None, 28, 28, 1) or (None, 28, 28)")
    x = fit_to_input(x_test, shape, f"{DATASET_TITLES[args.data]} test images (N, 28, 28)")
    x = x.astype(xp.float32) / 255
    outputs = model.predict(x, batch_size=args.batch_size, verbose=0)
    if isinstance(outputs, (list, tuple, dict)) or outputs.ndim != 2:
        raise GlassnetValueError(
            f"MODEL {model_file!r}: expected one output of shape (N, 10) (class scores), "
            f"received {_describe(outputs)}")
    classes = outputs.shape[-1]
    if classes < int(labels.max()) + 1:
        raise GlassnetValueError(
            f"MODEL {model_file!r} outputs {classes} values per image; {args.data} has "
            f"{int(labels.max()) + 1} classes")
    notes = []
    if getattr(model, "_compiled_state", None) is None:
        notes.append(_compile_default(model, outputs))
        y = labels
    else:
        y, note = _labels_for(model, labels, classes)
        notes.extend([note] if note else [])
    metrics = model.evaluate(x, y, batch_size=args.batch_size, verbose=0, return_dict=True)
    correct = int((outputs.argmax(axis=-1) == labels).sum())
    result = {
        "model": model_file,
        "data": DATASET_TITLES[args.data] + " test set" + (f" ({data_path})" if data_path
                                                           else ""),
        "samples": len(labels),
        "input_shape": list(x.shape[1:]),
        "metrics": {name: float(value) for name, value in metrics.items()},
        "argmax_accuracy": correct / len(labels),
        "correct": correct,
        "notes": notes,
    }
    if args.json:
        print_json(result)
        return result
    print(f"Evaluating {model_file} on the {result['data']}: {len(labels)} images shaped "
          f"{tuple(x.shape[1:])}, pixels scaled to [0, 1]")
    for note in notes:
        print(f"  - {note}")
    width = max(len(name) for name in [*result["metrics"], "argmax accuracy"])
    for name, value in result["metrics"].items():
        print(f"{name:<{width}}  {value:.4f}")
    print(f"{'argmax accuracy':<{width}}  {result['argmax_accuracy']:.4f}  "
          f"({correct}/{len(labels)} correct)")
    return result


def _describe(outputs):
    if isinstance(outputs, dict):
        return f"{len(outputs)} outputs {sorted(outputs)}"
    if isinstance(outputs, (list, tuple)):
        return f"{len(outputs)} outputs"
    return f"an output of shape {outputs.shape}"
