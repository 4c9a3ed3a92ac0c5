"""``keras.backend``: the few helpers scripts call (``clear_session``)."""

from glassnet.layers.base import clear_session

__all__ = ["clear_session"]
