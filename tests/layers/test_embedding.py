"""Tests for the Embedding layer."""

import numpy as np
import pytest

from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.layers.embedding import Embedding


def test_embedding_lookup_and_parameters():
    layer = Embedding(5, 3)
    y = layer(np.array([[4, 0, 2]]))
    table = layer.get_weights()[0]
    assert y.shape == (1, 3, 3) and y.dtype == np.float32
    np.testing.assert_array_equal(y.data[0], table[[4, 0, 2]])
    assert layer.count_params() == 15
    assert np.abs(table).max() <= 0.05  # Keras 'uniform' initializer: U(-0.05, 0.05)


def test_embedding_gradient_is_a_scatter_add():
    layer = Embedding(4, 2)
    layer(np.array([[1, 1, 2]])).sum().backward()
    grad = layer.embeddings.grad.data
    np.testing.assert_array_equal(grad, [[0, 0], [2, 2], [1, 1], [0, 0]])


def test_embedding_mask_and_float_indices():
    layer = Embedding(10, 4, mask_zero=True)
    tokens = np.array([[3, 5, 0, 0]])
    np.testing.assert_array_equal(layer.compute_mask(tokens), [[True, True, False, False]])
    assert Embedding(10, 4).compute_mask(tokens) is None
    np.testing.assert_array_equal(layer(tokens.astype(np.float32)).data, layer(tokens).data)


def test_embedding_errors_and_config():
    layer = Embedding(4, 2, name="emb")
    with pytest.raises(GlassnetValueError, match="emb.*index 7.*input_dim=4"):
        layer(np.array([1, 7]))
    with pytest.raises(GlassnetTypeError, match="integer"):
        layer(np.array([0.5]))
    with pytest.raises(GlassnetValueError, match="output_dim"):
        Embedding(4, 0)
    clone = Embedding.from_config(Embedding(7, 3, mask_zero=True).get_config())
    assert clone.mask_zero and clone.input_dim == 7 and clone.output_dim == 3
