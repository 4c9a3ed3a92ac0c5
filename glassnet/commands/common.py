"""What the subcommands share: opening a model (file or run folder), fitting data to its input.

Two kinds of problems, two exit codes (see :mod:`glassnet.cli`): :class:`UsageError` is a
command line that cannot work (a path that does not exist, a file of a kind the command does
not take, a bad option value) and exits with 2, as argparse does; every other problem
(a file that cannot be read, data that does not fit the model, a missing optional package)
raises a :class:`glassnet.errors.GlassnetError` (or ``OSError``/``ImportError``) and exits
with 1.

Example:
    >>> import numpy as np
    >>> fit_to_input(np.zeros((2, 28, 28)), (None, 784), "x.npy").shape
    (2, 784)
    >>> scale_pixels(np.array([0, 255], dtype=np.uint8))[0].tolist()
    [0.0, 1.0]
"""

import json
import math
import os
import tempfile

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError

#: The model file ``glassnet train`` writes in its run folder.
RUN_MODEL = "model.glassnet"
RUN_JSON = "run.json"


class UsageError(GlassnetValueError):
    """A command line that cannot work: the CLI prints it with the usage and exits with 2."""


def require_path(path, what, folder_ok=False):
    """``path`` as a string; :class:`UsageError` when it does not exist (or is a folder)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise UsageError(f"{what} {path!r}: no such file" + (" or folder" if folder_ok else ""))
    if os.path.isdir(path) and not folder_ok:
        raise UsageError(f"{what} {path!r} is a folder; expected a file")
    return path


#: ``--seed`` takes what NumPy's legacy seeding takes: 0 to 2**32 - 1.
MAX_SEED = 2**32 - 1


def check_int_range(value, flag, low, high):
    """:class:`UsageError` unless ``low <= value <= high`` (``--seed``, ``--port``)."""
    if not low <= value <= high:
        raise UsageError(f"{flag} must be an integer in [{low}, {high}], received {value}")
    return value


def check_number(value, flag, low=0.0):
    """:class:`UsageError` unless ``value`` is None or a finite number ``>= low``."""
    if value is not None and not (math.isfinite(value) and value >= low):
        raise UsageError(f"{flag} must be a finite number >= {low:g}, received {value}")
    return value


def _writable_ancestor(path, flag, folder=None):
    """The nearest existing folder at or above ``folder`` (default ``path``), checked to be a
    writable folder; errors name ``path``."""
    ancestor = os.path.abspath(path if folder is None else folder)
    while not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor):
        raise UsageError(f"{flag} {path!r}: {ancestor!r} is not a folder")
    try:  # the only sure test (permissions, read-only or special file systems): try it
        os.rmdir(tempfile.mkdtemp(prefix=".glassnet-check-", dir=ancestor))
    except OSError as error:
        raise UsageError(f"{flag} {path!r}: cannot write in {ancestor!r} "
                         f"({error.strerror or error})") from None
    return ancestor


def check_out_folder(path, flag="--out"):
    """``path`` as a folder to write into: a folder, or one that can be made; else
    :class:`UsageError` (a file, an empty name, a place that cannot be written)."""
    if path is None:
        return None
    path = os.fspath(path)
    if not path:
        raise UsageError(f"{flag} must name a folder, received ''")
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{flag} {path!r} is a file; expected a folder")
    _writable_ancestor(path, flag)
    return path


def check_out_file(path, flag="--out"):
    """``path`` as a file to write: not empty, not a folder, in a place that can be written."""
    if path is None:
        return None
    path = os.fspath(path)
    if not path or path.endswith(("/", os.sep)) or os.path.isdir(path):
        raise UsageError(f"{flag} {path!r} must name a file (e.g. model.onnx), not a folder")
    _writable_ancestor(path, flag, os.path.dirname(os.path.abspath(path)))
    return path


def open_model(path, compile=True):  # noqa: A002 (Keras's argument name)
    """Load the model named on the command line: a model file or a ``glassnet train`` run folder.

    Args:
        path: a file ``gn.io.load_model`` reads (glassnet's format; Keras ``.keras``/``.h5``
            where glassnet reads them), or a run folder ``runs/<timestamp>/`` holding
            ``model.glassnet`` (and ``run.json``, whose contents are returned).
        compile: passed to ``load_model``.

    Returns:
        ``(model, model_file, run)``: ``run`` is the run folder's ``run.json`` as a dict
        (``{}`` for a model file, or when the folder has none).

    Raises:
        UsageError: the path does not exist, or is a folder without ``model.glassnet``.
        FileFormatError: the file is not a model glassnet can read.
    """
    from glassnet.io import load_model

    path = require_path(path, "MODEL", folder_ok=True)
    run = {}
    if os.path.isdir(path):
        model_file = os.path.join(path, RUN_MODEL)
        if not os.path.isfile(model_file):
            raise UsageError(f"MODEL {path!r} is a folder without {RUN_MODEL}; expected a model "
                             "file or a run folder written by `glassnet train`")
        run_file = os.path.join(path, RUN_JSON)
        if os.path.isfile(run_file):
            try:
                with open(run_file, encoding="utf-8") as stream:
                    loaded = json.load(stream)
                run = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                run = {}  # the model is what matters; a damaged run.json only loses defaults
    else:
        model_file = path
    return load_model(model_file, compile=compile), model_file, run


def input_shape_of(model, where):
    """The model's one input shape ``(None, ...)``; an error for several or unknown inputs."""
    shape = getattr(model, "input_shape", None)
    if shape is None:
        raise GlassnetValueError(
            f"{where}: the model has no known input shape (a subclassed model saved before it "
            "was built?); expected a model with one input of known shape")
    if isinstance(shape, list) or (shape and isinstance(shape[0], (tuple, list))):
        raise GlassnetValueError(
            f"{where}: the model has {len(shape)} inputs {shape}; this command feeds images "
            "to a model with exactly one input")
    if any(dim is None for dim in shape[1:]):
        raise GlassnetValueError(
            f"{where}: the model's input shape {tuple(shape)} has unknown dimensions besides "
            "the batch; expected a fixed shape such as (None, 784) or (None, 28, 28, 1)")
    return tuple(shape)


def fit_to_input(array, input_shape, source):
    """Reshape samples to the model's input: ``(N, *input_shape[1:])``.

    A single sample (as many values as one input holds, e.g. a 28x28 image for a 784-input
    MLP) becomes a batch of one; otherwise the first axis counts the samples and the rest must
    hold exactly one input's values each.

    Raises:
        ShapeError: naming ``source``, the shape received and the shape expected.
    """
    sample_shape = tuple(input_shape[1:])
    per_sample = math.prod(sample_shape)
    array = xp.asarray(array)
    if array.size == per_sample:
        return array.reshape((1, *sample_shape))
    if array.ndim >= 2 and array.shape[0] and math.prod(array.shape[1:]) == per_sample:
        return array.reshape((array.shape[0], *sample_shape))
    raise ShapeError(
        f"{source}: received an array of shape {array.shape}; the model takes inputs of shape "
        f"{sample_shape} ({per_sample} values each), so expected one such sample or "
        f"(N, ...) with {per_sample} values per sample")


def scale_pixels(array):
    """Scale like ``glassnet train``: 0-255 pixels to [0, 1] float32.

    Integer arrays and float arrays with values above 1 are divided by 255; floats already in
    [0, 1] are kept. Returns ``(scaled, note)``, ``note`` saying what was done.
    """
    array = xp.asarray(array)
    if array.dtype.kind not in "uifb":
        raise GlassnetValueError(f"expected numbers, received an array of dtype {array.dtype}")
    as_float = array.astype(xp.float32)
    if array.dtype.kind in "uib" or (as_float.size and float(xp.nanmax(as_float)) > 1.0):
        return as_float / 255, "values read as 0-255 pixels and divided by 255, as in training"
    return as_float, "values already in [0, 1], used as they are"


def output_kind(outputs):
    """What a classifier's outputs are: ``'probabilities'``, ``'scores'`` or ``'logits'``.

    Rows in [0, 1] summing to 1 are probabilities (softmax); values in [0, 1] that do not sum to
    1 are per-class scores (sigmoid outputs, as seed 003's MLP has); anything else is logits.
    """
    outputs = xp.asarray(outputs, dtype=xp.float64)
    if outputs.size == 0:
        return "probabilities"
    in_unit = bool(((outputs >= 0) & (outputs <= 1)).all())
    if in_unit and xp.allclose(outputs.sum(axis=-1), 1.0, atol=1e-3):
        return "probabilities"
    return "scores" if in_unit else "logits"


def softmax(values):
    """Row-wise softmax in float64 (NumPy only: the CLI's own, independent of the model)."""
    values = xp.asarray(values, dtype=xp.float64)
    shifted = xp.exp(values - values.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def print_json(value):
    """Print ``value`` as indented JSON (NumPy scalars and arrays converted)."""
    print(json.dumps(value, indent=1, default=_plain))


def _plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
