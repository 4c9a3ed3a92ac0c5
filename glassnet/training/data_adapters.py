"""Data adapters: arrays or iterables in, batches out; validation split, class weights, checks.

Arrays are never copied as a whole. Each epoch shuffles an index array (with
``glassnet.config.rng``, so ``gn.manual_seed`` makes runs reproducible) and each batch is
gathered with it and cast to float32 once. ``validation_split`` holds out the *last* fraction
of the samples before shuffling, as Keras does. An iterable or generator of ``(x, y)`` or
``(x, y, sample_weight)`` batches is accepted too.

A batch is what ``train_step(data)`` / ``test_step(data)`` / ``predict_step(data)`` receive, as
in Keras 3: ``(x, y)``, ``(x, y, sample_weight)``, or, without targets, ``x`` itself (a tuple
``(x_list,)`` when the model has several inputs). :func:`unpack` splits any of them.

Example:
    >>> import numpy as np
    >>> data, _ = make_data(np.arange(10.0).reshape(5, 2), np.arange(5), None, 2, False, "fit")
    >>> [len(x) for x, y in data.batches()]
    [2, 2, 1]
"""

import itertools
import math
import numbers
import warnings

from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.tensor import Tensor
from glassnet.training.py_dataset import PyDataset
from glassnet.training.resolution import _TargetSummary

DEFAULT_BATCH_SIZE = 32


def unpack(data):
    """``(x, y, sample_weight)`` from a batch ``(x, y[, sample_weight])``, ``(x,)`` or ``x``."""
    if isinstance(data, (list, tuple)):
        if len(data) == 3:
            return data[0], data[1], data[2]
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 1:
            return data[0], None, None
    return data, None, None


def pack_inputs(xs, keys=None):
    """A targetless batch as Keras 3 passes it: the array itself, or ``(list of arrays,)``
    (``(dict,)`` for named inputs)."""
    if keys is not None:
        return (dict(zip(keys, xs, strict=True)),)
    return xs[0] if len(xs) == 1 else (xs,)


def _pack(arrays, keys):
    """One batch part: a dict for named arrays, the array alone, or a list of arrays."""
    if keys is not None:
        return dict(zip(keys, arrays, strict=True))
    return arrays[0] if len(arrays) == 1 else arrays


def _keys(value):
    """The keys of dict data (named inputs or outputs, in the dict's order), else None."""
    return list(value) if isinstance(value, dict) else None


def batch_size_of(x):
    """The number of samples in a batch of inputs (the first input's length)."""
    if isinstance(x, dict):
        x = list(x.values())
    first = x[0] if isinstance(x, (list, tuple)) else x
    return len(first)


def _to_array(value, name, where):
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, xp.ndarray):
        if value.dtype.kind not in "biuf":
            raise GlassnetTypeError(
                f"{where}: {name} must be numeric, received an array of dtype {value.dtype}"
            )
        return value
    try:
        array = xp.asarray(value)
    except (TypeError, ValueError) as error:
        raise GlassnetTypeError(
            f"{where}: {name} must be an array of numbers, received {type(value).__name__} "
            f"({error})"
        ) from None
    if array.dtype.kind not in "biuf":
        raise GlassnetTypeError(
            f"{where}: {name} must be numeric, received an array of dtype {array.dtype}"
        )
    return array


_CHECK_INPUTS = ("warn", "raise", "ignore")


def _check_finite(array, name, where):
    """Warn about / refuse NaN and inf in ``array`` as ``config.check_inputs`` says.

    Costs two reductions (min and max propagate NaN) unless something is wrong.
    """
    mode = config.check_inputs
    if mode not in _CHECK_INPUTS:
        raise GlassnetValueError(
            f"config.check_inputs must be one of {', '.join(map(repr, _CHECK_INPUTS))}, "
            f"received {mode!r}"
        )
    if mode == "ignore" or array.dtype.kind not in "fc" or array.size == 0:
        return
    if xp.isfinite(array.min()) and xp.isfinite(array.max()):
        return
    nan = int(xp.isnan(array).sum())
    inf = int(xp.isinf(array).sum())
    first = tuple(int(i) for i in xp.argwhere(~xp.isfinite(array))[0])
    message = (
        f"{where}: {name} contains {nan} NaN and {inf} infinite values (first at index "
        f"{first}, shape {array.shape}); expected finite numbers. Clean the data, or set "
        f"gn.config.check_inputs to 'ignore' (or 'raise')"
    )
    if mode == "raise":
        raise GlassnetValueError(message)
    warnings.warn(message, RuntimeWarning, stacklevel=4)  # the caller of model.fit(...)


def _is_multi(value):
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(v, (xp.ndarray, Tensor)) and getattr(v, "ndim", 0) >= 1 for v in value
    )


def _arrays(value, name, where):
    """A list of arrays (several inputs/outputs) from an array, a Tensor or a list of them."""
    if value is None:
        return None
    if isinstance(value, dict):  # named inputs/outputs: the values, in the dict's order
        if not value:
            raise GlassnetValueError(f"{where}: {name} is an empty dict")
        return [_to_array(v, f"{name}[{k!r}]", where) for k, v in value.items()]
    if _is_multi(value):
        return [_to_array(v, name, where) for v in value]
    if isinstance(value, (list, tuple)) and value and any(
            isinstance(v, (list, tuple)) and _is_multi(v) for v in value):
        # nested inputs ([[a, b], c]): their arrays in order (a model flattens them alike)
        return [array for v in value for array in _arrays(v, name, where)]
    return [_to_array(value, name, where)]


def _is_batch_list(value):
    """A list of ``(x, y[, sample_weight])`` tuples of arrays (batches, not samples)."""
    return isinstance(value, list) and len(value) > 0 and all(
        isinstance(item, tuple) and len(item) in (2, 3)
        and all(isinstance(part, (xp.ndarray, Tensor)) or part is None for part in item)
        for item in value
    )


def _is_array_like(value):
    if _is_batch_list(value):
        return False
    return isinstance(value, (xp.ndarray, Tensor, list, tuple, dict)) or (
        hasattr(value, "__array__") and not hasattr(value, "__next__")
    )


def _cast_x(array):
    """A batch of inputs as float32 when floating (ints kept: class ids, token ids)."""
    if array.dtype.kind == "f" and array.dtype != config.default_float:
        return array.astype(config.default_float)
    return array


def _cast_y(array):
    if array.dtype.kind == "f" and array.dtype != config.default_float:
        return array.astype(config.default_float)
    return array


class ArrayData:
    """Batches from in-memory arrays: shuffle an index array per epoch, gather each batch.

    Args:
        xs, ys: lists of arrays with the same first dimension (ys may be None).
        sample_weight: float32 array of shape (N,) or None.
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: reshuffle the sample order at each epoch.
    """

    def __init__(self, xs, ys, sample_weight, batch_size, shuffle, x_keys=None, y_keys=None):
        self.xs, self.ys, self.sample_weight = xs, ys, sample_weight
        self.x_keys, self.y_keys = x_keys, y_keys
        self.n = len(xs[0])
        self.batch_size = batch_size
        self.shuffle = shuffle

    def steps(self, steps=None):
        full = math.ceil(self.n / self.batch_size)
        return full if steps is None else min(int(steps), full)

    def batches(self, steps=None):
        order = config.rng.permutation(self.n) if self.shuffle else None
        for step in range(self.steps(steps)):
            start = step * self.batch_size
            stop = min(start + self.batch_size, self.n)
            take = slice(start, stop) if order is None else order[start:stop]
            xs = [_cast_x(x[take]) for x in self.xs]
            batch_x = _pack(xs, self.x_keys)
            if self.ys is None:
                yield pack_inputs(xs, self.x_keys)
                continue
            ys = [_cast_y(y[take]) for y in self.ys]
            batch_y = _pack(ys, self.y_keys)
            if self.sample_weight is None:
                yield batch_x, batch_y
            else:
                yield batch_x, batch_y, self.sample_weight[take]

    def peek(self):
        """The first batch in storage order, without shuffling (nothing is consumed)."""
        return next(ArrayData(self.xs, self.ys, self.sample_weight, self.batch_size,
                              False, self.x_keys, self.y_keys).batches(1))


class IterableData:
    """Batches from an iterable/generator of ``(x, y[, sample_weight])`` tuples.

    A generator (``iter(data) is data``) is consumed across epochs; a re-iterable object (a
    list of batches, a Sequence with ``__len__``/``__getitem__``) restarts every epoch.
    """

    def __init__(self, data, where):
        self.data = data
        self.where = where
        self.is_generator = iter(data) is data if hasattr(data, "__iter__") else False
        self._iterator = data if self.is_generator else None

    def steps(self, steps=None):
        if steps is not None:
            return int(steps)
        if not self.is_generator and hasattr(self.data, "__len__"):
            return len(self.data)
        return None

    def _fresh(self):
        if self.is_generator:
            return self._iterator
        if hasattr(self.data, "__getitem__") and hasattr(self.data, "__len__") \
                and not hasattr(self.data, "__iter__"):
            return (self.data[i] for i in range(len(self.data)))
        return iter(self.data)

    def batches(self, steps=None):
        iterator = self._fresh()
        limit = self.steps(steps)
        count = 0
        while limit is None or count < limit:
            try:
                item = next(iterator)
            except StopIteration:
                return
            count += 1
            yield self._batch(item)

    def peek(self):
        """The next batch, put back so that the next epoch still starts with it (or None)."""
        if self.is_generator:
            try:
                item = next(self._iterator)
            except StopIteration:
                return None
            self._iterator = itertools.chain([item], self._iterator)
        else:
            item = next(iter(self._fresh()), None)
            if item is None:
                return None
        return self._batch(item)

    def _batch(self, item):
        """One ``(x, y[, sample_weight])`` item checked and cast like array batches."""
        x, y, sw = unpack(item)
        xs = _arrays(x, "x", self.where)
        for array in xs:
            _check_finite(array, "x", self.where)
        xs = [_cast_x(a) for a in xs]
        batch_x = _pack(xs, _keys(x))
        if y is None:
            return pack_inputs(xs, _keys(x))
        ys = [_cast_y(a) for a in _arrays(y, "y", self.where)]
        for array in ys:
            _check_finite(array, "y", self.where)
        batch_y = _pack(ys, _keys(y))
        if len(xs[0]) != len(ys[0]):
            raise GlassnetValueError(
                f"{self.where}: a batch has {len(xs[0])} inputs but {len(ys[0])} targets"
            )
        if sw is None:
            return batch_x, batch_y
        return batch_x, batch_y, _to_array(sw, "sample_weight", self.where).astype(
            xp.float32, copy=False)


class PyDatasetData:
    """Batches from a :class:`~glassnet.training.py_dataset.PyDataset`, as Keras 3 reads one.

    Each epoch calls ``on_epoch_begin``, reads ``dataset[i]`` for the batch numbers (a new
    random order per epoch when ``shuffle``), then ``on_epoch_end``. With ``steps`` given, the
    next epoch continues where the last stopped, starting over once every batch was seen.
    """

    def __init__(self, dataset, shuffle, where):
        self.dataset, self.shuffle, self.where = dataset, bool(shuffle), where
        self._order, self._position = None, 0

    def _num_batches(self):
        n = self.dataset.num_batches
        return None if n is None else int(n)

    def steps(self, steps=None):
        return int(steps) if steps is not None else self._num_batches()

    def _new_order(self, n):
        return config.rng.permutation(n) if self.shuffle else range(n)

    def batches(self, steps=None):
        n = self._num_batches()
        if n is None and steps is None:
            raise GlassnetValueError(
                f"{self.where}: the PyDataset {type(self.dataset).__name__} has no length "
                f"(num_batches is None); give steps_per_epoch= (steps= for evaluate/predict)"
            )
        self.dataset.on_epoch_begin()
        if n is not None and (steps is None or self._order is None):
            self._order, self._position = self._new_order(n), 0
        limit = n if steps is None else int(steps)
        for _ in range(limit):
            if n is not None and self._position >= n:
                break
            index = self._position if n is None else int(self._order[self._position])
            self._position += 1
            yield IterableData._batch(self, self.dataset[index])
        if n is not None and self._position >= n:
            self._order = None
        self.dataset.on_epoch_end()

    def peek(self):
        """The first batch (``dataset[0]``), nothing consumed."""
        return IterableData._batch(self, self.dataset[0])


def check_batch_size(batch_size, where, name="batch_size"):
    if batch_size is None:
        return DEFAULT_BATCH_SIZE
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, xp.integer)) \
            or batch_size <= 0:
        raise GlassnetValueError(
            f"{where}: {name} must be a positive integer, received {name}={batch_size!r}"
        )
    return int(batch_size)


def _check_lengths(xs, ys, sample_weight, where):
    n = len(xs[0]) if xs[0].ndim else 0
    for i, x in enumerate(xs):
        if x.ndim == 0:
            raise ShapeError(f"{where}: x must have a batch dimension, received a scalar")
        if len(x) != n:
            raise GlassnetValueError(
                f"{where}: all inputs must have the same number of samples; input 0 has {n}, "
                f"input {i} has {len(x)}"
            )
    if n == 0:
        raise GlassnetValueError(
            f"{where}: x is empty (shape {xs[0].shape}); expected at least one sample"
        )
    for y in ys or ():
        if y.ndim == 0 or len(y) != n:
            raise GlassnetValueError(
                f"{where}: x and y must have the same number of samples; received x with {n} "
                f"samples (shape {xs[0].shape}) and y with "
                f"{len(y) if y.ndim else 0} samples (shape {y.shape})"
            )
    if sample_weight is not None and (sample_weight.ndim == 0 or len(sample_weight) != n):
        raise GlassnetValueError(
            f"{where}: sample_weight must have one weight per sample ({n}), received shape "
            f"{sample_weight.shape}"
        )
    return n


def check_class_weight(class_weight, where, num_classes=None):
    """Refuse a class_weight that is not ``{class index: finite weight >= 0}``.

    Keys must be integers in ``[0, num_classes)`` (no upper bound when ``num_classes`` is
    None); checked before any array is made, so ``{10**8: 1}`` costs nothing.
    """
    if not isinstance(class_weight, dict):
        raise GlassnetTypeError(
            f"{where}: class_weight must be a dict {{class index: weight}}, received "
            f"{type(class_weight).__name__} {repr(class_weight)[:80]}"
        )
    top = ", ...]" if num_classes is None else f", {num_classes - 1}] ({num_classes} classes)"
    for key, value in class_weight.items():
        if not isinstance(key, numbers.Integral) or isinstance(key, (bool, xp.bool_)) or \
                key < 0 or (num_classes is not None and key >= num_classes):
            raise GlassnetValueError(
                f"{where}: class_weight keys must be class indices, integers in "
                f"[0{top}, received key {key!r} (class_weight={_short(class_weight)})")
        if not isinstance(value, numbers.Real) or isinstance(value, (bool, xp.bool_)) or \
                not math.isfinite(value) or value < 0:
            raise GlassnetValueError(
                f"{where}: class_weight values must be finite numbers >= 0, received "
                f"class_weight[{key!r}]={value!r}")


def _short(mapping, limit=5):
    items = list(mapping.items())
    text = ", ".join(f"{k!r}: {v!r}" for k, v in items[:limit])
    return "{" + text + (", ..." if len(items) > limit else "") + "}"


def _class_weights(class_weight, ys, where):
    """Per-sample weights class_weight[label] (one-hot labels: argmax), 1.0 for unlisted."""
    if ys is not None and len(ys) == 1 and ys[0].ndim > 1 and ys[0].shape[-1] > 1:
        check_class_weight(class_weight, where, ys[0].shape[-1])  # one-hot: its width
    else:
        check_class_weight(class_weight, where)
    if ys is None or len(ys) != 1:
        raise GlassnetValueError(f"{where}: class_weight needs exactly one target array y")
    y = ys[0]
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0]
    labels = labels.astype(xp.int64)
    if labels.size and labels.min() < 0:
        raise GlassnetValueError(f"{where}: class_weight needs non-negative class labels")
    size = int(labels.max()) + 1 if labels.size else 0  # keys past the labels weigh nothing
    table = xp.ones(size, dtype=xp.float32)
    for key, value in class_weight.items():
        if key < size:
            table[int(key)] = value
    return table[labels]


def make_data(x, y, sample_weight, batch_size, shuffle, where, class_weight=None):
    """An ArrayData or IterableData, plus label summaries for the first-batch check."""
    if x is None:
        raise GlassnetValueError(f"{where}: x is required (the input data), received None")
    if isinstance(x, PyDataset):
        if y is not None:
            raise GlassnetValueError(
                f"{where}: y must not be given when x is a PyDataset (its batches hold the "
                f"targets)"
            )
        return PyDatasetData(x, shuffle, where), None
    if not _is_array_like(x) and hasattr(x, "__iter__") or (
            hasattr(x, "__getitem__") and hasattr(x, "__len__") and not _is_array_like(x)):
        if y is not None:
            raise GlassnetValueError(
                f"{where}: y must not be given when x is a generator/iterable of (x, y) batches"
            )
        return IterableData(x, where), None
    xs = _arrays(x, "x", where)
    ys = _arrays(y, "y", where)
    sw = None if sample_weight is None else _to_array(sample_weight, "sample_weight", where)
    _check_lengths(xs, ys, sw, where)
    for name, arrays in (("x", xs), ("y", ys or []), ("sample_weight", [] if sw is None else [sw])):
        for array in arrays:
            _check_finite(array, name, where)
    if class_weight is not None:
        weights = _class_weights(class_weight, ys, where)
        sw = weights if sw is None else sw * weights
    if sw is not None:
        sw = sw.astype(xp.float32, copy=False)
    # (named targets are matched to the outputs by name later: no positional label check)
    summaries = None if ys is None or isinstance(y, dict) else [_TargetSummary(y) for y in ys]
    return ArrayData(xs, ys, sw, batch_size, shuffle, _keys(x), _keys(y)), summaries


def split_validation(x, y, sample_weight, validation_split):
    """The last ``validation_split`` fraction (before shuffling) as validation data."""
    if not 0 <= validation_split < 1:
        raise GlassnetValueError(
            f"fit: validation_split must be in [0, 1), received {validation_split}"
        )
    xs = _arrays(x, "x", "fit")
    ys = _arrays(y, "y", "fit")
    sw = None if sample_weight is None else _to_array(sample_weight, "sample_weight", "fit")
    n = _check_lengths(xs, ys, sw, "fit")
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise GlassnetValueError(
            f"fit: validation_split={validation_split} leaves {split_at} training and "
            f"{n - split_at} validation samples out of {n}; both must be at least 1"
        )

    def cut(arrays, part, keys):
        if arrays is None:
            return None
        pieces = [a[:split_at] if part == 0 else a[split_at:] for a in arrays]
        return _pack(pieces, keys)

    xk, yk = _keys(x), _keys(y)
    train = (cut(xs, 0, xk), cut(ys, 0, yk), None if sw is None else sw[:split_at])
    val = (cut(xs, 1, xk), cut(ys, 1, yk), None if sw is None else sw[split_at:])
    return train, val


