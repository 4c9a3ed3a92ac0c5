"""``keras.utils.plot_model`` and ``model_to_dot``: a model's layer graph drawn by Graphviz.

:func:`layer_graph` walks a model's layers once (Sequential: in order; functional: the layer
calls the model records, with branches, merges and shared layers; a nested model as one node,
or with ``expand_nested`` as a cluster of its own layers) and returns nodes and edges. Both
:func:`model_to_dot` (Graphviz dot text, drawn by :func:`plot_model`) and the TensorBoard
callback's graph (``write_graph=True``) are built from it.

:func:`plot_model` runs Graphviz's ``dot`` program (found on ``PATH``, run without a shell and
with a timeout, through :func:`glassnet.viz.render_dot`); it is a system program, not a Python
package: without it :class:`MissingGraphvizError` says how to install it.

Example:
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,), name="hidden"),
    ...                        gn.layers.Dense(1, name="out")], name="mlp")
    >>> print(model_to_dot(model, show_shapes=True).splitlines()[0])
    digraph "mlp" {
    >>> [(a.name, b.name) for a, b in layer_graph(model).edges]
    [('hidden', 'out')]
"""

import html
import os
import shutil
from dataclasses import dataclass, field

from glassnet.errors import GlassnetError, GlassnetValueError

INSTALL_GRAPHVIZ = (
    "plot_model needs Graphviz's `dot` program on PATH, which was not found. Install Graphviz: "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install graphviz`, or see https://graphviz.org/download/ (Windows: add its bin "
    "folder to PATH)"
)


class MissingGraphvizError(GlassnetError, ImportError):
    """Graphviz's ``dot`` program, which :func:`plot_model` draws with, is not on ``PATH``."""


@dataclass(eq=False)
class GraphNode:
    """One layer of :func:`layer_graph`: ``name`` is unique (``outer/inner`` inside a nested
    model that was expanded), ``scope`` the names of the expanded models around it."""

    name: str
    layer: object
    scope: tuple = ()


@dataclass
class LayerGraph:
    """What :func:`layer_graph` returns: ``nodes`` in order, ``edges`` as ``(source, target)``
    node pairs (each once), ``clusters`` ``{scope: nested model}`` for expanded models."""

    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    clusters: dict = field(default_factory=dict)

    def inputs_of(self, node):
        """The nodes with an edge into ``node``, in edge order."""
        return [a for a, b in self.edges if b is node]


def _is_model(layer):
    return hasattr(layer, "_is_functional") and hasattr(layer, "layers")


def layer_graph(model, expand_nested=False):
    """The layers of ``model`` and which feeds which.

    Args:
        model: a Sequential, functional or subclassed model (a subclassed model, which records
            no graph, gives its layers and no edges).
        expand_nested: draw a nested model's own layers (in a cluster) instead of one node.

    Returns:
        A :class:`LayerGraph`.

    Example:
        >>> import glassnet as gn
        >>> x = gn.layers.Input((4,), name="x")
        >>> a, b = gn.layers.Dense(2, name="a")(x), gn.layers.Dense(2, name="b")(x)
        >>> model = gn.Model(x, gn.layers.Add(name="sum")([a, b]))
        >>> graph = layer_graph(model)
        >>> [n.name for n in graph.nodes], [(s.name, t.name) for s, t in graph.edges]
        (['x', 'a', 'b', 'sum'], [('x', 'a'), ('x', 'b'), ('a', 'sum'), ('b', 'sum')])
    """
    if not _is_model(model):
        raise GlassnetValueError(
            f"layer_graph: expected a glassnet Model, got {type(model).__name__}")
    graph = LayerGraph()
    _walk(model, expand_nested, (), graph)
    return graph


def _walk(model, expand, scope, graph):
    """Add ``model``'s layers to ``graph``; returns (entry nodes per model input, exit nodes
    per model output)."""
    ends = {}  # id(layer) -> (entries, exits)

    def add(layer):
        if id(layer) in ends:
            return ends[id(layer)]
        if expand and _is_model(layer) and layer.layers:
            inner = scope + (layer.name,)
            graph.clusters[inner] = layer
            ends[id(layer)] = _walk(layer, True, inner, graph)
        else:
            node = GraphNode("/".join(scope + (layer.name,)), layer, scope)
            graph.nodes.append(node)
            ends[id(layer)] = ([node], [node])
        return ends[id(layer)]

    def connect(source, target):
        if source is not target and (source, target) not in graph.edges:
            graph.edges.append((source, target))

    layers = model.layers
    for layer in layers:
        add(layer)
    if getattr(model, "_is_functional", False):
        for call in model._nodes:
            entries = ends[id(call.layer)][0]
            for position, tensor in enumerate(call.flat_inputs):
                exits = add(tensor.node.layer)[1]
                source = exits[min(tensor.index, len(exits) - 1)]
                connect(source, entries[min(position, len(entries) - 1)])
        entries = [ends[id(t.node.layer)][0][0] for t in model.inputs]
        exits = [ends[id(t.node.layer)][1][min(t.index, len(ends[id(t.node.layer)][1]) - 1)]
                 for t in model.outputs]
        return entries, exits
    if not layers:
        return [], []
    is_sequential = hasattr(model, "_input_layer")
    if is_sequential:
        for previous, layer in zip(layers, layers[1:], strict=False):
            connect(ends[id(previous)][1][0], ends[id(layer)][0][0])
    return ends[id(layers[0])][0], ends[id(layers[-1])][1]


# ----------------------------------------------------------------------------- dot text
def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return str(tuple(shape))


def _activation_name(layer):
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    return getattr(activation, "__name__", None) or type(activation).__name__


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _node_label(layer, name, show_shapes, show_dtype, show_layer_names,
                show_layer_activations, show_trainable):
    kind = type(layer).__name__
    title = f"{name} ({kind})" if show_layer_names else kind
    rows = [f"<b>{html.escape(title)}</b>"]
    activation = _activation_name(layer) if show_layer_activations else None
    if activation is not None:
        rows.append(f"Activation: {html.escape(activation)}")
    if show_dtype:
        rows.append(f"dtype: {html.escape(str(getattr(layer, 'dtype', '?')))}")
    if show_shapes:
        rows.append(f"Input shape: {html.escape(_shape_text(getattr(layer, 'input_shape', None)))}")
        rows.append(f"Output shape: {html.escape(_shape_text(layer.output_shape))}")
    if show_trainable:
        rows.append(f"Trainable: {'True' if layer.trainable else 'False'}")
    cells = "".join(f"<tr><td>{row}</td></tr>" for row in rows)
    return f'<<table border="0" cellborder="1" cellspacing="0">{cells}</table>>'


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, **kwargs):
    """The Graphviz dot text of ``model``'s layer graph (Keras returns a ``pydot.Dot``).

    One box per layer (``name (Class)``, and with the flags its shapes, dtype, activation,
    trainable flag), one arrow per connection; ``expand_nested`` draws a nested model as a
    labelled cluster of its layers.

    Args:
        model: the model.
        show_shapes: add each layer's input and output shape.
        show_dtype: add each layer's dtype.
        show_layer_names: put the layer's name before its class.
        rankdir: Graphviz direction: ``'TB'`` (top to bottom) or ``'LR'`` (left to right),
            ``'BT'``, ``'RL'``.
        expand_nested: show the layers of nested models.
        dpi: resolution of raster output.
        subgraph: accepted for Keras compatibility (glassnet writes one whole graph).
        show_layer_activations: add the activation of layers that have one.
        show_trainable: add whether each layer is trainable.
        **kwargs: ignored (Keras passes internal options here).

    Returns:
        The dot text (a str).

    Raises:
        GlassnetValueError: an unknown ``rankdir`` or a non-positive ``dpi``.

    Example:
        >>> import glassnet as gn
        >>> model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,), name="d")], name="m")
        >>> "Output shape: (None, 2)" in model_to_dot(model, show_shapes=True)
        True
    """
    del subgraph, kwargs
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise GlassnetValueError(
            f"model_to_dot: rankdir must be 'TB', 'LR', 'BT' or 'RL', got {rankdir!r}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or dpi <= 0:
        raise GlassnetValueError(f"model_to_dot: dpi must be a positive number, got {dpi!r}")
    graph = layer_graph(model, expand_nested)
    ids = {id(node): f"n{i}" for i, node in enumerate(graph.nodes)}
    lines = [f"digraph {_quote(model.name)} {{",
             f"  graph [rankdir={rankdir}, dpi={dpi:g}];",
             '  node [shape=plaintext, fontname="Helvetica", fontsize=11];']

    def emit(scope, indent):
        for node in graph.nodes:
            if node.scope == scope:
                label = _node_label(node.layer, node.layer.name, show_shapes, show_dtype,
                                    show_layer_names, show_layer_activations, show_trainable)
                lines.append(f"{indent}{ids[id(node)]} [label={label}];")
        for inner, nested in graph.clusters.items():
            if inner[:-1] == scope:
                lines.append(f"{indent}subgraph {_quote('cluster_' + '/'.join(inner))} {{")
                title = f"{nested.name} ({type(nested).__name__})"
                lines.append(f"{indent}  label={_quote(title)}; style=dashed;")
                emit(inner, indent + "  ")
                lines.append(f"{indent}}}")

    emit((), "  ")
    for source, target in graph.edges:
        lines.append(f"  {ids[id(source)]} -> {ids[id(target)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draw ``model``'s layer graph to ``to_file`` with Graphviz (Keras 3's ``plot_model``).

    The format comes from the extension of ``to_file`` (``.png``, ``.svg``, ``.pdf``, or any
    other output format of ``dot``; none: PNG). The picture is :func:`model_to_dot`'s text,
    rendered by the ``dot`` program.

    Args:
        model: the model.
        to_file: the file to write.
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi,
            show_layer_activations, show_trainable: as in :func:`model_to_dot`.
        **kwargs: passed to :func:`model_to_dot`.

    Returns:
        An ``IPython.display.Image`` (``SVG`` for ``.svg``) of the file when IPython is
        installed, so that a notebook cell shows it; otherwise (and for PDF) None.

    Raises:
        MissingGraphvizError: (an ``ImportError``) ``dot`` is not on ``PATH``; the message
            says how to install Graphviz.
        GlassnetError: ``dot`` failed (its message is included).

    Example:
        >>> import os, shutil, tempfile
        >>> import glassnet as gn
        >>> model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,), name="d")])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.svg")
        >>> if shutil.which("dot"):  # Graphviz installed
        ...     _ = plot_model(model, path, show_shapes=True)
        ...     assert "d (Dense)" in open(path, encoding="utf-8").read()
    """
    dot_text = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                            show_layer_names=show_layer_names, rankdir=rankdir,
                            expand_nested=expand_nested, dpi=dpi,
                            show_layer_activations=show_layer_activations,
                            show_trainable=show_trainable, **kwargs)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1].lower().lstrip(".") or "png"
    if not extension.isalnum():
        raise GlassnetValueError(
            f"plot_model: to_file {to_file!r} must end with a Graphviz format such as .png, "
            f".svg or .pdf")
    if shutil.which("dot") is None:
        raise MissingGraphvizError(INSTALL_GRAPHVIZ)
    from glassnet.viz.graph import render_dot

    rendered, reason = render_dot(dot_text, extension, timeout=60)
    if rendered is None:
        raise GlassnetError(f"plot_model: could not write {to_file!r}: {reason}")
    folder = os.path.dirname(to_file)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(to_file, "wb") as f:
        f.write(rendered)
    return _notebook_image(to_file, extension)


def _notebook_image(path, extension):
    if extension == "pdf":
        return None
    try:
        from IPython import display
    except ImportError:
        return None
    if extension == "svg":
        return display.SVG(filename=path)
    if extension in ("png", "jpg", "jpeg", "gif"):
        return display.Image(filename=path)
    return None
