"""The arguments of ``fit``/``evaluate``/``predict``, checked before any work is done.

Each method's first line hands its arguments (``locals()``) to :func:`check_fit`,
:func:`check_evaluate` or :func:`check_predict`; a bad one raises a glassnet error that names
the method, the argument, what is allowed and the value received, e.g.
``fit: validation_split must be a number in [0, 1), received validation_split='0.2'``,
instead of a bare ``TypeError`` from deep inside the loop. Valid arguments pass unchanged
(nothing is converted here), so results stay what they were.

Example:
    >>> check_fit({"epochs": 2, "batch_size": 8, "validation_split": 0.2})
    >>> check_fit({"validation_freq": "2"})
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetValueError: fit: validation_freq must be a positive integer or a \
list of epoch numbers (1-based), received validation_freq='2'
"""

import math
import numbers

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError
from glassnet.tensor import Tensor
from glassnet.training.data_adapters import check_batch_size, check_class_weight
from glassnet.training.loop import resolve_verbose


def _refuse(where, name, allowed, value):
    raise GlassnetValueError(f"{where}: {name} must be {allowed}, received {name}={value!r}")


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, xp.bool_))


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, xp.bool_))


def _check_steps(value, where, name):
    """None, or a positive whole number (``2.0`` passes, as ``int(steps)`` took it before)."""
    if value is None:
        return
    if not _is_real(value) or not math.isfinite(value) or value != int(value) or value <= 0:
        _refuse(where, name, "a positive integer or None", value)


def _check_common(arguments, where):
    """batch_size, verbose, steps and the number of input arrays (for all three methods)."""
    if "batch_size" in arguments:
        check_batch_size(arguments["batch_size"], where)
    if "verbose" in arguments:
        resolve_verbose(arguments["verbose"], where)
    if "steps" in arguments:
        _check_steps(arguments["steps"], where, "steps")
    model = arguments.get("self")
    if model is not None and "x" in arguments:
        check_input_count(model, arguments["x"], where)


def check_input_count(model, x, where):
    """A list of arrays for a model of one input (or one array for several) blames ``x``.

    Only models whose inputs are known (functional models, Sequential models built with an
    input shape) are checked; nested input structures are left to the model.
    """
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return
    if isinstance(x, (list, tuple)) and x and all(
            isinstance(v, (xp.ndarray, Tensor)) and v.ndim >= 1 for v in x):
        given = len(x)
    elif isinstance(x, (xp.ndarray, Tensor)):
        given = 1
    else:
        return
    if given != len(inputs):
        what = f"a list of {given} arrays" if isinstance(x, (list, tuple)) else "one array"
        raise GlassnetValueError(
            f"{where}: x must hold one array per model input: model '{model.name}' has "
            f"{len(inputs)} input(s), received x as {what}"
            + (" (for one input, pass the array itself, not a list)" if len(inputs) == 1
               else ""))


def _num_classes(model, y):
    """The number of classes class_weight may name: one-hot y's width, else the model's
    output width (1 unit: 2 classes), never fewer than the labels in y; None if unknown."""
    if isinstance(y, Tensor):
        y = y.data
    if not isinstance(y, xp.ndarray) or y.dtype.kind not in "biuf" or y.size == 0:
        return None
    if y.ndim > 1 and y.shape[-1] > 1:
        return int(y.shape[-1])
    shape = getattr(model, "output_shape", None)
    if not isinstance(shape, tuple) or not shape or not _is_integer(shape[-1]):
        return None
    labels = y if y.dtype.kind != "f" or xp.isfinite(y).all() else None
    seen = int(labels.max()) + 1 if labels is not None else 0
    return max(int(shape[-1]) if shape[-1] > 1 else 2, seen)


def check_fit(arguments):
    """Check ``fit``'s arguments (``arguments``: the dict ``locals()`` gives at its start)."""
    where = "fit"
    get = arguments.get
    _check_common(arguments, where)
    epochs = get("epochs", 1)
    if not _is_integer(epochs) or epochs < 0:
        raise GlassnetValueError(
            f"fit: epochs must be a non-negative integer, received epochs={epochs!r}")
    initial_epoch = get("initial_epoch", 0)
    if not _is_integer(initial_epoch) or not 0 <= initial_epoch <= epochs:
        raise GlassnetValueError(
            f"fit: initial_epoch must be an integer in [0, epochs={epochs}] (epochs is the "
            f"index of the last epoch, not a count of extra epochs), received "
            f"{initial_epoch!r}")
    for name in ("steps_per_epoch", "validation_steps"):
        _check_steps(get(name), where, name)
    if get("validation_batch_size") is not None:
        check_batch_size(get("validation_batch_size"), where, "validation_batch_size")
    split = get("validation_split", 0.0)
    if split is None:
        split = 0.0
    if not _is_real(split) or not 0 <= split < 1:
        _refuse(where, "validation_split", "a number in [0, 1)", split)
    freq = get("validation_freq", 1)
    if isinstance(freq, bool) or not (isinstance(freq, int) and freq > 0 or (
            isinstance(freq, (list, tuple, set, frozenset, range))
            and all(_is_integer(e) and e > 0 for e in freq))):
        _refuse(where, "validation_freq",
                "a positive integer or a list of epoch numbers (1-based)", freq)
    shuffle = get("shuffle", True)
    if not isinstance(shuffle, (bool, xp.bool_)) and not (
            isinstance(shuffle, (int, str)) and shuffle in (0, 1, "batch")):
        _refuse(where, "shuffle", "True or False", shuffle)
    if get("class_weight") is not None:
        check_class_weight(get("class_weight"), where,
                           _num_classes(get("self"), get("y")))


def check_evaluate(arguments):
    """Check ``evaluate``'s arguments (``locals()`` at its start)."""
    _check_common(arguments, "evaluate")
    return_dict = arguments.get("return_dict", False)
    if not isinstance(return_dict, (bool, xp.bool_)):
        _refuse("evaluate", "return_dict", "True or False", return_dict)


def check_predict(arguments):
    """Check ``predict``'s arguments (``locals()`` at its start)."""
    _check_common(arguments, "predict")
