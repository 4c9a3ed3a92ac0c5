"""The functional API's symbolic side: :class:`KerasTensor`, :class:`Node` and symbolic calls.

Calling a layer on a :class:`KerasTensor` (made by :func:`glassnet.layers.Input`) computes no
values: :class:`SymbolicCallMixin` (a base of :class:`~glassnet.layers.base.Layer`) builds the
layer from the symbolic shapes, records a :class:`Node` (the layer and its inputs) and returns
new KerasTensors; ``Model(inputs, outputs)`` walks those nodes to make its graph.
"""

from glassnet.backend import xp
from glassnet.config import config, no_grad
from glassnet.errors import GlassnetValueError
from glassnet.layers.input_spec import _normalize_shape
from glassnet.tensor import Tensor


class Node:
    """One call of a layer on symbolic inputs (an edge bundle of the functional graph)."""

    def __init__(self, layer, inputs, args=(), kwargs=None):
        self.layer, self.inputs = layer, inputs
        self.args, self.kwargs = tuple(args), dict(kwargs or {})
        self.outputs = None

    @property
    def flat_inputs(self):
        return list(self.inputs) if isinstance(self.inputs, (list, tuple)) else [self.inputs]


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



class SymbolicCallMixin:
    """The symbolic half of :class:`~glassnet.layers.base.Layer`: calls on KerasTensors, the
    ``input``/``output`` of a layer in a graph, and output shapes found by a dummy call."""

    def _call_symbolic(self, inputs, args, kwargs):
        in_shapes = (
            [x.shape for x in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
        )
        if not self.built:
            self._maybe_build(in_shapes)
        self._check_input(list(inputs) if isinstance(inputs, tuple) else inputs)
        out_shape = self.compute_output_shape(in_shapes)
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
        return outputs

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

        def zeros(shape):
            return Tensor(xp.zeros(tuple(fill if d is None else d for d in shape), dtype))

        dummy = (
            [zeros(s) for s in input_shape] if isinstance(input_shape, list) else zeros(
                input_shape
            )
        )
        kwargs = {"training": False} if self._call_has_training else {}
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
