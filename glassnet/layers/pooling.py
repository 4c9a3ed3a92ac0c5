"""Pooling layers (Keras names): MaxPooling2D/1D, AveragePooling2D/1D and global pooling.

The maths lives in :mod:`glassnet.ops.pooling`. Pooling has no weights; ``strides`` default to
``pool_size`` (non-overlapping windows), and 'same' padding follows Keras/TensorFlow (average
pooling does not count padded cells).
"""

from glassnet.backend import xp
from glassnet.errors import ShapeError
from glassnet.layers.base import Layer
from glassnet.layers.input_spec import InputSpec
from glassnet.layers.serialization import register_layer
from glassnet.ops.math import where
from glassnet.ops.pooling import (
    avg_pool1d,
    avg_pool2d,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool1d,
    max_pool2d,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)
from glassnet.tensor import Tensor


class _Pooling(Layer):
    rank = 2
    _fn = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(
            strides, self.rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        if self.rank == 1:
            return type(self)._fn(inputs, self.pool_size[0], self.strides[0], self.padding,
                                  self.data_format)
        return type(self)._fn(inputs, self.pool_size, self.strides, self.padding,
                              self.data_format)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding,
                "data_format": self.data_format}


@register_layer
class MaxPooling2D(_Pooling):
    """Max pooling: y[n, i, j, c] = max of x over the window at (i*s_h, j*s_w).

    The gradient goes to the position of each window's maximum.

    Args:
        pool_size: int or pair, default (2, 2).
        strides: int, pair or None (= pool_size).
        padding: 'valid' (default) or 'same'.
        data_format: None/'channels_last' or 'channels_first'.

    Example:
        >>> import numpy as np
        >>> MaxPooling2D((2, 2))(np.zeros((1, 28, 28, 6))).shape
        (1, 14, 14, 6)
    """

    _fn = staticmethod(max_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_layer
class AveragePooling2D(_Pooling):
    """Average pooling: y = mean of x over each window (padded cells not counted).

    Example:
        >>> import numpy as np
        >>> AveragePooling2D()(np.ones((1, 4, 4, 1))).shape
        (1, 2, 2, 1)
    """

    _fn = staticmethod(avg_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


@register_layer
class MaxPooling1D(_Pooling):
    """Max pooling over the steps of (batch, steps, channels); pool_size default 2.

    Example:
        >>> import numpy as np
        >>> MaxPooling1D()(np.zeros((2, 10, 3))).shape
        (2, 5, 3)
    """

    rank = 1
    _fn = staticmethod(max_pool1d)


@register_layer
class AveragePooling1D(_Pooling):
    """Average pooling over the steps of (batch, steps, channels); pool_size default 2."""

    rank = 1
    _fn = staticmethod(avg_pool1d)


class _GlobalPooling(Layer):
    rank = 2
    _fn = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        return type(self)._fn(inputs, self.data_format, self.keepdims)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


@register_layer
class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: (N, H, W, C) -> (N, C) (keepdims: (N, 1, 1, C)).

    Example:
        >>> import numpy as np
        >>> GlobalAveragePooling2D()(np.ones((2, 5, 5, 8))).shape
        (2, 8)
    """

    _fn = staticmethod(global_avg_pool2d)


@register_layer
class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over height and width: (N, H, W, C) -> (N, C)."""

    _fn = staticmethod(global_max_pool2d)


class _GlobalPooling1D(_GlobalPooling):
    """Global pooling over the steps that honours a Keras mask (N, steps) of kept steps."""

    rank = 1

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        mask = xp.asarray(mask.data if isinstance(mask, Tensor) else mask).astype(bool)
        steps_axis = 1 if self.data_format == "channels_last" else 2
        if mask.shape != (inputs.shape[0], inputs.shape[steps_axis]):
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}): expected a mask of shape "
                f"(batch, steps) = {(inputs.shape[0], inputs.shape[steps_axis])}, received "
                f"{mask.shape}")
        mask = xp.expand_dims(mask, 3 - steps_axis)
        return self._masked(inputs, mask, steps_axis)


@register_layer
class GlobalAveragePooling1D(_GlobalPooling1D):
    """Mean over the steps: (N, steps, C) -> (N, C) (keepdims: (N, 1, C)).

    With a mask m (N, steps) (e.g. from ``Embedding(mask_zero=True)``), only kept steps
    count, as in Keras: y[n, c] = sum_t m[n, t] x[n, t, c] / sum_t m[n, t].

    Example:
        >>> import numpy as np
        >>> x = np.array([[[1.0], [3.0], [8.0]]])
        >>> GlobalAveragePooling1D()(x, mask=np.array([[True, True, False]])).numpy()
        array([[2.]], dtype=float32)
    """

    _fn = staticmethod(global_avg_pool2d)

    def _masked(self, inputs, mask, steps_axis):
        weights = mask.astype(inputs.dtype)
        total = (inputs * weights).sum(axis=steps_axis, keepdims=self.keepdims)
        return total / weights.sum(axis=steps_axis, keepdims=self.keepdims)


@register_layer
class GlobalMaxPooling1D(_GlobalPooling1D):
    """Maximum over the steps: (N, steps, C) -> (N, C) (keepdims: (N, 1, C)).

    With a mask m (N, steps), masked steps are left out: y[n, c] = max over t with
    m[n, t] of x[n, t, c] (a sample with every step masked gives the dtype's lowest value).

    Example:
        >>> import numpy as np
        >>> x = np.array([[[1.0], [3.0], [8.0]]])
        >>> GlobalMaxPooling1D()(x, mask=np.array([[True, True, False]])).numpy()
        array([[3.]], dtype=float32)
    """

    _fn = staticmethod(global_max_pool2d)

    def _masked(self, inputs, mask, steps_axis):
        lowest = xp.finfo(inputs.dtype).min
        kept = where(xp.broadcast_to(mask, inputs.shape), inputs, lowest)
        return kept.max(axis=steps_axis, keepdims=self.keepdims)


MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D
MaxPool1D, AvgPool1D = MaxPooling1D, AveragePooling1D
GlobalAvgPool2D, GlobalMaxPool2D = GlobalAveragePooling2D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalMaxPool1D = GlobalAveragePooling1D, GlobalMaxPooling1D
