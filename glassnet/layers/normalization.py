"""Normalization layers: BatchNormalization and LayerNormalization (Keras 3 semantics).

The maths lives in :mod:`glassnet.ops.normalization` (fused forward/backward).
"""

from glassnet import initializers, regularizers
from glassnet.errors import ShapeError
from glassnet.hyperparameters import check_axis, check_number, layer_owner
from glassnet.layers.base import Layer
from glassnet.layers.input_spec import InputSpec
from glassnet.layers.serialization import register_layer, serialize_initializer
from glassnet.ops.normalization import batch_norm, layer_norm


def _axis_list(axis):
    return list(axis) if isinstance(axis, (list, tuple)) else [int(axis)]


def _check_epsilon(layer, epsilon):
    """epsilon > 0: var + epsilon is divided by, and a variance can be 0."""
    return check_number(layer_owner(layer), "epsilon", epsilon, low=0, low_open=True)


def _add_gamma_beta(layer, shape, gamma_init, beta_init):
    """The learned scale gamma (if ``layer.scale``) and offset beta (if ``layer.center``)."""
    if layer.scale:
        layer.gamma = layer.add_weight("gamma", shape, gamma_init,
                                       regularizer=layer.gamma_regularizer,
                                       constraint=layer.gamma_constraint)
    if layer.center:
        layer.beta = layer.add_weight("beta", shape, beta_init,
                                      regularizer=layer.beta_regularizer,
                                      constraint=layer.beta_constraint)


@register_layer
class BatchNormalization(Layer):
    """Batch normalization (Ioffe & Szegedy), Keras's BatchNormalization.

    Training (``training=True`` and the layer trainable): normalize with the statistics of the
    batch over every axis but ``axis``,
    ``y = gamma * (x - mean_B) / sqrt(var_B + epsilon) + beta``, and update
    ``moving_mean = momentum * moving_mean + (1 - momentum) * mean_B`` (same for the variance,
    Keras uses the biased batch variance). Inference: the moving statistics replace the batch
    ones. Weights in Keras's order: gamma, beta (trainable), moving_mean, moving_variance
    (non-trainable).

    Args:
        axis: the feature axis (-1; 1 for channels_first images).
        momentum: 0.99. epsilon: 1e-3.
        center: learn beta. scale: learn gamma.
        beta_initializer 'zeros', gamma_initializer 'ones', moving_mean_initializer 'zeros',
        moving_variance_initializer 'ones'; beta_regularizer, gamma_regularizer.

    Example:
        >>> import numpy as np
        >>> bn = BatchNormalization()
        >>> y = bn(np.random.rand(8, 3), training=True)
        >>> [w.shape for w in bn.get_weights()]
        [(3,), (3,), (3,), (3,)]
    """

    supports_masking = True  # the output keeps the input's timestep mask

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        where = layer_owner(self)
        self.axis = int(check_axis(where, "axis", axis))
        # moving = momentum * moving + (1 - momentum) * batch: outside [0, 1] it diverges
        check_number(where, "momentum", momentum, low=0, high=1)
        self.momentum, self.epsilon = float(momentum), float(_check_epsilon(self, epsilon))
        self.center, self.scale = bool(center), bool(scale)
        self._init_config = (beta_initializer, gamma_initializer, moving_mean_initializer,
                             moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        # Statistics over every rank of a data-parallel run (glassnet.layers.sync_normalization)
        self.synchronized = bool(synchronized)

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim or input_shape[self.axis] is None:
            raise ShapeError(
                f"Layer '{self.name}': axis {self.axis} is not a known axis of the input "
                f"shape {tuple(input_shape)}"
            )
        axis = self.axis % ndim
        shape = (input_shape[axis],)
        beta_init, gamma_init, mean_init, var_init = (initializers.get(i)
                                                      for i in self._init_config)
        _add_gamma_beta(self, shape, gamma_init, beta_init)
        self.moving_mean = self.add_weight("moving_mean", shape, mean_init, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape, var_init,
                                               trainable=False)
        self.input_spec = InputSpec(ndim=ndim, axes={axis: shape[0]})

    def call(self, inputs, training=False):
        if self.synchronized:  # statistics over every rank (glassnet.layers.sync_normalization)
            from glassnet.layers.sync_normalization import synchronized_call
            return synchronized_call(self, inputs, training=training)
        return batch_norm(inputs, self.gamma, self.beta, self.moving_mean,
                          self.moving_variance, training=bool(training) and self.trainable,
                          momentum=self.momentum, epsilon=self.epsilon, axis=self.axis)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        names = ("beta_initializer", "gamma_initializer", "moving_mean_initializer",
                 "moving_variance_initializer")
        inits = {n: serialize_initializer(i)
                 for n, i in zip(names, self._init_config, strict=True)}
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale, **inits,
                "synchronized": self.synchronized,
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer)}


@register_layer
class LayerNormalization(Layer):
    """Layer normalization: each sample normalized over ``axis`` (Keras LayerNormalization).

    y = gamma * (x - mean_axis(x)) / sqrt(var_axis(x) + epsilon) + beta, with gamma and beta of
    the shape of the normalized axes (weights in Keras's order: gamma, beta).

    Args:
        axis: int or list of ints (-1). epsilon: 1e-3. center, scale: True.
        beta_initializer 'zeros', gamma_initializer 'ones', regularizers optional.

    Example:
        >>> import numpy as np
        >>> LayerNormalization()(np.random.rand(2, 5)).shape
        (2, 5)
    """

    supports_masking = True  # the output keeps the input's timestep mask

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 rms_scaling=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axis_list(check_axis(layer_owner(self), "axis", axis, allow_list=True))
        self.epsilon = float(_check_epsilon(self, epsilon))
        self.center, self.scale = bool(center), bool(scale)
        self._init_config = (beta_initializer, gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.gamma = self.beta = None

    def build(self, input_shape):
        ndim = len(input_shape)
        for a in self.axis:
            if not -ndim <= a < ndim or input_shape[a] is None:
                raise ShapeError(f"Layer '{self.name}': axis {a} is not a known axis of the "
                                 f"input shape {tuple(input_shape)}")
        axes = sorted(a % ndim for a in self.axis)
        shape = tuple(input_shape[a] for a in axes)
        beta_init, gamma_init = (initializers.get(i) for i in self._init_config)
        _add_gamma_beta(self, shape, gamma_init, beta_init)
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in axes})

    def call(self, inputs):
        return layer_norm(inputs, self.gamma, self.beta, tuple(self.axis), self.epsilon)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": serialize_initializer(self._init_config[0]),
                "gamma_initializer": serialize_initializer(self._init_config[1]),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer)}
