"""Loss objects with Keras 3's names, defaults and reductions (``keras.losses``).

A loss object is called as ``loss(y_true, y_pred, sample_weight=None)`` and returns a scalar
Tensor (or per-sample values with ``reduction='none'``). It computes one value per sample with
the matching function of :mod:`glassnet.functional` (also exported here: ``mean_squared_error``,
``binary_crossentropy``...), multiplies by ``sample_weight`` and reduces:

- ``'sum_over_batch_size'`` (Keras's default; ``'mean'`` is accepted as a synonym): the sum of
  the weighted values divided by their number (not by the sum of the weights);
- ``'mean_with_sample_weight'``: the weighted sum divided by the sum of the weights;
- ``'sum'``: the weighted sum;  ``'none'`` (or None): the weighted per-sample values.

The seed's names of the classic losses are aliases: squared loss = ``'mse'``, absolute loss =
``'mae'``, log loss = ``'binary_crossentropy'``, hinge loss = ``'hinge'``, exponential loss =
``'exponential'``; the 0-1 loss is :func:`zero_one_loss`, an error rate without gradient.

``from_logits=True`` uses fused, numerically stable ops (log-sum-exp; gradient softmax - t or
sigmoid - t). Passing softmax *probabilities* with ``from_logits=True`` is a frequent bug (the
Keras CNN in seed 004 does it): categorical and sparse categorical cross-entropy then emit a
``UserWarning`` when every prediction is in [0, 1] and each row sums to 1.

Example:
    >>> import glassnet as gn
    >>> from glassnet import losses
    >>> losses.MeanSquaredError()([[0.0], [1.0]], [[1.0], [1.0]])
    tensor(0.5)
"""

from glassnet import functional as F
from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.functional import (  # noqa: F401 - the Keras loss functions, re-exported
    binary_crossentropy,
    categorical_crossentropy,
    exponential_loss,
    hinge,
    huber,
    kl_divergence,
    kld,
    kullback_leibler_divergence,
    mae,
    mean_absolute_error,
    mean_squared_error,
    mse,
    sparse_categorical_crossentropy,
    zero_one_loss,
)
from glassnet.hyperparameters import check_axis, check_bool, check_number, require
from glassnet.registry import Registry, exact_name, to_snake_case
from glassnet.tensor import Tensor, as_tensor

REDUCTIONS = ("sum_over_batch_size", "mean", "mean_with_sample_weight", "sum", "none")


def reduce_weighted(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Weight per-sample loss values and reduce them as Keras does.

    ``sample_weight`` may be a scalar, shaped like ``values``, shaped (batch, 1), or have
    fewer axes than ``values`` (then it applies along the leading axes: one weight per sample).

    Example:
        >>> import glassnet as gn
        >>> reduce_weighted(gn.tensor([1.0, 3.0]), [1.0, 0.0]).item()
        0.5
    """
    reduction = _check_reduction(reduction)
    values = as_tensor(values)
    weights = None
    if sample_weight is not None:
        weights = as_tensor(sample_weight)
        if weights.dtype != values.dtype:
            weights = Tensor(weights.data.astype(values.dtype))
        if weights.ndim == values.ndim + 1 and weights.shape[-1] == 1:
            weights = weights.reshape(weights.shape[:-1])
        elif 0 < weights.ndim < values.ndim:
            weights = weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim))
        try:
            xp.broadcast_shapes(weights.shape, values.shape)
        except ValueError:
            raise ShapeError(
                f"sample_weight of shape {tuple(xp.shape(sample_weight))} does not match the "
                f"per-sample losses of shape {values.shape}"
            ) from None
        values = values * weights
    if reduction == "none":
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        weight_sum = float(xp.broadcast_to(weights.data, values.shape).sum())
        return total * (1.0 / weight_sum) if weight_sum else total * 0.0
    return total * (1.0 / values.size) if values.size else total


def _apply_mask(sample_weight, mask, values, reduction):
    """Merge a Keras mask into the sample weights, as Keras does.

    Masked entries weigh 0. For the mean reductions the valid ones weigh total / valid, so that
    'sum_over_batch_size' becomes sum(loss * weight) / (number of unmasked entries).
    """
    mask = xp.asarray(mask, dtype=values.dtype)
    if mask.shape != values.shape:
        raise ShapeError(f"the output's mask of shape {mask.shape} does not match the "
                         f"per-step losses of shape {values.shape}")
    if reduction in ("sum_over_batch_size", "mean"):
        valid = float(mask.sum())
        mask = mask * (mask.size / valid) if valid else mask
    if sample_weight is None:
        return mask
    weights = xp.asarray(sample_weight.data if isinstance(sample_weight, Tensor)
                         else sample_weight, dtype=values.dtype)
    if weights.ndim == mask.ndim + 1 and weights.shape[-1] == 1:
        weights = weights.reshape(weights.shape[:-1])
    elif 0 < weights.ndim < mask.ndim:
        weights = weights.reshape(weights.shape + (1,) * (mask.ndim - weights.ndim))
    return weights * mask


def _check_reduction(reduction, where="loss"):
    if reduction is None:
        return "none"
    require(isinstance(reduction, str) and reduction in REDUCTIONS, where, "reduction",
            f"one of {', '.join(REDUCTIONS)} or None", reduction)
    return reduction


def _check_crossentropy(loss, from_logits, label_smoothing=0.0, axis=-1):
    """from_logits a bool, label_smoothing in [0, 1], axis an int (named after the loss)."""
    where = type(loss).__name__
    check_bool(where, "from_logits", from_logits)
    check_number(where, "label_smoothing", label_smoothing, low=0, high=1)
    check_axis(where, "axis", axis)


class Loss:
    """Base class: subclasses implement ``call(y_true, y_pred)`` returning per-sample values.

    Args:
        reduction: 'sum_over_batch_size' (default; 'mean' is a synonym),
            'mean_with_sample_weight', 'sum' or 'none'.
        name: a name for the loss (shown in logs).
        dtype: accepted for Keras compatibility (glassnet computes in y_pred's dtype).

    Example:
        >>> import glassnet as gn
        >>> class Cubed(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return ((gn.tensor(y_pred) - y_true) ** 3).mean(axis=-1)
        >>> Cubed()([[0.0]], [[2.0]]).item()
        8.0
    """

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None):
        self.reduction = _check_reduction(reduction, type(self).__name__)
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = dtype

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        mask = y_pred._keras_mask if isinstance(y_pred, Tensor) else None
        if mask is not None:  # a sequence output with padding (Keras): padded steps weigh 0
            sample_weight = _apply_mask(sample_weight, mask, values, self.reduction)
        return reduce_weighted(values, sample_weight, self.reduction)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class LossFunctionWrapper(Loss):
    """Wrap a per-sample function ``fn(y_true, y_pred, **kwargs)`` as a Loss object.

    Example:
        >>> LossFunctionWrapper(mean_squared_error)([[0.0]], [[2.0]]).item()
        4.0
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(reduction, name or getattr(fn, "__name__", "loss"), dtype)
        self.fn, self.fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self.fn_kwargs}


def _from_function(function):
    """A Loss for a per-sample function: the built-in class for glassnet's own functions."""
    name = getattr(function, "__name__", None)
    if name in LOSSES and getattr(F, name, None) is function:
        return LOSSES[name]()
    return LossFunctionWrapper(function)


# class names and the names given to ``register`` -> Loss subclass
REGISTRY = Registry("loss", module="losses", base=Loss, name_forms=exact_name,
                    none=None, from_callable=_from_function)
LOSSES = REGISTRY.entries


def register(*names):
    """Class decorator: make a Loss available under its class name and the given names."""
    return REGISTRY.register(aliases=names)


# ------------------------------------------------------------------------ regression losses
@register("mean_squared_error", "mse", "MSE", "squared_loss")
class MeanSquaredError(Loss):
    """Squared loss: mean((y_true - y_pred)^2) over the last axis, then reduced over the batch.

    Example:
        >>> MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]).item()
        0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(reduction, name, dtype)

    def call(self, y_true, y_pred):
        return mean_squared_error(y_true, y_pred)


@register("mean_absolute_error", "mae", "MAE", "absolute_loss")
class MeanAbsoluteError(Loss):
    """Absolute loss: mean(|y_true - y_pred|) over the last axis.

    Example:
        >>> MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 3.0]]).item()
        1.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(reduction, name, dtype)

    def call(self, y_true, y_pred):
        return mean_absolute_error(y_true, y_pred)


@register("huber", "huber_loss")
class Huber(Loss):
    """Huber loss: 0.5 e^2 for |e| <= delta, else delta (|e| - 0.5 delta); default delta 1.0.

    Example:
        >>> Huber()([[0.0]], [[3.0]]).item()
        2.5
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(reduction, name, dtype)
        self.delta = check_number("Huber", "delta", delta, low=0, low_open=True)

    def call(self, y_true, y_pred):
        return huber(y_true, y_pred, self.delta)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


# ------------------------------------------------------------------------ classification
@register("binary_crossentropy", "log_loss", "logloss")
class BinaryCrossentropy(Loss):
    """Log loss -(t ln p + (1 - t) ln(1 - p)), averaged over the last axis.

    Args:
        from_logits: y_pred are logits (fused stable sigmoid cross-entropy) instead of
            probabilities (clipped to [1e-7, 1 - 1e-7]).
        label_smoothing: s in [0, 1]; targets become t (1 - s) + s / 2.
        axis: the axis to average over (default -1).

    Example:
        >>> round(BinaryCrossentropy()([[1.0]], [[0.5]]).item(), 6)
        0.693147
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(reduction, name, dtype)
        _check_crossentropy(self, from_logits, label_smoothing, axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def call(self, y_true, y_pred):
        return binary_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing,
                                   self.axis)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


@register("categorical_crossentropy", "cross_entropy")
class CategoricalCrossentropy(Loss):
    """Cross-entropy -sum(t ln p) of one-hot (or probability) targets over the class axis.

    Args:
        from_logits: y_pred are logits (fused log-softmax cross-entropy, gradient
            softmax(z) - t); otherwise probabilities, renormalized and clipped like Keras.
        label_smoothing: s in [0, 1]; targets become t (1 - s) + s / n_classes.
        axis: the class axis (default -1).

    Example:
        >>> round(CategoricalCrossentropy()([[0.0, 1.0]], [[0.5, 0.5]]).item(), 6)
        0.693147
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(reduction, name, dtype)
        _check_crossentropy(self, from_logits, label_smoothing, axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def call(self, y_true, y_pred):
        return categorical_crossentropy(y_true, y_pred, self.from_logits,
                                        self.label_smoothing, self.axis)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


@register("sparse_categorical_crossentropy")
class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy -ln p[label] of integer class labels (shape (batch,) or (batch, 1)).

    Args:
        from_logits: y_pred are logits (fused, gradient softmax(z) - onehot(label)).

    Raises (when called):
        ValueError naming the loss for labels outside [0, n_classes) or non-integer labels.

    Example:
        >>> round(SparseCategoricalCrossentropy()([1], [[0.5, 0.5]]).item(), 6)
        0.693147
    """

    def __init__(self, from_logits=False, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(reduction, name, dtype)
        _check_crossentropy(self, from_logits)
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        return sparse_categorical_crossentropy(y_true, y_pred, self.from_logits)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


@register("hinge", "hinge_loss")
class Hinge(Loss):
    """Hinge loss mean(max(1 - t y_pred, 0)), labels -1/+1 (0/1 labels are mapped to -1/+1).

    Example:
        >>> Hinge()([[1.0]], [[0.25]]).item()
        0.75
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(reduction, name, dtype)

    def call(self, y_true, y_pred):
        return hinge(y_true, y_pred)


@register("kl_divergence", "kld", "KLD", "kullback_leibler_divergence")
class KLDivergence(Loss):
    """Kullback-Leibler divergence sum(t ln(t / p)) over the last axis (both clipped).

    Example:
        >>> KLDivergence()([[0.5, 0.5]], [[0.5, 0.5]]).item()
        0.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(reduction, name, dtype)

    def call(self, y_true, y_pred):
        return kl_divergence(y_true, y_pred)


@register("exponential", "exponential_loss")
class Exponential(Loss):
    """Exponential loss mean(exp(-y a)) (labels -1/+1; 0/1 are mapped), as in AdaBoost.

    Example:
        >>> Exponential()([[1.0]], [[0.0]]).item()
        1.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="exponential_loss", dtype=None):
        super().__init__(reduction, name, dtype)

    def call(self, y_true, y_pred):
        return exponential_loss(y_true, y_pred)


# Keras 3 class-name aliases
KLD = KLDivergence
ExponentialLoss = Exponential

_NO_GRADIENT = ("zero_one_loss", "zero_one", "0-1", "gold_standard")


# ------------------------------------------------------------------------ lookup
def get(identifier):
    """Resolve a loss to a Loss object (callable as ``loss(y_true, y_pred, sample_weight)``).

    Args:
        identifier: a Keras name (``'mse'``, ``'categorical_crossentropy'``,
            ``'SparseCategoricalCrossentropy'``...), a Loss class or instance, a
            ``{'class_name': ..., 'config': {...}}`` dict, or a per-sample function
            ``fn(y_true, y_pred)`` (wrapped in :class:`LossFunctionWrapper`).

    Returns:
        A :class:`Loss` instance (a plain callable that is not a known loss function is
        wrapped, so the result always reduces to a scalar).

    Raises:
        UnknownIdentifierError (a ValueError) listing the valid names.

    Example:
        >>> get("mse")
        MeanSquaredError(name='mean_squared_error', reduction='sum_over_batch_size')
    """
    if isinstance(identifier, str) and identifier.lower() in _NO_GRADIENT:
        raise GlassnetValueError(
            f"The 0-1 loss {identifier!r} has no gradient (it is piecewise constant), so it "
            f"cannot be trained on; use glassnet.losses.zero_one_loss(y_true, y_pred) as a "
            f"metric"
        )
    return REGISTRY.get(identifier)


def serialize(loss):
    """``{'class_name': ..., 'config': {...}}`` for a Loss object (Keras's format)."""
    if isinstance(loss, LossFunctionWrapper):
        raise GlassnetTypeError(f"losses.serialize: expected a built-in Loss, got {loss!r}")
    return REGISTRY.serialize(loss)


def deserialize(config):
    """Inverse of :func:`serialize`."""
    return get(config)
