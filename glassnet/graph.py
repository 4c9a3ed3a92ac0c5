"""The one graph walk: a depth-first topological order, shared by backward and functional models.

Both of glassnet's graphs are walked the same way: the autodiff graph (a Tensor's creator
Functions, walked by ``backward()`` and ``gn.explain``) and the functional-API graph (the layer
calls a :class:`~glassnet.models.Model` built from KerasTensors runs in order). This module
knows nothing of either: it orders any nodes given a function that names each node's parents.
"""


def topological_order(roots, parents):
    """Every node that ``roots`` depend on, each after all the nodes it depends on.

    A depth-first post-order walk (iterative, so deep graphs do not hit Python's recursion
    limit). Each node appears once (nodes are compared by identity).

    Args:
        roots: the nodes to start from (outputs), visited in this order.
        parents: ``parents(node)`` -> the nodes ``node`` depends on (its inputs), visited in
            this order.

    Returns:
        A list of nodes, dependencies first; ``roots`` are among them.

    Example:
        >>> inputs = {"loss": ["y"], "y": ["w", "x"], "w": [], "x": []}
        >>> topological_order(["loss"], lambda node: inputs[node])
        ['w', 'x', 'y', 'loss']
    """
    order, seen = [], set()
    stack = [(node, False) for node in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent in reversed(parents(node)):
            if id(parent) not in seen:
                stack.append((parent, False))
    return order
