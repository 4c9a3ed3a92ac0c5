"""Layer -> ONNX operator converters for :mod:`glassnet.interop.onnx_export`.

A converter is ``fn(graph, layer, names, ins, outs)``: ``names`` are the ONNX values the layer
reads, ``ins`` and ``outs`` the layer call's symbolic input and output KerasTensors (shapes and
dtypes); it adds operators to the :class:`~glassnet.interop.onnx_export.OnnxGraph` and returns
the ONNX name of each output. Converters are keyed by the exact glassnet class name, so a
user's subclass (whose ``call`` may differ) is refused rather than exported wrongly. The
recurrent layers are in :mod:`glassnet.interop.onnx_recurrent`.

To export a new layer: write its converter here (or in a sibling module) under
``@converts("ClassName")`` and add a small model with it to tests/interop/test_onnx_export.py.

Example:
    >>> "Conv2D" in CONVERTERS and "Concatenate" in CONVERTERS
    True
"""

import math

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError

CONVERTERS = {}  # glassnet class name -> converter
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
FLOAT = 1  # onnx.TensorProto.FLOAT
INT64 = 7  # onnx.TensorProto.INT64


def converts(*class_names):
    """Register the decorated function as the converter of the named glassnet classes."""
    def register(function):
        for name in class_names:
            CONVERTERS[name] = function
        return function
    return register


def unsupported(layer, reason):
    """The error for a layer (or one of its settings) that cannot be exported."""
    _load_all()
    return GlassnetValueError(
        f"ONNX export: layer '{layer.name}' ({type(layer).__name__}) {reason}. Layers that can "
        f"be exported: {', '.join(sorted(CONVERTERS))}"
    )


def _load_all():
    import glassnet.interop.onnx_recurrent  # noqa: F401  (registers the RNN converters)


def convert_layer(graph, layer, names, ins, outs):
    """Emit ``layer``'s operators; returns the ONNX names of its outputs (a list)."""
    _load_all()
    cls = type(layer)
    converter = CONVERTERS.get(cls.__name__)
    if converter is None or not cls.__module__.startswith("glassnet."):
        raise unsupported(layer, "has no ONNX conversion")
    result = converter(graph, layer, names, ins, outs)
    return list(result) if isinstance(result, (list, tuple)) else [result]


def weight(graph, tensor, layer, short):
    """An initializer holding a layer's weight, named by its path (``dense/kernel``)."""
    return graph.const(tensor.data, getattr(tensor, "path", None) or f"{layer.name}/{short}")


# ====================================================================== activations
def activation_name(function, layer):
    """The registry name of a built-in activation function, or an unsupported-layer error."""
    from glassnet import activations

    name = getattr(function, "__name__", None)
    if function is None:
        return "linear"
    if activations.ACTIVATIONS.get(name) is not function:
        raise unsupported(layer, f"uses the activation {function!r}, which is not one of "
                                 f"glassnet's built-in activations ({', '.join(ACTIVATIONS)})")
    return name


def _gelu(graph, x, hint):
    half_x = graph.op("Mul", [x, graph.scalar(0.5, f"{hint}/half")], hint)
    erf = graph.op("Erf", [graph.op("Div", [x, graph.scalar(math.sqrt(2.0), f"{hint}/sqrt2")],
                                    hint)], hint)
    return graph.op("Mul", [half_x, graph.op("Add", [erf, graph.scalar(1.0, f"{hint}/one")],
                                             hint)], hint)


ACTIVATIONS = {
    "linear": lambda g, x, hint: x,
    "relu": lambda g, x, hint: g.op("Relu", [x], hint),
    "sigmoid": lambda g, x, hint: g.op("Sigmoid", [x], hint),
    "tanh": lambda g, x, hint: g.op("Tanh", [x], hint),
    "softplus": lambda g, x, hint: g.op("Softplus", [x], hint),
    "softmax": lambda g, x, hint: g.op("Softmax", [x], hint, axis=-1),
    "log_softmax": lambda g, x, hint: g.op("LogSoftmax", [x], hint, axis=-1),
    "elu": lambda g, x, hint: g.op("Elu", [x], hint, alpha=1.0),
    "leaky_relu": lambda g, x, hint: g.op("LeakyRelu", [x], hint, alpha=0.2),
    "hard_sigmoid": lambda g, x, hint: g.op("HardSigmoid", [x], hint, alpha=1 / 6, beta=0.5),
    "swish": lambda g, x, hint: g.op("Mul", [x, g.op("Sigmoid", [x], hint)], hint),
    "gelu": _gelu,
    "step": lambda g, x, hint: g.op(
        "Cast", [g.op("Greater", [x, g.scalar(0.0, f"{hint}/zero")], hint)], hint, to=FLOAT),
}


def emit_activation(graph, function, x, layer):
    """``function(x)`` as ONNX operators (nothing for the identity)."""
    return ACTIVATIONS[activation_name(function, layer)](graph, x, f"{layer.name}/activation")


# ====================================================================== core layers
@converts("Dense")
def _dense(graph, layer, names, ins, outs):
    y = graph.op("MatMul", [names[0], weight(graph, layer.kernel, layer, "kernel")], layer.name)
    if layer.use_bias:
        y = graph.op("Add", [y, weight(graph, layer.bias, layer, "bias")], layer.name)
    return emit_activation(graph, layer.activation, y, layer)


@converts("Activation")
def _activation(graph, layer, names, ins, outs):
    return emit_activation(graph, layer.activation, names[0], layer)


@converts("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
          "GaussianNoise", "GaussianDropout", "ActivityRegularization", "Identity")
def _identity(graph, layer, names, ins, outs):
    return names[0]  # identity at inference


@converts("Flatten")
def _flatten(graph, layer, names, ins, outs):
    return graph.op("Flatten", [names[0]], layer.name, axis=1)  # NHWC kept: glassnet's order


@converts("Reshape")
def _reshape(graph, layer, names, ins, outs):
    shape = graph.ints([0, *layer.target_shape], f"{layer.name}/shape")  # 0: keep the batch
    return graph.op("Reshape", [names[0], shape], layer.name)


@converts("Permute")
def _permute(graph, layer, names, ins, outs):
    return graph.op("Transpose", [names[0]], layer.name, perm=[0, *layer.dims])


@converts("RepeatVector")
def _repeat_vector(graph, layer, names, ins, outs):
    x = graph.op("Unsqueeze", [names[0], graph.ints([1], f"{layer.name}/axis")], layer.name)
    return graph.op("Tile", [x, graph.ints([1, layer.n, 1], f"{layer.name}/repeats")],
                    layer.name)


@converts("ZeroPadding1D", "ZeroPadding2D")
def _zero_padding(graph, layer, names, ins, outs):
    widths = layer._widths(len(ins[0].shape))
    pads = [a for a, _ in widths] + [b for _, b in widths]
    return graph.op("Pad", [names[0], graph.ints(pads, f"{layer.name}/pads")], layer.name)


@converts("Cropping1D", "Cropping2D")
def _cropping(graph, layer, names, ins, outs):
    index = layer._index(ins[0].shape)
    axes = [i for i, s in enumerate(index) if s != slice(None)]
    starts = [index[a].start for a in axes]
    ends = [INT64_MAX if index[a].stop is None else index[a].stop for a in axes]
    for k, axis in enumerate(axes):  # unknown sizes: crop from the end with a negative stop
        crop_end = layer.cropping[k][1] if ins[0].shape[axis] is None else None
        if crop_end:
            ends[k] = -crop_end
    return graph.op("Slice", [names[0], graph.ints(starts, f"{layer.name}/starts"),
                              graph.ints(ends, f"{layer.name}/ends"),
                              graph.ints(axes, f"{layer.name}/axes")], layer.name)


@converts("Embedding")
def _embedding(graph, layer, names, ins, outs):
    if layer.mask_zero:
        raise unsupported(layer, "has mask_zero=True; the mask it passes on to later layers is "
                                 "not exported (export a copy with mask_zero=False if no later "
                                 "layer uses the mask)")
    indices = names[0]
    if ins[0].dtype.kind not in "iu":
        indices = graph.op("Cast", [indices], layer.name, to=INT64)
    table = weight(graph, layer.embeddings, layer, "embeddings")
    return graph.op("Gather", [table, indices], layer.name, axis=0)


# ====================================================================== activation layers
@converts("ReLU")
def _relu_layer(graph, layer, names, ins, outs):
    x, hint = names[0], layer.name
    if layer.max_value is None and layer.negative_slope == 0 and layer.threshold == 0:
        return graph.op("Relu", [x], hint)
    threshold = graph.scalar(layer.threshold, f"{hint}/threshold")
    if layer.negative_slope:
        low = graph.op("Mul", [graph.op("Sub", [x, threshold], hint),
                               graph.scalar(layer.negative_slope, f"{hint}/slope")], hint)
    else:
        low = graph.scalar(0.0, f"{hint}/zero")
    y = graph.op("Where", [graph.op("Less", [x, threshold], hint), low, x], hint)
    if layer.max_value is not None:
        ceiling = graph.scalar(layer.max_value, f"{hint}/max_value")
        y = graph.op("Where", [graph.op("GreaterOrEqual", [x, ceiling], hint), ceiling, y], hint)
    return y


@converts("LeakyReLU")
def _leaky_relu_layer(graph, layer, names, ins, outs):
    return graph.op("LeakyRelu", [names[0]], layer.name, alpha=layer.negative_slope)


@converts("ELU")
def _elu_layer(graph, layer, names, ins, outs):
    return graph.op("Elu", [names[0]], layer.name, alpha=layer.alpha)


@converts("PReLU")
def _prelu_layer(graph, layer, names, ins, outs):
    return graph.op("PRelu", [names[0], weight(graph, layer.alpha, layer, "alpha")], layer.name)


@converts("Softmax")
def _softmax_layer(graph, layer, names, ins, outs):
    if isinstance(layer.axis, int):
        return graph.op("Softmax", [names[0]], layer.name, axis=layer.axis)
    axes = list(layer.axis)
    top = graph.op("ReduceMax", [names[0]], layer.name, axes=axes, keepdims=1)
    e = graph.op("Exp", [graph.op("Sub", [names[0], top], layer.name)], layer.name)
    total = graph.op("ReduceSum", [e, graph.ints(axes, f"{layer.name}/axes")], layer.name,
                     keepdims=1)
    return graph.op("Div", [e, total], layer.name)


# ====================================================================== convolution, pooling
def padding_attributes(mode, spatial, kernel, strides, dilations):
    """ONNX ``pads`` (or ``auto_pad``) for Keras's 'valid', 'same' (TF rule) and 'causal'."""
    if mode == "valid":
        return {"pads": [0] * (2 * len(kernel))}
    if mode == "causal":
        return {"pads": [(kernel[0] - 1) * dilations[0], 0]}
    begins, ends = [], []
    for size, k, s, d in zip(spatial, kernel, strides, dilations, strict=True):
        if size is None:
            return {"auto_pad": "SAME_UPPER"}  # the same rule, applied by the runtime
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        begins.append(total // 2)
        ends.append(total - total // 2)
    return {"pads": begins + ends}


def to_channels_first(graph, x, rank, hint):
    return graph.op("Transpose", [x], hint, perm=[0, rank + 1, *range(1, rank + 1)])


def to_channels_last(graph, x, rank, hint):
    return graph.op("Transpose", [x], hint, perm=[0, *range(2, rank + 2), 1])


def _spatial(layer, shape):
    return list(shape[1:-1] if layer.data_format == "channels_last" else shape[2:])


@converts("Conv1D", "Conv2D")
def _conv(graph, layer, names, ins, outs):
    rank, hint, x = layer.rank, layer.name, names[0]
    last = layer.data_format == "channels_last"
    if last:
        x = to_channels_first(graph, x, rank, hint)
    kernel = xp.transpose(layer.kernel.data, (rank + 1, rank, *range(rank)))  # (out, in, *k)
    inputs = [x, graph.const(kernel, layer.kernel.path)]
    if layer.use_bias:
        inputs.append(weight(graph, layer.bias, layer, "bias"))
    pads = padding_attributes(layer.padding, _spatial(layer, ins[0].shape), layer.kernel_size,
                              layer.strides, layer.dilation_rate)
    y = graph.op("Conv", inputs, hint, kernel_shape=list(layer.kernel_size),
                 strides=list(layer.strides), dilations=list(layer.dilation_rate), **pads)
    y = emit_activation(graph, layer.activation, y, layer)  # element-wise: any layout
    return to_channels_last(graph, y, rank, hint) if last else y


@converts("MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D")
def _pooling(graph, layer, names, ins, outs):
    rank, hint, x = layer.rank, layer.name, names[0]
    last = layer.data_format == "channels_last"
    if last:
        x = to_channels_first(graph, x, rank, hint)
    pads = padding_attributes(layer.padding, _spatial(layer, ins[0].shape), layer.pool_size,
                              layer.strides, (1,) * rank)
    if type(layer).__name__.startswith("Max"):
        y = graph.op("MaxPool", [x], hint, kernel_shape=list(layer.pool_size),
                     strides=list(layer.strides), **pads)
    else:  # padded cells are not counted, as in Keras
        y = graph.op("AveragePool", [x], hint, kernel_shape=list(layer.pool_size),
                     strides=list(layer.strides), count_include_pad=0, **pads)
    return to_channels_last(graph, y, rank, hint) if last else y


@converts("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
          "GlobalMaxPooling2D")
def _global_pooling(graph, layer, names, ins, outs):
    rank = layer.rank
    axes = list(range(1, rank + 1)) if layer.data_format == "channels_last" else list(
        range(2, rank + 2))
    op = "ReduceMax" if "Max" in type(layer).__name__ else "ReduceMean"
    return graph.op(op, [names[0]], layer.name, axes=axes, keepdims=int(layer.keepdims))


# ====================================================================== normalization
@converts("BatchNormalization")
def _batch_norm(graph, layer, names, ins, outs):
    """y = (x - moving_mean) * (gamma / sqrt(moving_variance + epsilon)) + beta (inference)."""
    ndim = len(ins[0].shape)
    axis = layer.axis % ndim
    mean = layer.moving_mean.data.astype(xp.float64)
    variance = layer.moving_variance.data.astype(xp.float64)
    gamma = layer.gamma.data.astype(xp.float64) if layer.gamma is not None else 1.0
    beta = layer.beta.data if layer.beta is not None else None
    shape = (-1,) + (1,) * (ndim - 1 - axis)
    scale = (gamma / xp.sqrt(variance + layer.epsilon)).reshape(shape)
    hint = layer.name
    y = graph.op("Sub", [names[0], graph.const(mean.reshape(shape), layer.moving_mean.path)],
                 hint)
    y = graph.op("Mul", [y, graph.const(scale, f"{hint}/scale")], hint)
    if beta is not None:
        y = graph.op("Add", [y, graph.const(beta.reshape(shape), layer.beta.path)], hint)
    return y


# ====================================================================== merging
def _fold(graph, op, names, hint):
    result = names[0]
    for name in names[1:]:
        result = graph.op(op, [result, name], hint)
    return result


@converts("Add")
def _add(graph, layer, names, ins, outs):
    return _fold(graph, "Add", names, layer.name)


@converts("Subtract")
def _subtract(graph, layer, names, ins, outs):
    return graph.op("Sub", names, layer.name)


@converts("Multiply")
def _multiply(graph, layer, names, ins, outs):
    return _fold(graph, "Mul", names, layer.name)


@converts("Average")
def _average(graph, layer, names, ins, outs):
    total = _fold(graph, "Add", names, layer.name)
    return graph.op("Mul", [total, graph.scalar(1.0 / len(names), f"{layer.name}/inverse_n")],
                    layer.name)


@converts("Maximum")
def _maximum(graph, layer, names, ins, outs):
    return _fold(graph, "Max", names, layer.name)


@converts("Minimum")
def _minimum(graph, layer, names, ins, outs):
    return _fold(graph, "Min", names, layer.name)


@converts("Concatenate")
def _concatenate(graph, layer, names, ins, outs):
    return graph.op("Concat", names, layer.name, axis=layer._axis(len(ins[0].shape)))


@converts("LayerNormalization")
def _layer_norm(graph, layer, names, ins, outs):
    rank = len(ins[0].shape)
    axes = sorted(a % rank for a in layer.axis)
    if axes != list(range(axes[0], rank)):
        raise unsupported(layer, f"normalizes over the axes {layer.axis}; ONNX's "
                                 f"LayerNormalization needs trailing axes (k..{rank - 1})")
    shape = tuple(ins[0].shape[a] for a in axes)
    gamma = layer.gamma.data if layer.gamma is not None else xp.ones(shape, xp.float32)
    beta = layer.beta.data if layer.beta is not None else xp.zeros(shape, xp.float32)
    return graph.op("LayerNormalization", [names[0], graph.const(gamma.reshape(shape),
                                                                 f"{layer.name}/gamma"),
                                           graph.const(beta.reshape(shape), f"{layer.name}/beta")],
                    layer.name, axis=axes[0], epsilon=layer.epsilon)


class _Symbol:
    """The shape and dtype a converter reads from a KerasTensor (for a wrapped layer's call)."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(shape), dtype


@converts("TimeDistributed")
def _time_distributed(graph, layer, names, ins, outs):
    """The wrapped layer on (N*T, ...): Reshape, convert it, Reshape back (T must be known)."""
    in_shape, out_shape = ins[0].shape, outs[0].shape
    if any(d is None for d in (*in_shape[1:], *out_shape[1:])):
        raise unsupported(layer, f"has an input {in_shape} or output {out_shape} with unknown "
                                 f"sizes besides the batch")
    hint = layer.name
    merged = graph.op("Reshape", [names[0], graph.ints([-1, *in_shape[2:]], f"{hint}/merge")],
                      hint)
    inner_in = _Symbol((None, *in_shape[2:]), ins[0].dtype)
    inner_out = _Symbol((None, *out_shape[2:]), outs[0].dtype)
    (y,) = convert_layer(graph, layer.layer, [merged], [inner_in], [inner_out])
    return graph.op("Reshape", [y, graph.ints([-1, *out_shape[1:]], f"{hint}/split")], hint)


def _depthwise(graph, layer, x, kernel, bias, spatial):
    """A grouped Conv (one group per input channel) on NCHW ``x``; Keras's output channel
    c * depth_multiplier + m is ONNX's group c, output m: the same order."""
    kh, kw, channels, multiplier = kernel.shape
    w = xp.transpose(kernel, (2, 3, 0, 1)).reshape(channels * multiplier, 1, kh, kw)
    inputs = [x, graph.const(w, f"{layer.name}/depthwise_kernel")]
    if bias is not None:
        inputs.append(graph.const(bias, f"{layer.name}/bias"))
    pads = padding_attributes(layer.padding, spatial, layer.kernel_size, layer.strides,
                              layer.dilation_rate)
    return graph.op("Conv", inputs, layer.name, kernel_shape=list(layer.kernel_size),
                    strides=list(layer.strides), dilations=list(layer.dilation_rate),
                    group=channels, **pads)


@converts("DepthwiseConv2D", "SeparableConv2D")
def _depthwise_conv(graph, layer, names, ins, outs):
    last, x = layer.data_format == "channels_last", names[0]
    if last:
        x = to_channels_first(graph, x, 2, layer.name)
    spatial = _spatial(layer, ins[0].shape)
    if type(layer).__name__ == "DepthwiseConv2D":
        y = _depthwise(graph, layer, x, layer.kernel.data,
                       layer.bias.data if layer.use_bias else None, spatial)
    else:  # depthwise, then a 1x1 convolution
        u = _depthwise(graph, layer, x, layer.depthwise_kernel.data, None, spatial)
        pointwise = xp.transpose(layer.pointwise_kernel.data, (3, 2, 0, 1))
        inputs = [u, graph.const(pointwise, layer.pointwise_kernel.path)]
        if layer.use_bias:
            inputs.append(weight(graph, layer.bias, layer, "bias"))
        y = graph.op("Conv", inputs, layer.name, kernel_shape=[1, 1])
    y = emit_activation(graph, layer.activation, y, layer)
    return to_channels_last(graph, y, 2, layer.name) if last else y


@converts("Rescaling")
def _rescaling(graph, layer, names, ins, outs):
    y = graph.op("Mul", [names[0], graph.const(xp.asarray(layer.scale, xp.float32),
                                               f"{layer.name}/scale")], layer.name)
    return graph.op("Add", [y, graph.const(xp.asarray(layer.offset, xp.float32),
                                           f"{layer.name}/offset")], layer.name)


@converts("UpSampling1D", "UpSampling2D")
def _upsampling(graph, layer, names, ins, outs):
    """Nearest-neighbour repeats as ONNX Resize (integer scales, floor of asymmetric)."""
    rank = len(ins[0].shape)
    scales = [1.0] * rank
    if type(layer).__name__ == "UpSampling1D":
        scales[1] = float(layer.size)
    else:
        if layer.interpolation != "nearest":
            raise unsupported(layer, f"has interpolation={layer.interpolation!r}; only "
                                     f"'nearest' is exported")
        first = 1 if layer.data_format == "channels_last" else 2
        scales[first], scales[first + 1] = (float(s) for s in layer.size)
    return graph.op("Resize", [names[0], "", graph.const(xp.asarray(scales, xp.float32),
                                                         f"{layer.name}/scales")],
                    layer.name, mode="nearest", coordinate_transformation_mode="asymmetric",
                    nearest_mode="floor")
