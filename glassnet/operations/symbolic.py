"""Ops on symbolic inputs: the ``@operation`` decorator and :class:`OperationLayer`.

Every function of ``keras.ops`` is decorated with :func:`operation`, which records it by name
in :data:`OPERATIONS`. Called on concrete values the function just runs. Called with a
:class:`~glassnet.layers.symbolic.KerasTensor` anywhere among its arguments (also inside a
list, as in ``ops.stack([a, b])``), it computes nothing: it wraps the call in an
:class:`OperationLayer` (the op's name, its non-tensor arguments, a slot for each tensor) and
calls that layer on the KerasTensors, so the call becomes a node of the functional graph and
``Model(inputs, outputs)`` runs it. The output shape and dtype come from a dummy call on zeros
(unknown dimensions set to 1 and to 2; a dimension that differs is unknown).

A model with such layers saves and loads when the op's non-tensor arguments are JSON values
(numbers, strings, None, lists, dtypes): the layer's config names the op, which is looked up in
:data:`OPERATIONS` on loading. Other arguments (a callable, an array) make ``get_config`` raise,
naming the op.

Example:
    >>> import numpy as np
    >>> import glassnet as gn
    >>> from glassnet import operations as ops
    >>> x = gn.Input((4,))
    >>> y = ops.square(x) + 1
    >>> model = gn.Model(x, y)
    >>> model.predict(np.full((2, 4), 2.0), verbose=0)[0].tolist()
    [5.0, 5.0, 5.0, 5.0]
"""

import functools

from glassnet.backend import xp
from glassnet.config import no_grad
from glassnet.errors import GlassnetTypeError
from glassnet.layers.base import Layer, unique_name
from glassnet.layers.input_spec import _merge_shapes, _normalize_shape
from glassnet.layers.serialization import register_layer
from glassnet.layers.symbolic import KerasTensor, Node
from glassnet.tensor import Tensor

#: op name -> the plain (undecorated) function; OperationLayer finds its op here by name.
OPERATIONS = {}


class _Slot:
    """Where the i-th tensor input goes back in an op's arguments."""

    def __init__(self, index):
        self.index = index

    def __repr__(self):
        return f"<tensor {self.index}>"


def _template(value, tensors):
    """``value`` with each KerasTensor replaced by a :class:`_Slot` (appended to tensors)."""
    if isinstance(value, KerasTensor):
        tensors.append(value)
        return _Slot(len(tensors) - 1)
    if isinstance(value, (list, tuple)):
        items = [_template(v, tensors) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: _template(v, tensors) for k, v in value.items()}
    return value


def _fill(value, tensors):
    if isinstance(value, _Slot):
        return tensors[value.index]
    if isinstance(value, (list, tuple)):
        items = [_fill(v, tensors) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: _fill(v, tensors) for k, v in value.items()}
    return value


def _has_symbolic(value):
    if isinstance(value, KerasTensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_symbolic(v) for v in value)
    if isinstance(value, dict):
        return any(_has_symbolic(v) for v in value.values())
    return False


def operation(function):
    """Decorator: register ``function`` as an op and let it take KerasTensors (see module).

    Example:
        >>> from glassnet.operations.symbolic import OPERATIONS
        >>> OPERATIONS["square"].__name__
        'square'
    """
    name = function.__name__
    OPERATIONS[name] = function

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if _has_symbolic(args) or _has_symbolic(kwargs):
            tensors = []
            arguments = _template(list(args), tensors)
            keyword_arguments = _template(dict(kwargs), tensors)
            layer = OperationLayer(name, arguments, keyword_arguments)
            return layer(tensors)
        return function(*args, **kwargs)

    return wrapper


def _to_json(value, op):
    if isinstance(value, _Slot):
        return {"__tensor__": value.index}
    if isinstance(value, (list, tuple)):
        return [_to_json(v, op) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_json(v, op) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, slice):
        return {"__slice__": _to_json([value.start, value.stop, value.step], op)}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, xp.generic):
        return value.item()
    if isinstance(value, xp.dtype) or (isinstance(value, type) and issubclass(value, xp.generic)):
        return xp.dtype(value).name
    raise GlassnetTypeError(
        f"OperationLayer (op '{op}'): cannot serialize the argument {value!r} of type "
        f"{type(value).__name__}; only numbers, strings, None, lists and dtypes can be saved "
        f"(save the weights with save_weights, or write a custom layer with get_config)"
    )


def _from_json(value):
    if isinstance(value, dict):
        if set(value) == {"__tensor__"}:
            return _Slot(value["__tensor__"])
        if set(value) == {"__slice__"}:
            return slice(*value["__slice__"])
        if set(value) == {"__ellipsis__"}:
            return Ellipsis
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    return value


@register_layer
class OperationLayer(Layer):
    """The layer a ``keras.ops`` call on KerasTensors becomes (one per call).

    Args:
        operation: the op's name in :data:`OPERATIONS` (``"square"``).
        arguments: its positional arguments, tensors replaced by slots.
        keyword_arguments: its keyword arguments, likewise.
        **kwargs: base Layer arguments (``name`` defaults to the op's name, numbered).
    """

    cast_inputs = False

    def __init__(self, operation, arguments=(), keyword_arguments=None, **kwargs):
        if operation not in OPERATIONS:
            raise GlassnetTypeError(
                f"OperationLayer: unknown op {operation!r}; expected a keras.ops name"
            )
        kwargs.setdefault("name", unique_name(operation))
        super().__init__(**kwargs)
        self.operation = operation
        self.arguments = list(arguments)
        self.keyword_arguments = dict(keyword_arguments or {})

    def call(self, inputs):
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        args = _fill(self.arguments, tensors)
        kwargs = _fill(self.keyword_arguments, tensors)
        return OPERATIONS[self.operation](*args, **kwargs)

    def _dummy(self, inputs, fill):
        values = [
            Tensor(xp.zeros(tuple(fill if d is None else d for d in t.shape), t.dtype))
            for t in inputs
        ]
        with no_grad(), xp.errstate(all="ignore"):
            result = self.call(values)
        if isinstance(result, (list, tuple)):
            return [(_normalize_shape(r.shape), r.dtype) for r in result]
        return (_normalize_shape(result.shape), result.dtype)

    def _call_symbolic(self, inputs, args, kwargs):
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        first, second = self._dummy(inputs, 1), self._dummy(inputs, 2)
        self.built = True
        node = Node(self, inputs, args, kwargs)
        if isinstance(first, list):
            outputs = [
                KerasTensor(_merge_shapes(a[0], b[0]), a[1], node, i)
                for i, (a, b) in enumerate(zip(first, second, strict=True))
            ]
            self.output_shape = [t.shape for t in outputs]
        else:
            outputs = KerasTensor(_merge_shapes(first[0], second[0]), first[1], node, 0)
            self.output_shape = outputs.shape
        node.outputs = outputs
        self.__dict__.setdefault("_inbound_nodes", []).append(node)
        return outputs

    def compute_output_shape(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        specs = [KerasTensor(s, xp.float32) for s in shapes]
        result = self._dummy(specs, 1)
        return [r[0] for r in result] if isinstance(result, list) else result[0]

    def get_config(self):
        config = super().get_config()
        config.update(
            operation=self.operation,
            arguments=_to_json(self.arguments, self.operation),
            keyword_arguments=_to_json(self.keyword_arguments, self.operation),
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["arguments"] = list(_from_json(config.get("arguments", [])))
        config["keyword_arguments"] = _from_json(config.get("keyword_arguments", {}))
        return super().from_config(config)
