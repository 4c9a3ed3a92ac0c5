"""Data utilities: one-hot encoding, normalization, train/validation split.

``to_categorical`` and ``normalize`` follow Keras (``keras.utils``). The min-max and z-score
helpers return the statistics they used, so validation and test data can be transformed with
the *training* statistics. All randomness comes from ``glassnet.config.get_rng()``.

Example:
    >>> from glassnet.utils import to_categorical
    >>> to_categorical([0, 2, 1]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
"""

import math

from glassnet.backend import xp
from glassnet.config import config, get_rng
from glassnet.errors import GlassnetValueError, ShapeError


def _as_array(a):
    """An ndarray from an array, list or glassnet Tensor."""
    return xp.asarray(a.data if hasattr(a, "data") and hasattr(a, "requires_grad") else a)


def _describe(values, positions, limit=5):
    pairs = zip(values[:limit], positions[:limit], strict=True)
    shown = ", ".join(f"{v} at index {p}" for v, p in pairs)
    more = f" and {len(values) - limit} more" if len(values) > limit else ""
    return shown + more


def to_categorical(y, num_classes=None, dtype="float32"):
    """Convert integer class labels to one-hot rows (Keras's ``to_categorical``).

    ``out[..., k] = 1`` where ``y == k``, else 0. A trailing axis of size 1 is dropped first
    (labels ``(n, 1)`` give ``(n, num_classes)``, as in Keras).

    Args:
        y: integer labels (array, list or Tensor), any shape; integer-valued floats accepted.
        num_classes: number of classes; default ``max(y) + 1``.
        dtype: dtype of the result.

    Returns:
        Array of shape ``y.shape + (num_classes,)`` (minus a trailing 1) of ``dtype``.

    Raises:
        ValueError: a label is negative, not an integer, or >= ``num_classes`` (the message
            names the offending labels and where they are).

    Example:
        >>> from glassnet.utils import to_categorical
        >>> to_categorical([[1], [0]], num_classes=3).tolist()
        [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    """
    y = _as_array(y)
    if y.dtype == xp.bool_ or not (
        xp.issubdtype(y.dtype, xp.integer) or xp.issubdtype(y.dtype, xp.floating)
    ):
        raise GlassnetValueError(f"to_categorical: y must hold integer labels, got dtype {y.dtype}")
    shape = y.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = y.reshape(-1)
    if xp.issubdtype(flat.dtype, xp.floating):
        bad = xp.flatnonzero(~xp.isfinite(flat) | (flat != xp.round(flat)))
        if bad.size:
            raise GlassnetValueError(
                "to_categorical: labels must be whole numbers, got "
                + _describe(flat[bad].tolist(), bad.tolist())
            )
    flat = flat.astype(xp.int64)
    if num_classes is None:
        if flat.size == 0:
            raise GlassnetValueError("to_categorical: y is empty; pass num_classes")
        num_classes = int(flat.max()) + 1
    if isinstance(num_classes, bool) or int(num_classes) != num_classes or num_classes < 1:
        raise GlassnetValueError(f"to_categorical: num_classes must be a positive integer, "
                         f"got {num_classes!r}")
    num_classes = int(num_classes)
    bad = xp.flatnonzero((flat < 0) | (flat >= num_classes))
    if bad.size:
        raise GlassnetValueError(
            f"to_categorical: labels must be in [0, {num_classes - 1}] for "
            f"num_classes={num_classes}, got " + _describe(flat[bad].tolist(), bad.tolist())
        )
    out = xp.zeros((flat.size, num_classes), dtype=dtype)
    out[xp.arange(flat.size), flat] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scale ``x`` to unit ``order``-norm along ``axis`` (Keras's ``utils.normalize``).

    ``x / ||x||_order`` with a norm of 0 left as 0 (divided by 1).

    Example:
        >>> from glassnet.utils import normalize
        >>> normalize([[3.0, 4.0]]).tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """
    x = _float(x)
    norm = xp.linalg.norm(x, ord=order, axis=axis, keepdims=True).astype(x.dtype)
    norm[norm == 0] = 1
    return x / norm


def _float(x):
    """Float arrays keep their dtype; lists, numbers and integer arrays become the default
    float (float32), as Python floats do in ``gn.tensor``."""
    if not isinstance(x, xp.ndarray) and not hasattr(x, "requires_grad"):
        return xp.asarray(x, dtype=config.default_float)
    x = _as_array(x)
    if not xp.issubdtype(x.dtype, xp.floating):
        x = x.astype(config.default_float)
    return x


def minmax_normalize(x, feature_range=(0.0, 1.0), axis=0, stats=None):
    """Min-max scaling to ``feature_range``, returning the statistics used.

    ``x' = lo + (x - min) * (hi - lo) / (max - min)``, with ``min``/``max`` taken over ``axis``
    (per feature by default; ``axis=None`` for one global pair, e.g. image pixels). A constant
    feature (``max == min``) is mapped to ``lo``.

    Args:
        x: data; integer data (uint8 images) becomes float32, float data keeps its dtype.
        feature_range: ``(lo, hi)``.
        axis: axis or axes reduced to compute the statistics.
        stats: ``{"min": ..., "max": ...}`` from an earlier call (the training data's) to apply
            instead of computing new ones.

    Returns:
        ``(x_scaled, stats)``.

    Example:
        >>> import numpy as np
        >>> from glassnet.utils import minmax_normalize
        >>> train, stats = minmax_normalize(np.array([[0.0], [10.0]]))
        >>> test, _ = minmax_normalize(np.array([[5.0], [20.0]]), stats=stats)
        >>> test.ravel().tolist()
        [0.5, 2.0]
    """
    x = _float(x)
    lo, hi = feature_range
    if not lo < hi:
        raise GlassnetValueError(f"minmax_normalize: feature_range must have lo < hi, got "
                         f"{feature_range!r}")
    if stats is None:
        stats = {"min": x.min(axis=axis, keepdims=True), "max": x.max(axis=axis, keepdims=True)}
    span = (stats["max"] - stats["min"]).astype(x.dtype)
    span[span == 0] = 1
    scale = xp.asarray((hi - lo), dtype=x.dtype) / span
    out = x - stats["min"].astype(x.dtype)
    out *= scale
    out += xp.asarray(lo, dtype=x.dtype)
    return out, stats


def zscore_normalize(x, axis=0, stats=None, epsilon=0.0):
    """Standardize to zero mean and unit variance, returning the statistics used.

    ``x' = (x - mean) / (std + epsilon)`` over ``axis`` (population std, ``ddof=0``). A
    constant feature (``std == 0``) is divided by 1 instead.

    Args:
        x: data; integer data becomes float32, float data keeps its dtype.
        axis: axis or axes reduced to compute the statistics (``None``: global).
        stats: ``{"mean": ..., "std": ...}`` from an earlier call (the training data's).
        epsilon: added to the std.

    Returns:
        ``(x_standardized, stats)``.

    Example:
        >>> import numpy as np
        >>> from glassnet.utils import zscore_normalize
        >>> z, stats = zscore_normalize(np.array([[1.0], [3.0]]))
        >>> z.ravel().tolist(), stats["mean"].ravel().tolist(), stats["std"].ravel().tolist()
        ([-1.0, 1.0], [2.0], [1.0])
    """
    x = _float(x)
    if stats is None:
        stats = {"mean": x.mean(axis=axis, keepdims=True), "std": x.std(axis=axis, keepdims=True)}
    std = stats["std"].astype(x.dtype, copy=True)
    std[std == 0] = 1
    out = x - stats["mean"].astype(x.dtype)
    out /= std + xp.asarray(epsilon, dtype=x.dtype)
    return out, stats


def train_validation_split(x, y=None, validation_split=0.2, shuffle=True, stratify=None):
    """Split data into a training part and a validation part.

    The validation part has ``ceil(validation_split * n)`` samples. With ``shuffle=False`` it is
    the *last* part of the data (as Keras's ``fit(validation_split=...)``); with
    ``shuffle=True`` samples are permuted with glassnet's RNG first (reproducible with
    ``gn.manual_seed``). With ``stratify``, the split is done class by class, so each class
    keeps its proportion in both parts.

    Args:
        x: features, first axis = samples.
        y: targets with the same first axis, or None.
        validation_split: fraction in (0, 1).
        shuffle: shuffle before splitting.
        stratify: None/False; True to stratify by ``y`` (integer labels, or one-hot rows); or
            an array of n class labels.

    Returns:
        ``(x_train, y_train), (x_val, y_val)`` (``y_*`` are None when ``y`` is None).

    Example:
        >>> import numpy as np
        >>> from glassnet.utils import train_validation_split
        >>> (xt, yt), (xv, yv) = train_validation_split(np.arange(10), np.arange(10),
        ...                                             validation_split=0.2, shuffle=False)
        >>> xv.tolist()
        [8, 9]
    """
    x = _as_array(x)
    n = x.shape[0] if x.ndim else 0
    if y is not None:
        y = _as_array(y)
        if y.ndim == 0 or y.shape[0] != n:
            raise ShapeError(f"train_validation_split: x has {n} samples but y has "
                             f"{y.shape[0] if y.ndim else 0}")
    if not 0 < validation_split < 1:
        raise GlassnetValueError(f"train_validation_split: validation_split must be in (0, 1), "
                         f"got {validation_split!r}")
    if stratify is True:
        if y is None:
            raise GlassnetValueError("train_validation_split: stratify=True needs y")
        labels = y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(n, -1)[:, 0]
    elif stratify is None or stratify is False:
        labels = None
    else:
        labels = _as_array(stratify).reshape(-1)
        if labels.shape[0] != n:
            raise ShapeError(f"train_validation_split: stratify has {labels.shape[0]} labels "
                             f"for {n} samples")
    groups = [xp.arange(n)] if labels is None else [
        xp.flatnonzero(labels == c) for c in xp.unique(labels)
    ]
    train_parts, val_parts = [], []
    for index in groups:
        if shuffle:
            index = get_rng().permutation(index)
        n_val = math.ceil(round(validation_split * index.size, 9))
        train_parts.append(index[: index.size - n_val])
        val_parts.append(index[index.size - n_val :])
    train_index, val_index = xp.concatenate(train_parts), xp.concatenate(val_parts)
    if labels is not None:  # undo the grouping by class
        order = get_rng().permutation if shuffle else xp.sort
        train_index, val_index = order(train_index), order(val_index)
    if train_index.size == 0 or val_index.size == 0:
        raise GlassnetValueError(
            f"train_validation_split: {n} samples cannot be split with validation_split="
            f"{validation_split} (one part would be empty)"
        )

    def take(a, index):
        return None if a is None else a[index]

    return (take(x, train_index), take(y, train_index)), (take(x, val_index), take(y, val_index))


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pad (and truncate) sequences to one length: Keras's ``pad_sequences``.

    Each sequence longer than ``maxlen`` loses values at the start (``truncating="pre"``) or
    at the end (``"post"``); each shorter one is filled with ``value`` before it
    (``padding="pre"``) or after it (``"post"``). Elements may be scalars or arrays of one
    common shape (the result then has that shape after ``(len(sequences), maxlen)``).

    Args:
        sequences: a list of sequences (lists or arrays).
        maxlen: the length of every row; default the longest sequence's length.
        dtype: dtype of the result (``"int32"``; a string dtype or ``object`` for text).
        padding: ``"pre"`` or ``"post"``: where the fill goes.
        truncating: ``"pre"`` or ``"post"``: where values are removed.
        value: the fill value.

    Returns:
        A NumPy array of shape ``(len(sequences), maxlen) + element shape``.

    Raises:
        GlassnetValueError: a bad ``padding``/``truncating``/``maxlen``, a sequence that is
            not iterable, a string ``value`` with a numeric dtype.
        ShapeError: elements of different shapes.

    Example:
        >>> from glassnet.utils import pad_sequences
        >>> pad_sequences([[1, 2, 3], [4]], padding="post").tolist()
        [[1, 2, 3], [4, 0, 0]]
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
        [[2, 3], [0, 4]]
    """
    for name, option in (("padding", padding), ("truncating", truncating)):
        if option not in ("pre", "post"):
            raise GlassnetValueError(
                f"pad_sequences: {name} must be 'pre' or 'post', received {option!r}")
    if not hasattr(sequences, "__len__"):
        raise GlassnetValueError(
            f"pad_sequences: sequences must be a list of sequences, received "
            f"{type(sequences).__name__}")
    lengths, sample_shape = [], ()
    for position, sequence in enumerate(sequences):
        if not hasattr(sequence, "__len__"):
            raise GlassnetValueError(
                f"pad_sequences: sequences must be a list of iterables; the sequence at "
                f"position {position} is {type(sequence).__name__} {sequence!r}")
        lengths.append(len(sequence))
    for sequence in sequences:
        if len(sequence):
            sample_shape = xp.asarray(sequence).shape[1:]
            break
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, xp.integer)) or maxlen < 0:
        raise GlassnetValueError(
            f"pad_sequences: maxlen must be None or a non-negative integer, received {maxlen!r}")
    dtype = xp.dtype(dtype)
    if isinstance(value, str) and dtype.kind not in "OUS":
        raise GlassnetValueError(
            f"pad_sequences: dtype {dtype} cannot hold the string value {value!r}; pass "
            "dtype=object (or a string dtype)")
    out = xp.full((len(sequences), int(maxlen), *sample_shape), value, dtype=dtype)
    if maxlen == 0:
        return out
    for position, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = xp.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ShapeError(
                f"pad_sequences: the elements of the sequence at position {position} have "
                f"shape {kept.shape[1:]}, expected {sample_shape} (that of the first sequence)")
        if padding == "post":
            out[position, : len(kept)] = kept
        else:
            out[position, -len(kept):] = kept
    return out


def set_random_seed(seed):
    """Seed every generator a Keras script draws from: Python's ``random``, NumPy's global
    generator and glassnet's own (:func:`glassnet.manual_seed`); Keras's ``set_random_seed``.

    Raises:
        GlassnetValueError: ``seed`` is not a non-negative integer.

    Example:
        >>> import numpy as np
        >>> from glassnet.utils import set_random_seed
        >>> set_random_seed(1); a = np.random.rand()
        >>> set_random_seed(1); bool(np.random.rand() == a)
        True
    """
    import random

    from glassnet.config import manual_seed

    manual_seed(seed)  # checks the seed
    random.seed(int(seed))
    xp.random.seed(int(seed) % 2**32)


def _split_size(size, total, name):
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, (int, float, xp.integer, xp.floating)):
        raise GlassnetValueError(
            f"split_dataset: {name} must be None, a fraction in (0, 1) or a count, received "
            f"{size!r}")
    if isinstance(size, (float, xp.floating)):
        if not 0 < size < 1:
            raise GlassnetValueError(
                f"split_dataset: {name} as a fraction must be in (0, 1), received {size!r}")
        return int(round(size * total))
    if not 0 < size < total:
        raise GlassnetValueError(
            f"split_dataset: {name} as a count must be in (0, {total}), received {size!r} "
            f"for a dataset of {total} samples")
    return int(size)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Split arrays into a left part and a right part (e.g. train / test), as Keras's
    ``split_dataset``.

    Keras returns two ``tf.data.Dataset``\\ s; glassnet returns the data in the form it came:
    an array gives two arrays, a tuple or list of arrays (``(x, y)``) two tuples.

    Args:
        dataset: an array, or a tuple/list of arrays with the same first axis.
        left_size: a fraction in (0, 1) or a number of samples for the left part; default
            the complement of ``right_size`` (both None: half).
        right_size: the same for the right part; default the complement of ``left_size``.
        shuffle: shuffle the samples before splitting.
        seed: seed of that shuffle (default: glassnet's generator).

    Returns:
        ``(left, right)``.

    Raises:
        GlassnetValueError: sizes out of range, or adding up to more than the data.
        ShapeError: arrays with different numbers of samples.

    Example:
        >>> import numpy as np
        >>> from glassnet.utils import split_dataset
        >>> left, right = split_dataset(np.arange(10), left_size=0.8)
        >>> left.tolist(), right.tolist()
        ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    single = not isinstance(dataset, (tuple, list))
    arrays = [_as_array(dataset)] if single else [_as_array(a) for a in dataset]
    if not arrays or any(a.ndim == 0 for a in arrays):
        raise GlassnetValueError("split_dataset: expected an array or a tuple of arrays")
    total = arrays[0].shape[0]
    if any(a.shape[0] != total for a in arrays):
        raise ShapeError(
            f"split_dataset: the arrays have different numbers of samples: "
            f"{[a.shape[0] for a in arrays]}")
    if left_size is None and right_size is None:
        left_size = 0.5
    left = _split_size(left_size, total, "left_size")
    right = _split_size(right_size, total, "right_size")
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total or left <= 0 or right <= 0:
        raise GlassnetValueError(
            f"split_dataset: left_size={left_size!r} and right_size={right_size!r} give "
            f"{left} + {right} samples of {total}; both parts must be non-empty and fit")
    index = xp.arange(total)
    if shuffle:
        rng = get_rng() if seed is None else xp.random.default_rng(seed)
        index = rng.permutation(total)
    left_index, right_index = index[:left], index[left:left + right]
    if single:
        return arrays[0][left_index], arrays[0][right_index]
    return tuple(a[left_index] for a in arrays), tuple(a[right_index] for a in arrays)


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor of the functional API (made by ``Input`` and
    layers), as Keras's ``backend.is_keras_tensor``.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.utils import is_keras_tensor
        >>> is_keras_tensor(gn.layers.Input(shape=(3,))), is_keras_tensor(gn.tensor([1.0]))
        (True, False)
    """
    from glassnet.layers.symbolic import KerasTensor

    return isinstance(x, KerasTensor)
