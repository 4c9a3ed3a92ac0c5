"""Reading the weights of Keras's HDF5 files (through the optional ``h5py``), defensively.

Two layouts exist:

- Keras 3 (``model.weights.h5`` inside a ``.keras`` archive, and ``model.save_weights(
  "x.weights.h5")``): ``layers/<key>/vars/0..n`` per layer, the ``vars`` group carrying the
  layer's name as its ``name`` attribute; a recurrent layer keeps its weights one level down,
  in ``layers/<key>/cell/vars``.
- the legacy HDF5 model (tf.keras 2, and Keras 3's ``model.save("x.h5")``):
  ``model_weights/<layer>`` whose ``weight_names`` attribute lists the datasets, in the
  layer's weight order (``dense/kernel:0`` in tf.keras 2, ``model/dense/kernel`` in Keras 3).

Both readers return ``{layer name: [h5py.Dataset, ...]}`` without reading any array: the
caller first checks every shape against the architecture, then reads them with
:func:`read_arrays`, which refuses non-numeric data and declared sizes beyond
:data:`glassnet.archive.MAX_ARRAYS_BYTES` (a tiny HDF5 file can declare a huge dataset).

Example:
    >>> from glassnet.interop.hdf5 import HDF5_MAGIC, is_hdf5
    >>> HDF5_MAGIC
    b'\\x89HDF\\r\\n\\x1a\\n'
    >>> is_hdf5(__file__)
    False
"""

import os

from glassnet.archive import MAX_ARRAYS, MAX_ARRAYS_BYTES
from glassnet.archive import fail as _fail

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
# Keras's tracking order of sub-layer groups (others: by name, numbered keys numerically)
_CHILD_ORDER = ("cell", "forward_layer", "backward_layer", "layer", "query_dense", "key_dense",
                "value_dense", "output_dense")


def require_h5py():
    """Import ``h5py`` or raise ImportError naming the extra that installs it."""
    try:
        import h5py
    except ImportError:
        raise ImportError(
            'reading Keras HDF5 files (.h5, .keras, .weights.h5) needs the optional package '
            'h5py: pip install "glassnet[io]"'
        ) from None
    return h5py


def is_hdf5(path):
    """True if the file starts with HDF5's signature (at offset 0, where Keras writes it)."""
    try:
        with open(os.fspath(path), "rb") as stream:
            return stream.read(len(HDF5_MAGIC)) == HDF5_MAGIC
    except OSError:
        return False


def open_h5(source, path):
    """``h5py.File(source, "r")``; an unreadable file raises FileFormatError naming ``path``.

    Args:
        source: a file name or a binary file object (a member of a ``.keras`` zip).
        path: the name used in messages.
    """
    h5py = require_h5py()
    try:
        return h5py.File(source, "r")
    except (OSError, ValueError, RuntimeError) as error:
        raise _fail(path, f"not a readable HDF5 file (truncated or corrupted: {error})") from None


def _group(h5py, node, key, path, where):
    try:
        child = node[key] if key in node else None
    except (KeyError, OSError, ValueError, RuntimeError) as error:
        raise _fail(path, f"cannot read {where}/{key} ({error})") from None
    if child is not None and not isinstance(child, h5py.Group):
        raise _fail(path, f"{where}/{key} should be an HDF5 group, found {type(child).__name__}")
    return child


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _child_key(key):
    """Sort key of a sub-group: Keras's order, then ``dense`` < ``dense_1`` < ``dense_10``."""
    base, _, number = key.rpartition("_")
    if not (base and number.isdigit()):
        base, number = key, "0"
    order = _CHILD_ORDER.index(key) if key in _CHILD_ORDER else len(_CHILD_ORDER)
    return order, base, int(number)


def _vars_of(h5py, group, path, where, depth=0):
    """Datasets of one Keras 3 layer group: its ``vars/0..n``, then those of its sub-layers."""
    if depth > 8:
        raise _fail(path, f"{where}: layer groups nested too deeply")
    found = []
    variables = _group(h5py, group, "vars", path, where)
    if variables is not None:
        keys = list(variables.keys())
        if sorted(keys) != sorted(str(i) for i in range(len(keys))):
            raise _fail(path, f"{where}/vars should hold datasets named 0..{len(keys) - 1}, "
                              f"found {sorted(keys)[:8]}")
        for i in range(len(keys)):
            dataset = variables[str(i)]
            if not isinstance(dataset, h5py.Dataset):
                raise _fail(path, f"{where}/vars/{i} should be a dataset")
            found.append(dataset)
    children = [k for k in group.keys() if k != "vars"]
    children.sort(key=_child_key)
    for key in children:
        child = _group(h5py, group, key, path, where)
        if child is not None:
            found.extend(_vars_of(h5py, child, path, f"{where}/{key}", depth + 1))
    return found


def keras3_weights(root, path):
    """``[(key, layer name or None, [datasets])]`` of a Keras 3 weights file, in file order.

    The name is the ``name`` attribute of the layer's ``vars`` group (Keras >= 3.x writes it);
    the key is the group's name (``dense_1``), which Keras derives from the class name.
    """
    h5py = require_h5py()
    layers = _group(h5py, root, "layers", path, "")
    if layers is None:
        raise _fail(path, f"no 'layers' group: not a Keras 3 weights file (top-level groups: "
                          f"{sorted(root.keys())[:8]})")
    table = []
    for key in layers.keys():
        group = _group(h5py, layers, key, path, "layers")
        variables = _group(h5py, group, "vars", path, f"layers/{key}")
        name = None if variables is None else variables.attrs.get("name")
        table.append((key, None if name is None else _text(name),
                      _vars_of(h5py, group, path, f"layers/{key}")))
    return table


def legacy_weights(root, path):
    """``{layer name: [datasets]}`` of a legacy HDF5 file (``model_weights`` or the root)."""
    h5py = require_h5py()
    group = _group(h5py, root, "model_weights", path, "") if "model_weights" in root else root
    if "layer_names" not in group.attrs:
        raise _fail(path, "no 'layer_names' attribute: not a Keras HDF5 weights layout")
    table = {}
    for raw in group.attrs["layer_names"]:
        name = _text(raw)
        layer = _group(h5py, group, name, path, "model_weights")
        if layer is None:
            raise _fail(path, f"model_weights/{name} is listed in layer_names but missing")
        datasets = []
        for weight_name in layer.attrs.get("weight_names", []):
            weight_name = _text(weight_name)
            try:
                dataset = layer[weight_name]
            except (KeyError, OSError, ValueError) as error:
                raise _fail(path, f"model_weights/{name}/{weight_name} is missing ({error})") \
                    from None
            if not isinstance(dataset, h5py.Dataset):
                raise _fail(path, f"model_weights/{name}/{weight_name} should be a dataset")
            datasets.append(dataset)
        table[name] = datasets
    return table


def read_arrays(datasets, path):
    """Read datasets into NumPy arrays, refusing non-numeric data and absurd declared sizes."""
    import numpy as np

    if len(datasets) > MAX_ARRAYS:
        raise _fail(path, f"{len(datasets)} weight arrays, more than the limit {MAX_ARRAYS}")
    total = 0
    for dataset in datasets:
        if dataset.dtype.kind not in "biuf":
            raise _fail(path, f"weight {dataset.name} has non-numeric dtype {dataset.dtype}")
        total += int(np.prod(dataset.shape, dtype=object)) * dataset.dtype.itemsize
    if total > MAX_ARRAYS_BYTES:
        raise _fail(path, f"the weights declare {total} bytes, more than the limit "
                          f"{MAX_ARRAYS_BYTES}")
    arrays = []
    for dataset in datasets:
        try:
            arrays.append(np.asarray(dataset[()]))
        except (OSError, ValueError, RuntimeError, TypeError) as error:
            raise _fail(path, f"cannot read weight {dataset.name} (truncated or corrupted: "
                              f"{error})") from None
    return arrays
