"""Embedding: integer indices -> dense vectors (Keras's Embedding).

y[..., :] = embeddings[i] for each index i. The backward is a scatter-add: the gradient row of
an index that occurs k times in the batch is the sum of its k output gradients.
"""

from glassnet import initializers, regularizers
from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.layers.base import Layer
from glassnet.layers.conv import positive_int
from glassnet.layers.serialization import register_layer, serialize_initializer
from glassnet.ops.embedding import EmbeddingLookupFunction
from glassnet.tensor import Tensor


def embedding_lookup(table, indices, name="embedding"):
    """Rows of ``table`` (V, d) for integer ``indices`` of any shape: result (*indices.shape, d).

    Raises GlassnetValueError for an index outside [0, V).

    Example:
        >>> import numpy as np
        >>> embedding_lookup(np.eye(3, dtype=np.float32), np.array([[2, 0]])).shape
        (1, 2, 3)
    """
    idx = indices.data if isinstance(indices, Tensor) else xp.asarray(indices)
    if idx.dtype.kind not in "iu":
        if idx.dtype.kind == "f" and idx.size and xp.all(idx == xp.round(idx)):
            idx = idx.astype(xp.int64)
        elif idx.size:
            raise GlassnetTypeError(
                f"Layer '{name}': expected integer indices, got dtype {idx.dtype}"
            )
        else:
            idx = idx.astype(xp.int64)
    vocabulary = table.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= vocabulary):
        bad = idx[(idx < 0) | (idx >= vocabulary)].ravel()[0]
        raise GlassnetValueError(
            f"Layer '{name}': index {int(bad)} is out of range for input_dim={vocabulary} "
            f"(valid indices are 0..{vocabulary - 1})"
        )
    return EmbeddingLookupFunction(idx)(table)


@register_layer
class Embedding(Layer):
    """Turns positive integer indices into dense vectors of fixed size.

    Args:
        input_dim: vocabulary size (largest index + 1).
        output_dim: size of each vector.
        embeddings_initializer: default 'uniform' (U(-0.05, 0.05), Keras).
        embeddings_regularizer: optional.
        mask_zero: index 0 is padding: :meth:`compute_mask` returns ``inputs != 0`` (then
            input_dim must leave room for it, as in Keras).
        input_length: accepted for compatibility with older Keras code (ignored).

    Example:
        >>> import numpy as np
        >>> layer = Embedding(1000, 64)
        >>> layer(np.array([[1, 2, 3]])).shape
        (1, 3, 64)
        >>> layer.count_params()
        64000
    """

    cast_inputs = False

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 input_length=None, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = positive_int(input_dim, "input_dim", self.name)
        self.output_dim = positive_int(output_dim, "output_dim", self.name)
        self._init_config = embeddings_initializer
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = bool(mask_zero)
        self.input_length = input_length
        self.embeddings = None

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            "embeddings", (self.input_dim, self.output_dim),
            initializers.get(self._init_config), regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint)

    def call(self, inputs):
        return embedding_lookup(self.embeddings, inputs, self.name)

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` when mask_zero, else None."""
        if not self.mask_zero:
            return None
        data = inputs.data if isinstance(inputs, Tensor) else xp.asarray(inputs)
        return data != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def _check_input(self, inputs):
        """Any shape of indices is accepted (the table does not depend on it)."""

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": serialize_initializer(self._init_config),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "mask_zero": self.mask_zero}
