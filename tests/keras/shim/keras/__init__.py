"""A package named ``keras`` that is ``glassnet.keras`` (for running Keras scripts unchanged).

Nothing is implemented here. Put ``tests/keras/shim`` first on ``sys.path`` (the guide runner
does) and ``import keras`` gives glassnet's Keras front door: every name is read from
``glassnet.keras`` and every submodule of it is aliased in ``sys.modules``, so
``from keras import layers`` and ``import keras.saving`` resolve to ``glassnet.keras.layers``
and ``glassnet.keras.saving``.
"""

import importlib
import pkgutil
import sys

import glassnet.keras as _front


def _alias_submodules(package, alias):
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        sys.modules[f"{alias}.{info.name}"] = module
        if info.ispkg:
            _alias_submodules(module, f"{alias}.{info.name}")


_alias_submodules(_front, __name__)


def __getattr__(name):
    return getattr(_front, name)


def __dir__():
    return dir(_front)


globals().update({k: v for k, v in vars(_front).items() if not k.startswith("__")})
