"""Models: :class:`Model` (a Layer made of layers) and :class:`Sequential`.

Three ways to make a model, as in Keras:

- ``Sequential([Dense(...), Dropout(...), ...])``: a stack, each layer feeding the next;
- the functional API: ``x = Input(shape=(784,)); y = Dense(10)(x); Model(x, y)``: calling a
  layer on a symbolic :class:`~glassnet.layers.base.KerasTensor` records a node, and the
  model runs the recorded layers in topological order;
- subclassing: ``class Net(Model)`` with layers as attributes and a ``call()``.

``Model`` gets ``compile``/``fit``/``evaluate``/``predict`` and the training steps from the
:class:`~glassnet.training.Trainer` mixin (``class Model(Trainer, Layer)``, as in Keras 3);
``save``/``save_weights``/``load_weights`` call :mod:`glassnet.io` and ``summary`` prints the
table that :mod:`glassnet.summary` builds. (At under 700 lines this module is one
concept: the model, functional graph and Sequential stack together, which share the graph's
nodes, names and config; the symbolic structures they walk live in
:mod:`glassnet.layers.symbolic`.)
"""

from glassnet import io
from glassnet import summary as summary_module
from glassnet.backend import xp
from glassnet.config import no_grad
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.graph import topological_order
from glassnet.layers.base import Layer, _custom_init_args, unique_name
from glassnet.layers.core import InputLayer
from glassnet.layers.input_spec import _batchless, user_shape
from glassnet.layers.serialization import deserialize, register_layer, serialize
from glassnet.layers.symbolic import (
    KerasTensor,
    assign_outputs,
    call_layout,
    from_layout,
    map_structure,
)
from glassnet.tensor import Tensor
from glassnet.training import Trainer


def _flat(structure):
    """The leaves of a nest of lists, tuples and dicts (dicts in key order)."""
    if isinstance(structure, dict):
        structure = list(structure.values())
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flat(item)]
    return [structure]


def _is_nested(structure):
    return isinstance(structure, (list, tuple)) and any(
        isinstance(item, (list, tuple, dict)) for item in structure)


@register_layer
class Model(Trainer, Layer):
    """A layer made of layers, with training methods; also the functional-API model.

    ``Model(inputs, outputs)`` builds a functional model from KerasTensors (see
    :func:`~glassnet.layers.core.Input`); ``Model()`` in a subclass makes a model whose
    forward pass is the subclass's ``call``. Sublayers assigned as attributes (or in lists)
    are tracked: their weights are the model's weights, in assignment order.

    Args:
        inputs: functional API: an input KerasTensor, a list of them, or a dict
            ``{name: KerasTensor}`` (then calls, ``fit`` and ``predict`` take a dict keyed the
            same way; a list-input model takes a dict keyed by the Input names too).
        outputs: functional API: an output KerasTensor, a list or a dict of them (a dict
            model returns a dict, and its keys name the outputs in ``compile``, ``fit`` and
            the logs).
        name: default ``functional`` for a functional model, else the snake-case class name.
        **kwargs: base Layer arguments (``trainable``, ``dtype``...).

    Example:
        >>> import numpy as np
        >>> from glassnet.layers import Dense, Input
        >>> x = Input(shape=(3,))
        >>> model = Model(x, Dense(2)(Dense(4, activation="relu")(x)))
        >>> model(np.ones((5, 3))).shape
        (5, 2)
        >>> class Net(Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = Dense(4, activation="relu")
        ...         self.out = Dense(2)
        ...     def call(self, inputs):
        ...         return self.out(self.hidden(inputs))
        >>> Net()(np.ones((5, 3))).shape
        (5, 2)
    """

    cast_inputs = False

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        functional = inputs is not None or outputs is not None
        if functional and (inputs is None or outputs is None):
            raise GlassnetValueError("Model: the functional API needs both inputs= and outputs=")
        if functional and name is None and type(self) is Model:
            name = unique_name("functional")
        super().__init__(name=name, **kwargs)
        self._is_functional = False
        self.stop_training = False
        self.inputs = self.outputs = None
        if functional:
            self._init_graph(inputs, outputs)

    # ----------------------------------------------------------------- functional graph
    def _init_graph(self, inputs, outputs):
        flat_inputs, flat_outputs = _flat(inputs), _flat(outputs)
        for role, tensors in (("inputs", flat_inputs), ("outputs", flat_outputs)):
            for t in tensors:
                if not isinstance(t, KerasTensor):
                    raise GlassnetTypeError(
                        f"Model: {role} must be KerasTensors made with Input() and layers, "
                        f"got {type(t).__name__}"
                    )
        for t in flat_inputs:
            if not isinstance(t.node.layer, InputLayer):
                raise GlassnetValueError(
                    f"Model: every input must come straight from Input(); {t} was made by "
                    f"layer '{t.node.layer.name}'"
                )
        self._nested_inputs, self._nested_outputs = inputs, outputs
        self.inputs, self.outputs = flat_inputs, flat_outputs
        self._nodes = _topological_nodes(flat_inputs, flat_outputs)
        layers, ids = [], set()
        for layer in [t.node.layer for t in flat_inputs] + [n.layer for n in self._nodes]:
            if id(layer) not in ids:
                ids.add(id(layer))
                layers.append(layer)
        seen_names, duplicates = set(), set()
        for layer in layers:
            (duplicates if layer.name in seen_names else seen_names).add(layer.name)
        duplicates = sorted(duplicates)
        if duplicates:
            raise GlassnetValueError(
                f"Model: all layers of a model must have unique names; duplicated: "
                f"{duplicates}"
            )
        self._graph_layers = layers
        self._is_functional = True
        self.built = True
        shapes = [t.shape for t in flat_inputs]
        self.input_shape = shapes if isinstance(inputs, (list, tuple, dict)) else shapes[0]
        out_shapes = [t.shape for t in flat_outputs]
        self.output_shape = out_shapes if isinstance(outputs, (list, tuple, dict)) \
            else out_shapes[0]

    def _run_graph(self, inputs, training):
        given = self._given_inputs(inputs)
        if len(given) != len(self.inputs):
            raise GlassnetValueError(
                f"Model '{self.name}' expects {len(self.inputs)} input(s), received "
                f"{len(given)}"
            )
        values = {}
        for placeholder, value in zip(self.inputs, given, strict=True):
            shape, expected = value.shape, placeholder.shape
            if len(shape) != len(expected) or any(
                e is not None and s != e for s, e in zip(shape, expected, strict=False)
            ):
                raise ShapeError(
                    f"Model '{self.name}': input '{placeholder.node.layer.name}' expects shape "
                    f"{expected}, received shape {shape}"
                )
            values[id(placeholder)] = value
        def value(t):
            return values[id(t)]

        for node in self._nodes:  # each call with the positional/keyword structure it had
            result = node.layer(map_structure(value, node.inputs),
                                *map_structure(value, node.args), training=training,
                                **map_structure(value, node.kwargs))
            assign_outputs(node.outputs, result, values)
        if isinstance(self._nested_outputs, dict) or _is_nested(self._nested_outputs):
            return map_structure(value, self._nested_outputs)  # the structure it was given
        results = [values[id(t)] for t in self.outputs]
        return results if isinstance(self._nested_outputs, (list, tuple)) else results[0]

    def _given_inputs(self, inputs):
        """The call's inputs in :attr:`inputs` order: a dict is matched by key to a dict of
        inputs, or to the inputs' names (``Input(name=...)``), as Keras 3 does."""
        if not isinstance(inputs, dict):
            return _flat(inputs)
        keys = list(self._nested_inputs) if isinstance(self._nested_inputs, dict) else [
            t.node.layer.name for t in self.inputs]
        missing = [k for k in keys if k not in inputs]
        if missing:
            raise GlassnetValueError(
                f"Model '{self.name}': the input dict has keys {sorted(inputs)}, expected the "
                f"model's input names {keys} (missing {missing})"
            )
        return [inputs[k] for k in keys]

    @property
    def input_names(self):
        """The names of the inputs (the dict keys for dict inputs, else the Input names)."""
        if isinstance(getattr(self, "_nested_inputs", None), dict):
            return list(self._nested_inputs)
        return [t.node.layer.name for t in self.inputs or ()]

    @property
    def output_names(self):
        """The names of the outputs (the dict keys for dict outputs, else the names of the
        layers that make them): the keys of ``loss={...}``, ``y={...}`` and the logs."""
        if isinstance(getattr(self, "_nested_outputs", None), dict):
            return list(self._nested_outputs)
        return [t.node.layer.name for t in self.outputs or ()]

    # ----------------------------------------------------------------- layer protocol
    def call(self, inputs, training=False):
        if self._is_functional:
            return self._run_graph(inputs, training)
        raise NotImplementedError(
            f"Model '{self.name}': subclass Model and implement call(inputs, training=False), "
            f"or create a functional model with Model(inputs, outputs)"
        )

    def _maybe_build(self, input_shape):
        # sublayers build themselves during the first call
        if not self.built:
            self.built = True
            self.input_shape = _batchless(input_shape)

    def build(self, input_shape):
        """Build all sublayers by running the model once on zeros of ``input_shape``."""
        if self._is_functional:
            return
        input_shape = _batchless(
            [tuple(s) for s in input_shape] if isinstance(input_shape, list)
            else tuple(input_shape)
        )
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        dummies = [
            Tensor(xp.zeros(tuple(1 if d is None else d for d in s), self.dtype))
            for s in shapes
        ]
        with no_grad():
            outputs = self(dummies if isinstance(input_shape, list) else dummies[0])
        self.built = True
        self.input_shape = input_shape
        self.output_shape = _batchless(
            [y.shape for y in outputs] if isinstance(outputs, (list, tuple)) else outputs.shape
        )

    @property
    def input(self):
        """The symbolic input(s) of a functional or built Sequential model."""
        if self.inputs is None:
            raise GlassnetValueError(
                f"Model '{self.name}' has no symbolic input: only functional models and "
                f"Sequential models built with an input shape have one"
            )
        nested = getattr(self, "_nested_inputs", None)
        if isinstance(nested, dict):
            return dict(nested)
        return self.inputs if isinstance(nested, (list, tuple)) else self.inputs[0]

    @property
    def output(self):
        """The symbolic output(s) of a functional or built Sequential model."""
        if self.outputs is None:
            raise GlassnetValueError(
                f"Model '{self.name}' has no symbolic output: only functional models and "
                f"Sequential models built with an input shape have one"
            )
        nested = getattr(self, "_nested_outputs", None)
        if isinstance(nested, dict):
            return dict(nested)
        return self.outputs if isinstance(nested, (list, tuple)) else self.outputs[0]

    @property
    def layers(self):
        """The model's layers (functional models list their InputLayers first)."""
        if self._is_functional:
            return list(self._graph_layers)
        return self._sublayers()

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in :attr:`layers`."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise GlassnetValueError(
                    f"get_layer: index {index} out of range for a model with {len(layers)} "
                    f"layers"
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise GlassnetValueError(
            f"get_layer: no layer named {name!r}; layers: {[layer.name for layer in layers]}"
        )

    def inspect(self):
        """``{layer name: layer.inspect()}`` for every layer that recorded something."""
        return {
            layer.name: layer.inspect()
            for layer in self._flatten_layers(include_self=False)
            if layer._inspect_data is not None
        }

    def get_config(self):
        """Functional models: the layer graph; subclassed models must override this."""
        if not self._is_functional:
            custom = _custom_init_args(type(self)) if type(self) is not Model else []
            if type(self).get_config is Model.get_config and custom:
                raise NotImplementedError(
                    f"Model {type(self).__name__} is a subclassed model with constructor "
                    f"arguments {custom}: implement get_config() (and from_config) to "
                    f"serialize its architecture, or save only its weights with save_weights()"
                )
            return super().get_config()
        config = Layer.get_config(self)
        layers = []
        for layer in self._graph_layers:
            entry = serialize(layer)
            entry["name"] = layer.name
            calls = self._calls_of(layer)
            entry["inbound_nodes"] = [
                [self._tensor_ref(t) for t in node.flat_inputs] for node in calls]
            layouts = [call_layout(node) for node in calls]
            if any(layout is not None for layout in layouts):  # several tensor arguments
                entry["call_layouts"] = layouts
            layers.append(entry)
        config.update(
            layers=layers,
            input_layers=[self._tensor_ref(t) for t in self.inputs],
            output_layers=[self._tensor_ref(t) for t in self.outputs],
            multiple_inputs=isinstance(self._nested_inputs, (list, tuple)),
            multiple_outputs=isinstance(self._nested_outputs, (list, tuple)),
        )
        for role, nested in (("input_keys", self._nested_inputs),
                             ("output_keys", self._nested_outputs)):
            if isinstance(nested, dict):  # dict inputs/outputs: their keys, in order
                config[role] = [str(key) for key in nested]
        return config

    def to_json(self, **kwargs):
        """The architecture as a JSON string, in Keras's layout (see
        :func:`glassnet.saving.model_to_json`); ``model_from_json`` rebuilds it."""
        from glassnet.saving import model_to_json

        return model_to_json(self, **kwargs)

    def _tensor_ref(self, tensor):
        """[layer name, index of the call among the layer's calls in this model, output #]."""
        layer = tensor.node.layer
        if isinstance(layer, InputLayer):
            return [layer.name, 0, tensor.index]
        return [layer.name, self._call_index()[0][id(tensor.node)], tensor.index]

    def _calls_of(self, layer):
        """The graph's nodes that call ``layer``, in graph order."""
        return [self._nodes[i] for i in self._call_index()[1].get(id(layer), ())]

    def _call_index(self):
        """``({id(node): its rank among its layer's calls}, {id(layer): [node positions]})``,
        made once per graph: get_config is O(nodes), not O(nodes * layers)."""
        cached = self.__dict__.get("_call_index_cache")
        if cached is None or cached[0] is not self._nodes:
            ranks, positions = {}, {}
            for position, node in enumerate(self._nodes):
                calls = positions.setdefault(id(node.layer), [])
                ranks[id(node)] = len(calls)
                calls.append(position)
            cached = self._call_index_cache = (self._nodes, ranks, positions)
        return cached[1:]

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "layers" not in config:
            config.pop("batch_input_shape", None)
            return cls(**config)
        created = {e["name"]: deserialize(e, custom_objects) for e in config["layers"]}
        outputs = {}  # (layer name, call index) -> output KerasTensor(s)
        for entry in config["layers"]:
            layer = created[entry["name"]]
            if isinstance(layer, InputLayer):
                outputs[(layer.name, 0)] = layer.output
        pending = [
            (e["name"], i, refs)
            for e in config["layers"]
            for i, refs in enumerate(e.get("inbound_nodes", []))
        ]
        layouts = {e["name"]: e["call_layouts"] for e in config["layers"] if "call_layouts" in e}
        while pending:
            remaining = []
            for name, index, refs in pending:
                if all((ref[0], ref[1]) in outputs for ref in refs):
                    args = [_pick(outputs[(r[0], r[1])], r[2]) for r in refs]
                    layout = layouts.get(name, [None] * (index + 1))[index]
                    if layout is not None:
                        tensors = iter(args)
                        call_in, call_args, call_kwargs = (
                            from_layout(part, tensors) for part in layout)
                        outputs[(name, index)] = created[name](call_in, *call_args,
                                                               **call_kwargs)
                        continue
                    outputs[(name, index)] = created[name](args if len(args) > 1 else args[0])
                else:
                    remaining.append((name, index, refs))
            if len(remaining) == len(pending):
                raise GlassnetValueError("Model.from_config: the layer graph cannot be resolved")
            pending = remaining
        inputs = [_pick(outputs[(r[0], r[1])], r[2]) for r in config["input_layers"]]
        outs = [_pick(outputs[(r[0], r[1])], r[2]) for r in config["output_layers"]]
        if config.get("input_keys"):
            inputs = dict(zip(config["input_keys"], inputs, strict=True))
        elif not config.get("multiple_inputs"):
            inputs = inputs[0]
        if config.get("output_keys"):
            outs = dict(zip(config["output_keys"], outs, strict=True))
        elif not config.get("multiple_outputs"):
            outs = outs[0]
        return cls(
            inputs=inputs,
            outputs=outs,
            name=config.get("name"),
            trainable=config.get("trainable", True),
        )

    # ----------------------------------------------------------------- summary
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print Keras's table of layers, output shapes and parameter counts.

        Params of a Dense layer = inputs * units + units. Totals count every weight once;
        sizes are in bytes (float32: 4 per parameter), as in Keras 3.

        Args:
            line_length: minimum total width of the table.
            positions: accepted for Keras compatibility (column widths are automatic).
            print_fn: called with each line (default ``print``), e.g. to write to a file.
                Without it, in a Jupyter notebook the table is displayed as HTML instead.
            expand_nested: also list the layers inside nested models, indented.
            show_trainable: add a column saying whether each layer is trainable.
            layer_range: accepted for Keras compatibility (ignored).
        """
        summary_module.print_summary(self, line_length, print_fn, expand_nested, show_trainable)

    def summary_text(self, line_length=None, expand_nested=False, show_trainable=False,
                     use_unicode=True):
        """The text :meth:`summary` prints, as one string (see :mod:`glassnet.summary`)."""
        return summary_module.summary_text(self, line_length, expand_nested, show_trainable,
                                           use_unicode)

    # ----------------------------------------------------------------- saving
    def save(self, filepath, overwrite=True, include_optimizer=True, weights_format="npz",
             include_rng_state=False):
        """Save architecture, weights and training config; see :func:`glassnet.io.save_model`."""
        return io.save_model(self, filepath, overwrite=overwrite,
                             include_optimizer=include_optimizer, weights_format=weights_format,
                             include_rng_state=include_rng_state)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights only; see :func:`glassnet.io.save_weights`."""
        return io.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Load weights saved by :meth:`save_weights`; see :func:`glassnet.io.load_weights`."""
        return io.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def export(self, filepath, format="onnx", verbose=True, input_signature=None,  # noqa: A002
               **kwargs):
        """Export the model for other tools (Keras 3's signature; the default is ``"onnx"``).

        ``format="onnx"`` writes an ONNX graph (``pip install "glassnet[onnx]"``; see
        :mod:`glassnet.interop.onnx_export`; ``opset_version=`` as in Keras); ``"safetensors"``
        writes the weights (:func:`glassnet.interop.safetensors_io.save_safetensors`). Keras's
        other formats (``"tf_saved_model"``, ``"openvino"``, ``"litert"``, ``"torch"``) need
        TensorFlow or other runtimes and are refused, naming the formats that exist.
        """
        from glassnet.interop.onnx_export import export_model

        return export_model(self, filepath, format=format, verbose=verbose,
                            input_signature=input_signature, **kwargs)


def _topological_nodes(flat_inputs, flat_outputs):
    """The graph's layer-call nodes, each after the nodes that feed it (InputLayers left out).

    A depth-first walk back from the outputs (:func:`glassnet.graph.topological_order`); an
    InputLayer that is not among ``flat_inputs`` means the graph is disconnected.
    """
    known_inputs = {id(t.node) for t in flat_inputs}
    order = topological_order([t.node for t in flat_outputs],
                              lambda node: [t.node for t in node.flat_inputs])
    for node in order:
        if isinstance(node.layer, InputLayer) and id(node) not in known_inputs:
            raise GlassnetValueError(
                f"Model: graph disconnected: the outputs depend on input "
                f"'{node.layer.name}', which is not in the model's inputs"
            )
    return [n for n in order if not isinstance(n.layer, InputLayer)]


def _pick(outputs, index):
    return outputs[index] if isinstance(outputs, (list, tuple)) else outputs


@register_layer
class Sequential(Model):
    """A linear stack of layers: each layer's output is the next layer's input.

    If the first layer has ``input_shape=`` (or an ``Input``/``InputLayer`` comes first),
    the model is built as layers are added (so ``summary()`` works before training);
    otherwise it builds on its first call.

    Args:
        layers: optional list of layers.
        name: default ``sequential`` (numbered).
        **kwargs: base Layer arguments.

    Example:
        >>> from glassnet.layers import Dense, Dropout
        >>> model = Sequential([Dense(512, activation="relu", input_shape=(784,)),
        ...                     Dropout(0.2), Dense(10, activation="softmax")])
        >>> model.count_params()  # 784*512 + 512 + 512*10 + 10
        407050
        >>> model.output_shape
        (None, 10)
    """

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._layers = []
        self._names = {}  # layer name -> its index in _layers: add()'s unique-name check, O(1)
        self._input_layer = None
        self._build_shape = None
        self._shapes_done = 0  # layers already called on the symbolic input
        self._symbolic = []  # their symbolic outputs
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._layers)

    def add(self, layer):
        """Append a layer (or an ``Input``/``InputLayer`` to fix the input shape)."""
        if isinstance(layer, KerasTensor):
            if not isinstance(layer.node.layer, InputLayer):
                raise GlassnetTypeError(
                    "Sequential.add: a KerasTensor can only be added when it comes straight "
                    "from Input(); build a functional Model for other graphs"
                )
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._layers:
                raise GlassnetValueError(
                    "Sequential.add: an Input/InputLayer must come first, before any layer"
                )
            self._input_layer = layer
            self._build_shape = layer._batch_input_shape
            return
        if not isinstance(layer, Layer):
            raise GlassnetTypeError(
                f"Sequential.add: expected a Layer, received {type(layer).__name__} "
                f"{layer!r}"
            )
        if self._name_taken(layer.name):
            raise GlassnetValueError(
                f"Sequential.add: all layers must have unique names; '{layer.name}' is "
                f"already the name of a layer in this model"
            )
        if not self._layers and self._build_shape is None:
            self._build_shape = layer._batch_input_shape
        self._layers.append(layer)
        self._names[layer.name] = len(self._layers) - 1
        self._propagate_shapes()

    def _name_taken(self, name):
        """Whether a layer of the stack is called ``name``, in O(1) (building n layers is
        O(n)): ``_names`` maps each name to its layer's position in the stack, as it was when
        the layer was added; an entry whose layer was renamed since is noticed here and the
        index is rebuilt from the current names."""
        index = self._names.get(name)
        if index is not None and (index >= len(self._layers)
                                  or self._layers[index].name != name):
            self._names = {layer.name: i for i, layer in enumerate(self._layers)}
            index = self._names.get(name)
        return index is not None

    def pop(self):
        """Remove and return the last layer."""
        if not self._layers:
            raise GlassnetValueError("Sequential.pop: the model has no layers")
        layer = self._layers.pop()
        if self._names.get(layer.name) == len(self._layers):
            del self._names[layer.name]
        self._shapes_done = min(self._shapes_done, len(self._layers))
        self._symbolic = self._symbolic[: self._shapes_done]
        self.output_shape = (
            self._layers[-1].output_shape if self._layers else self.input_shape
        )
        if self.outputs is not None:
            self.outputs = [self._symbolic[-1] if self._symbolic else self.inputs[0]]
        return layer

    def build(self, input_shape=None):
        """Build every layer for inputs of ``input_shape`` (batch dimension first)."""
        if input_shape is not None:
            self._build_shape = user_shape(input_shape, "input_shape", f"Sequential "
                                                                      f"'{self.name}'.build")
            self._shapes_done = 0
        if self._build_shape is None:
            raise GlassnetValueError(
                f"Sequential '{self.name}': build() needs an input shape, e.g. "
                f"model.build((None, 784)), or give the first layer input_shape="
            )
        self._propagate_shapes()

    def _propagate_shapes(self):
        """Build eagerly by calling each new layer on the symbolic output of the previous."""
        shape = self._build_shape if self._build_shape is not None else (
            self.input_shape if self.built else None
        )
        if shape is None:
            return
        if self._input_layer is None or self._input_layer._batch_input_shape != tuple(shape):
            self._input_layer = InputLayer(batch_shape=shape)
            self._shapes_done = 0
        x = self._input_layer.output
        if self._shapes_done:
            x = self._symbolic[self._shapes_done - 1]
        del self._symbolic[self._shapes_done:]  # in place: no copy per added layer
        for layer in self._layers[self._shapes_done:]:
            x = layer(x)
            layer.output_shape = x.shape
            self._symbolic.append(x)
        self._shapes_done = len(self._layers)
        self.built = True
        self.input_shape = tuple(shape)
        self.inputs = [self._input_layer.output]
        self.outputs = [x]
        self.output_shape = x.shape

    def call(self, inputs, training=False):
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def _maybe_build(self, input_shape):
        if not self.built:
            super()._maybe_build(input_shape)
            self._shapes_done = 0

    def get_config(self):
        config = Layer.get_config(self)
        config.pop("batch_input_shape", None)
        build_shape = self._build_shape if self._build_shape is not None else (
            self.input_shape if self.built else None
        )
        config["layers"] = [serialize(layer) for layer in self._layers]
        config["build_input_shape"] = None if build_shape is None else list(build_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config.get("name"), trainable=config.get("trainable", True),
                    dtype=config.get("dtype"))
        for spec in config.get("layers", []):
            model.add(deserialize(spec, custom_objects))
        shape = config.get("build_input_shape")
        if shape is not None and not model.built:
            model.build(tuple(shape))
        return model


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True,  # noqa: A002
               **limits):
    """Load a model saved by ``model.save``; see :func:`glassnet.io.load_model`."""
    return io.load_model(filepath, custom_objects=custom_objects, compile=compile,
                         safe_mode=safe_mode, **limits)  # max_parameters=, max_layers=


def model_from_json(json_string, custom_objects=None):
    """A model (fresh weights) from ``model.to_json()``: :func:`glassnet.saving.model_from_json`.
    """
    from glassnet.saving import model_from_json as from_json

    return from_json(json_string, custom_objects=custom_objects)


def clone_model(model, custom_objects=None):
    """A new model with the same architecture (fresh weights) from ``model.get_config()``."""
    return type(model).from_config(model.get_config(), custom_objects=custom_objects)
