"""The one checker of hyper-parameters: layers, optimizers, schedules and losses call it where
an argument is given, so a bad value fails at once with a message that names the owner, the
argument, the allowed range and the value received::

    Layer 'bn' (BatchNormalization): `momentum` must be a float in [0, 1], received momentum=2

Every check raises :class:`~glassnet.errors.GlassnetValueError` (a ``ValueError``), whatever was
wrong: the kind or the range. The checks return the value as given (a NumPy scalar stays one),
except :func:`check_hyper`, which returns a Python float, so that accepting a value never
changes a result. Numbers are ints, floats and NumPy scalars, never bools; NaN is never in range
and infinities only where a range says so (``finite=False``).

This module sits at the bottom of the import graph (it imports only ``errors`` and NumPy), so
every layer of the package can use it.

Example:
    >>> check_number("Dropout", "rate", 0.5, low=0, high=1, high_open=True)
    0.5
    >>> check_number("Dropout", "rate", 1, low=0, high=1, high_open=True)
    Traceback (most recent call last):
    ...
    glassnet.errors.GlassnetValueError: Dropout: `rate` must be a float in [0, 1), received rate=1
"""

import math
import numbers

import numpy as np

from glassnet.errors import GlassnetValueError

__all__ = ["require", "check_hyper", "check_number", "check_bool", "check_choice", "check_axis",
           "layer_owner", "is_number", "is_int"]


def is_number(value):
    """Whether ``value`` is a real number (int, float or NumPy scalar), bools excluded."""
    return (isinstance(value, (numbers.Real, np.integer, np.floating))
            and not isinstance(value, (bool, np.bool_)))


def is_int(value):
    """Whether ``value`` is an integer (a Python or NumPy int), bools excluded."""
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(
        value, (bool, np.bool_))


def require(ok, where, name, expected, value):
    """Raise the hyper-parameter error unless ``ok``: the one place its message is written.

    Args:
        ok: whether ``value`` is acceptable.
        where: the owner named in the message.
        name: the argument's name.
        expected: the allowed values, in words (``'strictly increasing'``).
        value: what was received.

    Raises:
        GlassnetValueError: ``"<where>: `<name>` must be <expected>, received <name>=<value>"``.
    """
    if not ok:
        raise GlassnetValueError(
            f"{where}: `{name}` must be {expected}, received {name}={value!r}")


def layer_owner(layer):
    """How a layer is named in its messages: ``Layer 'dense_1' (Dense)``, as elsewhere."""
    return f"Layer '{layer.name}' ({type(layer).__name__})"


def check_hyper(where, name, value, ok, expected):
    """Raise ``GlassnetValueError`` naming the argument unless ``value`` is a number and ``ok``.

    Args:
        where: the owner named in the message (``'Adam'``).
        name: the argument's name.
        value: what was received.
        ok: a predicate on the number.
        expected: the allowed values, in words (``'a float in [0, 1)'``).

    Returns:
        ``float(value)``.
    """
    require(is_number(value) and ok(value), where, name, expected, value)
    return float(value)


def _range_words(low, high, low_open, high_open):
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high}"
    return ""


def check_number(where, name, value, *, low=None, high=None, low_open=False, high_open=False,
                 integer=False, allow_none=False, finite=True):
    """Check a numeric hyper-parameter against a range; return it unchanged.

    Args:
        where: the owner named in the message (a class name, or :func:`layer_owner`).
        name: the argument's name.
        value: what was received.
        low, high: the bounds (None: unbounded on that side).
        low_open, high_open: whether a bound itself is excluded.
        integer: an int (Python or NumPy) is required, not any number.
        allow_none: ``None`` is accepted (and returned).
        finite: infinities are refused (NaN always is).

    Returns:
        ``value``, as given.

    Raises:
        GlassnetValueError: naming ``where``, ``name``, the range and ``value``.
    """
    if value is None and allow_none:
        return value
    kind = "an int" if integer else ("a finite float" if finite and low is None and high is None
                                     else "a float")
    words = " ".join(part for part in (kind, _range_words(low, high, low_open, high_open))
                     if part)
    if allow_none:
        words = "None or " + words
    ok = is_int(value) if integer else is_number(value)
    if ok:
        ok = not math.isnan(value) and (not finite or not math.isinf(value))
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    require(ok, where, name, words, value)
    return value


def check_bool(where, name, value):
    """Check a flag: ``True``/``False`` (also NumPy bools and the ints 0 and 1); returned as is.

    Raises:
        GlassnetValueError: for anything else (a string such as ``'yes'`` included).
    """
    if isinstance(value, (bool, np.bool_)) or (is_int(value) and value in (0, 1)):
        return value
    require(False, where, name, "a bool (True or False)", value)


def check_choice(where, name, value, choices):
    """Check that ``value`` is one of ``choices`` (compared with ``==``); return it.

    Raises:
        GlassnetValueError: listing the choices.
    """
    if isinstance(value, (str, type(None), bool, int)) and value in choices:
        return value
    require(False, where, name, "one of " + ", ".join(repr(c) for c in choices), value)


def check_axis(where, name, value, allow_list=False):
    """Check an axis (an int) or, with ``allow_list``, a list/tuple of ints; return it.

    Raises:
        GlassnetValueError: for a float, a string, an empty or mixed list.
    """
    if is_int(value):
        return value
    if allow_list and isinstance(value, (list, tuple)) and value and all(
            is_int(a) for a in value):
        return value
    require(False, where, name,
            "an int or a non-empty list of ints" if allow_list else "an int", value)
