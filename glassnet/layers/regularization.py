"""Noise and regularization layers (Keras 3): SpatialDropout1D/2D/3D, GaussianNoise,
GaussianDropout, ActivityRegularization.

The noise layers act in training only (``training=True``, as ``fit`` calls them) and are
the identity at inference. Their random numbers come from glassnet's global generator
(``gn.manual_seed``) or, with ``seed=``, from a generator private to the layer, so runs
repeat exactly.
"""

from glassnet import regularizers
from glassnet.backend import xp
from glassnet.config import get_rng, shard_draw
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.hyperparameters import check_number, layer_owner
from glassnet.layers.base import Layer
from glassnet.layers.core import Dropout
from glassnet.layers.serialization import register_layer
from glassnet.ops.windows import normalize_data_format


def _noise_dtype(inputs, layer):
    return inputs.dtype if inputs.dtype.kind == "f" else layer.dtype


class _Noise(Layer):
    """Shared: a seed (private generator) or the global one; the mask passes through."""

    supports_masking = True

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._rng = xp.random.default_rng(seed) if seed is not None else None

    def _generator(self):
        return self._rng if self._rng is not None else get_rng()

    def compute_output_shape(self, input_shape):
        return input_shape


# ------------------------------------------------------------------------ SpatialDropout
class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one keep/drop draw per (sample, channel)."""

    rank = 1

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = normalize_data_format(data_format)

    def call(self, inputs, training=False):
        if inputs.ndim != self.rank + 2:
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}): expected an input of rank "
                f"{self.rank + 2}, received shape {inputs.shape}")
        ones = (1,) * self.rank
        if self.data_format == "channels_last":
            self.noise_shape = (None,) + ones + (None,)
        else:
            self.noise_shape = (None, None) + ones
        return super().call(inputs, training=training)

    def get_config(self):
        config_ = super().get_config()
        config_.pop("noise_shape")
        return {**config_, "data_format": self.data_format}


@register_layer
class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels of a sequence: in training each (sample, channel) of a
    (batch, steps, channels) input is zeroed with probability ``rate`` at every step, the
    rest scaled by 1 / (1 - rate).

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        seed: optional seed of a private generator.

    Example:
        >>> import numpy as np
        >>> y = SpatialDropout1D(0.5, seed=0)(np.ones((2, 3, 4)), training=True).numpy()
        >>> bool((y == y[:, :1, :]).all())  # the same channels are dropped at every step
        True
    """

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self):
        config_ = super().get_config()
        config_.pop("data_format")
        return config_


@register_layer
class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps of images: one draw per (sample, channel).

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: optional seed of a private generator.

    Example:
        >>> import numpy as np
        >>> y = SpatialDropout2D(0.5, seed=1)(np.ones((2, 3, 3, 4)), training=True).numpy()
        >>> bool((y == y[:, :1, :1, :]).all())
        True
    """

    rank = 2


@register_layer
class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole 3-D feature maps: one draw per (sample, channel).

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: optional seed of a private generator.

    Example:
        >>> import numpy as np
        >>> SpatialDropout3D(0.5)(np.ones((1, 2, 2, 2, 3))).shape
        (1, 2, 2, 2, 3)
    """

    rank = 3


# ------------------------------------------------------------------------ GaussianNoise
@register_layer
class GaussianNoise(_Noise):
    """Additive zero-centred Gaussian noise in training: y = x + n, n ~ N(0, stddev^2).

    Args:
        stddev: standard deviation of the noise (>= 0).
        seed: optional seed of a private generator.

    Example:
        >>> import numpy as np
        >>> layer = GaussianNoise(0.1, seed=0)
        >>> float(layer(np.ones((2, 3))).numpy().sum())  # inference: identity
        6.0
        >>> bool((layer(np.ones((2, 3)), training=True).numpy() != 1).all())
        True
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = float(check_number(layer_owner(self), "stddev", stddev, low=0))

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        dtype = _noise_dtype(inputs, self)
        noise = shard_draw(lambda s: self._generator().normal(0.0, self.stddev, size=s),
                           inputs.shape).astype(dtype)
        return inputs + noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


# ------------------------------------------------------------------------ GaussianDropout
@register_layer
class GaussianDropout(_Noise):
    """Multiplicative Gaussian noise in training: y = x * n, n ~ N(1, rate / (1 - rate)),
    so that E[y] = x (the variance of the equivalent dropout with rate ``rate``).

    Args:
        rate: the drop probability whose variance the noise matches, in [0, 1).
        seed: optional seed of a private generator.

    Example:
        >>> import numpy as np
        >>> layer = GaussianDropout(0.2, seed=0)
        >>> layer(np.ones((2, 3)), training=True).shape
        (2, 3)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise GlassnetValueError(
                f"Layer '{self.name}' (GaussianDropout): rate must be a number in [0, 1), got "
                f"{rate!r}")
        self.rate = float(rate)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        dtype = _noise_dtype(inputs, self)
        stddev = (self.rate / (1.0 - self.rate)) ** 0.5
        noise = shard_draw(lambda s: self._generator().normal(1.0, stddev, size=s),
                           inputs.shape).astype(dtype)
        return inputs * noise

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


# ------------------------------------------------------------------------ ActivityRegularization
@register_layer
class ActivityRegularization(Layer):
    """The identity, plus a loss on its output: l1 * sum(|y|) + l2 * sum(y^2), added to
    :attr:`losses` at each call (and so to the training loss).

    Args:
        l1: the L1 factor (default 0).
        l2: the L2 factor (default 0).

    Example:
        >>> import numpy as np
        >>> layer = ActivityRegularization(l1=0.5, l2=1.0)
        >>> layer(np.array([[1.0, -2.0]])).numpy()
        array([[ 1., -2.]], dtype=float32)
        >>> float(layer.losses[0].item())
        6.5
    """

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        for what, value in (("l1", l1), ("l2", l2)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise GlassnetValueError(
                    f"ActivityRegularization: {what} must be a number >= 0, got {value!r}")
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config_ = super().get_config()
        config_.pop("activity_regularizer", None)
        return {**config_, "l1": self.l1, "l2": self.l2}
