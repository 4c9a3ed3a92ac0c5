"""Keras 3's ``keras.ops`` over glassnet Tensors (re-exported as ``glassnet.keras.ops``).

``core`` (conversion, cast, control flow, scatter, slices); the NumPy-like set in ``numpy``
(creation, elementwise, products), ``reduction``, ``manipulation`` (shapes, gathers) and
``math`` (einsum, quantiles, ...); ``nn`` (activations, one_hot, conv, pooling,
cross-entropies, moments, normalize). Every op is built from glassnet's differentiable ops, so
gradients flow through it, and takes KerasTensors too (``symbolic``: the call becomes an
:class:`OperationLayer` in the functional graph).

Example:
    >>> import glassnet.keras as keras
    >>> from glassnet.keras import ops
    >>> x = keras.Input((3,))
    >>> model = keras.Model(x, ops.sum(ops.square(x), axis=-1))
    >>> model.predict(ops.ones((2, 3)).numpy(), verbose=0).tolist()
    [3.0, 3.0]
"""

# ruff: noqa: F401, F403, A004  (re-exports; Keras's names shadow builtins on purpose)

from glassnet.operations import core, manipulation, math, nn, numpy, reduction, symbolic
from glassnet.operations.core import *
from glassnet.operations.numpy import *
from glassnet.operations.reduction import *
from glassnet.operations.manipulation import *
from glassnet.operations.math import *
from glassnet.operations.nn import *
from glassnet.operations.symbolic import OPERATIONS, OperationLayer, operation

__all__ = sorted(
    set(core.__all__) | set(numpy.__all__) | set(reduction.__all__) | set(manipulation.__all__)
    | set(math.__all__) | set(nn.__all__)
)
