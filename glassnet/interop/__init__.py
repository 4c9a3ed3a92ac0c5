"""Interoperability: other tools' files in and out of the glass box.

- Keras files in: :func:`load_keras_model` reads a Keras 3 ``.keras`` archive or a legacy
  (tf.keras 2 / Keras ``model.save("x.h5")``) HDF5 model; :func:`load_keras_weights` reads
  ``.weights.h5`` into a glassnet model. :func:`glassnet.io.load_model` and
  ``model.load_weights`` call them when a file is one of Keras's (:mod:`.keras_files`), so
  ``glassnet.keras.models.load_model("model.keras")`` just works. The architecture is rebuilt
  from glassnet's registry (:mod:`.keras_config`), never by importing a class named in the
  file; the weights are read through the optional ``h5py`` (:mod:`.hdf5`,
  ``pip install "glassnet[io]"``).
- Out: :func:`export_onnx` / :func:`to_onnx` (``model.export(path, format="onnx")``, the optional
  ``onnx``: ``pip install "glassnet[onnx]"``); :func:`save_safetensors` /
  :func:`load_safetensors` (weights by path, ``dense/kernel``); :func:`load_torch_state_dict`
  (a PyTorch model's weights onto the equivalent glassnet layers).

The public names are imported on first use, so ``import glassnet`` stays NumPy-only.

Example:
    >>> import glassnet.interop as interop
    >>> callable(interop.load_keras_model)
    True
"""

import importlib

_LAZY = {
    "load_keras_model": "glassnet.interop.keras_files",
    "load_keras_weights": "glassnet.interop.keras_files",
    "sniff": "glassnet.interop.keras_files",
    "export_onnx": "glassnet.interop.onnx_export",
    "to_onnx": "glassnet.interop.onnx_export",
    "save_safetensors": "glassnet.interop.safetensors_io",
    "load_safetensors": "glassnet.interop.safetensors_io",
    "load_torch_state_dict": "glassnet.interop.torch_state",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'glassnet.interop' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
