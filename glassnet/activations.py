"""Activation functions by name (``keras.activations``): ``get``, ``serialize`` and the functions.

``get('relu')`` returns the function, ``get(None)`` and ``get('linear')`` the identity, and a
callable is returned unchanged. Every function takes a Tensor (or array) and returns a Tensor;
formulas and derivatives are documented in :mod:`glassnet.functional`.

To add an activation: define it in ``glassnet.functional`` and list it in ``ACTIVATIONS``.

Example:
    >>> import glassnet as gn
    >>> from glassnet import activations
    >>> activations.get("relu")(gn.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from glassnet import functional as F
from glassnet.errors import GlassnetTypeError, unknown_identifier
from glassnet.tensor import as_tensor


def linear(x):
    """Identity activation (Keras ``'linear'``): f(x) = x, f'(x) = 1."""
    return as_tensor(x)


step = F.step
sigmoid = F.sigmoid
tanh = F.tanh
relu = F.relu
leaky_relu = F.leaky_relu
elu = F.elu
softplus = F.softplus
softmax = F.softmax
log_softmax = F.log_softmax
gelu = F.gelu
swish = F.swish
silu = F.silu
hard_sigmoid = F.hard_sigmoid

ACTIVATIONS = {
    "linear": linear,
    "step": step,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "softplus": softplus,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "gelu": gelu,
    "silu": silu,
    "swish": swish,
    "hard_sigmoid": hard_sigmoid,
}
_ALIASES = {"heaviside": "step", "identity": "linear", "logistic": "sigmoid"}


def get(identifier):
    """Resolve an activation: a name, None (identity) or a callable (returned as is).

    Args:
        identifier: ``None``, a Keras name such as ``'relu'`` (case-insensitive), a
            ``{'class_name': name}`` dict as written by Keras configs, or a callable.

    Returns:
        A callable on Tensors.

    Raises:
        UnknownIdentifierError (a ValueError) for an unknown name, listing the valid ones.

    Example:
        >>> get(None) is linear
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        identifier = identifier.get("config", {}).get("name", identifier.get("class_name"))
    if isinstance(identifier, str):
        key = identifier.lower()
        key = _ALIASES.get(key, key)
        if key not in ACTIVATIONS:
            raise unknown_identifier("activation", identifier, ACTIVATIONS)
        return ACTIVATIONS[key]
    if callable(identifier):
        return identifier
    raise GlassnetTypeError(
        f"activations.get: expected a name, None or a callable, got "
        f"{type(identifier).__name__} {identifier!r}"
    )


def serialize(activation):
    """The name of an activation (for layer configs); a custom callable gives its __name__.

    Example:
        >>> serialize(relu)
        'relu'
    """
    if activation is None:
        return "linear"
    for name, function in ACTIVATIONS.items():
        if function is activation:
            return name
    return getattr(activation, "__name__", repr(activation))


def deserialize(name):
    """Inverse of :func:`serialize` (same as :func:`get`)."""
    return get(name)
