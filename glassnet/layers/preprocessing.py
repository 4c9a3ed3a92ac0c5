"""Preprocessing layers (Keras 3): Rescaling, Normalization (with ``adapt``),
CategoryEncoding.

Rescaling and Normalization are differentiable (composed from arithmetic ops);
CategoryEncoding turns integer tokens into counts and has no gradient (its input is
integers).
"""

from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.layers.base import Layer
from glassnet.layers.serialization import register_layer
from glassnet.tensor import Tensor

EPSILON = 1e-7  # Keras's backend.epsilon(): the floor of Normalization's standard deviation


def _plain(value):
    """A JSON-able form of a number or array argument."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, xp.ndarray):
        return value.tolist()
    if isinstance(value, xp.number):
        return value.item()
    return value


# ------------------------------------------------------------------------ Rescaling
@register_layer
class Rescaling(Layer):
    """y = x * scale + offset (e.g. pixels in [0, 255] to [0, 1] with ``scale=1/255``).

    Args:
        scale: the factor (a number, or an array broadcast against the input).
        offset: what is added after scaling (default 0.0).

    Example:
        >>> import numpy as np
        >>> Rescaling(1 / 127.5, offset=-1)(np.array([[0.0, 127.5, 255.0]])).numpy()
        array([[-1.,  0.,  1.]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for what, value in (("scale", scale), ("offset", offset)):
            try:
                xp.asarray(_plain(value), dtype=xp.float64)
            except (TypeError, ValueError):
                raise GlassnetValueError(
                    f"Layer '{self.name}' (Rescaling): {what} must be a number or an array of "
                    f"numbers, got {value!r}") from None
        self.scale, self.offset = _plain(scale), _plain(offset)

    def call(self, inputs):
        scale = xp.asarray(self.scale, dtype=inputs.dtype)
        offset = xp.asarray(self.offset, dtype=inputs.dtype)
        return inputs * scale + offset

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


# ------------------------------------------------------------------------ Normalization
@register_layer
class Normalization(Layer):
    """Feature-wise standardization: y = (x - mean) / max(sqrt(variance), 1e-7)
    (``invert=True``: y = mean + x * max(sqrt(variance), 1e-7), the way back).

    The statistics are either given (``mean=`` and ``variance=``) or learned from data by
    :meth:`adapt` (the population mean and variance over every axis except ``axis``); adapted
    statistics are the layer's non-trainable weights ``mean`` and ``variance`` (Keras's
    names and order), so they are saved and loaded with the model.

    Args:
        axis: the axis (int or tuple of ints) that keeps its own statistics (default -1: one
            mean and variance per feature); None: one scalar mean and variance.
        mean: optional given mean (broadcast to the kept axes).
        variance: optional given variance (give both or neither).
        invert: apply the inverse transformation.

    Example:
        >>> import numpy as np
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
        >>> layer(np.array([[1.0, 20.0]])).numpy()
        array([[0., 0.]], dtype=float32)
        >>> [w.tolist() for w in layer.get_weights()]
        [[1.0, 20.0], [1.0, 100.0]]
    """

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            self.axis = ()
        elif isinstance(axis, (int, xp.integer)) and not isinstance(axis, bool):
            self.axis = (int(axis),)
        elif isinstance(axis, (list, tuple)):
            self.axis = tuple(int(a) for a in axis)
        else:
            raise GlassnetValueError(
                f"Layer '{self.name}' (Normalization): axis must be an int, a tuple of ints or "
                f"None, got {axis!r}")
        if 0 in self.axis:
            raise GlassnetValueError(
                f"Layer '{self.name}' (Normalization): axis 0 is the batch axis and cannot "
                f"keep its own statistics")
        if (mean is None) != (variance is None):
            raise GlassnetValueError(
                f"Layer '{self.name}' (Normalization): when setting mean or variance, both "
                f"must be set (got mean={mean!r}, variance={variance!r})")
        self.input_mean, self.input_variance = _plain(mean), _plain(variance)
        self.invert = bool(invert)
        self.mean = self.variance = None
        self._given = None

    def _keep_axes(self, ndim):
        axes = tuple(sorted(a % ndim for a in self.axis))
        if any(not 0 < a < ndim for a in axes):
            raise ShapeError(
                f"Layer '{self.name}' (Normalization): axis {self.axis} is outside inputs of "
                f"rank {ndim}")
        return axes

    def build(self, input_shape):
        ndim = len(input_shape)
        keep = self._keep_axes(ndim)
        if any(input_shape[a] is None for a in keep):
            raise ShapeError(
                f"Layer '{self.name}' (Normalization): the kept axes {self.axis} need known "
                f"sizes, input shape {tuple(input_shape)}")
        self._broadcast = tuple(input_shape[a] if a in keep else 1 for a in range(ndim))
        self._broadcast = (1,) + self._broadcast[1:]
        shape = tuple(input_shape[a] for a in keep)
        if self.input_mean is None:
            self.mean = self.add_weight("mean", shape, "zeros", trainable=False)
            self.variance = self.add_weight("variance", shape, "ones", trainable=False)
            self._given = None
        else:
            self._given = tuple(
                xp.broadcast_to(xp.asarray(v, dtype=self.dtype), shape).copy()
                for v in (self.input_mean, self.input_variance))

    def adapt(self, data, batch_size=None, steps=None):
        """Compute the mean and variance of ``data`` (an array, or an iterable of batches)
        over every axis except ``axis``, and store them in the layer's weights."""
        if self.input_mean is not None:
            raise GlassnetValueError(
                f"Layer '{self.name}' (Normalization): adapt() cannot be used when mean and "
                f"variance were given at construction")
        if isinstance(data, (Tensor, xp.ndarray, list)):
            batches = [getattr(data, "data", data)]
        else:
            try:
                batches = list(data)
            except TypeError:
                raise GlassnetTypeError(
                    f"Layer '{self.name}' (Normalization): adapt() takes an array or an "
                    f"iterable of batches, got {type(data).__name__}") from None
            if steps is not None:
                batches = batches[:steps]
            batches = [b[0] if isinstance(b, tuple) else b for b in batches]
        arrays = [xp.asarray(getattr(b, "data", b), dtype=xp.float64) for b in batches]
        if not arrays or any(a.ndim == 0 for a in arrays):
            raise GlassnetValueError(
                f"Layer '{self.name}' (Normalization): adapt() needs a batch of samples, got "
                f"{len(arrays)} batch(es)")
        if arrays[0].ndim == 1:
            arrays = [a.reshape(-1, 1) for a in arrays]
        x = xp.concatenate(arrays, axis=0)
        if not self.built:
            self._maybe_build((None,) + x.shape[1:])
        keep = self._keep_axes(x.ndim)
        reduce_axes = tuple(a for a in range(x.ndim) if a not in keep)
        self.mean.data[...] = x.mean(axis=reduce_axes).astype(self.mean.dtype)
        self.variance.data[...] = x.var(axis=reduce_axes).astype(self.variance.dtype)

    def call(self, inputs):
        if self._given is not None:
            mean, variance = self._given
        else:
            mean, variance = self.mean.data, self.variance.data
        mean = mean.reshape(self._broadcast).astype(inputs.dtype)
        std = xp.maximum(xp.sqrt(variance.reshape(self._broadcast)), EPSILON).astype(
            inputs.dtype)
        if self.invert:
            return inputs * std + mean
        return (inputs - mean) / std

    def compute_output_shape(self, input_shape):
        return input_shape

    def _check_input(self, inputs):
        """Only the kept axes must match the statistics (any other size is fine)."""
        shape = inputs.shape
        if len(shape) != len(self._broadcast) or any(
                b != 1 and s != b for s, b in zip(shape[1:], self._broadcast[1:], strict=True)):
            raise ShapeError(
                f"Layer '{self.name}' (Normalization): built for inputs of rank "
                f"{len(self._broadcast)} with sizes {self._broadcast[1:]} on the kept axes "
                f"{self.axis} (1 = any), received shape {tuple(shape)}")

    def get_config(self):
        axis = None if not self.axis else (
            self.axis[0] if len(self.axis) == 1 else list(self.axis))
        return {**super().get_config(), "axis": axis, "mean": self.input_mean,
                "variance": self.input_variance, "invert": self.invert}


# ------------------------------------------------------------------------ CategoryEncoding
_MODES = ("multi_hot", "one_hot", "count")


@register_layer
class CategoryEncoding(Layer):
    """Integer tokens in [0, num_tokens) -> a dense vector of length ``num_tokens``:

    - ``"one_hot"``: each token becomes its one-hot vector ((batch,) or (batch, 1) ->
      (batch, num_tokens));
    - ``"multi_hot"``: one vector per sample (the last axis), 1 where a token occurs;
    - ``"count"``: one vector per sample, how often each token occurs (each occurrence
      weighted by ``count_weights`` when given).

    Args:
        num_tokens: the number of tokens (every input must be in [0, num_tokens)).
        output_mode: ``"multi_hot"`` (default), ``"one_hot"`` or ``"count"``.
        sparse: accepted for Keras compatibility; must be False.

    Call arguments: ``layer(inputs, count_weights=None)`` (``count`` mode only: weights of
    the inputs' shape).

    Example:
        >>> import numpy as np
        >>> CategoryEncoding(4, output_mode="multi_hot")(np.array([[0, 1], [3, 3]])).numpy()
        array([[1., 1., 0., 0.],
               [0., 0., 0., 1.]], dtype=float32)
        >>> CategoryEncoding(3, output_mode="one_hot")(np.array([2, 0])).numpy()
        array([[0., 0., 1.],
               [1., 0., 0.]], dtype=float32)
    """

    cast_inputs = False

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, (int, xp.integer)) or (
                num_tokens <= 0):
            raise GlassnetValueError(
                f"Layer '{self.name}' (CategoryEncoding): num_tokens must be a positive "
                f"integer, got {num_tokens!r}")
        if output_mode not in _MODES:
            raise GlassnetValueError(
                f"Layer '{self.name}' (CategoryEncoding): output_mode must be one of "
                f"{', '.join(map(repr, _MODES))}, got {output_mode!r}")
        if sparse:
            raise GlassnetValueError(
                f"Layer '{self.name}' (CategoryEncoding): sparse=True is not supported "
                f"(outputs are dense)")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False

    def _tokens(self, inputs):
        data = xp.asarray(getattr(inputs, "data", inputs))
        if data.dtype.kind == "f" and data.size and (data == xp.round(data)).all():
            data = data.astype(xp.int64)
        if data.dtype.kind not in "iu" and data.size:
            raise GlassnetTypeError(
                f"Layer '{self.name}' (CategoryEncoding): expected integer tokens, got dtype "
                f"{data.dtype}")
        data = data.astype(xp.int64)
        if data.size and (data.min() < 0 or data.max() >= self.num_tokens):
            raise GlassnetValueError(
                f"Layer '{self.name}' (CategoryEncoding): every input must be in the range "
                f"0 <= value < num_tokens={self.num_tokens}; got values from {data.min()} to "
                f"{data.max()}")
        return data

    def _shape(self, shape):
        shape = tuple(shape)
        if self.output_mode == "one_hot" and (not shape or shape[-1] != 1):
            shape = shape + (1,)
        if not shape:
            shape = (1,)
        if len(shape) > 2:
            raise ShapeError(
                f"Layer '{self.name}' (CategoryEncoding): inputs of rank at most 2 are "
                f"supported ({self.output_mode} output of rank <= 2), got shape {shape}")
        return shape

    def call(self, inputs, count_weights=None):
        tokens = self._tokens(inputs)
        tokens = tokens.reshape(self._shape(tokens.shape))
        rows = tokens.reshape(-1, tokens.shape[-1])
        out = xp.zeros((rows.shape[0], self.num_tokens), dtype=self.dtype)
        which = xp.repeat(xp.arange(rows.shape[0]), rows.shape[1])
        if self.output_mode == "count":
            if count_weights is None:
                weights = xp.ones(rows.size, dtype=self.dtype)
            else:
                weights = xp.asarray(getattr(count_weights, "data", count_weights),
                                     dtype=self.dtype)
                if weights.size != rows.size:
                    raise ShapeError(
                        f"Layer '{self.name}' (CategoryEncoding): count_weights must have the "
                        f"inputs' shape {tuple(tokens.shape)}, got {weights.shape}")
                weights = weights.ravel()
            xp.add.at(out, (which, rows.ravel()), weights)
        else:
            if count_weights is not None:
                raise GlassnetValueError(
                    f"Layer '{self.name}' (CategoryEncoding): count_weights is only used with "
                    f"output_mode='count', not {self.output_mode!r}")
            out[which, rows.ravel()] = 1.0
        return Tensor(out.reshape(tokens.shape[:-1] + (self.num_tokens,)))

    def compute_output_shape(self, input_shape):
        shape = self._shape(input_shape)
        return shape[:-1] + (self.num_tokens,)

    def _check_input(self, inputs):
        """Any integer shape of rank <= 2 is accepted (checked in call)."""

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": self.sparse}
