"""AdamW: Adam with decoupled weight decay."""

from glassnet.errors import GlassnetValueError
from glassnet.optimizers.adam import Adam
from glassnet.optimizers.base import register


@register
class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019): decoupled weight decay, then the Adam step::

        w = w - lr * weight_decay * w
        (then Adam's update, see :class:`Adam`)

    Keras 3's default ``weight_decay`` is 0.004; PyTorch's ``AdamW`` uses 0.01 (and Adam's
    PyTorch epsilon placement). The decay is always decoupled here.

    Args:
        learning_rate: default 0.001.
        weight_decay: float >= 0 (required, default 0.004).
        beta_1, beta_2, epsilon, amsgrad: as in :class:`Adam`.
        **kwargs: base-class options.

    Example:
        >>> import glassnet as gn
        >>> from glassnet.optimizers import AdamW
        >>> w = gn.tensor([1.0], dtype=gn.float64, requires_grad=True)
        >>> opt = AdamW(learning_rate=0.1, weight_decay=0.5)
        >>> _ = opt.apply_gradients([(gn.tensor([0.0], dtype=gn.float64), w)])
        >>> w.item()  # 1 - 0.1 * 0.5 * 1, and a zero Adam step
        0.95
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, weight_decay_mode="decoupled", **kwargs):
        if weight_decay is None or weight_decay_mode != "decoupled":
            raise GlassnetValueError(
                "AdamW: `weight_decay` must be a float and `weight_decay_mode` 'decoupled', "
                f"received weight_decay={weight_decay!r}, "
                f"weight_decay_mode={weight_decay_mode!r}"
            )
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
