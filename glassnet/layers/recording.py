"""The glass box of a layer: what it recorded at its last call, and the ``recording`` switch.

With ``layer.record`` on, a layer keeps its last input, its pre-activation ``z`` (a layer's
``call`` hands it over with ``self._record_z(z)``) and its output, and asks autodiff to keep
their gradients; :meth:`RecordingMixin.inspect` then shows them with the delta dL/dz and the
weight gradients. :func:`recording` turns it on for whole models. Nothing is kept, and nothing
is slower, while ``record`` is off. ``inspect()`` returns an :class:`InspectResult`, a plain
dict that Jupyter shows as a table of each entry's shape and statistics.
"""

import contextlib

from glassnet.backend import xp
from glassnet.display import html_table
from glassnet.errors import GlassnetValueError
from glassnet.tensor import Tensor

STAT_COLUMNS = ("entry", "shape", "dtype", "min", "max", "mean", "std")


class InspectResult(dict):
    """What :meth:`RecordingMixin.inspect` returns: a dict, shown in Jupyter as a table.

    It is a plain ``dict`` (equal to one with the same entries); ``_repr_html_`` lists every
    array (``'input'``, ``'z'``, ..., each weight and gradient) with its shape, dtype, min,
    max, mean and standard deviation, and "not available" where an entry is None.

    Attributes:
        layer_name: the name of the layer that recorded it.

    Example:
        >>> import numpy as np
        >>> result = InspectResult({"output": np.array([1.0, 3.0]), "delta": None}, "dense")
        >>> isinstance(result, dict), sorted(result)
        (True, ['delta', 'output'])
        >>> [row[:2] for row in result.stat_rows()]
        [['output', '(2,)'], ['delta', 'not available']]
    """

    def __init__(self, entries=(), layer_name=None):
        super().__init__(entries)
        self.layer_name = layer_name

    def stat_rows(self):
        """One row (text cells, see ``STAT_COLUMNS``) per array, nested lists and dicts unrolled."""
        rows = []

        def add(label, value):
            if isinstance(value, dict):
                for key, item in value.items():
                    add(f"{label}[{key!r}]", item)
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    add(f"{label}[{i}]", item)
            elif value is None:
                rows.append([label, "not available", "", "", "", "", ""])
            else:
                array = xp.asarray(value)
                if array.size == 0 or not xp.issubdtype(array.dtype, xp.number):
                    stats = [""] * 4
                else:
                    as_float = array.astype(xp.float64)
                    stats = [f"{float(f(as_float)):.6g}" for f in (xp.min, xp.max, xp.mean, xp.std)]
                rows.append([label, str(tuple(array.shape)), str(array.dtype), *stats])

        for key, value in self.items():
            add(key, value)
        return rows

    def _repr_html_(self):
        """The entries' shapes and statistics as HTML, for Jupyter (names escaped)."""
        caption = "inspect()" if self.layer_name is None else f"{self.layer_name}.inspect()"
        return html_table(STAT_COLUMNS, self.stat_rows(), caption=caption,
                          align=["left", "left", "left", "right", "right", "right", "right"])


class RecordingMixin:
    """The glass-box half of :class:`~glassnet.layers.base.Layer` (``record``, ``inspect``)."""

    def _record_z(self, z):
        """Called by a layer's ``call`` with its pre-activation ``z`` (only when recording)."""
        if self.record and self._inspect_data is not None:
            if z.requires_grad and z.creator is not None:
                z.retain_grad()
            self._inspect_data["z"] = z

    def _finish_record(self, outputs):
        if isinstance(outputs, Tensor) and outputs.requires_grad and outputs.creator is not None:
            outputs.retain_grad()
        self._inspect_data["output"] = outputs

    def inspect(self):
        """What the layer recorded at its last call (glass box); needs ``record`` on.

        Sign convention: ``'delta'`` is dL/dz, the derivative of the loss with respect to
        the layer's pre-activation z = W^T x + b (``x @ kernel + bias``), as PyTorch and
        Keras gradients are. Seed 001 writes the delta (残差) of an output unit of a sigmoid
        network trained on L = 1/2 sum (t - y)^2 as delta_i = y_i (1 - y_i) (t_i - y_i),
        which is -dL/dz_i (the direction of descent); glassnet's ``'delta'`` is its negative,
        y (1 - y) (y - t), and the hidden rule delta_j = a_j (1 - a_j) sum_k w_kj delta_k
        holds unchanged in either convention.

        Returns:
            An :class:`InspectResult` (a dict; a table in Jupyter) of ndarrays (None where not
            available):
            ``'input'`` the last input (a list for several inputs);
            ``'z'`` the pre-activation (equal to ``'output'`` for layers without activation);
            ``'output'`` the activation a = f(z);
            ``'delta'`` dL/dz after ``backward()`` (None before);
            ``'output_grad'`` dL/da after ``backward()``;
            ``'weights'`` ``{name: array}`` and ``'grads'`` ``{name: dL/dW or None}``;
            under data-parallel training (``glassnet.distribution``) also
            ``'rank_grad_norms'`` ``{name: array of one norm per rank}``: the norm of each
            rank's gradient of its shard's mean loss (``'grads'`` is their weighted average,
            g = sum_r n_r / n * g_r, the gradient of the global batch).

        Raises:
            GlassnetValueError: when nothing was recorded (recording off or never called).

        Example:
            >>> import numpy as np
            >>> from glassnet.layers.core import Dense
            >>> layer = Dense(2, activation="sigmoid")
            >>> layer.record = True
            >>> layer(np.ones((1, 3))).sum().backward()
            >>> sorted(layer.inspect())
            ['delta', 'grads', 'input', 'output', 'output_grad', 'weights', 'z']
        """
        data = self._inspect_data
        if data is None:
            raise GlassnetValueError(
                f"Layer '{self.name}' has recorded nothing: set layer.record = True (or use "
                f"`with glassnet.layers.recording(model):`) and call it first"
            )

        def array(t):
            if t is None:
                return None
            if isinstance(t, (list, tuple)):
                return [array(x) for x in t]
            return t.data

        def grad(t):
            if isinstance(t, (list, tuple)):
                return [grad(x) for x in t]
            return None if t is None or t.grad is None else t.grad.data

        output = data.get("output")
        z = data.get("z", output)
        extra = {}
        norms = getattr(self, "_rank_grad_norms", None)
        if norms:  # data parallel: ||dL_r/dW|| of each rank's shard, beside the average
            extra["rank_grad_norms"] = dict(norms)
        return InspectResult({
            "input": array(data.get("input")),
            "z": array(z),
            "output": array(output),
            "delta": grad(z),
            "output_grad": grad(output),
            "weights": {w.name: w.data for w in self._own_weights()},
            "grads": {
                w.name: (None if w.grad is None else w.grad.data) for w in self._own_weights()
            },
            **extra,
        }, self.name)

    def clear_record(self):
        """Drop the recorded tensors (frees the graph they keep alive)."""
        self._inspect_data = None


@contextlib.contextmanager
def recording(*layers):
    """Turn on glass-box recording for the given layers/models and everything inside them.

    On exit the previous ``record`` flags come back; what was recorded stays readable with
    ``layer.inspect()``.

    Args:
        *layers: layers or models (a model records all its layers).

    Example:
        >>> import numpy as np
        >>> from glassnet.layers.core import Dense
        >>> from glassnet.layers.base import recording
        >>> layer = Dense(2)
        >>> with recording(layer):
        ...     _ = layer(np.ones((1, 3)))
        >>> layer.inspect()["output"].shape
        (1, 2)
    """
    targets = []
    for layer in layers:
        if isinstance(layer, (list, tuple)):
            for item in layer:
                targets += item._flatten_layers()
        else:
            targets += layer._flatten_layers()
    saved = [(layer, layer.record) for layer in targets]
    for layer in targets:
        layer.record = True
    try:
        yield targets
    finally:
        for layer, flag in saved:
            layer.record = flag

