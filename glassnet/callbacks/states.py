"""Callback states in checkpoints: field checks, and the ``callbacks.json`` member's codec.

A callback's :meth:`~glassnet.callbacks.Callback.get_state` is a dict of JSON values and
ndarrays. ``ModelCheckpoint`` stores the states of all of fit's callbacks in a model file as
``callbacks.json``::

    {"format": "glassnet.callback_states",
     "states": {"EarlyStopping(monitor='loss')#0": {"class_name": "EarlyStopping",
                                                    "state": {"wait": 1, ...}}, ...}}

with every ndarray replaced by ``{"__array__": "a00000"}`` and stored in ``callbacks.npz``.
Reading checks the structure and, for a registered callback class with ``state_fields``, every
field (:func:`check_state`), so a malformed member is a FileFormatError at ``load_model``.

Example:
    >>> document, arrays = pack_states({"k#0": {"class_name": "X", "state": {"n": 1}}})
    >>> document["states"], arrays
    ({'k#0': {'class_name': 'X', 'state': {'n': 1}}}, {})
"""

import json
import math

from glassnet import archive as safe
from glassnet.backend import xp
from glassnet.callbacks.base import REGISTRY
from glassnet.errors import GlassnetTypeError, GlassnetValueError

FORMAT = "glassnet.callback_states"
JSON_MEMBER = "callbacks.json"
ARRAYS_MEMBER = "callbacks.npz"


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _is_number(value):
    if isinstance(value, float):
        return not math.isnan(value)
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63


def _is_arrays(value):
    return isinstance(value, list) and all(
        isinstance(a, xp.ndarray) and a.dtype.kind in "biuf" for a in value)


def _is_strings(value):
    return isinstance(value, list) and all(isinstance(s, str) for s in value)


#: Checks for ``state_fields``: (what is allowed, in words; the test).
COUNT = ("a non-negative integer", _is_count)
NUMBER = ("a number (not NaN; inf allowed)", _is_number)
OPTIONAL_NUMBER = ("None or a number (not NaN)", lambda v: v is None or _is_number(v))
OPTIONAL_ARRAYS = ("None or a list of numeric arrays", lambda v: v is None or _is_arrays(v))
OPTIONAL_STRINGS = ("None or a list of strings", lambda v: v is None or _is_strings(v))
COUNTS = ("a list of non-negative integers",
          lambda v: isinstance(v, list) and all(_is_count(i) for i in v))
LISTS_BY_NAME = ("a dict of lists keyed by name",
                 lambda v: isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, list)
                                                       for k, x in v.items()))


def check_state(owner, fields, state):
    """Refuse a state whose fields are not exactly ``fields`` or fail their checks.

    Raises:
        GlassnetValueError: naming ``owner``, the field, what is allowed and the value.
    """
    if not isinstance(state, dict) or set(state) != set(fields):
        found = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise GlassnetValueError(f"{owner}.set_state: expected a dict with the fields "
                                 f"{sorted(fields)}, received {found}")
    for name, (allowed, test) in fields.items():
        if not test(state[name]):
            shown = repr(state[name])
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            raise GlassnetValueError(f"{owner}.set_state: {name} must be {allowed}, received "
                                     f"{shown}")
    return state


def pack_states(states):
    """Callback states as (the callbacks.json object, ``{name: ndarray}``): every ndarray
    becomes ``{"__array__": name}`` (stored in ``callbacks.npz``), NumPy scalars numbers.

    Raises:
        GlassnetTypeError: a value that is neither JSON nor an array (naming the state key).
    """
    arrays = {}

    def pack(value, where):
        if isinstance(value, xp.ndarray):
            name = f"a{len(arrays):05d}"
            arrays[name] = value
            return {"__array__": name}
        if isinstance(value, xp.generic):
            return value.item()
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {k: pack(v, where) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [pack(v, where) for v in value]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise GlassnetTypeError(f"{where}.get_state: cannot store {type(value).__name__!r} "
                                "values in a checkpoint; use JSON values (dict keys: strings) "
                                "and ndarrays")

    for key, entry in states.items():
        if not isinstance(entry.get("state"), dict):
            raise GlassnetTypeError(f"{key}.get_state: must return a dict, returned a "
                                    f"{type(entry.get('state')).__name__}")
    document = {key: pack(entry, key) for key, entry in states.items()}
    return {"format": FORMAT, "states": document}, arrays


def unpack_states(document, arrays, fail):
    """The states :func:`pack_states` wrote, arrays put back, registered classes' fields checked.

    ``fail(message)`` makes the error to raise (a FileFormatError naming the file).
    """
    if document.get("format") != FORMAT:
        raise fail(f"format is {document.get('format')!r}, expected {FORMAT!r}")
    states = document.get("states")
    if not isinstance(states, dict):
        raise fail(f"'states' must be a JSON object, found {type(states).__name__}")

    def unpack(value, key):
        if isinstance(value, dict):
            if set(value) == {"__array__"}:
                if value["__array__"] not in arrays:
                    raise fail(f"{key!r}: the array {value['__array__']!r} is not in "
                               f"callbacks.npz (holds {sorted(arrays)[:5]})")
                return arrays[value["__array__"]]
            return {k: unpack(v, key) for k, v in value.items()}
        return [unpack(v, key) for v in value] if isinstance(value, list) else value

    result = {}
    for key, entry in states.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) \
                or not isinstance(entry.get("state"), dict):
            raise fail(f"{key!r} must be an object with a 'class_name' string and a 'state' "
                       f"object, found {entry!r:.80}")
        try:
            state = unpack(entry["state"], key)
        except RecursionError:
            raise fail(f"{key!r}: the state is nested too deeply") from None
        cls = REGISTRY.entries.get(entry["class_name"])
        fields = getattr(cls, "state_fields", None)
        if fields is not None:
            try:
                check_state(entry["class_name"], fields, state)
            except GlassnetValueError as error:
                raise fail(f"{key!r}: {error}") from None
        result[key] = {"class_name": entry["class_name"], "state": state}
    return result


def states_members(states, npz_bytes):
    """``{member name: bytes}`` for a model file: callbacks.json and (with arrays) .npz."""
    document, arrays = pack_states(states)
    members = {JSON_MEMBER: json.dumps(document, indent=1).encode()}
    if arrays:
        members[ARRAYS_MEMBER] = npz_bytes(arrays)
    return members


def read_states(archive, infos, path):
    """The validated states in an open model file (None when it holds none).

    Raises:
        FileFormatError: naming ``path`` and what is wrong in the member.
    """
    def fail(message):
        return safe.fail(path, f"{JSON_MEMBER}: {message}")

    if JSON_MEMBER not in infos:
        if ARRAYS_MEMBER in infos:
            raise safe.fail(path, f"{ARRAYS_MEMBER!r} without {JSON_MEMBER!r}")
        return None
    data = safe.read_member(archive, infos[JSON_MEMBER], path, safe.MAX_JSON_BYTES)
    document = safe.read_json(data, JSON_MEMBER, path)
    arrays = {}
    if ARRAYS_MEMBER in infos:
        data = safe.read_member(archive, infos[ARRAYS_MEMBER], path, safe.MAX_ARRAYS_BYTES)
        arrays = safe.read_npz(data, ARRAYS_MEMBER, path)
    return unpack_states(document, arrays, fail)
