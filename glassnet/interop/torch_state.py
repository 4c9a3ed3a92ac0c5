"""A PyTorch ``state_dict`` (a dict, or a safetensors file of one) into a glassnet model.

The torch modules (the key prefixes of the state dict) are paired with the glassnet layers
that have weights, in order (each layer takes the first unused module whose tensors fit), or
as ``mapping={glassnet layer name: torch prefix}`` says, and each module's tensors are
converted to Keras's layouts:

==================  ==================  ==================================================
torch module        glassnet layer      conversion
==================  ==================  ==================================================
nn.Linear           Dense               kernel = weight.T (out, in) -> (in, out); bias
nn.Conv1d / Conv2d  Conv1D / Conv2D     (out, in, k...) -> (k..., in, out); bias
nn.BatchNorm1d/2d   BatchNormalization  gamma, beta, moving_mean, moving_variance (the
                                        ``num_batches_tracked`` counter is ignored)
nn.LayerNorm        LayerNormalization  gamma, beta
nn.Embedding        Embedding           embeddings = weight
nn.RNN              SimpleRNN           kernel = W_ih.T, recurrent = W_hh.T, bias = b_ih+b_hh
nn.LSTM             LSTM                the same (torch's gates i, f, g, o are Keras's
                                        i, f, c, o)
nn.GRU              GRU (reset_after)   gates r, z, n -> z, r, h; bias (2, 3u) = [b_ih; b_hh]
==================  ==================  ==================================================

A Linear that reads a Flatten of an image or sequence also gets its input features reordered:
torch flattens (C, H, W), glassnet (H, W, C). Hyper-parameters are not in a state dict: build
the glassnet layers to match (BatchNormalization(epsilon=1e-5, momentum=0.9) for torch's
defaults eps=1e-5, momentum=0.1 -- Keras's momentum is 1 - torch's; Conv padding; GRU
``reset_after=True``, which is torch's formula). Only one-layer, one-direction RNN modules map
(``weight_ih_l0``); stacked or bidirectional ones are refused by name.

Example:
    >>> import numpy as np
    >>> kernel, bias = linear_to_dense({"weight": np.arange(6.0).reshape(2, 3),
    ...                                 "bias": np.zeros(2)})
    >>> kernel.shape
    (3, 2)
"""

import os
import re

from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError, GlassnetValueError


def _array(value, key):
    """A NumPy array from a torch tensor (detached, on the CPU) or an array-like."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
        if str(getattr(value, "dtype", "")) == "torch.bfloat16":
            value = value.float()
        value = value.numpy()
    array = xp.asarray(value)
    if array.dtype.kind not in "fiub":
        raise GlassnetTypeError(f"state_dict: {key!r} is not numeric (dtype {array.dtype})")
    return array


def _need(params, name, kind, prefix):
    if name not in params:
        raise GlassnetValueError(f"state_dict: module {prefix!r} ({kind}) has no {name!r}; it "
                                 f"has {sorted(params)}")
    return params[name]


# ====================================================================== the layouts
def linear_to_dense(params, prefix="linear", flatten_shape=None):
    """nn.Linear -> Dense weights ``[kernel, bias]`` (bias only if present).

    ``flatten_shape``: the (..., C) sample shape a Flatten turned into the Linear's input;
    torch's (C, ...) order of those features is rearranged to glassnet's (..., C).
    """
    weight = _need(params, "weight", "Linear", prefix)
    kernel = weight.T
    if flatten_shape is not None and len(flatten_shape) > 1:
        *spatial, channels = flatten_shape
        k = len(spatial)
        kernel = kernel.reshape((channels, *spatial, -1))
        kernel = kernel.transpose((*range(1, k + 1), 0, k + 1)).reshape(-1, weight.shape[0])
    return [kernel] + ([params["bias"]] if "bias" in params else [])


def conv_to_conv(params, prefix="conv"):
    """nn.Conv1d/Conv2d -> Conv1D/Conv2D ``[kernel, bias]``: (out, in, *k) -> (*k, in, out)."""
    weight = _need(params, "weight", "Conv", prefix)
    rank = weight.ndim - 2
    kernel = weight.transpose((*range(2, rank + 2), 1, 0))
    return [kernel] + ([params["bias"]] if "bias" in params else [])


def batchnorm_to_batchnorm(params, prefix="bn", center=True, scale=True):
    """nn.BatchNorm -> BatchNormalization ``[gamma, beta, moving_mean, moving_variance]``."""
    out = []
    if scale:
        out.append(_need(params, "weight", "BatchNorm", prefix))
    if center:
        out.append(_need(params, "bias", "BatchNorm", prefix))
    return out + [_need(params, "running_mean", "BatchNorm", prefix),
                  _need(params, "running_var", "BatchNorm", prefix)]


def _rnn_tensors(params, kind, prefix):
    extra = sorted(k for k in params if not k.endswith("_l0"))
    if extra:
        raise GlassnetValueError(
            f"state_dict: module {prefix!r} ({kind}) has {extra}: only one-layer, "
            f"one-direction RNNs map onto one glassnet layer (num_layers=1, "
            f"bidirectional=False)")
    w_ih = _need(params, "weight_ih_l0", kind, prefix)
    w_hh = _need(params, "weight_hh_l0", kind, prefix)
    b_ih = params.get("bias_ih_l0", xp.zeros(w_ih.shape[0], w_ih.dtype))
    b_hh = params.get("bias_hh_l0", xp.zeros(w_ih.shape[0], w_ih.dtype))
    return w_ih, w_hh, b_ih, b_hh


def rnn_to_simple_rnn(params, prefix="rnn"):
    """nn.RNN -> SimpleRNN ``[kernel, recurrent_kernel, bias]``."""
    w_ih, w_hh, b_ih, b_hh = _rnn_tensors(params, "RNN", prefix)
    return [w_ih.T, w_hh.T, b_ih + b_hh]


def lstm_to_lstm(params, prefix="lstm"):
    """nn.LSTM -> LSTM: the gate order (i, f, g, o) is Keras's (i, f, c, o) already."""
    w_ih, w_hh, b_ih, b_hh = _rnn_tensors(params, "LSTM", prefix)
    return [w_ih.T, w_hh.T, b_ih + b_hh]


def _gru_order(array):
    """Torch's (r, z, n) blocks along axis 0 -> Keras's (z, r, h)."""
    r, z, n = xp.split(array, 3, axis=0)
    return xp.concatenate([z, r, n], axis=0)


def gru_to_gru(params, prefix="gru"):
    """nn.GRU -> GRU(reset_after=True) ``[kernel, recurrent_kernel, bias (2, 3u)]``."""
    w_ih, w_hh, b_ih, b_hh = _rnn_tensors(params, "GRU", prefix)
    return [_gru_order(w_ih).T, _gru_order(w_hh).T,
            xp.stack([_gru_order(b_ih), _gru_order(b_hh)])]


# ====================================================================== pairing
def _modules(state):
    """``[(prefix, {param name: array})]`` in the state dict's order."""
    modules = {}
    for key, value in state.items():
        if not isinstance(key, str):
            raise GlassnetTypeError(f"state_dict: keys must be strings, got {key!r}")
        prefix, _, name = key.rpartition(".")
        if name == "num_batches_tracked":
            continue
        modules.setdefault(prefix, {})[name] = _array(value, key)
    return list(modules.items())


def _weighted_layers(model):
    return [layer for layer in model._flatten_layers(include_self=False)
            if layer.__dict__.get("_trainable_vars") or layer.__dict__.get("_non_trainable_vars")]


def _flatten_shape(layer):
    """The sample shape a Flatten fed to this Dense (None if its input is not a Flatten)."""
    nodes = layer.__dict__.get("_inbound_nodes") or []
    if not nodes or not hasattr(nodes[0].inputs, "node"):
        return None
    flatten_node = nodes[0].inputs.node
    if type(flatten_node.layer).__name__ != "Flatten":
        return None
    shape = getattr(flatten_node.inputs, "shape", None)
    return tuple(shape[1:]) if shape is not None and len(shape) > 2 else None


def convert_module(layer, params, prefix):
    """The glassnet weights (Keras order) of ``layer`` from one torch module's tensors."""
    kind = type(layer).__name__
    if kind == "Dense":
        return linear_to_dense(params, prefix, _flatten_shape(layer))
    if kind in ("Conv1D", "Conv2D"):
        return conv_to_conv(params, prefix)
    if kind == "BatchNormalization":
        return batchnorm_to_batchnorm(params, prefix, layer.center, layer.scale)
    if kind == "LayerNormalization":
        return [params[n] for n in ("weight", "bias") if n in params]
    if kind == "Embedding":
        return [_need(params, "weight", "Embedding", prefix)]
    if kind == "SimpleRNN":
        return rnn_to_simple_rnn(params, prefix)
    if kind == "LSTM":
        return lstm_to_lstm(params, prefix)
    if kind == "GRU":
        if not layer.reset_after:
            raise GlassnetValueError(
                f"state_dict: layer '{layer.name}' is a GRU with reset_after=False; torch's GRU "
                f"is the reset_after=True formula")
        return gru_to_gru(params, prefix)
    raise GlassnetValueError(
        f"state_dict: layer '{layer.name}' ({kind}) has no torch counterpart here (Dense, "
        f"Conv1D, Conv2D, BatchNormalization, LayerNormalization, Embedding, SimpleRNN, LSTM, "
        f"GRU)")


def _natural_key(prefix):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", prefix) if part]


def _fit(layer, prefix, params):
    """``[(weight, array)]`` for ``layer`` from one module, shapes checked (or an error)."""
    arrays = convert_module(layer, params, prefix)
    weights = layer.weights
    if len(arrays) != len(weights):
        raise GlassnetValueError(
            f"torch module {prefix!r} gives {len(arrays)} tensors, layer '{layer.name}' has "
            f"{len(weights)} weights")
    for array, param in zip(arrays, weights, strict=True):
        if tuple(array.shape) != tuple(param.shape):
            raise GlassnetValueError(
                f"torch module {prefix!r} gives shape {tuple(array.shape)} for "
                f"'{param.path}', which has shape {tuple(param.shape)}")
    return list(zip(weights, arrays, strict=True))


def load_torch_state_dict(model, state_dict, mapping=None):
    """Load a PyTorch ``state_dict`` into the equivalent glassnet model.

    Args:
        model: a built glassnet model whose weighted layers match the torch modules.
        state_dict: ``module.state_dict()`` (torch tensors or arrays), or the path of a
            safetensors file of one (``safetensors.torch.save_file(model.state_dict(), p)``).
        mapping: optional ``{glassnet layer name: torch module prefix}``. Each other layer
            (in the model's order) takes the first unused module whose tensors fit its
            weights' shapes, modules taken in the state dict's order (for a file, whose names
            safetensors sorts, in natural order of the prefixes: ``fc2`` before ``fc10``).

    Returns:
        ``model``, with its weights replaced.

    Raises:
        GlassnetValueError: a different number of modules and layers, a missing tensor or a
            shape that does not fit (naming the torch key and the glassnet weight).
    """
    from_file = isinstance(state_dict, (str, os.PathLike))
    if from_file:
        from glassnet.interop.safetensors_io import read_safetensors

        state_dict, _ = read_safetensors(state_dict)
    if not hasattr(state_dict, "items"):
        raise GlassnetTypeError(f"load_torch_state_dict: expected a state_dict or a path, got "
                                f"{type(state_dict).__name__}")
    modules = dict(_modules(state_dict))
    layers = _weighted_layers(model)
    mapping = dict(mapping or {})
    names = {layer.name for layer in layers}
    for name, prefix in mapping.items():
        if name not in names or prefix not in modules:
            raise GlassnetValueError(
                f"load_torch_state_dict: mapping {name!r} -> {prefix!r}: layers with weights "
                f"are {sorted(names)}, torch modules are {list(modules)}")
    free_layers = [layer for layer in layers if layer.name not in mapping]
    free_modules = [p for p in modules if p not in set(mapping.values())]
    if from_file:  # safetensors stores names sorted: "layer10" after "layer9", not "layer1"
        free_modules.sort(key=_natural_key)
    if len(free_layers) != len(free_modules):
        raise GlassnetValueError(
            f"load_torch_state_dict: model '{model.name}' has {len(free_layers)} layers with "
            f"weights to fill ({[layer.name for layer in free_layers]}), the state_dict has "
            f"{len(free_modules)} modules ({free_modules}); pass mapping= to pair them")
    updates = []
    for layer in layers:
        if layer.name in mapping:
            updates += _fit(layer, mapping[layer.name], modules[mapping[layer.name]])
            continue
        errors = []
        for prefix in free_modules:  # the first unused module whose tensors fit
            try:
                fitted = _fit(layer, prefix, modules[prefix])
            except (GlassnetValueError, ValueError) as error:
                errors.append(str(error))
                continue
            free_modules.remove(prefix)
            updates += fitted
            break
        else:
            raise GlassnetValueError(
                f"load_torch_state_dict: no torch module fits layer '{layer.name}' "
                f"({type(layer).__name__}); tried {len(errors)}: " + "; ".join(errors[:3]))
    for param, array in updates:  # all checked first
        param.data[...] = array.astype(param.dtype, copy=False)
    return model
