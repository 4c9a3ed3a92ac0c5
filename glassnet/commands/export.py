"""``glassnet export`` (ONNX or safetensors) and ``glassnet convert`` (Keras file -> glassnet).

``glassnet export MODEL --format onnx`` calls ``model.export(path, format="onnx")`` (an ONNX
graph for onnxruntime, Netron...; ``pip install "glassnet[onnx]"``); ``--format safetensors``
calls ``gn.io.save_safetensors(model, path)`` (the weights, named by their paths;
``pip install "glassnet[io]"``). The default output is the model's file name with ``.onnx`` or
``.safetensors``.

``glassnet convert KERAS_FILE OUT`` reads a Keras 3 ``.keras`` archive or a Keras 2 / tf.keras
``.h5`` model with ``gn.io.load_model`` (the architecture rebuilt from glassnet's layers, never
by importing a class by name) and saves it in glassnet's format, so that every glassnet
command and glass-box tool can open it.
"""

import os

from glassnet.commands.common import UsageError, check_out_file, open_model, require_path

FORMATS = ("onnx", "safetensors")
EXTENSIONS = {"onnx": ".onnx", "safetensors": ".safetensors"}
KERAS_EXTENSIONS = (".keras", ".h5", ".hdf5")


def _refuse_overwrite(path, overwrite):
    if os.path.isdir(path):
        raise UsageError(f"OUT {path!r} is a folder; expected a file name")
    if os.path.exists(path) and not overwrite:
        raise UsageError(f"{path!r} already exists; pass --overwrite to replace it")


def default_export_path(model_file, fmt):
    """``runs/x/model.glassnet`` -> ``runs/x/model.onnx`` (or ``.safetensors``)."""
    return os.path.splitext(model_file)[0] + EXTENSIONS[fmt]


def export(args):
    """Run ``glassnet export``; returns the path written."""
    check_out_file(args.out)
    model, model_file, _ = open_model(args.model, compile=False)
    out = args.out or default_export_path(model_file, args.format)
    _refuse_overwrite(out, args.overwrite)
    if args.format == "onnx":
        path = model.export(out, format="onnx", verbose=False)
    else:
        from glassnet import io

        save = getattr(io, "save_safetensors", None)
        if save is None:  # until glassnet.io re-exports it
            from glassnet.interop.safetensors_io import save_safetensors as save
        path = save(model, out)
    path = os.fspath(path or out)
    print(f"Exported {model_file} ({model.count_params()} parameters) as {args.format} to "
          f"{path}")
    return path


def convert(args):
    """Run ``glassnet convert``; returns the path written."""
    from glassnet.io import load_model

    source = require_path(args.keras_file, "KERAS_FILE")
    check_out_file(args.out, "OUT")
    extension = os.path.splitext(source)[1].lower()
    if extension not in KERAS_EXTENSIONS:
        raise UsageError(f"KERAS_FILE {source!r}: expected a Keras model file ending in "
                         f"{', '.join(KERAS_EXTENSIONS)}, received "
                         f"{extension or 'a name without extension'}")
    _refuse_overwrite(args.out, args.overwrite)
    model = load_model(source, compile=not args.no_compile)
    model.save(args.out)
    layers = len(getattr(model, "layers", []))
    print(f"Converted {source} ({type(model).__name__} '{model.name}', {layers} layers, "
          f"{model.count_params()} parameters) to glassnet's format: {args.out}")
    return args.out
