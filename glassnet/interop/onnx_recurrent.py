"""SimpleRNN, LSTM, GRU and Bidirectional -> ONNX's RNN, LSTM and GRU operators.

Keras and ONNX agree on the equations but not on the layouts:

- ONNX's recurrent operators are time-major (``[T, N, F]``; ``layout=1`` is not implemented by
  onnxruntime), so the input is transposed and the outputs transposed back;
- weights are stored transposed: ONNX ``W`` is ``[1, gates*u, F]`` (Keras kernel ``(F,
  gates*u)``), ``R`` is ``[1, gates*u, u]``, ``B`` is ``[1, 2*gates*u]`` = input bias, then
  recurrent bias;
- LSTM gate order: Keras i, f, c, o; ONNX i, o, f, c. GRU: both z, r, h; Keras's
  ``reset_after=True`` is ONNX's ``linear_before_reset=1`` with bias rows (input, recurrent);
  ``reset_after=False`` is ``linear_before_reset=0`` with a zero recurrent bias;
- ``go_backwards`` reverses the input along time (the outputs stay in processed order, as in
  Keras); ``return_state`` adds the final ``h`` (and ``c`` for an LSTM).

Example:
    >>> ONNX_ACTIVATIONS["sigmoid"]
    'Sigmoid'
"""

from glassnet.backend import xp
from glassnet.interop.onnx_layers import INT64_MIN, converts, unsupported

ONNX_ACTIVATIONS = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu", "linear": "Affine"}
LSTM_ORDER = (0, 3, 1, 2)  # ONNX i, o, f, c taken from Keras blocks i, f, c, o


def _blocks(array, order, units):
    """Reorder the u-wide gate blocks along the last axis of ``array``."""
    return xp.concatenate([array[..., k * units:(k + 1) * units] for k in order], axis=-1)


def _activations(layer, names):
    """ONNX activation names (and the alpha/beta of Affine, the identity) for ``names``."""
    onnx_names, alphas, betas = [], [], []
    for name in names:
        if name not in ONNX_ACTIVATIONS:
            raise unsupported(layer, f"uses the activation {name!r}, which ONNX's recurrent "
                                     f"operators do not have")
        onnx_names.append(ONNX_ACTIVATIONS[name])
        if name == "linear":
            alphas.append(1.0)
            betas.append(0.0)
    extra = {"activation_alpha": alphas, "activation_beta": betas} if alphas else {}
    return onnx_names, extra


def _reverse_time(graph, x, axis, hint):
    return graph.op("Slice", [x, graph.ints([-1], f"{hint}/start"),
                              graph.ints([INT64_MIN], f"{hint}/end"),
                              graph.ints([axis], f"{hint}/axis"),
                              graph.ints([-1], f"{hint}/step")], hint)


def run_recurrent(graph, layer, x):
    """Emit one recurrent layer on batch-major ``x``; returns (sequence, final states).

    ``sequence`` is (N, T, u) in processed order, the states (N, u) each (h, then c).
    """
    hint, units = layer.name, layer.units
    kind = type(layer).__name__
    xt = graph.op("Transpose", [x], hint, perm=[1, 0, 2])  # (T, N, F)
    if layer.go_backwards:
        xt = _reverse_time(graph, xt, 0, f"{hint}/go_backwards")
    kernel, recurrent = layer.kernel.data.T, layer.recurrent_kernel.data.T  # (G*u, F), (G*u, u)
    gates = layer.gates
    if layer.use_bias:
        bias = layer.bias.data
    else:
        bias = xp.zeros((2, 3 * units) if kind == "GRU" and layer.reset_after
                        else (gates * units,), dtype=kernel.dtype)
    attributes = {"hidden_size": units}
    if kind == "LSTM":
        kernel = _blocks(kernel.T, LSTM_ORDER, units).T
        recurrent = _blocks(recurrent.T, LSTM_ORDER, units).T
        b = xp.concatenate([_blocks(bias, LSTM_ORDER, units), xp.zeros_like(bias)])
        acts = [layer.recurrent_activation, layer.activation, layer.activation]
        op, n_out = "LSTM", 3
    elif kind == "GRU":
        if layer.reset_after:
            b = xp.concatenate([bias[0], bias[1]])
        else:
            b = xp.concatenate([bias, xp.zeros_like(bias)])
        attributes["linear_before_reset"] = int(layer.reset_after)
        acts = [layer.recurrent_activation, layer.activation]
        op, n_out = "GRU", 2
    else:
        b = xp.concatenate([bias, xp.zeros_like(bias)])
        acts = [layer.activation]
        op, n_out = "RNN", 2
    onnx_acts, extra = _activations(layer, acts)
    path = layer.kernel.path.rsplit("/", 1)[0]
    inputs = [xt, graph.const(kernel[None], f"{path}/W"), graph.const(recurrent[None],
                                                                      f"{path}/R"),
              graph.const(b[None], f"{path}/B")]
    outputs = graph.op(op, inputs, hint, outputs=n_out, activations=onnx_acts, **attributes,
                       **extra)
    y = graph.op("Squeeze", [outputs[0], graph.ints([1], f"{hint}/direction_axis")], hint)
    sequence = graph.op("Transpose", [y], hint, perm=[1, 0, 2])  # (N, T, u)
    states = [graph.op("Squeeze", [s, graph.ints([0], f"{hint}/direction_axis")], hint)
              for s in outputs[1:]]
    return sequence, states


@converts("SimpleRNN", "LSTM", "GRU")
def _recurrent(graph, layer, names, ins, outs):
    sequence, states = run_recurrent(graph, layer, names[0])
    out = sequence if layer.return_sequences else states[0]
    return [out, *states] if layer.return_state else out


@converts("Bidirectional")
def _bidirectional(graph, layer, names, ins, outs):
    hint = layer.name
    seq_f, states_f = run_recurrent(graph, layer.forward_layer, names[0])
    seq_b, states_b = run_recurrent(graph, layer.backward_layer, names[0])
    if layer.return_sequences:
        y_f, y_b = seq_f, _reverse_time(graph, seq_b, 1, f"{hint}/time_order")
    else:
        y_f, y_b = states_f[0], states_b[0]
    mode = layer.merge_mode
    if mode == "concat":
        merged = [graph.op("Concat", [y_f, y_b], hint, axis=-1)]
    elif mode == "sum":
        merged = [graph.op("Add", [y_f, y_b], hint)]
    elif mode == "mul":
        merged = [graph.op("Mul", [y_f, y_b], hint)]
    elif mode == "ave":
        merged = [graph.op("Mul", [graph.op("Add", [y_f, y_b], hint),
                                   graph.scalar(0.5, f"{hint}/half")], hint)]
    else:
        merged = [y_f, y_b]
    if layer.return_state:
        return merged + states_f + states_b
    return merged if mode is None else merged[0]
