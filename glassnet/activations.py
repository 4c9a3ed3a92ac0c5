"""Activation functions by name (``keras.activations``): ``get``, ``serialize`` and the functions.

``get('relu')`` returns the function, ``get(None)`` and ``get('linear')`` the identity, and a
callable is returned unchanged. Every function takes a Tensor (or array) and returns a Tensor;
formulas and derivatives are documented in :mod:`glassnet.functional`.

To add an activation: define it in ``glassnet.functional`` and register it below
(``REGISTRY.register(F.name, name="name")``).

Example:
    >>> import glassnet as gn
    >>> from glassnet import activations
    >>> activations.get("relu")(gn.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from glassnet import functional as F
from glassnet.registry import Registry, exact_name
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

# functions, not classes: an identifier that is any other callable is used as it is
REGISTRY = Registry("activation", module="activations", name_forms=exact_name,
                    none=linear, from_callable=lambda function: function)
register = REGISTRY.register
register(linear, name="linear", aliases=("identity",))
register(step, name="step", aliases=("heaviside",))
register(sigmoid, name="sigmoid", aliases=("logistic",))
register(tanh, name="tanh")
register(relu, name="relu")
register(leaky_relu, name="leaky_relu")
register(elu, name="elu")
register(softplus, name="softplus")
register(softmax, name="softmax")
register(log_softmax, name="log_softmax")
register(gelu, name="gelu")
register(silu, name="silu")
register(swish, name="swish")
register(hard_sigmoid, name="hard_sigmoid")
ACTIVATIONS = REGISTRY.entries  # name -> function


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
    if isinstance(identifier, dict):
        identifier = identifier.get("config", {}).get("name", identifier.get("class_name"))
    return REGISTRY.get(identifier)


def serialize(activation):
    """The name of an activation (for layer configs); a custom callable gives its __name__.

    Example:
        >>> serialize(relu)
        'relu'
    """
    return "linear" if activation is None else REGISTRY.serialize(activation)


def deserialize(name):
    """Inverse of :func:`serialize` (same as :func:`get`)."""
    return get(name)
