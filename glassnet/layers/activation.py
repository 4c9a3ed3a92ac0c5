"""Activation layers (Keras 3): LeakyReLU, ReLU, PReLU, ELU, Softmax.

Each is a layer form of an activation function with its parameters as constructor arguments
(PReLU's slope is a trainable weight). All are composed from existing ops, so they need no
backward of their own and take second derivatives.
"""

from glassnet import initializers, regularizers
from glassnet.backend import xp
from glassnet.errors import GlassnetValueError
from glassnet.hyperparameters import check_number, layer_owner
from glassnet.layers.base import Layer
from glassnet.layers.serialization import register_layer, serialize_initializer
from glassnet.ops.math import exp, where
from glassnet.ops.nn import elu, leaky_relu, relu, softmax
from glassnet.ops.reduce import max as reduce_max
from glassnet.ops.reduce import sum as reduce_sum


def _number(value, what, layer, allow_negative=False, allow_none=False, finite=True):
    """A float argument checked (and named) for ``layer``: never NaN, infinite only if not
    ``finite``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, xp.number)):
        raise GlassnetValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}): {what} must be a number, got "
            f"{value!r}")
    check_number(layer_owner(layer), what, value, finite=finite)
    if not allow_negative and value < 0:
        raise GlassnetValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}): {what} cannot be negative, got "
            f"{value!r}")
    return float(value)


class _Elementwise(Layer):
    """An activation layer: output shape = input shape, the mask passes through."""

    supports_masking = True

    def compute_output_shape(self, input_shape):
        return input_shape


# ------------------------------------------------------------------------ LeakyReLU
@register_layer
class LeakyReLU(_Elementwise):
    """Leaky rectifier: f(x) = x for x >= 0, negative_slope * x for x < 0.

    Args:
        negative_slope: the slope below zero (Keras 3 default 0.3). The Keras 2 name
            ``alpha`` is accepted too.

    Example:
        >>> import numpy as np
        >>> LeakyReLU()(np.array([-1.0, 2.0])).numpy()
        array([-0.3,  2. ], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _number(negative_slope, "negative_slope", self)

    def call(self, inputs):
        return leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


# ------------------------------------------------------------------------ ReLU
@register_layer
class ReLU(_Elementwise):
    """Rectified linear unit with a ceiling, a threshold and a leak (Keras's ReLU layer):

    f(x) = max_value                        for x >= max_value,
    f(x) = x                                for threshold <= x < max_value,
    f(x) = negative_slope * (x - threshold) otherwise.

    Args:
        max_value: the ceiling (None: no ceiling); not negative.
        negative_slope: slope below the threshold; not negative (default 0.0).
        threshold: where the function starts to pass x through; not negative (default 0.0).

    Example:
        >>> import numpy as np
        >>> ReLU(max_value=6.0)(np.array([-1.0, 3.0, 8.0])).numpy()
        array([0., 3., 6.], dtype=float32)
        >>> ReLU(negative_slope=0.5, threshold=1.0)(np.array([-1.0, 0.5, 2.0])).numpy()
        array([-1.  , -0.25,  2.  ], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _number(max_value, "max_value", self, allow_none=True,
                                 finite=False)
        self.negative_slope = _number(negative_slope, "negative_slope", self)
        self.threshold = _number(threshold, "threshold", self)

    def call(self, inputs):
        plain = self.max_value is None and self.negative_slope == 0 and self.threshold == 0
        if plain:
            return relu(inputs)
        x = inputs
        below = x.data < self.threshold
        if self.negative_slope:
            low = (x - self.threshold) * self.negative_slope
        else:
            low = x * 0.0 + 0.0  # (+0.0, not -0.0, below the threshold)
        y = where(below, low, x)
        if self.max_value is not None:
            y = where(x.data >= self.max_value, x * 0.0 + self.max_value, y)
        return y

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


# ------------------------------------------------------------------------ PReLU
@register_layer
class PReLU(_Elementwise):
    """Parametric ReLU: f(x) = x for x >= 0, alpha * x for x < 0, with a learned alpha.

    ``alpha`` has the shape of one sample (``input_shape[1:]``), with size 1 on the
    ``shared_axes`` (so that, e.g., ``shared_axes=[1, 2]`` learns one slope per channel of
    an image).

    Args:
        alpha_initializer: default ``"Zeros"`` (Keras).
        alpha_regularizer: optional regularizer of alpha.
        alpha_constraint: optional constraint of alpha.
        shared_axes: int or list of the (1-based, batch excluded) axes along which alpha
            is shared.

    Example:
        >>> import numpy as np
        >>> layer = PReLU(alpha_initializer="ones", shared_axes=[1])
        >>> layer(np.array([[[-2.0, 3.0]]])).numpy()
        array([[[-2.,  3.]]], dtype=float32)
        >>> layer.get_weights()[0].shape
        (1, 2)
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self._init_config = alpha_initializer
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = alpha_constraint
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, int) else list(shared_axes)
            if any(isinstance(a, bool) or not isinstance(a, (int, xp.integer)) or a < 1
                   for a in axes):
                raise GlassnetValueError(
                    f"Layer '{self.name}' (PReLU): shared_axes must be axes >= 1 (the batch "
                    f"axis 0 is always excluded), got {shared_axes!r}")
            self.shared_axes = [int(a) for a in axes]
        self.alpha = None

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis > len(shape):
                raise GlassnetValueError(
                    f"Layer '{self.name}' (PReLU): shared axis {axis} is outside an input "
                    f"of shape {tuple(input_shape)}")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise GlassnetValueError(
                f"Layer '{self.name}' (PReLU): alpha needs known sizes on the axes it is not "
                f"shared over; input shape {tuple(input_shape)} (use shared_axes)")
        self.alpha = self.add_weight("alpha", tuple(shape), self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)

    def call(self, inputs):
        return relu(inputs) - self.alpha * relu(-inputs)

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": serialize_initializer(self._init_config),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "shared_axes": self.shared_axes}


# ------------------------------------------------------------------------ ELU
@register_layer
class ELU(_Elementwise):
    """Exponential linear unit: f(x) = x for x > 0, alpha * (exp(x) - 1) for x <= 0.

    Args:
        alpha: the scale of the negative part (default 1.0).

    Example:
        >>> import numpy as np
        >>> ELU(alpha=2.0)(np.array([0.0, 1.0])).numpy()
        array([0., 1.], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number(alpha, "alpha", self, allow_negative=True)

    def call(self, inputs):
        return elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


# ------------------------------------------------------------------------ Softmax
_LARGE_NEGATIVE = -1e9  # what Keras adds to masked logits (float32)


@register_layer
class Softmax(_Elementwise):
    """Softmax layer: y_i = exp(x_i) / sum_j exp(x_j) over ``axis``.

    With a ``mask`` (True = keep), masked positions get probability 0 and the others
    share probability 1 (Keras adds -1e9 to the masked logits, then multiplies the
    result by the mask). A mask of lower rank than the input is broadcast over the
    input's trailing axes.

    Args:
        axis: int or tuple of ints: the axis (axes) the probabilities sum to 1 over.

    Call arguments: ``layer(inputs, mask=None)``.

    Example:
        >>> import numpy as np
        >>> layer = Softmax()
        >>> layer(np.array([[1.0, 1.0, 5.0]]), mask=np.array([[True, True, False]])).numpy()
        array([[0.5, 0.5, 0. ]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = tuple(int(a) for a in axis)
        elif isinstance(axis, (int, xp.integer)) and not isinstance(axis, bool):
            self.axis = int(axis)
        else:
            raise GlassnetValueError(
                f"Layer '{self.name}' (Softmax): axis must be an int or a tuple of ints, got "
                f"{axis!r}")

    def _mask_array(self, mask, inputs):
        keep = xp.asarray(getattr(mask, "data", mask)).astype(bool)
        if keep.ndim < inputs.ndim:
            keep = keep.reshape(keep.shape + (1,) * (inputs.ndim - keep.ndim))
        try:
            return xp.broadcast_to(keep, inputs.shape)
        except ValueError:
            raise GlassnetValueError(
                f"Layer '{self.name}' (Softmax): mask of shape {keep.shape} does not fit "
                f"inputs of shape {inputs.shape}") from None

    def call(self, inputs, mask=None):
        keep = None
        if mask is not None:
            keep = self._mask_array(mask, inputs)
            adder = ((1.0 - keep) * _LARGE_NEGATIVE).astype(inputs.dtype)
            inputs = inputs + adder
        if isinstance(self.axis, int):
            outputs = softmax(inputs, axis=self.axis)
        else:
            shifted = inputs - reduce_max(inputs, axis=self.axis, keepdims=True).detach()
            e = exp(shifted)
            outputs = e / reduce_sum(e, axis=self.axis, keepdims=True)
        if keep is not None:
            outputs = outputs * keep.astype(outputs.dtype)
        return outputs

    def get_config(self):
        axis = list(self.axis) if isinstance(self.axis, tuple) else self.axis
        return {**super().get_config(), "axis": axis}
