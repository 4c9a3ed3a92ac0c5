"""Convolution layers: Conv2D and Conv1D (Keras names, arguments and weight layout).

The maths lives in :mod:`glassnet.ops.conv` (im2col + one GEMM). Kernels have Keras's shape
(kh, kw, in_channels, filters) (Conv1D: (k, in_channels, filters)), so ``get_weights`` and
``set_weights`` exchange arrays with Keras models directly. Parameter count:
kh * kw * in * filters + filters (e.g. Conv2D(32, (3, 3)) on 3 channels: 896).
"""

from glassnet import activations
from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers.base import Layer
from glassnet.layers.core import FUSED_ACTIVATIONS
from glassnet.layers.input_spec import InputSpec
from glassnet.layers.serialization import (
    dense_like_config,
    register_layer,
    set_dense_like_weights,
)
from glassnet.ops.conv import conv1d, conv2d
from glassnet.ops.windows import normalize_data_format, normalize_padding, normalize_tuple


# ------------------------------------------------------------------------ shared helpers
def positive_int(value, what, layer_name):
    if isinstance(value, bool) or not isinstance(value, (int, xp.integer)) or value <= 0:
        raise GlassnetValueError(
            f"Layer '{layer_name}': {what} must be a positive integer, got {value!r}"
        )
    return int(value)


class _Conv(Layer):
    """Shared code of Conv1D and Conv2D (``rank`` spatial axes)."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_int(filters, "filters", self.name)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = normalize_tuple(strides, self.rank, "strides")
        self.padding = normalize_padding(padding, allow_causal=self.rank == 1)
        if not isinstance(self.padding, str):
            raise GlassnetValueError(f"Layer '{self.name}': padding must be 'valid' or 'same'"
                                     f"{' or causal' if self.rank == 1 else ''}, got {padding!r}")
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise GlassnetValueError(
                f"Layer '{self.name}': strides > 1 together with dilation_rate > 1 is not "
                f"supported (as in Keras), got strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}"
            )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        set_dense_like_weights(self, kernel_initializer, bias_initializer, kernel_regularizer,
                               bias_regularizer, kernel_constraint, bias_constraint)
        self.kernel = self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _rank_error(self, shape):
        """The ShapeError for an input of the wrong rank, naming the shape received."""
        hint = ""
        if len(shape) == self.rank + 1:  # e.g. MNIST images (n, 28, 28): no channels axis
            hint = (" (no channels axis? add one: "
                    f"{'x[..., None]' if self.data_format == 'channels_last' else 'x[:, None]'})")
        spatial = ["spatial"] * self.rank
        axes = (["batch", *spatial, "channels"] if self.data_format == "channels_last"
                else ["batch", "channels", *spatial])
        return ShapeError(
            f"Layer '{self.name}' ({type(self).__name__}): expected an input of rank "
            f"{self.rank + 2} ({', '.join(axes)}) for {self.data_format}, received an input "
            f"of rank {len(shape)} with shape {tuple(shape)}{hint}"
        )

    def __call__(self, inputs, *args, **kwargs):
        shape = getattr(inputs, "shape", None)  # the received shape, batch size included
        if shape is not None and not self.built and len(shape) != self.rank + 2:
            raise self._rank_error(tuple(shape))
        return super().__call__(inputs, *args, **kwargs)

    def build(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise self._rank_error(tuple(input_shape))
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ShapeError(f"Layer '{self.name}': the channel axis of the input must be "
                             f"known, received shape {tuple(input_shape)}")
        self.kernel = self.add_weight(
            "kernel", self.kernel_size + (channels, self.filters), self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def _convolve(self, inputs, activation=None):
        raise NotImplementedError

    def call(self, inputs):
        if self.activation in FUSED_ACTIVATIONS and not self.record:  # bias + f: one op
            return self._convolve(inputs, FUSED_ACTIVATIONS[self.activation])
        z = self._convolve(inputs)
        if self.record:
            self._record_z(z)
        return z if self.activation is activations.linear else self.activation(z)

    def get_config(self):
        config = {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            **dense_like_config(self),
        }
        return config


@register_layer
class Conv2D(_Conv):
    """2-D convolution layer: a = f(z), z = conv2d(x, kernel) + bias.

    z[n, i, j, o] = bias[o] + sum_{a, b, c} x_pad[n, i*s_h + a*d_h, j*s_w + b*d_w, c]
    * kernel[a, b, c, o]   (cross-correlation, like Keras).

    Args:
        filters: number of output channels.
        kernel_size: int or (kh, kw).
        strides: int or pair, default (1, 1).
        padding: 'valid' (default) or 'same' (Keras/TensorFlow padding rules).
        data_format: None/'channels_last' (N, H, W, C) or 'channels_first' (N, C, H, W).
        dilation_rate: int or pair, default (1, 1).
        activation: name or callable, default None (linear).
        use_bias: default True.
        kernel_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional.
        **kwargs: base Layer arguments (name, input_shape, dtype...).

    Example:
        >>> import numpy as np
        >>> layer = Conv2D(32, (3, 3), activation="relu")
        >>> layer(np.zeros((1, 32, 32, 3))).shape
        (1, 30, 30, 32)
        >>> layer.count_params()
        896
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         **kwargs)

    def _convolve(self, inputs, activation=None):
        return conv2d(inputs, self.kernel, self.bias, self.strides, self.padding,
                      self.dilation_rate, self.data_format, activation)


@register_layer
class Conv1D(_Conv):
    """1-D convolution over (batch, steps, channels): kernel (k, in, filters).

    Same arguments as :class:`Conv2D` with single ints; ``padding`` also accepts 'causal'
    (pad (k - 1) * dilation steps on the left, so output t sees only inputs up to t).

    Example:
        >>> import numpy as np
        >>> Conv1D(8, 3, padding="causal")(np.zeros((2, 10, 4))).shape
        (2, 10, 8)
    """

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         **kwargs)

    def _convolve(self, inputs, activation=None):
        return conv1d(inputs, self.kernel, self.bias, self.strides[0], self.padding,
                      self.dilation_rate[0], self.data_format, activation)


Convolution2D = Conv2D
Convolution1D = Conv1D
