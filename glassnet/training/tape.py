"""GradientTape: TensorFlow's way of asking for gradients, on glassnet's define-by-run graph.

glassnet records every operation on Tensors that require grad, tape or no tape, so the tape
records nothing itself: ``tape.gradient(target, sources)`` is :func:`glassnet.grad` (the
gradients are returned, no ``.grad`` attribute changes). It exists so that a custom
``train_step`` or training loop written for tf.keras runs unchanged.

Example:
    >>> import glassnet as gn
    >>> w = gn.tensor(3.0, requires_grad=True)
    >>> with GradientTape() as tape:
    ...     loss = w * w
    >>> tape.gradient(loss, w).item()
    6.0
"""

from glassnet.config import no_grad
from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.tensor import Tensor, grad


class GradientTape:
    """Context manager whose ``gradient(target, sources)`` differentiates ``target``.

    Args:
        persistent: allow several ``gradient`` calls (TensorFlow allows one otherwise; so does
            this tape, to keep code portable).
        watch_accessed_variables: accepted for TensorFlow compatibility (every Tensor that
            requires grad is always recorded).
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._used = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def watch(self, tensor):
        """Make a leaf Tensor (or a list of them) require grad, so later ops are recorded."""
        for item in tensor if isinstance(tensor, (list, tuple)) else [tensor]:
            if not isinstance(item, Tensor):
                raise GlassnetTypeError(
                    f"GradientTape.watch: expected a Tensor, received {type(item).__name__}"
                )
            item.requires_grad_(True)

    def stop_recording(self):
        """A context in which operations are not recorded (``gn.no_grad()``)."""
        return no_grad()

    def gradient(self, target, sources):
        """d(target)/d(source) for each source: a Tensor for a Tensor, else a list.

        Args:
            target: a Tensor with one element (a loss).
            sources: a Tensor or a list/tuple of Tensors (weights); None where ``target``
                does not depend on a source, as in TensorFlow.
        """
        if self._used and not self.persistent:
            raise GlassnetValueError(
                "GradientTape.gradient: a non-persistent tape computes one set of gradients; "
                "create it with GradientTape(persistent=True) to call gradient() again"
            )
        self._used = True
        if isinstance(sources, Tensor):
            return grad(target, [sources])[0]
        return grad(target, list(sources))
