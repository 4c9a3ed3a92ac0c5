"""SyncBatchNormalization: batch normalization whose statistics span every rank's shard.

Under data parallelism (:mod:`glassnet.distribution`) plain
:class:`~glassnet.layers.normalization.BatchNormalization` normalizes each rank's shard with its
own statistics (per-rank statistics); ``SyncBatchNormalization`` (also
``BatchNormalization(synchronized=True)``, as in Keras 3) all-reduces them, so N ranks compute
exactly what one process computes on the whole global batch. The op and its formulas are in
:mod:`glassnet.ops.sync_normalization`.
"""

from glassnet.layers.normalization import BatchNormalization
from glassnet.layers.serialization import register_layer
from glassnet.ops.sync_normalization import sync_batch_norm


def synchronized_call(layer, inputs, training=False):
    """A BatchNormalization layer's call with synchronized statistics (the hook that
    ``BatchNormalization(synchronized=True)`` uses)."""
    return sync_batch_norm(inputs, layer.gamma, layer.beta, layer.moving_mean,
                           layer.moving_variance, training=bool(training) and layer.trainable,
                           momentum=layer.momentum, epsilon=layer.epsilon, axis=layer.axis)


@register_layer
class SyncBatchNormalization(BatchNormalization):
    """BatchNormalization whose training statistics span every rank (synchronized).

    The same layer as :class:`~glassnet.layers.normalization.BatchNormalization` (arguments,
    weights, inference), except that in training the batch mean and variance, and the matching
    backward sums, are all-reduced over the ranks of data-parallel training, so N ranks with
    global batch B compute what one process computes with batch B. In one process it equals
    BatchNormalization. Costs three small all-reduces (2C + 1, C and 2C values for C
    channels) per training step and layer.

    Args:
        synchronized: True (the point of this layer); False makes it a plain
            BatchNormalization (per-rank statistics).
        **kwargs: BatchNormalization's arguments (axis, momentum, epsilon, ...).

    Example:
        >>> import numpy as np
        >>> bn = SyncBatchNormalization()
        >>> y = bn(np.random.rand(8, 3), training=True)   # one process: plain batch norm
        >>> [w.shape for w in bn.get_weights()]
        [(3,), (3,), (3,), (3,)]
    """

    def __init__(self, *args, synchronized=True, **kwargs):
        # BatchNormalization keeps the flag, calls synchronized_call and saves it in its config
        super().__init__(*args, synchronized=synchronized, **kwargs)
