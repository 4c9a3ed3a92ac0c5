"""The dataset registry: every ``load_data`` registers itself under a name.

Adding a dataset is one file (a module with a ``load_data`` decorated by
``@register_dataset("name")``) plus one import line in ``glassnet/datasets/__init__.py``.

Example:
    >>> import glassnet as gn
    >>> "mnist" in gn.datasets.available()
    True
"""

from glassnet.registry import Registry, exact_name

#: The datasets by name (glassnet's one registry helper, exact names only).
REGISTRY = Registry("dataset", module="datasets", name_forms=exact_name)


def register_dataset(name):
    """Decorator: register a ``load_data`` function under ``name``."""
    return REGISTRY.register(name=name)


def available():
    """Sorted names of the registered datasets."""
    return REGISTRY.names()


def get(name):
    """The ``load_data`` function registered as ``name`` (close names suggested on a typo)."""
    return REGISTRY.lookup(name)


def load(name, **kwargs):
    """Call the ``load_data`` of the dataset ``name`` with ``kwargs``.

    Example:
        >>> import glassnet as gn
        >>> (x, y), _ = gn.datasets.load("mnist")
        >>> x.shape
        (60000, 28, 28)
    """
    return get(name)(**kwargs)
