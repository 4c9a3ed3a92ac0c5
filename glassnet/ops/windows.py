"""Window geometry shared by convolution and pooling: argument checks, padding, layouts.

Layout. Images are ``channels_last`` (NHWC, Keras's default) or ``channels_first`` (NCHW);
kernels are always ``(kh, kw, in_channels, filters)`` like Keras. Internally everything runs
in NHWC.

Padding follows Keras (TensorFlow) rules: ``'valid'`` adds none; ``'same'`` makes
``out = ceil(in / stride)`` and pads ``total = max((out - 1) * stride + (k - 1) * d + 1 - in, 0)``
with ``total // 2`` before and the rest after (so the extra pixel goes after, at the bottom/
right, for even kernels); ``'causal'`` (1-D only) pads ``(k - 1) * d`` on the left.

Example:
    >>> from glassnet.ops.windows import geometry
    >>> geometry((28, 28), (5, 5), (1, 1), (1, 1), "same")
    ((2, 2), (2, 2), (28, 28))
"""

from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import GlassnetValueError, ShapeError

_FORMATS = ("channels_last", "channels_first")


# ------------------------------------------------------------------------ argument helpers
def normalize_tuple(value, n, name):
    """An int or a sequence of n ints -> a tuple of n positive ints (Keras's convention)."""
    if isinstance(value, (int, xp.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(int(v) for v in value)
        except TypeError:
            raise GlassnetValueError(
                f"{name}: expected an int or a tuple of {n} ints, got {value!r}"
            ) from None
    if len(values) != n or any(v <= 0 for v in values):
        raise GlassnetValueError(
            f"{name}: expected an int or a tuple of {n} positive ints, got {value!r}"
        )
    return values


def normalize_data_format(data_format):
    """None -> ``config.image_data_format`` ('channels_last' unless set); otherwise checked."""
    if data_format is None:
        return config.image_data_format
    fmt = str(data_format).lower()
    if fmt not in _FORMATS:
        raise GlassnetValueError(
            f"data_format: expected 'channels_last' or 'channels_first', got {data_format!r}"
        )
    return fmt


def normalize_padding(padding, allow_causal=False):
    """'valid' / 'same' (/ 'causal'), case-insensitive, or explicit per-axis (before, after)."""
    if isinstance(padding, str):
        mode = padding.lower()
        valid = ("valid", "same", "causal") if allow_causal else ("valid", "same")
        if mode not in valid:
            raise GlassnetValueError(
                f"padding: expected one of {', '.join(repr(v) for v in valid)}, got {padding!r}"
            )
        return mode
    return padding


def pad_and_out(size, k, stride, dilation, padding, axis):
    """(pad_before, pad_after, out_size) along one spatial axis, Keras/TensorFlow rules."""
    effective = (k - 1) * dilation + 1
    if padding == "valid":
        before = after = 0
    elif padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + effective - size, 0)
        before, after = total // 2, total - total // 2
    elif padding == "causal":
        before, after = effective - 1, 0
    else:
        before, after = padding[axis] if isinstance(padding[axis], (tuple, list)) else (
            padding[axis], padding[axis])
    out = (size + before + after - effective) // stride + 1
    if out <= 0:
        raise ShapeError(
            f"the window (size {k}, dilation {dilation}, effective size {effective}) does not "
            f"fit in a spatial size of {size} with padding {padding!r}; the output would be "
            f"empty"
        )
    return before, after, out


def geometry(hw, kernel, strides, dilation, padding):
    ph = pad_and_out(hw[0], kernel[0], strides[0], dilation[0], padding, 0)
    pw = pad_and_out(hw[1], kernel[1], strides[1], dilation[1], padding, 1)
    return (ph[0], ph[1]), (pw[0], pw[1]), (ph[2], pw[2])


def to_nhwc(x, data_format):
    return x.transpose(0, 2, 3, 1) if data_format == "channels_first" else x


def from_nhwc(y, data_format):
    return y.transpose(0, 3, 1, 2) if data_format == "channels_first" else y


def pad_nhwc(x, pad_h, pad_w, value=0.0):
    if not any(pad_h) and not any(pad_w):
        return x
    n, h, w, c = x.shape
    out = xp.full((n, h + sum(pad_h), w + sum(pad_w), c), value, dtype=x.dtype)
    out[:, pad_h[0] : pad_h[0] + h, pad_w[0] : pad_w[0] + w] = x
    return out


def window_view(xpad, kernel, strides, dilation, out_hw):
    """A strided view (N, OH, OW, kh, kw, C) of the padded input: no copy."""
    sn, sh, sw, sc = xpad.strides
    shape = (xpad.shape[0], out_hw[0], out_hw[1], kernel[0], kernel[1], xpad.shape[3])
    view_strides = (sn, sh * strides[0], sw * strides[1], sh * dilation[0], sw * dilation[1], sc)
    return xp.lib.stride_tricks.as_strided(xpad, shape, view_strides, writeable=False)


def position_slices(a, b, strides, dilation, out_hw):
    """Index of the padded input read by kernel position (a, b) for every output pixel."""
    top, left = a * dilation[0], b * dilation[1]
    return (slice(None), slice(top, top + strides[0] * (out_hw[0] - 1) + 1, strides[0]),
            slice(left, left + strides[1] * (out_hw[1] - 1) + 1, strides[1]))


def unpad(g, pad_h, pad_w):
    h, w = g.shape[1] - sum(pad_h), g.shape[2] - sum(pad_w)
    return g[:, pad_h[0] : pad_h[0] + h, pad_w[0] : pad_w[0] + w]


def check_image(x, name, data_format):
    if x.ndim != 4:
        layout = "(batch, height, width, channels)" if data_format == "channels_last" else (
            "(batch, channels, height, width)")
        raise ShapeError(f"{name}: expected a 4-D input {layout}, got shape {x.shape}")
