"""One registry for every family of named objects: layers, losses, metrics, optimizers...

Each family module (``glassnet.losses``, ``glassnet.initializers``, ``glassnet.layers``...)
makes one :class:`Registry` and decorates its classes (or functions) with
:meth:`Registry.register`; its public ``get``/``serialize``/``deserialize`` functions are thin
calls to that registry. Adding a loss, a layer or an optimizer is therefore its own file (or
class) plus one import line: the decorator does the registering.

What a registry resolves (:meth:`Registry.get`), in this order:

- ``None``: the family's stand-in (the identity activation, no initializer...) or a TypeError;
- an instance of the family's base class: returned as is;
- a string: the registered name (``'GlorotUniform'``), its snake-case form
  (``'glorot_uniform'``) or an alias (``'normal'``), ignoring case (and, as a last resort,
  underscores); a class is instantiated with its defaults, a function returned;
- a Keras config dict ``{'class_name': ..., 'config': {...}}``: ``cls.from_config(config)``;
- a subclass of the base class: instantiated with its defaults;
- another callable: what the family makes of it (returned, or wrapped).

Every lookup also sees Keras's custom objects (:func:`find_custom_object`: the objects given to
``glassnet.saving.register_keras_serializable`` and to an active ``custom_object_scope``).
An unknown name raises :class:`~glassnet.errors.UnknownIdentifierError`, which names the
family, repeats what was received, suggests close matches and lists the valid names.

Example:
    >>> from glassnet.registry import Registry
    >>> shapes = Registry("shape", module="shapes")
    >>> @shapes.register(aliases=("box",))
    ... class Square:
    ...     def __init__(self, side=1.0):
    ...         self.side = side
    ...     def get_config(self):
    ...         return {"side": self.side}
    ...     @classmethod
    ...     def from_config(cls, config):
    ...         return cls(**config)
    >>> shapes.names()
    ['Square', 'box', 'square']
    >>> shapes.get("box").side
    1.0
    >>> shapes.serialize(Square(2.0))
    {'class_name': 'Square', 'config': {'side': 2.0}}
    >>> shapes.deserialize({"class_name": "Square", "config": {"side": 3.0}}).side
    3.0
"""

import importlib
import inspect
import re
import threading

from glassnet.errors import GlassnetTypeError, GlassnetValueError, unknown_identifier

__all__ = ["Registry", "to_snake_case", "class_and_snake_names", "exact_name",
           "lower_case_name", "GLOBAL_CUSTOM_OBJECTS", "GLOBAL_CUSTOM_NAMES",
           "custom_objects_in_effect", "find_custom_object", "push_custom_objects",
           "pop_custom_objects"]

# ---------------------------------------------------------------------- custom objects
# Keras's custom objects, which every registry consults: ``glassnet.saving`` fills them
# (``register_keras_serializable`` writes ``"package>name" -> object`` here, and
# ``custom_object_scope`` pushes a dict on the calling thread's stack).
GLOBAL_CUSTOM_OBJECTS = {}  # "package>name" -> class or function
GLOBAL_CUSTOM_NAMES = {}  # class or function -> "package>name"
_SCOPES = threading.local()


def _scope_stack():
    stack = getattr(_SCOPES, "stack", None)
    if stack is None:
        stack = _SCOPES.stack = []
    return stack


def push_custom_objects(objects):
    """Make ``{name: object}`` visible to every lookup on this thread (a scope's entry)."""
    _scope_stack().append(dict(objects))


def pop_custom_objects():
    """Undo the last :func:`push_custom_objects` of this thread (a scope's exit)."""
    _scope_stack().pop()


def custom_objects_in_effect():
    """The registered custom objects, then this thread's scopes (innermost last, winning)."""
    merged = dict(GLOBAL_CUSTOM_OBJECTS)
    for objects in _scope_stack():
        merged.update(objects)
    return merged


def find_custom_object(name, custom_objects=None, *, by_short_name=True):
    """The custom object named ``name``, or None.

    Searched: ``custom_objects``, the scopes, the registered objects (``"package>name"``);
    with ``by_short_name``, a name without ``">"`` also matches a registered
    ``"package>name"`` (how a file that says only ``"class_name": "CustomLayer"`` finds it).
    """
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    in_effect = custom_objects_in_effect()
    if name in in_effect:
        return in_effect[name]
    if by_short_name and ">" not in name:
        for key, value in reversed(GLOBAL_CUSTOM_OBJECTS.items()):
            if key.rsplit(">", 1)[-1] == name or getattr(value, "__name__", None) == name:
                return value
    return None


def to_snake_case(name):
    """Keras's snake-case form of a class name.

    Args:
        name: a class name such as ``"BatchNormalization"``.

    Returns:
        The lower-case name with underscores between words: ``"batch_normalization"``;
        runs of capitals stay one word (``"LSTM"`` -> ``"lstm"``, ``"KLDivergence"`` ->
        ``"kl_divergence"``) and digits stick to the word before them (``"Conv2D"`` ->
        ``"conv2d"``).

    Example:
        >>> to_snake_case("SimpleRNN"), to_snake_case("MaxPooling2D")
        ('simple_rnn', 'max_pooling2d')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def class_and_snake_names(name):
    """The default keys of a registered name: itself and its snake-case form."""
    return (name, to_snake_case(name))


def exact_name(name):
    """Keys for families looked up by the exact name only (layers, schedules, callbacks)."""
    return (name,)


def lower_case_name(name):
    """Keys for families whose names are the lower-cased class name (optimizers: 'rmsprop')."""
    return (name.lower(),)


_REFUSE = object()  # ``none=`` default: None is not a valid identifier of the family


def _fold(name):
    return name.lower().replace("_", "")


def _a(noun):
    """``noun`` with its indefinite article: 'a Loss', 'an Optimizer'."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _accepts_keyword(function, keyword):
    try:
        return keyword in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


class Registry:
    """The names of one family of objects, and how to turn identifiers into objects.

    Args:
        family: what one object of the family is called in messages (``"loss"``).
        module: the public module whose functions use this registry (``"losses"``), so that
            messages say ``losses.get: ...``.
        base: the family's base class (instances are returned by :meth:`get`, subclasses
            instantiated); None for a family of plain functions (activations).
        name_forms: ``f(name) -> tuple of keys`` registered for a name; default: the name and
            its snake-case form (:func:`class_and_snake_names`).
        none: what :meth:`get` returns for ``None``; by default None is refused.
        from_callable: ``f(callable) -> object`` for a callable that is neither registered nor
            of the base class (default: refused); pass ``lambda f: f`` to accept it as is.
        lazy_modules: modules imported on the first unknown name (they register more names).

    Attributes:
        entries: the ``{key: object}`` dict (the families publish it: ``LOSSES``, ``LAYERS``).
    """

    def __init__(self, family, *, module, base=None, name_forms=class_and_snake_names,
                 none=_REFUSE, from_callable=None, lazy_modules=()):
        self.family, self.module, self.base = family, module, base
        self.entries = {}
        self._name_forms = name_forms
        self._none = none
        self._from_callable = from_callable
        self._lazy_modules = tuple(lazy_modules)
        self._primary_names = {}  # object -> the name it was registered under first
        self._explicit_names = {}  # class -> name given with register(name=...)

    # ------------------------------------------------------------------ registering
    def register(self, obj=None, *, name=None, aliases=()):
        """Register ``obj`` under its name (or ``name``), its other forms and ``aliases``.

        Usable as ``@registry.register``, ``@registry.register(aliases=("mse",))`` or as a
        plain call ``registry.register(function, name="relu")``. A later registration of the
        same key replaces the earlier one (as re-running a notebook cell expects).

        Args:
            obj: the class or function.
            name: the main key; default ``obj.__name__``. A class registered with an explicit
                name is serialized under that name.
            aliases: further keys (exact strings).

        Returns:
            ``obj`` unchanged (or the decorator, when ``obj`` is None).
        """

        def decorate(target):
            primary = name or target.__name__
            for key in dict.fromkeys((*self._name_forms(primary), *aliases)):
                self.entries[key] = target
            self._primary_names.setdefault(target, primary)
            if name is not None and isinstance(target, type):
                self._explicit_names[target] = name
            return target

        return decorate if obj is None else decorate(obj)

    def unregister(self, obj):
        """Remove every key that names ``obj`` (for tests and interactive sessions)."""
        for key in [key for key, value in self.entries.items() if value is obj]:
            del self.entries[key]
        self._primary_names.pop(obj, None)
        self._explicit_names.pop(obj, None)

    def names(self):
        """All registered keys, sorted."""
        return sorted(self.entries)

    def __contains__(self, name):
        return self._find(name) is not None if isinstance(name, str) else False

    # ------------------------------------------------------------------ resolving
    def lookup(self, name, custom_objects=None):
        """The object named ``name``.

        Searched in this order: ``custom_objects``, every active ``custom_object_scope`` and
        the objects registered with ``register_keras_serializable`` (by their full
        ``"package>name"``), the family's own names, then a registered custom object whose
        short name (after ``">"``) or ``__name__`` is ``name``.

        Raises:
            GlassnetTypeError: ``name`` is not a string.
            UnknownIdentifierError: no such name (with close matches and the valid names).
        """
        if not isinstance(name, str):
            raise GlassnetTypeError(
                f"{self.module}.get: expected a string name, got {type(name).__name__} "
                f"{name!r}"
            )
        found = find_custom_object(name, custom_objects, by_short_name=False)
        if found is None:
            found = self._find(name)
        if found is None and self._lazy_modules:
            for module in self._lazy_modules:
                importlib.import_module(module)
            found = self._find(name)
        if found is None:
            found = find_custom_object(name)
        if found is None:
            raise unknown_identifier(self.family, name, self._listed_names(),
                                     suggest_from=self.entries)
        return found

    def _find(self, name):
        entries = self.entries
        if name in entries:
            return entries[name]
        for candidate in (name.lower(), to_snake_case(name)):
            if candidate in entries:
                return entries[candidate]
        folded = _fold(name)  # case and underscores aside: 'early_stopping' ~ 'EarlyStopping'
        for key, value in entries.items():
            if _fold(key) == folded:
                return value
        return None

    def _listed_names(self):
        """The names an error lists: the lower-case keys where the family has them."""
        lower = [key for key in self.entries if key == key.lower()]
        return lower or list(self.entries)

    def get(self, identifier, custom_objects=None):
        """Resolve any identifier form the family accepts (see the module docstring).

        Raises:
            GlassnetTypeError: a value of a kind the family does not accept (naming it).
            UnknownIdentifierError: an unknown name.
        """
        base = self.base
        if identifier is None:
            if self._none is _REFUSE:
                raise self._type_error(identifier)
            return self._none
        if base is not None and isinstance(identifier, base):
            return identifier
        if isinstance(identifier, str):
            found = self.lookup(identifier, custom_objects)
            return found() if isinstance(found, type) else found
        if isinstance(identifier, dict):
            return self.deserialize(identifier, custom_objects)
        if isinstance(identifier, type) and base is not None and issubclass(identifier, base):
            return identifier()
        if callable(identifier) and self._from_callable is not None:
            return self._from_callable(identifier)
        raise self._type_error(identifier)

    def _type_error(self, identifier):
        accepted = ["a name", "a config dict"]
        if self.base is not None:
            accepted.append(f"{_a(self.base.__name__)} (class or instance)")
        if self._from_callable is not None:
            accepted.append("a function")
        if self._none is not _REFUSE:
            accepted.append("None")
        return GlassnetTypeError(
            f"{self.module}.get: expected {', '.join(accepted[:-1])} or {accepted[-1]}, got "
            f"{type(identifier).__name__} {identifier!r}"
        )

    # ------------------------------------------------------------------ configs
    def serialize(self, obj):
        """Keras's serialized form: ``{'class_name': ..., 'config': obj.get_config()}``.

        A registered function (activations) serializes to its name; any other function to
        its ``__name__``.

        Raises:
            GlassnetTypeError: ``obj`` is not of the family's base class.
        """
        if self.base is None and not hasattr(obj, "get_config"):
            return self._primary_names.get(obj) or getattr(obj, "__name__", repr(obj))
        if self.base is not None and not isinstance(obj, self.base):
            raise GlassnetTypeError(
                f"{self.module}.serialize: expected {_a(self.base.__name__)}, got "
                f"{type(obj).__name__} {obj!r}"
            )
        cls = type(obj)
        spec = {"class_name": self._explicit_names.get(cls, cls.__name__),
                "config": obj.get_config()}
        if cls in GLOBAL_CUSTOM_NAMES:
            spec["registered_name"] = GLOBAL_CUSTOM_NAMES[cls]
        return spec

    def deserialize(self, config, custom_objects=None):
        """Re-create an object from :meth:`serialize`'s dict (a name is also accepted).

        ``cls.from_config(config)`` rebuilds a class (given ``custom_objects`` when its
        ``from_config`` takes them); a class without ``from_config`` is called with the
        config as keyword arguments; a registered function is returned.

        Raises:
            GlassnetValueError: ``config`` is neither a name nor a dict with ``'class_name'``.
            UnknownIdentifierError: an unknown class name.
        """
        if isinstance(config, str):
            return self.get(config, custom_objects)
        if not isinstance(config, dict) or "class_name" not in config:
            raise GlassnetValueError(
                f"{self.module}.deserialize: expected a dict with 'class_name' and 'config', "
                f"got {config!r}"
            )
        registered = config.get("registered_name")
        found = None
        if isinstance(registered, str) and registered != config["class_name"]:
            found = find_custom_object(registered, custom_objects, by_short_name=False)
        if found is None:
            found = self.lookup(config["class_name"], custom_objects)
        if not isinstance(found, type):
            return found
        arguments = dict(config.get("config") or {})
        from_config = getattr(found, "from_config", None)
        if from_config is None:
            return found(**arguments)
        if custom_objects and _accepts_keyword(from_config, "custom_objects"):
            return from_config(arguments, custom_objects=custom_objects)
        return from_config(arguments)

    def __repr__(self):
        return f"<Registry {self.family!r}: {len(self.entries)} names>"
