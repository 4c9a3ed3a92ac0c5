"""Transposed and depthwise convolutions: Conv2DTranspose, Conv1DTranspose, DepthwiseConv2D,
SeparableConv2D (Keras 3 names, arguments and weight layout).

A transposed convolution is the input-gradient of a convolution. Every input pixel (n, i, j)
scatters its channels, through the kernel, onto an output window:

    y_full[n, i*s_h + a*d_h, j*s_w + b*d_w, o] += sum_c x[n, i, j, c] * kernel[a, b, o, c]

and ``y`` is ``y_full`` cropped by Keras's padding rules (plus ``bias``). Here that is one GEMM
(``x @ kernel^T``, one row of window values per input pixel) followed by
:class:`~glassnet.ops.conv.Col2ImFunction` (whose backward is im2col), so it is built from
existing differentiable ops. Kernels are (kh, kw, filters, in_channels) as in Keras 3
(Conv1DTranspose: (k, filters, in_channels)). Output length per spatial axis (Keras):

    valid: (in - 1) * s + max(k_eff, s)            same: in * s
    with output_padding p: (in - 1) * s + k_eff - 2 * pad + p, pad = 0 (valid) or k_eff // 2

(k_eff = (k - 1) * d + 1).

Depthwise convolution convolves each input channel with its own ``depth_multiplier`` filters:

    z[n, i, j, c * M + m] = bias[c * M + m]
        + sum_{a, b} x_pad[n, i*s_h + a*d_h, j*s_w + b*d_w, c] * depthwise_kernel[a, b, c, m]

built from :class:`~glassnet.ops.conv.Im2ColFunction` and one batched matmul per channel.
SeparableConv2D is a depthwise convolution followed by a 1x1 (pointwise) convolution.
"""

from glassnet import activations, initializers, regularizers
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers.base import Layer
from glassnet.layers.conv import positive_int
from glassnet.layers.input_spec import InputSpec
from glassnet.layers.serialization import (
    dense_like_config,
    register_layer,
    serialize_initializer,
    set_dense_like_weights,
)
from glassnet.ops.conv import Col2ImFunction, Im2ColFunction, conv2d
from glassnet.ops.windows import (
    geometry,
    normalize_data_format,
    normalize_tuple,
)
from glassnet.tensor import as_tensor


# ------------------------------------------------------------------------ geometry
def transpose_crop(size, k, stride, dilation, padding, output_padding=None):
    """(crop_before, crop_after, out_size) of a transposed convolution along one axis.

    The uncropped output has ``(size - 1) * stride + k_eff`` entries; Keras's rule crops
    ``crop_before`` at the start and keeps ``out_size`` entries (a negative ``crop_after``
    means trailing zeros no window reaches).
    """
    k_eff = (k - 1) * dilation + 1
    if padding == "valid":
        left = k_eff - 1
        extra = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        pad_len = 2 * (k_eff - 1) + extra
    else:
        pad_len = (stride + k_eff - 2 if output_padding is None
                   else k_eff + k_eff % 2 - 2 + output_padding)
        left = min(pad_len // 2 + pad_len % 2, k_eff - 1)
    out = (size - 1) * stride + pad_len - k_eff + 2
    before = k_eff - 1 - left
    full = (size - 1) * stride + k_eff
    return before, full - before - out, out


def conv2d_transpose(x, kernel, bias=None, strides=(1, 1), padding="valid",
                     output_padding=None, dilation_rate=(1, 1), data_format=None):
    """2-D transposed convolution (Keras's Conv2DTranspose maths); kernel (kh, kw, out, in).

    Args:
        x: (N, H, W, C) (channels_last) or (N, C, H, W).
        kernel: (kh, kw, filters, C).
        bias: optional (filters,).
        strides, dilation_rate: pairs. padding: 'valid' or 'same'.
        output_padding: None or a pair of ints (each < its stride).
        data_format: 'channels_last' (None) or 'channels_first'.

    Returns:
        (N, OH, OW, filters) (or channels first), lengths as in the module docstring.

    Example:
        >>> import numpy as np
        >>> conv2d_transpose(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), strides=(2, 2)).shape
        (1, 6, 6, 1)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    first = normalize_data_format(data_format) == "channels_first"
    if first:
        x = x.transpose(0, 2, 3, 1)
    n, h, w, cin = x.shape
    kh, kw, filters, kin = kernel.shape
    if kin != cin:
        raise ShapeError(f"conv2d_transpose: the input has {cin} channels but the kernel "
                         f"{kernel.shape} expects {kin}")
    ops = output_padding or (None, None)
    crops = [transpose_crop(size, k, s, d, padding, p) for size, k, s, d, p in
             zip((h, w), (kh, kw), strides, dilation_rate, ops, strict=True)]
    out_shape = (n, crops[0][2], crops[1][2], filters)
    # Col2Im pads: the cropped part is padding of the output image; trailing zeros need none
    pads = tuple((before, max(after, 0)) for before, after, _ in crops)
    cols = x.reshape(n * h * w, cin) @ kernel.reshape(kh * kw * filters, cin).T
    y = Col2ImFunction((kh, kw), tuple(strides), tuple(dilation_rate), pads, (h, w),
                       out_shape)(cols)
    if bias is not None:
        y = y + bias
    return y.transpose(0, 3, 1, 2) if first else y


class _ConvTranspose(Layer):
    """Shared code of Conv1DTranspose and Conv2DTranspose (``rank`` spatial axes)."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_int(filters, "filters", self.name)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = normalize_tuple(strides, self.rank, "strides")
        self.padding = _padding(self, padding)
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        if output_padding is not None:
            output_padding = tuple(int(p) for p in (
                (output_padding,) * self.rank if isinstance(output_padding, int)
                else output_padding))
            if len(output_padding) != self.rank or any(
                    p < 0 or p >= s for p, s in zip(output_padding, self.strides, strict=True)):
                raise GlassnetValueError(
                    f"Layer '{self.name}' ({type(self).__name__}): output_padding must be "
                    f"{self.rank} non-negative ints each smaller than its stride "
                    f"{self.strides}, got {output_padding!r}")
        self.output_padding = output_padding
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        set_dense_like_weights(self, kernel_initializer, bias_initializer, kernel_regularizer,
                               bias_regularizer, kernel_constraint, bias_constraint)
        self.kernel = self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        channels = _channels(self, input_shape)
        self.kernel = self.add_weight(
            "kernel", self.kernel_size + (self.filters, channels), self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})

    def call(self, inputs):
        if self.rank == 2:
            z = conv2d_transpose(inputs, self.kernel, self.bias, self.strides, self.padding,
                                 self.output_padding, self.dilation_rate, self.data_format)
        else:
            axis = 1 if self.data_format == "channels_last" else 2
            z = conv2d_transpose(
                inputs.unsqueeze(axis), self.kernel.unsqueeze(0), self.bias,
                (1,) + self.strides, self.padding,
                None if self.output_padding is None else (0,) + self.output_padding,
                (1,) + self.dilation_rate, self.data_format).squeeze(axis)
        if self.record:
            self._record_z(z)
        return z if self.activation is activations.linear else self.activation(z)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        spatial = range(1, self.rank + 1) if self.data_format == "channels_last" else range(
            2, self.rank + 2)
        ops = self.output_padding or (None,) * self.rank
        for i, axis in enumerate(spatial):
            if shape[axis] is not None:
                shape[axis] = transpose_crop(shape[axis], self.kernel_size[i], self.strides[i],
                                             self.dilation_rate[i], self.padding, ops[i])[2]
        shape[self._channel_axis] = self.filters
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "output_padding": None if self.output_padding is None else list(
                self.output_padding),
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            **dense_like_config(self),
        }


def _padding(layer, padding):
    mode = padding.lower() if isinstance(padding, str) else None
    if mode not in ("valid", "same"):
        raise GlassnetValueError(f"Layer '{layer.name}' ({type(layer).__name__}): padding "
                                 f"must be 'valid' or 'same', got {padding!r}")
    return mode


def _channels(layer, input_shape):
    if len(input_shape) != layer.rank + 2:
        raise ShapeError(
            f"Layer '{layer.name}' ({type(layer).__name__}): expected an input of rank "
            f"{layer.rank + 2} (batch, {'spatial, ' * layer.rank}channels) for "
            f"{layer.data_format}, received an input of shape {tuple(input_shape)}")
    channels = input_shape[layer._channel_axis]
    if channels is None:
        raise ShapeError(f"Layer '{layer.name}' ({type(layer).__name__}): the channel axis of "
                         f"the input must be known, received shape {tuple(input_shape)}")
    return channels


@register_layer
class Conv2DTranspose(_ConvTranspose):
    """2-D transposed convolution ("deconvolution"): a = f(z), z = conv2d^T(x, kernel) + bias.

    y_full[n, i*s_h + a*d_h, j*s_w + b*d_w, o] += sum_c x[n, i, j, c] * kernel[a, b, o, c],
    cropped by Keras's padding rule (module docstring).

    Args:
        filters: number of output channels.
        kernel_size: int or (kh, kw).
        strides: int or pair, default (1, 1).
        padding: 'valid' (default) or 'same' (output = input * stride).
        output_padding: None (default) or int/pair, each smaller than its stride: the extra
            rows/columns added at the end of the output.
        data_format: None/'channels_last' or 'channels_first'.
        dilation_rate: int or pair, default (1, 1).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer: as for Conv2D.
        **kwargs: base Layer arguments.

    Example:
        >>> import numpy as np
        >>> layer = Conv2DTranspose(4, 3, strides=2, padding="same")
        >>> layer(np.zeros((1, 5, 5, 2))).shape
        (1, 10, 10, 4)
        >>> [w.shape for w in layer.get_weights()]
        [(3, 3, 4, 2), (4,)]
    """

    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, **kwargs)


@register_layer
class Conv1DTranspose(_ConvTranspose):
    """1-D transposed convolution over (batch, steps, channels): kernel (k, filters, in).

    Same arguments as :class:`Conv2DTranspose` with single ints.

    Example:
        >>> import numpy as np
        >>> Conv1DTranspose(8, 3, strides=2)(np.zeros((2, 10, 4))).shape
        (2, 21, 8)
    """

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, **kwargs)


# ------------------------------------------------------------------------ depthwise
def depthwise_conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid",
                     dilation_rate=(1, 1), data_format=None):
    """Depthwise 2-D convolution; kernel (kh, kw, C, M) -> C * M output channels (c-major).

    Example:
        >>> import numpy as np
        >>> depthwise_conv2d(np.ones((1, 4, 4, 3)), np.ones((3, 3, 3, 2))).shape
        (1, 2, 2, 6)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    first = normalize_data_format(data_format) == "channels_first"
    if first:
        x = x.transpose(0, 2, 3, 1)
    n, h, w, c = x.shape
    kh, kw, kc, m = kernel.shape
    if kc != c:
        raise ShapeError(f"depthwise_conv2d: the input has {c} channels but the kernel "
                         f"{kernel.shape} expects {kc}")
    pad_h, pad_w, (oh, ow) = geometry((h, w), (kh, kw), tuple(strides), tuple(dilation_rate),
                                      padding)
    cols = Im2ColFunction((kh, kw), tuple(strides), tuple(dilation_rate), (pad_h, pad_w),
                          (oh, ow))(x)                               # (P, kh*kw*C)
    per_channel = cols.reshape(-1, kh * kw, c).transpose(2, 0, 1)     # (C, P, kh*kw)
    z = per_channel @ kernel.reshape(kh * kw, c, m).transpose(1, 0, 2)  # (C, P, M)
    z = z.transpose(1, 0, 2).reshape(n, oh, ow, c * m)
    if bias is not None:
        z = z + bias
    return z.transpose(0, 3, 1, 2) if first else z


class _DepthwiseBase(Layer):
    """Arguments and the depthwise kernel shared by DepthwiseConv2D and SeparableConv2D."""

    rank = 2

    def _setup(self, kernel_size, strides, padding, depth_multiplier, data_format,
               dilation_rate, activation, use_bias, depthwise_initializer,
               depthwise_regularizer, depthwise_constraint):
        self.kernel_size = normalize_tuple(kernel_size, 2, "kernel_size")
        self.strides = normalize_tuple(strides, 2, "strides")
        self.padding = _padding(self, padding)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier", self.name)
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, 2, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise GlassnetValueError(
                f"Layer '{self.name}' ({type(self).__name__}): strides > 1 together with "
                f"dilation_rate > 1 is not supported (as in Keras), got strides="
                f"{self.strides}, dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._depthwise_init = depthwise_initializer
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = depthwise_constraint
        self.input_spec = InputSpec(ndim=4)

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _depthwise_weight(self, name, channels):
        return self.add_weight(
            name, self.kernel_size + (channels, self.depth_multiplier),
            self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)

    def _finish(self, z):
        if self.record:
            self._record_z(z)
        return z if self.activation is activations.linear else self.activation(z)

    def _base_config(self):
        return {
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "depth_multiplier": self.depth_multiplier,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": serialize_initializer(self._depthwise_init),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }


@register_layer
class DepthwiseConv2D(_DepthwiseBase):
    """Depthwise 2-D convolution: each input channel gets its own ``depth_multiplier`` filters.

    z[n, i, j, c*M + m] = bias[c*M + m]
        + sum_{a, b} x_pad[n, i*s_h + a*d_h, j*s_w + b*d_w, c] * kernel[a, b, c, m]

    Weights (Keras 3 order): ``kernel`` (kh, kw, in_channels, depth_multiplier), ``bias``
    (in_channels * depth_multiplier,).

    Args:
        kernel_size: int or (kh, kw).
        strides: default (1, 1). padding: 'valid' (default) or 'same'.
        depth_multiplier: filters per input channel, default 1.
        data_format, dilation_rate, activation, use_bias: as for Conv2D.
        depthwise_initializer: default 'glorot_uniform'. bias_initializer: default 'zeros'.
        depthwise_regularizer, bias_regularizer, activity_regularizer: optional.
        **kwargs: base Layer arguments.

    Example:
        >>> import numpy as np
        >>> layer = DepthwiseConv2D(3, depth_multiplier=2)
        >>> layer(np.zeros((1, 8, 8, 4))).shape
        (1, 6, 6, 8)
        >>> [w.shape for w in layer.get_weights()]
        [(3, 3, 4, 2), (8,)]
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup(kernel_size, strides, padding, depth_multiplier, data_format,
                    dilation_rate, activation, use_bias, depthwise_initializer,
                    depthwise_regularizer, depthwise_constraint)
        self._bias_init = bias_initializer
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = bias_constraint
        self.kernel = self.bias = None

    def build(self, input_shape):
        channels = _channels(self, input_shape)
        self.kernel = self._depthwise_weight("kernel", channels)
        if self.use_bias:
            self.bias = self.add_weight(
                "bias", (channels * self.depth_multiplier,), self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis: channels})

    def call(self, inputs):
        return self._finish(depthwise_conv2d(inputs, self.kernel, self.bias, self.strides,
                                             self.padding, self.dilation_rate,
                                             self.data_format))

    def get_config(self):
        return {**super().get_config(), **self._base_config(),
                "bias_initializer": serialize_initializer(self._bias_init),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer)}


@register_layer
class SeparableConv2D(_DepthwiseBase):
    """Depthwise separable 2-D convolution: a depthwise convolution, then a 1x1 convolution.

    u = depthwise_conv2d(x, depthwise_kernel)   (strides, padding, dilation apply here)
    z[n, i, j, o] = bias[o] + sum_k u[n, i, j, k] * pointwise_kernel[0, 0, k, o]

    Weights (Keras 3 order): ``depthwise_kernel`` (kh, kw, in, depth_multiplier),
    ``pointwise_kernel`` (1, 1, in * depth_multiplier, filters), ``bias`` (filters,).

    Args:
        filters: output channels.
        kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
            activation, use_bias: as for DepthwiseConv2D.
        depthwise_initializer, pointwise_initializer: default 'glorot_uniform';
            bias_initializer: default 'zeros'.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: optional.
        **kwargs: base Layer arguments.

    Example:
        >>> import numpy as np
        >>> layer = SeparableConv2D(16, 3, padding="same")
        >>> layer(np.zeros((1, 8, 8, 4))).shape
        (1, 8, 8, 16)
        >>> [w.shape for w in layer.get_weights()]
        [(3, 3, 4, 1), (1, 1, 4, 16), (16,)]
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1), depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_int(filters, "filters", self.name)
        self._setup(kernel_size, strides, padding, depth_multiplier, data_format,
                    dilation_rate, activation, use_bias, depthwise_initializer,
                    depthwise_regularizer, depthwise_constraint)
        self._pointwise_init, self._bias_init = pointwise_initializer, bias_initializer
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.pointwise_constraint, self.bias_constraint = pointwise_constraint, bias_constraint
        self.depthwise_kernel = self.pointwise_kernel = self.bias = None

    def build(self, input_shape):
        channels = _channels(self, input_shape)
        self.depthwise_kernel = self._depthwise_weight("depthwise_kernel", channels)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1, 1, channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=4, axes={self._channel_axis: channels})

    def call(self, inputs):
        u = depthwise_conv2d(inputs, self.depthwise_kernel, None, self.strides, self.padding,
                             self.dilation_rate, self.data_format)
        return self._finish(conv2d(u, self.pointwise_kernel, self.bias,
                                   data_format=self.data_format))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, **self._base_config(),
                "pointwise_initializer": serialize_initializer(self._pointwise_init),
                "bias_initializer": serialize_initializer(self._bias_init),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer)}


Convolution2DTranspose = Conv2DTranspose
Convolution1DTranspose = Conv1DTranspose
SeparableConvolution2D = SeparableConv2D
