"""Recursive (tree) neural network, seed 004 section 4.3: vectors composed up a tree.

Part 1 reproduces the seed's JavaScript RecNN: leaves get a random number from an embedding
table, a parent is the mean of its children, and the root's value represents the tree (root A
with children B and C that share the leaf D, so every node equals D's embedding).

Part 2 trains a real recursive network end to end (Socher-style composition)::

    leaf h = E[word],   parent p = tanh([c_left; c_right] @ W + b),   score = v . h_root

on a generated sentiment-like task whose label depends on the tree structure: words carry a
sentiment (good/great/fun/nice +1, bad/awful/dull/poor -1, movie/plot/the/a 0); a subtree's
sentiment is the sum of its parts, except that ``(not, X)`` has the opposite sentiment of X.
The label is whether the whole tree is positive. A bag-of-words model cannot solve it (the same
words with "not" elsewhere flip the label), so the network has to learn negation by
composition. Nodes of equal height in a batch are composed in one GEMM (``TreeBatch``).

``--quick`` uses 1,000 / 300 trees and 8 epochs (seconds; above the majority baseline).

Run:  python examples/tree_network.py [--quick] [--epochs N] [--out DIR]
Writes into ``--out`` (default ``examples/output/tree_network``): ``results.json`` and, when
matplotlib is installed, ``learning_curves.png`` (training loss per epoch) and
``confusion_matrix.png`` (negative / positive on the test trees).
"""

import argparse
import json
import os
import time

import numpy as np

import glassnet as gn
from glassnet import functional as F
from glassnet.config import get_rng
from glassnet.layers import Dense
from glassnet.layers.tree import RecursiveNetwork, TreeBatch
from glassnet.optimizers import Adam

WORDS = ["not", "good", "great", "fun", "nice", "bad", "awful", "dull", "poor", "movie",
         "plot", "the", "a"]
SENTIMENT = {"good": 1, "great": 1, "fun": 1, "nice": 1, "bad": -1, "awful": -1, "dull": -1,
             "poor": -1}
NOT = 0


# ------------------------------------------------------------------------ part 1: the seed
class Node:
    """The seed's tree node: a value and a list of children."""

    def __init__(self, value):
        self.value, self.children = value, []


def seed_recnn():
    """The seed's RecNN: random leaf embeddings, parent = mean of its children."""
    embeddings = {}

    def embed(node):
        if node.value not in embeddings:
            embeddings[node.value] = gn.tensor(float(get_rng().random()))
        return embeddings[node.value]

    def forward(node):
        if not node.children:
            return embed(node)
        return gn.stack([forward(c) for c in node.children]).mean()

    root, b, c, d = Node("A"), Node("B"), Node("C"), Node("D")
    b.children.append(d)
    c.children.append(d)
    root.children += [b, c]
    value = forward(root).item()
    return {"root": value, "leaf_D": embeddings["D"].item()}


# ------------------------------------------------------------------------ part 2: the task
def random_tree(rng, leaves, p_not=0.35):
    """A random binary tree over ``leaves`` word ids, with some subtrees negated."""
    if leaves == 1:
        tree = int(rng.integers(1, len(WORDS)))
    else:
        left = int(rng.integers(1, leaves))
        tree = (random_tree(rng, left, p_not), random_tree(rng, leaves - left, p_not))
    return (NOT, tree) if rng.random() < p_not else tree


def sentiment(tree):
    if isinstance(tree, int):
        return SENTIMENT.get(WORDS[tree], 0)
    if tree[0] == NOT:
        return -sentiment(tree[1])
    return sentiment(tree[0]) + sentiment(tree[1])


def make_dataset(rng, n, max_leaves=7):
    """n trees with a non-zero sentiment and their labels (1 = positive)."""
    trees, labels = [], []
    while len(trees) < n:
        tree = random_tree(rng, int(rng.integers(2, max_leaves + 1)))
        value = sentiment(tree)
        if value != 0:
            trees.append(tree)
            labels.append(1.0 if value > 0 else 0.0)
    return trees, np.array(labels, dtype=np.float32)


def to_text(tree):
    if isinstance(tree, int):
        return WORDS[tree]
    return "(" + " ".join(to_text(t) for t in tree) + ")"


def main(argv=None):
    """Run both parts; return {'seed': ..., 'train_accuracy', 'test_accuracy', ...}."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--quick", action="store_true", help="small data, few epochs")
    parser.add_argument("--epochs", type=int, default=None, help="default 30 (quick: 8)")
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join("examples", "output", "tree_network"))
    args = parser.parse_args(argv)
    epochs = args.epochs or (8 if args.quick else 30)
    gn.manual_seed(args.seed)

    seed_result = seed_recnn()
    print(f"seed RecNN (mean composition): root A = {seed_result['root']:.4f} "
          f"(= leaf D {seed_result['leaf_D']:.4f})")

    rng = np.random.default_rng(args.seed)
    n_train, n_test = (1000, 300) if args.quick else (3000, 1000)
    train_trees, train_y = make_dataset(rng, n_train)
    test_trees, test_y = make_dataset(rng, n_test)
    print(f"example: {to_text(train_trees[0])} -> {'positive' if train_y[0] else 'negative'}")

    encoder = RecursiveNetwork(len(WORDS), args.units)
    head = Dense(1)
    test_batch = TreeBatch(test_trees)
    encoder(test_batch)  # build the weights
    head(np.zeros((1, args.units), np.float32))
    params = encoder.trainable_weights + head.trainable_weights
    optimizer = Adam(learning_rate=0.01)
    batch_size = 50
    history = []
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(n_train)
        losses = []
        for i in range(0, n_train, batch_size):
            idx = order[i:i + batch_size]
            batch = TreeBatch([train_trees[j] for j in idx])
            logits = head(encoder(batch)).reshape(-1)
            loss = F.binary_crossentropy(train_y[idx], logits, from_logits=True).mean()
            for p in params:
                p.grad = None
            loss.backward()
            optimizer.step(params)
            losses.append(loss.item())
        history.append(float(np.mean(losses)))

    def predict(trees):
        with gn.no_grad():
            return (head(encoder(TreeBatch(trees))).data.reshape(-1) > 0).astype(np.int64)

    def accuracy(trees, labels):
        return float((predict(trees) == (labels > 0.5)).mean())

    results = {
        "seed": seed_result, "epochs": epochs, "loss_history": history,
        "train_accuracy": accuracy(train_trees, train_y),
        "test_accuracy": accuracy(test_trees, test_y),
        "majority_baseline": float(max(test_y.mean(), 1 - test_y.mean())),
        "seconds": time.perf_counter() - start,
    }
    print(f"recursive network: train accuracy {results['train_accuracy']:.3f}, test accuracy "
          f"{results['test_accuracy']:.3f} (majority class {results['majority_baseline']:.3f})"
          f", {epochs} epoch{'s' * (epochs != 1)} in {results['seconds']:.1f}s")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    try:
        from glassnet import viz

        results["figures"] = viz.classifier_figures(
            args.out, {"loss": history}, test_y.astype(np.int64), predict(test_trees),
            class_names=["negative", "positive"])
    except ImportError as error:
        print(f"figures skipped: {error}")
        results["figures"] = []
    return results


if __name__ == "__main__":
    main()
