"""The functional API's symbolic side: :class:`KerasTensor`, :class:`Node` and symbolic calls.

Calling a layer on a :class:`KerasTensor` (made by :func:`glassnet.layers.Input`) computes no
values: :class:`SymbolicCallMixin` (a base of :class:`~glassnet.layers.base.Layer`) builds the
layer from the symbolic shapes, records a :class:`Node` (the layer and its inputs) and returns
new KerasTensors; ``Model(inputs, outputs)`` walks those nodes to make its graph.
"""

from glassnet.backend import xp
from glassnet.config import config, no_grad
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.layers.input_spec import _merge_shapes, _normalize_shape
from glassnet.tensor import Tensor


class Node:
    """One call of a layer on symbolic inputs (an edge bundle of the functional graph)."""

    def __init__(self, layer, inputs, args=(), kwargs=None):
        self.layer, self.inputs = layer, inputs
        self.args, self.kwargs = tuple(args), dict(kwargs or {})
        self.outputs = None

    @property
    def flat_inputs(self):
        """Every KerasTensor the call received: in ``inputs``, then the positional and keyword
        arguments (nested lists, tuples and dicts included)."""
        return flatten_symbolic((self.inputs, self.args, self.kwargs))


class KerasTensor:
    """A symbolic placeholder for the functional API: a shape and dtype, no values.

    Made by :func:`glassnet.layers.Input`; calling a layer on it records a :class:`Node`
    and returns new KerasTensors, from which ``Model(inputs, outputs)`` builds its graph.

    Args:
        shape: full shape, batch dimension first (None where unknown).
        dtype: the dtype values will have.
        node: the :class:`Node` that produced it (its layer and inputs).
        index: which output of that node it is.
        name: optional label.
    """

    __array_ufunc__ = None  # ndarray (op) KerasTensor: NumPy defers to the reflected operator

    def __init__(self, shape, dtype=None, node=None, index=0, name=None):
        self.shape = _normalize_shape(shape)
        self.dtype = xp.dtype(dtype or config.default_float)
        self.node, self.index, self.name = node, index, name

    _keras_mask = None  # a bool KerasTensor where the producing layer makes or keeps a mask

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        origin = f", created_by={self.node.layer.name}" if self.node is not None else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{origin}>"

    # Operators record keras.ops calls (glassnet.operations), each an OperationLayer node in
    # the graph. == and != are left as identity (KerasTensors are dict keys and list members);
    # use ops.equal / ops.not_equal.
    def __add__(self, other):
        return _op("add")(self, other)

    def __radd__(self, other):
        return _op("add")(other, self)

    def __sub__(self, other):
        return _op("subtract")(self, other)

    def __rsub__(self, other):
        return _op("subtract")(other, self)

    def __mul__(self, other):
        return _op("multiply")(self, other)

    def __rmul__(self, other):
        return _op("multiply")(other, self)

    def __truediv__(self, other):
        return _op("divide")(self, other)

    def __rtruediv__(self, other):
        return _op("divide")(other, self)

    def __floordiv__(self, other):
        return _op("floor_divide")(self, other)

    def __mod__(self, other):
        return _op("mod")(self, other)

    def __matmul__(self, other):
        return _op("matmul")(self, other)

    def __rmatmul__(self, other):
        return _op("matmul")(other, self)

    def __pow__(self, other):
        return _op("power")(self, other)

    def __rpow__(self, other):
        return _op("power")(other, self)

    def __neg__(self):
        return _op("negative")(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _op("abs")(self)

    def __lt__(self, other):
        return _op("less")(self, other)

    def __le__(self, other):
        return _op("less_equal")(self, other)

    def __gt__(self, other):
        return _op("greater")(self, other)

    def __ge__(self, other):
        return _op("greater_equal")(self, other)

    def __getitem__(self, index):
        return _op("get_item")(self, index)



def _op(name):
    """The keras.ops function ``name`` (imported on first use: operations is a floor above)."""
    from glassnet import operations

    return getattr(operations, name)


def _describe_shapes(inputs):
    if isinstance(inputs, (list, tuple)):
        return ", ".join(_describe_shapes(x) for x in inputs)
    return str(tuple(getattr(inputs, "shape", ())))


def _is_symbolic(inputs):
    if isinstance(inputs, KerasTensor):
        return True
    return (
        isinstance(inputs, (list, tuple))
        and len(inputs) > 0
        and all(isinstance(x, KerasTensor) for x in inputs)
    )


def flatten_symbolic(structure):
    """The KerasTensors in a nest of lists, tuples and dicts, in order (dicts: key order)."""
    if isinstance(structure, KerasTensor):
        return [structure]
    if isinstance(structure, dict):
        structure = list(structure.values())
    if isinstance(structure, (list, tuple)):
        return [t for item in structure for t in flatten_symbolic(item)]
    return []


def map_structure(fn, structure):
    """``structure`` with every KerasTensor ``t`` replaced by ``fn(t)`` (lists, tuples, dicts)."""
    if isinstance(structure, KerasTensor):
        return fn(structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, item) for item in structure)
    return structure


def _any_symbolic(inputs, args, kwargs):
    """Whether a call has a KerasTensor anywhere: the functional API records it as a Node."""
    if isinstance(inputs, KerasTensor):
        return True
    if not args and not kwargs and not isinstance(inputs, (list, tuple, dict)):
        return False  # the common eager call: one Tensor or array
    return bool(flatten_symbolic((inputs, args, kwargs)))


def _map_outputs(fn, outputs):
    """``outputs`` (a Tensor, or a nest of lists/tuples/dicts of them) with ``fn`` applied."""
    if isinstance(outputs, dict):
        return {key: _map_outputs(fn, value) for key, value in outputs.items()}
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(_map_outputs(fn, item) for item in outputs)
    return fn(outputs)



# ------------------------------------------------------------- call layouts (get_config)
def _layout(structure):
    """A JSON-able picture of a call argument: "@tensor" where a KerasTensor goes."""
    if isinstance(structure, KerasTensor):
        return "@tensor"
    if isinstance(structure, dict):
        return {"@dict": {str(k): _layout(v) for k, v in structure.items()}}
    if isinstance(structure, (list, tuple)):
        return [_layout(v) for v in structure]
    if structure is None or isinstance(structure, (bool, int, float, str)):
        return structure
    raise GlassnetTypeError(
        f"Model.get_config: a layer call argument of type {type(structure).__name__} cannot "
        f"be serialized (only tensors, numbers, strings, lists and dicts)"
    )


def from_layout(layout, tensors):
    """The call argument :func:`_layout` pictured, taking the tensors in order."""
    if layout == "@tensor":
        return next(tensors)
    if isinstance(layout, dict):
        return {k: from_layout(v, tensors) for k, v in layout["@dict"].items()}
    if isinstance(layout, list):
        return [from_layout(v, tensors) for v in layout]
    return layout


def call_layout(node):
    """``[inputs, args, kwargs]`` layouts of a call with tensors beyond ``inputs`` (or None)."""
    if not node.args and not node.kwargs:
        return None
    try:
        return [_layout(node.inputs), _layout(list(node.args)), _layout(dict(node.kwargs))]
    except GlassnetTypeError:  # a constant that JSON cannot hold: saved as before, tensors only
        return None


def assign_outputs(symbolic, result, values):
    """Record the values of a node's outputs (a KerasTensor or a nest of them) by identity."""
    if isinstance(symbolic, KerasTensor):
        values[id(symbolic)] = result
    elif isinstance(symbolic, dict):
        for key, item in symbolic.items():
            assign_outputs(item, result[key], values)
    elif isinstance(symbolic, (list, tuple)):
        for item, part in zip(symbolic, result, strict=True):
            assign_outputs(item, part, values)


def _base_compute_mask():
    from glassnet.layers.base import Layer

    return Layer.compute_mask


class SymbolicCallMixin:
    """The symbolic half of :class:`~glassnet.layers.base.Layer`: calls on KerasTensors, the
    ``input``/``output`` of a layer in a graph, and output shapes found by a dummy call."""

    def _call_symbolic(self, inputs, args, kwargs):
        simple = (isinstance(inputs, KerasTensor) or isinstance(inputs, (list, tuple))) and \
            not flatten_symbolic((args, kwargs)) and _is_symbolic(inputs)
        if not simple:
            return self._call_symbolic_general(inputs, args, kwargs)
        in_shapes = (
            [x.shape for x in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
        )
        if not self.built:
            self._maybe_build(in_shapes)
        self._check_input(list(inputs) if isinstance(inputs, tuple) else inputs)
        # a dummy call (compute_output_shape) of a layer whose call takes ``mask`` gets a mask
        # where the symbolic input carries one, as Keras passes the symbolic mask
        self._dummy_mask_shape = (
            inputs._keras_mask.shape if isinstance(inputs, KerasTensor)
            and inputs._keras_mask is not None and self._call_has_mask else None)
        try:
            out_shape = self.compute_output_shape(in_shapes)
        finally:
            self._dummy_mask_shape = None
        node = Node(self, inputs, args, kwargs)
        dtype = self.dtype if self.cast_inputs else None
        if isinstance(out_shape, list):
            outputs = [KerasTensor(s, dtype, node, i) for i, s in enumerate(out_shape)]
        else:
            outputs = KerasTensor(out_shape, dtype, node, 0)
        node.outputs = outputs
        self.__dict__.setdefault("_inbound_nodes", []).append(node)
        if self.output_shape is None:
            self.output_shape = out_shape
        self._symbolic_masks(inputs, outputs)
        return outputs

    def _call_symbolic_general(self, inputs, args, kwargs):
        """A call with KerasTensors among several positional or keyword arguments (or in a
        dict): the output structure and shapes come from an eager call on zeros (None
        dimensions set to 1 and 2, or 64 and 128 when the window does not fit, then merged)."""

        def run(fill):
            def zeros(t):
                shape = tuple(1 if i == 0 and d is None else fill if d is None else d
                              for i, d in enumerate(t.shape))
                return Tensor(xp.zeros(shape, t.dtype))

            with no_grad():
                return self(map_structure(zeros, inputs), *map_structure(zeros, args),
                            training=False, **map_structure(zeros, kwargs))

        tensors = flatten_symbolic((inputs, args, kwargs))
        unknown = any(d is None for t in tensors for d in t.shape[1:])
        if not self.built and (isinstance(inputs, KerasTensor) or (
                isinstance(inputs, (list, tuple)) and _is_symbolic(inputs))):
            self._maybe_build(inputs.shape if isinstance(inputs, KerasTensor)
                              else [t.shape for t in inputs])  # unknown sizes stay None
        output_shape = self.output_shape
        try:
            first, fills = run(1), (1, 2)
        except ShapeError:
            if not unknown:
                raise
            first, fills = run(64), (64, 128)
        second = run(fills[1]) if unknown else first
        node = Node(self, inputs, args, kwargs)
        dtype = self.dtype if self.cast_inputs else None
        counter = iter(range(1 << 30))
        seconds = []
        _map_outputs(seconds.append, second)

        def symbolic(y):
            index = next(counter)
            shape = _merge_shapes(_normalize_shape(y.shape),
                                  _normalize_shape(seconds[index].shape))
            shape = (None,) + tuple(shape[1:]) if shape else shape
            return KerasTensor(shape, y.dtype if dtype is None else dtype, node, index)

        outputs = _map_outputs(symbolic, first)
        if output_shape is None:  # not the dummy's sizes: the symbolic shape
            self.output_shape = outputs.shape if isinstance(outputs, KerasTensor) else None
        node.outputs = outputs
        self.__dict__.setdefault("_inbound_nodes", []).append(node)
        return outputs

    def _symbolic_masks(self, inputs, outputs):
        """Set ``_keras_mask`` on symbolic outputs where the layer makes or keeps a mask
        (a KerasTensor of the output's shape without its last axis, dtype bool)."""
        in_mask = getattr(inputs, "_keras_mask", None) if isinstance(inputs, KerasTensor) \
            else None
        overrides = type(self).compute_mask is not _base_compute_mask()
        if in_mask is None and not overrides:
            return
        if not overrides:
            masks = in_mask if self.supports_masking else None
        else:
            fill = 2

            def zeros(t):
                return Tensor(xp.zeros(tuple(fill if d is None else d for d in t.shape),
                                       t.dtype))

            dummy_mask = None if in_mask is None else Tensor(
                xp.ones(tuple(fill if d is None else d for d in in_mask.shape), bool))
            try:
                with no_grad():
                    masks = self.compute_mask(map_structure(zeros, inputs), dummy_mask)
            except Exception:  # noqa: BLE001 - a mask that cannot be found symbolically
                return
        if masks is None:
            return
        flat_out = outputs if isinstance(outputs, list) else [outputs]
        flat_masks = list(masks) if isinstance(masks, (list, tuple)) else [masks]
        if len(flat_masks) == 1 and len(flat_out) > 1:
            flat_out = flat_out[:1]
        for out, mask in zip(flat_out, flat_masks, strict=False):
            if mask is not None and isinstance(out, KerasTensor):
                out._keras_mask = KerasTensor(out.shape[:-1] if out.ndim > 1 else out.shape,
                                              "bool")

    @property
    def output(self):
        """The symbolic output (KerasTensor) of this layer's first call in a graph.

        Available for layers of functional models and of built Sequential models, e.g. to
        make a feature extractor: ``Model(model.input, model.layers[0].output)``.
        """
        return self._first_node("output").outputs

    @property
    def input(self):
        """The symbolic input (KerasTensor) of this layer's first call in a graph."""
        node = self._first_node("input")
        return node.outputs if not node.inputs and node.layer is self else node.inputs

    def _first_node(self, what):
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise GlassnetValueError(
                f"Layer '{self.name}' has no symbolic {what}: it was never called on an "
                f"Input() (build the model with an input shape or use the functional API)"
            )
        return nodes[0]

    # ----------------------------------------------------------------- output shapes
    # (compute_output_shape's default: a dummy call on zeros)
    @staticmethod
    def _has_unknown_dims(shape, skip_batch):
        shapes = shape if isinstance(shape, list) else [shape]
        return any(d is None for s in shapes for d in (s[1:] if skip_batch else s))

    def _dummy_output_shape(self, input_shape, fill):
        dtype = self.dtype if self.cast_inputs else xp.int64

        def zeros(shape):  # (large fills keep the batch at 1: only the unknown axes grow)
            return Tensor(xp.zeros(tuple(
                1 if i == 0 and d is None and fill > 2 else fill if d is None else d
                for i, d in enumerate(shape)), dtype))

        dummy = (
            [zeros(s) for s in input_shape] if isinstance(input_shape, list) else zeros(
                input_shape
            )
        )
        kwargs = {"training": False} if self._call_has_training else {}
        mask_shape = getattr(self, "_dummy_mask_shape", None)
        if mask_shape is not None and not isinstance(dummy, list):
            kwargs["mask"] = Tensor(xp.ones(dummy.shape[:len(mask_shape)], bool))
        with no_grad():
            outputs = self.call(dummy, **kwargs)
        if isinstance(outputs, (list, tuple)):
            return [_normalize_shape(y.shape) for y in outputs]
        return _normalize_shape(outputs.shape)

    @staticmethod
    def _restore_batch(shape, input_shape):
        batch = (input_shape[0] if not isinstance(input_shape, list) else input_shape[0][0])
        if isinstance(shape, list):
            return [(batch,) + tuple(s[1:]) if s else s for s in shape]
        return (batch,) + tuple(shape[1:]) if shape else shape
