"""The dataset registry: every ``load_data`` registers itself under a name.

Adding a dataset is one file (a module with a ``load_data`` decorated by
``@register_dataset("name")``) plus one import line in ``glassnet/datasets/__init__.py``.

Example:
    >>> import glassnet as gn
    >>> "mnist" in gn.datasets.available()
    True
"""

from glassnet.errors import unknown_identifier

_REGISTRY = {}


def register_dataset(name):
    """Decorator: register a ``load_data`` function under ``name``."""

    def decorate(function):
        _REGISTRY[name] = function
        return function

    return decorate


def available():
    """Sorted names of the registered datasets."""
    return sorted(_REGISTRY)


def get(name):
    """The ``load_data`` function registered as ``name`` (close names suggested on a typo)."""
    if name not in _REGISTRY:
        raise unknown_identifier("dataset", name, _REGISTRY)
    return _REGISTRY[name]


def load(name, **kwargs):
    """Call the ``load_data`` of the dataset ``name`` with ``kwargs``.

    Example:
        >>> import glassnet as gn
        >>> (x, y), _ = gn.datasets.load("mnist")
        >>> x.shape
        (60000, 28, 28)
    """
    return get(name)(**kwargs)
