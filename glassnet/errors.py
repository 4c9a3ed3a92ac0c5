"""The glassnet error family.

Every error glassnet raises on purpose derives from :class:`GlassnetError`, and also from the
built-in class a Python user would expect (``ValueError``, ``TypeError``...), so both
``except gn.GlassnetError`` and ``except ValueError`` work.
"""

import difflib


class GlassnetError(Exception):
    """Base class of every error glassnet raises on purpose."""


class ShapeError(GlassnetError, ValueError):
    """Shapes that do not fit together (matmul, broadcasting, a layer's input)."""


class GlassnetTypeError(GlassnetError, TypeError):
    """A value of the wrong kind (a string where numbers are needed, ints where floats are)."""


class GlassnetValueError(GlassnetError, ValueError):
    """A value outside what an argument accepts."""


class UnknownIdentifierError(GlassnetError, ValueError):
    """A string name (optimizer, loss, activation...) that glassnet does not know."""


class FileFormatError(GlassnetError, ValueError):
    """A file that is truncated, corrupted, of another format or version, or mismatched."""


class HigherOrderError(GlassnetError, RuntimeError):
    """A ``create_graph=True`` backward met an op whose backward is first-order only."""


class AnomalyError(GlassnetError, FloatingPointError):
    """An op produced NaN or inf while ``gn.detect_anomaly()`` was on."""


def unknown_identifier(kind, name, valid, suggest_from=None):
    """Build an :class:`UnknownIdentifierError` that suggests the closest valid names.

    The one "did you mean" of glassnet (:class:`glassnet.registry.Registry` raises it too).

    Args:
        kind: what was looked up (``"loss"``, ``"optimizer"``...), named in the message.
        name: what was received.
        valid: the names the message lists.
        suggest_from: the names close matches are drawn from (default: ``valid``); matching
            ignores case, and a lower-case spelling is preferred among equal ones.

    Returns:
        The error (to ``raise``).

    Example:
        >>> str(unknown_identifier("loss", "mse2", ["hinge", "mse"]))
        "Unknown loss 'mse2'. Did you mean 'mse'? Valid names: hinge, mse."
    """
    valid = sorted(set(valid))
    spellings = {}  # lower-cased name -> the name to suggest
    for candidate in sorted(set(valid if suggest_from is None else suggest_from)):
        lowered = candidate.lower()
        if lowered not in spellings or candidate == lowered:
            spellings[lowered] = candidate
    close = difflib.get_close_matches(str(name).lower(), list(spellings), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(spellings[c]) for c in close)}?" if close else ""
    return UnknownIdentifierError(
        f"Unknown {kind} {name!r}.{hint} Valid names: {', '.join(valid)}."
    )
