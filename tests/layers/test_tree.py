"""Tests for the recursive (tree) network."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.layers.tree import RecursiveNetwork, TreeBatch
from tests.conftest import assert_gradcheck, f64


def naive_tree(tree, emb, w, b):
    """Straight recursion from the definition: leaf E[t]; parent tanh([l; r] W + b)."""
    if isinstance(tree, int):
        return emb[tree]
    left, right = (naive_tree(t, emb, w, b) for t in tree)
    return np.tanh(np.concatenate([left, right]) @ w + b)


TREES = [((1, 2), 3), 4, (0, (1, (2, (3, 4)))), ((0, 1), (2, 3))]


def test_tree_batch_levels():
    batch = TreeBatch([((1, 2), 3), 4])
    assert batch.leaf_tokens.tolist() == [1, 2, 3, 4]
    assert [(a.tolist(), b.tolist()) for a, b in batch.levels] == [([0], [1]), ([4], [2])]
    assert batch.roots.tolist() == [5, 3] and batch.size == 6 and len(batch) == 2


def test_recursive_network_matches_recursion(rng):
    layer = RecursiveNetwork(5, 3, dtype="float64")
    roots = layer(TREES)
    emb, w, b = layer.get_weights()
    assert (emb.shape, w.shape, b.shape) == ((5, 3), (6, 3), (3,))
    expected = np.stack([naive_tree(t, emb, w, b) for t in TREES])
    np.testing.assert_allclose(roots.data, expected, rtol=1e-12)
    layer.set_weights([rng.normal(size=(5, 3)), rng.normal(size=(6, 3)), rng.normal(size=3)])
    emb, w, b = layer.get_weights()
    expected = np.stack([naive_tree(t, emb, w, b) for t in TREES])
    np.testing.assert_allclose(layer(TREES).data, expected, rtol=1e-12)
    roots, nodes = RecursiveNetwork(5, 3, return_all_nodes=True)(TREES)
    assert nodes.shape == (4 + 1 + 5 + 4 + 2 + 3 + 3, 3)  # leaves + internal nodes per tree


def test_recursive_network_gradcheck(rng):
    layer = RecursiveNetwork(5, 2, dtype="float64")
    layer(TREES)

    def fn(emb, kernel, bias):
        layer.embeddings, layer.kernel, layer.bias = emb, kernel, bias
        return layer(TREES)

    assert_gradcheck(fn, f64(rng, 5, 2), f64(rng, 4, 2), f64(rng, 2))


def test_recursive_network_learns_a_structure_dependent_task():
    # label = 1 when the left-most leaf of the tree is token 1: only reachable through the
    # composition path, so the loss can fall only if gradients flow through the structure
    rng = np.random.default_rng(0)

    def random_tree(depth):
        if depth == 0 or rng.random() < 0.3:
            return int(rng.integers(0, 3))
        return (random_tree(depth - 1), random_tree(depth - 1))

    def leftmost(tree):
        return tree if isinstance(tree, int) else leftmost(tree[0])

    trees = [random_tree(3) for _ in range(64)]
    labels = np.array([leftmost(t) == 1 for t in trees], dtype=np.float32)
    layer = RecursiveNetwork(3, 8)
    v = gn.tensor(np.zeros(8, np.float32), requires_grad=True)
    batch = TreeBatch(trees)

    def loss_value():
        logits = layer(batch) @ v
        p = 1 / (1 + gn.exp(-logits))
        return -(gn.tensor(labels) * gn.log(p + 1e-7)
                 + (1 - gn.tensor(labels)) * gn.log(1 - p + 1e-7)).mean()

    first = loss_value().item()
    params = layer.trainable_weights + [v]
    for _ in range(150):
        for p in params:
            p.grad = None
        loss = loss_value()
        loss.backward()
        for p in params:
            p.data -= 0.5 * p.grad.data
    assert loss_value().item() < 0.5 * first


def test_tree_errors_and_config():
    with pytest.raises(GlassnetValueError, match="pair"):
        TreeBatch([(1, 2, 3)])
    with pytest.raises(GlassnetTypeError, match="list of trees"):
        TreeBatch(5)
    with pytest.raises(GlassnetValueError, match="out of range"):
        RecursiveNetwork(3, 2)([(1, 7)])
    clone = RecursiveNetwork.from_config(RecursiveNetwork(7, 4).get_config())
    assert clone.vocab_size == 7 and clone.units == 4
