"""Export a glassnet model to ONNX (``model.export(path, format="onnx")``).

The model's layer graph is walked (a Sequential stack or a functional graph, nested models
included) and each layer becomes a few standard ONNX operators (opset 17, float32 weights, a
dynamic batch dimension named ``batch``), built with ``onnx.helper``; the model is checked with
``onnx.checker.check_model`` before it is written. The file opens in onnxruntime and in Netron.

Layout: glassnet tensors are ``channels_last`` (NHWC); ONNX's Conv and pooling operators are
NCHW, so each of them is wrapped in two Transposes and everything else stays NHWC, which keeps
Flatten's order equal to glassnet's (no reordering of the Dense kernel after a Flatten).

What is exported: Dense (and every built-in activation), Activation, ReLU, LeakyReLU, ELU,
PReLU, Softmax; Conv1D/Conv2D (valid, same, causal; strides; dilation); Max/AveragePooling
1D/2D and the global poolings; BatchNormalization (inference statistics), LayerNormalization;
Dropout and the noise layers (identity at inference); Flatten, Reshape, Permute, RepeatVector,
ZeroPadding and Cropping 1D/2D; Embedding; SimpleRNN, LSTM and GRU (ONNX's RNN/LSTM/GRU
operators, gates reordered; return_sequences, return_state and go_backwards), Bidirectional,
TimeDistributed; the merge layers Add, Subtract, Multiply, Average, Maximum,
Minimum, Concatenate; Sequential and functional models with several inputs and outputs. Any
other layer is refused by name (see :data:`glassnet.interop.onnx_layers.CONVERTERS`).

``onnx`` is an optional dependency: ``pip install "glassnet[onnx]"``.

Example:
    >>> from glassnet.interop.onnx_export import supported_layers
    >>> "Dense" in supported_layers() and "LSTM" in supported_layers()
    True
"""

import os

from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError, GlassnetValueError

OPSET = 17
IR_VERSION = 8  # the IR version of opset 17 (readable by older runtimes and by Netron)
PRODUCER = "glassnet"


def _onnx():
    """The optional ``onnx`` package, or an ImportError naming the extra to install."""
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            'exporting to ONNX needs the optional "onnx" package: pip install "glassnet[onnx]"'
        ) from None
    return onnx, helper, numpy_helper


def supported_layers():
    """The names of the layer classes the exporter converts (sorted)."""
    from glassnet.interop.onnx_layers import CONVERTERS, _load_all

    _load_all()
    return sorted(CONVERTERS)


# ====================================================================== the graph builder
class OnnxGraph:
    """Nodes and initializers of the graph being built, with unique value names.

    Converters call :meth:`op` for an operator and :meth:`const` for a weight or constant;
    both return the names of the values they make.
    """

    def __init__(self):
        self.onnx, self.helper, self.numpy_helper = _onnx()
        self.nodes, self.initializers, self._names = [], [], set()

    def fresh(self, hint):
        """A value name not used yet, made from ``hint``."""
        base = str(hint).replace(" ", "_") or "value"
        name, i = base, 1
        while name in self._names:
            name, i = f"{base}_{i}", i + 1
        self._names.add(name)
        return name

    def const(self, array, hint, dtype=None):
        """An initializer holding ``array`` (floats as float32 unless ``dtype``)."""
        array = xp.asarray(array)
        if dtype is not None:
            array = array.astype(dtype)
        elif array.dtype.kind == "f":
            array = array.astype(xp.float32)
        name = self.fresh(hint)
        self.initializers.append(self.numpy_helper.from_array(xp.ascontiguousarray(array), name))
        return name

    def ints(self, values, hint):
        """An int64 1-D constant (shapes, axes, pads of the operators that take them as inputs)."""
        return self.const(xp.asarray(list(values), dtype=xp.int64), hint)

    def scalar(self, value, hint):
        """A float32 scalar constant."""
        return self.const(xp.asarray(value, dtype=xp.float32), hint)

    def op(self, op_type, inputs, hint, outputs=1, **attributes):
        """Add one operator; returns its output name (or a list when ``outputs`` > 1)."""
        names = [self.fresh(f"{hint}/{op_type}" if i == 0 else f"{hint}/{op_type}_out{i}")
                 for i in range(outputs)]
        attributes = {k: v for k, v in attributes.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, list(inputs), names,
                                                name=self.fresh(f"{hint}/{op_type}_node"),
                                                **attributes))
        return names[0] if outputs == 1 else names

    def value_info(self, name, shape, dtype, batch_name="batch"):
        """A graph input/output declaration: None dims are symbolic (the first is ``batch``)."""
        elem = self.helper.np_dtype_to_tensor_dtype(xp.dtype(dtype))
        dims = [(batch_name if i == 0 else f"{name}_dim{i}") if d is None else int(d)
                for i, d in enumerate(shape)]
        return self.helper.make_tensor_value_info(name, elem, dims)


# ====================================================================== walking models
def _symbolic_ends(model, input_signature):
    """The model's symbolic inputs and outputs (building a Sequential from the signature)."""
    from glassnet.models import Sequential

    if isinstance(model, Sequential) and (model.inputs is None or input_signature):
        shapes = _signature_shapes(input_signature)
        shape = shapes[0] if shapes else (model.input_shape if model.built else None)
        if shape is None or isinstance(shape, list):
            raise GlassnetValueError(
                f"ONNX export: Sequential '{model.name}' has no input shape yet; build it "
                f"(model.build((None, 784)), a first call, or input_shape= on its first layer) "
                f"or pass input_signature=[(None, 784)]"
            )
        model.build(tuple(shape))
    if model.inputs is None or model.outputs is None:
        raise GlassnetValueError(
            f"ONNX export: model '{model.name}' ({type(model).__name__}) has no layer graph: a "
            f"subclassed Model's call() is Python code, which cannot be exported; rebuild it "
            f"with the functional API (Model(inputs, outputs)) or as a Sequential"
        )
    return list(model.inputs), list(model.outputs)


def _signature_shapes(input_signature):
    """Shapes from ``input_signature``: a shape, or a list of shapes / objects with .shape."""
    if input_signature is None:
        return []
    items = input_signature
    if isinstance(items, tuple) and all(d is None or isinstance(d, int) for d in items):
        items = [items]
    if not isinstance(items, (list, tuple)):
        items = [items]
    shapes = []
    for item in items:
        shape = getattr(item, "shape", item)
        if not isinstance(shape, (list, tuple)) or not all(
                d is None or isinstance(d, int) for d in shape):
            raise GlassnetTypeError(
                f"ONNX export: input_signature must be a shape tuple such as (None, 784), a "
                f"list of them, or objects with a .shape (InputSpec, KerasTensor); got {item!r}"
            )
        shapes.append(tuple(shape))
    return shapes


def convert_graph(graph, model, input_names):
    """Emit the operators of ``model`` (Sequential or functional) reading ``input_names``.

    Returns the ONNX names of the model's outputs (in ``model.outputs`` order).
    """
    from glassnet.interop.onnx_layers import convert_layer, unsupported
    from glassnet.layers.symbolic import flatten_symbolic
    from glassnet.models import Model, _topological_nodes

    inputs, outputs = _symbolic_ends(model, None)
    names = {id(t): name for t, name in zip(inputs, input_names, strict=True)}
    for node in _topological_nodes(inputs, outputs):
        layer = node.layer
        if flatten_symbolic((node.args, node.kwargs)):
            raise unsupported(layer, "is called with extra tensor arguments (an "
                                           "initial_state or mask), which are not exported")
        flat_in = flatten_symbolic(node.inputs)
        flat_out = flatten_symbolic(node.outputs)
        in_names = [names[id(t)] for t in flat_in]
        if isinstance(layer, Model):  # a nested model: its own graph, inline
            out_names = convert_graph(graph, layer, in_names)
        else:
            out_names = convert_layer(graph, layer, in_names, flat_in, flat_out)
        if len(out_names) != len(flat_out):
            raise unsupported(layer, f"makes {len(flat_out)} outputs here, the converter "
                                           f"made {len(out_names)}")
        for t, name in zip(flat_out, out_names, strict=True):
            names[id(t)] = name
    return [names[id(t)] for t in outputs]


def cancel_transposes(nodes):
    """Remove each Transpose pair that undoes itself (NCHW -> NHWC -> NCHW between two Convs
    or pools), so that a CNN's graph is transposed once at each end, not around every layer.

    ``nodes`` (a list of NodeProtos) is edited in place; returns how many pairs went.
    """
    removed = 0
    while True:
        consumers = {}
        for node in nodes:
            for name in node.input:
                consumers.setdefault(name, []).append(node)
        pair = next(((a, b) for a in nodes if a.op_type == "Transpose"
                     for b in consumers.get(a.output[0], [])
                     if b.op_type == "Transpose" and len(consumers[a.output[0]]) == 1
                     and _undoes(_perm(a), _perm(b))), None)
        if pair is None:
            return removed
        first, second = pair
        for node in consumers.get(second.output[0], []):
            for i, name in enumerate(node.input):
                if name == second.output[0]:
                    node.input[i] = first.input[0]
        nodes.remove(first)
        nodes.remove(second)
        removed += 1


def _perm(node):
    return next(list(a.ints) for a in node.attribute if a.name == "perm")


def _undoes(p, q):
    return len(p) == len(q) and all(p[q[i]] == i for i in range(len(p)))


def _public_names(preferred, count, fallback):
    names, seen = [], set()
    for i in range(count):
        name = preferred[i] if i < len(preferred) and preferred[i] else f"{fallback}_{i}"
        while name in seen:
            name = f"{name}_{i}"
        seen.add(name)
        names.append(name)
    return names


def to_onnx(model, input_signature=None, opset=OPSET):
    """The ONNX ``ModelProto`` of ``model`` (checked with ``onnx.checker``).

    Args:
        model: a Sequential or functional glassnet Model (built).
        input_signature: optional input shape(s), batch first, e.g. ``[(None, 28, 28, 1)]``:
            builds an unbuilt Sequential; otherwise the model's own input shapes are used.
        opset: the ONNX opset (17; at least 14, for the operators used).

    Returns:
        An ``onnx.ModelProto``.

    Raises:
        ImportError: ``onnx`` is not installed (``pip install "glassnet[onnx]"``).
        GlassnetValueError: a layer that cannot be exported (named, with the list of those
            that can), a subclassed model, or a model without input shapes.
    """
    if not 14 <= int(opset) <= 17:
        raise GlassnetValueError(f"ONNX export: opset must be between 14 and 17, got {opset!r}")
    graph = OnnxGraph()
    inputs, outputs = _symbolic_ends(model, input_signature)
    signature = _signature_shapes(input_signature)
    if signature and len(signature) != len(inputs):
        raise GlassnetValueError(
            f"ONNX export: input_signature has {len(signature)} shapes, model '{model.name}' "
            f"has {len(inputs)} inputs")
    in_names = _public_names(list(getattr(model, "input_names", [])), len(inputs), "input")
    out_names = _public_names(list(getattr(model, "output_names", [])), len(outputs), "output")
    for name in in_names + out_names:
        graph._names.add(name)
    graph_inputs = []
    for i, (tensor, name) in enumerate(zip(inputs, in_names, strict=True)):
        shape = signature[i] if signature else tensor.shape
        dtype = tensor.dtype if tensor.dtype.kind in "iu" else xp.float32
        graph_inputs.append(graph.value_info(name, shape, dtype))
    results = convert_graph(graph, model, in_names)
    graph_outputs = []
    for tensor, result, name in zip(outputs, results, out_names, strict=True):
        graph.nodes.append(graph.helper.make_node("Identity", [result], [name],
                                                  name=graph.fresh(f"{name}/Identity_node")))
        graph_outputs.append(graph.value_info(name, tensor.shape, xp.float32))
    cancel_transposes(graph.nodes)
    onnx, helper = graph.onnx, graph.helper
    proto = helper.make_graph(graph.nodes, model.name, graph_inputs, graph_outputs,
                              graph.initializers)
    from glassnet import __version__

    onnx_model = helper.make_model(proto, producer_name=PRODUCER, producer_version=__version__,
                                   opset_imports=[helper.make_opsetid("", int(opset))])
    onnx_model.ir_version = IR_VERSION
    onnx.checker.check_model(onnx_model, full_check=True)
    return onnx_model


def export_onnx(model, filepath, input_signature=None, opset=OPSET, verbose=True):
    """Write ``model`` as an ONNX file (what ``model.export(path, format="onnx")`` does).

    Args:
        model: a Sequential or functional glassnet Model.
        filepath: the ``.onnx`` file to write (folders are created).
        input_signature: optional input shape(s), see :func:`to_onnx`.
        opset: the ONNX opset (default 17).
        verbose: print where the file went and its inputs and outputs.

    Returns:
        The path written.
    """
    onnx_model = to_onnx(model, input_signature=input_signature, opset=opset)
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    data = onnx_model.SerializeToString()
    temp = f"{filepath}.part"
    with open(temp, "wb") as stream:
        stream.write(data)
    os.replace(temp, filepath)
    if verbose:
        ins = ", ".join(f"{v.name}" for v in onnx_model.graph.input)
        outs = ", ".join(f"{v.name}" for v in onnx_model.graph.output)
        print(f"Saved ONNX model to {filepath} (opset {opset}, {len(onnx_model.graph.node)} "
              f"nodes; inputs: {ins}; outputs: {outs})")
    return filepath


EXPORT_FORMATS = ("onnx", "safetensors")


def export_model(model, filepath, format="onnx", verbose=True, input_signature=None,  # noqa: A002
                 **kwargs):
    """What ``Model.export`` does: ``"onnx"`` (the default) or ``"safetensors"`` (weights).

    Keras's own default, ``"tf_saved_model"``, needs TensorFlow, so glassnet's default is
    ``"onnx"``; ``opset_version=`` (Keras's keyword) picks the ONNX opset (default 17).

    Example:
        >>> import glassnet as gn
        >>> model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,))])
        >>> try:
        ...     export_model(model, "m.pb", format="tf_saved_model")
        ... except ValueError as error:
        ...     print(str(error).split(";")[1])
         the formats glassnet exports are 'onnx' (the default) and 'safetensors'
    """
    if format == "onnx":
        opset = kwargs.pop("opset_version", None) or kwargs.pop("opset", None) or OPSET
        if kwargs:
            raise GlassnetTypeError(f"export: unexpected arguments for format 'onnx': "
                                    f"{sorted(kwargs)} (accepted: opset_version)")
        return export_onnx(model, filepath, input_signature=input_signature, opset=opset,
                           verbose=verbose)
    if format == "safetensors":
        from glassnet.interop.safetensors_io import save_safetensors

        if kwargs:
            raise GlassnetTypeError(f"export: unexpected arguments for format 'safetensors': "
                                    f"{sorted(kwargs)}")
        path = save_safetensors(model, filepath)
        if verbose:
            print(f"Saved the weights of model '{model.name}' to {path} (safetensors)")
        return path
    needs = {"tf_saved_model": "TensorFlow", "openvino": "OpenVINO", "litert": "TensorFlow Lite",
             "torch": "PyTorch's torch.export"}
    why = f" (it needs {needs[format]})" if isinstance(format, str) and format in needs else ""
    raise GlassnetValueError(
        f"export: format {format!r} cannot be written by glassnet{why}; the formats glassnet "
        f"exports are 'onnx' (the default) and 'safetensors'"
    )
