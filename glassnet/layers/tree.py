"""Recursive (tree) neural network: node vectors composed bottom-up over binary trees.

Seed 004 (section 4.3) describes the recursive network (RecNN): leaves get vectors from an
embedding, and a composition function merges the vectors of two children into the vector of
their parent, up to the root, whose vector represents the whole tree. Here the composition is
learned (Socher et al.)::

    leaf:      h = E[token]
    internal:  p = tanh(W [c1; c2] + b)      W: (2u, u) kernel, b: (u,)

Trees are nested pairs with integer leaves, e.g. ``((1, 2), 3)``. A batch of trees is
evaluated level by level: every node whose height is k (leaves 0, a parent 1 + the taller
child) is computed in one GEMM for all trees of the batch, so the Python loop runs over tree
heights, not over nodes or trees. Backpropagation through structure is plain autodiff through
those gathers, concatenations and GEMMs.
"""

from glassnet import activations, initializers
from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError, GlassnetValueError
from glassnet.layers.base import Layer
from glassnet.layers.conv import positive_int
from glassnet.layers.embedding import embedding_lookup
from glassnet.layers.serialization import register_layer, serialize_initializer
from glassnet.ops.shape import concat


class TreeBatch:
    """Binary trees flattened into levels for batched evaluation.

    Node ids: the leaves of all trees first (level 0), then the level-1 parents, and so on.

    Attributes:
        leaf_tokens: int array of the leaves' tokens, in id order.
        levels: list, for heights 1, 2, ..., of (left_ids, right_ids) int arrays.
        roots: int array, the root id of each tree.
        size: total number of nodes.

    Example:
        >>> batch = TreeBatch([((1, 2), 3), 4])
        >>> batch.leaf_tokens.tolist(), batch.roots.tolist()
        ([1, 2, 3, 4], [5, 3])
    """

    def __init__(self, trees):
        if isinstance(trees, (int, xp.integer)) or not isinstance(trees, (list, tuple)):
            raise GlassnetTypeError(
                f"TreeBatch: expected a list of trees (nested pairs with integer leaves), got "
                f"{type(trees).__name__}"
            )
        levels = []  # per height: list of (left (h, pos), right (h, pos)) or token for leaves
        roots = [self._add(tree, levels) for tree in trees]
        offsets, total = [], 0
        for nodes in levels:
            offsets.append(total)
            total += len(nodes)
        self.size = total

        def gid(ref):
            return offsets[ref[0]] + ref[1]

        self.leaf_tokens = xp.asarray(levels[0] if levels else [], dtype=xp.int64)
        self.levels = [
            (xp.asarray([gid(a) for a, _ in nodes], dtype=xp.int64),
             xp.asarray([gid(b) for _, b in nodes], dtype=xp.int64))
            for nodes in levels[1:]
        ]
        self.roots = xp.asarray([gid(r) for r in roots], dtype=xp.int64)

    @staticmethod
    def _add(tree, levels):
        """Append ``tree``'s nodes (iteratively, children first); return its (height, pos)."""
        if not levels:
            levels.append([])
        finished, stack = [], [(tree, False)]
        while stack:
            node, expanded = stack.pop()
            if isinstance(node, (int, xp.integer)) and not isinstance(node, bool):
                levels[0].append(int(node))
                finished.append((0, len(levels[0]) - 1))
            elif isinstance(node, (list, tuple)) and len(node) == 2:
                if not expanded:  # visit left, then right, then the node itself
                    stack += [(node, True), (node[1], False), (node[0], False)]
                    continue
                right, left = finished.pop(), finished.pop()
                height = max(left[0], right[0]) + 1
                while len(levels) <= height:
                    levels.append([])
                levels[height].append((left, right))
                finished.append((height, len(levels[height]) - 1))
            else:
                raise GlassnetValueError(
                    f"TreeBatch: a node must be an integer token (leaf) or a pair (left, "
                    f"right), got {node!r}"
                )
        return finished.pop()

    def __len__(self):
        return len(self.roots)


@register_layer
class RecursiveNetwork(Layer):
    """Recursive neural network over binary trees (learned composition, seed 004 RecNN).

    leaf h = E[token];  parent p = activation([c_left; c_right] @ kernel + bias).

    Args:
        vocab_size: number of leaf tokens.
        units: size of every node vector.
        activation: composition nonlinearity, default 'tanh'.
        embeddings_initializer: default 'uniform'. kernel_initializer: 'glorot_uniform'.
        bias_initializer: 'zeros'.
        return_all_nodes: also return the (num_nodes, units) matrix of every node vector
            (ids as in :class:`TreeBatch`).

    Call: ``layer(trees)`` with a list of trees (nested pairs, integer leaves) or a
    :class:`TreeBatch`; returns the root vectors (num_trees, units).

    Example:
        >>> layer = RecursiveNetwork(vocab_size=10, units=4)
        >>> layer([((1, 2), 3), (4, 5)]).shape
        (2, 4)
        >>> [w.shape for w in layer.get_weights()]
        [(10, 4), (8, 4), (4,)]
    """

    def __init__(self, vocab_size, units, activation="tanh", embeddings_initializer="uniform",
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 return_all_nodes=False, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = positive_int(vocab_size, "vocab_size", self.name)
        self.units = positive_int(units, "units", self.name)
        self.activation = activations.get(activation)
        self._init_config = (embeddings_initializer, kernel_initializer, bias_initializer)
        self.return_all_nodes = bool(return_all_nodes)
        self.embeddings = self.kernel = self.bias = None

    def build(self, input_shape=None):
        e_init, k_init, b_init = (initializers.get(i) for i in self._init_config)
        self.embeddings = self.add_weight("embeddings", (self.vocab_size, self.units), e_init)
        self.kernel = self.add_weight("kernel", (2 * self.units, self.units), k_init)
        self.bias = self.add_weight("bias", (self.units,), b_init)

    def __call__(self, trees, training=None, **kwargs):
        batch = trees if isinstance(trees, TreeBatch) else TreeBatch(trees)
        if not self.built:
            self.build(None)
            self.built = True
        self._call_losses = []
        outputs = self.call(batch)
        if self.record:
            self._inspect_data = {"input": None, "output": outputs}
        return outputs

    def call(self, batch):
        nodes = embedding_lookup(self.embeddings, batch.leaf_tokens, self.name)
        for left, right in batch.levels:
            children = concat([nodes[left], nodes[right]], axis=1)  # (n_level, 2u)
            parents = self.activation(children @ self.kernel + self.bias)
            nodes = concat([nodes, parents], axis=0)
        roots = nodes[batch.roots]
        return (roots, nodes) if self.return_all_nodes else roots

    def compute_output_shape(self, input_shape):
        return (None, self.units)

    def get_config(self):
        e_init, k_init, b_init = self._init_config
        return {**super().get_config(), "vocab_size": self.vocab_size, "units": self.units,
                "activation": activations.serialize(self.activation),
                "embeddings_initializer": serialize_initializer(e_init),
                "kernel_initializer": serialize_initializer(k_init),
                "bias_initializer": serialize_initializer(b_init),
                "return_all_nodes": self.return_all_nodes}
