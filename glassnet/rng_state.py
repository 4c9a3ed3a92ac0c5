"""Random-generator state in checkpoints: captured as plain JSON, restored only after checks.

A checkpoint stores the state of ``glassnet.config.rng`` and of every layer that owns a
generator (``Dropout(seed=...)``), so that a resumed ``fit`` draws the same shuffles and masks as
the uninterrupted run. Every NumPy bit generator is supported (PCG64, PCG64DXSM, Philox, SFC64,
MT19937); its state is written as JSON (arrays become lists of integers) and restored bit-exactly.

A state read from a file is data, not trusted: NumPy copies it into the generator's C struct
without bounds checks (an MT19937 ``pos`` or a Philox ``buffer_pos`` out of range makes later
draws read or write memory the generator does not own). So nothing from the file reaches NumPy
as is: only the fields of :data:`SCHEMAS` are read, the bit generator's name must be one of
:data:`BIT_GENERATORS`, every integer must lie in its C type's range (and a buffer position
within its buffer), every array must have its exact length, and the state handed to NumPy is
rebuilt from these checked values. Anything else raises :class:`~glassnet.errors.FileFormatError`
naming the file and the field.
"""

from glassnet.archive import fail as _fail
from glassnet.backend import xp
from glassnet.config import config as _config
from glassnet.config import get_rng
from glassnet.errors import GlassnetValueError

UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1
UINT128_MAX = 2**128 - 1


def _int(low, high, odd=False):
    return ("odd" if odd else "int", low, high)


def _array(dtype, length, high):
    return ("array", dtype, length, high)


_FLAG = _int(0, 1)
_UINTEGER = _int(0, UINT32_MAX)
# PCG's increment is odd (NumPy makes it so): with an even one, state 0 draws 0 forever.
_PCG = {"state": {"state": _int(0, UINT128_MAX), "inc": _int(1, UINT128_MAX, odd=True)},
        "has_uint32": _FLAG, "uinteger": _UINTEGER}

#: The fields of each bit generator's state (``numpy.random.<name>().state``), nested as
#: NumPy nests them: ``("int", low, high)`` an integer in ``low..high`` (``"odd"``: an odd
#: one); ``("array", dtype,
#: length, high)`` exactly ``length`` integers in ``0..high``, given to NumPy with ``dtype``.
SCHEMAS = {
    "PCG64": _PCG,
    "PCG64DXSM": _PCG,
    "Philox": {"state": {"counter": _array("uint64", 4, UINT64_MAX),
                         "key": _array("uint64", 2, UINT64_MAX)},
               "buffer": _array("uint64", 4, UINT64_MAX),
               "buffer_pos": _int(0, 4),  # 4: buffer used up (refilled on the next draw)
               "has_uint32": _FLAG, "uinteger": _UINTEGER},
    "SFC64": {"state": {"state": _array("uint64", 4, UINT64_MAX)},
              "has_uint32": _FLAG, "uinteger": _UINTEGER},
    "MT19937": {"state": {"key": _array("uint32", 624, UINT32_MAX),
                          "pos": _int(0, 624)}},  # 624: key used up (regenerated next)
}

#: The bit generators a checkpoint may name (NumPy's own; nothing is looked up by the file).
BIT_GENERATORS = tuple(SCHEMAS)


def _json(value):
    """NumPy's state with arrays as lists and NumPy integers as ints (for ``json.dumps``)."""
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, xp.ndarray):
        return value.tolist()
    if isinstance(value, xp.integer):
        return int(value)
    return value


def _state_of(generator, what):
    """The JSON-able state of a ``numpy.random.Generator``'s bit generator."""
    state = generator.bit_generator.state
    if state.get("bit_generator") not in SCHEMAS:
        raise GlassnetValueError(
            f"save: {what} uses the bit generator {state.get('bit_generator')!r}, which a "
            f"checkpoint cannot store; use one of {list(BIT_GENERATORS)}")
    return _json(state)


def capture(model):
    """``(global state, {layer name: state})`` as JSON-able dicts of str, int and lists."""
    layers = {layer.name: _state_of(layer._rng, f"layer {layer.name!r}")
              for layer in private_rng_layers(model)}
    return _state_of(get_rng(), "glassnet.config.rng"), layers


def private_rng_layers(model):
    """The layers that draw from a generator of their own (``Dropout(seed=...)``)."""
    return [layer for layer in model._flatten_layers()
            if isinstance(getattr(layer, "_rng", None), xp.random.Generator)]


def _is_int(value):
    return isinstance(value, (int, xp.integer)) and not isinstance(value, (bool, xp.bool_))


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _checked(value, spec, path, field):
    """``value`` (from the file) checked against ``spec``; a fresh value of NumPy's type."""
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise _fail(path, f"{field} must be an object with the fields {sorted(spec)}, "
                              f"found {type(value).__name__} {_short(value)}")
        unknown = sorted(str(key) for key in value if key not in spec)
        missing = sorted(key for key in spec if key not in value)
        if unknown or missing:
            raise _fail(path, f"{field} must have exactly the fields {sorted(spec)} (missing "
                              f"{missing}, unknown {unknown[:5]})")
        return {key: _checked(value[key], item, path, f"{field}.{key}")
                for key, item in spec.items()}
    if spec[0] in ("int", "odd"):
        kind, low, high = spec
        odd = kind == "odd"
        if not _is_int(value) or not low <= value <= high or (odd and value % 2 == 0):
            raise _fail(path, f"{field} must be an{' odd' if odd else ''} integer in "
                              f"{low}..{high}, found {_short(value)}")
        return int(value)
    _, dtype, length, high = spec
    if isinstance(value, xp.ndarray) and value.ndim == 1 and value.dtype.kind in "iu":
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) != length:
        size = f"of length {len(value)}" if isinstance(value, (list, tuple)) else \
            type(value).__name__
        raise _fail(path, f"{field} must be a list of exactly {length} integers in 0..{high}, "
                          f"found {size}")
    for index, item in enumerate(value):
        if not _is_int(item) or not 0 <= item <= high:
            raise _fail(path, f"{field}[{index}] must be an integer in 0..{high}, found "
                              f"{_short(item)}")
    return xp.array([int(item) for item in value], dtype=dtype)


def checked_state(state, path, what="rng_state"):
    """A checkpoint's JSON generator ``state`` validated field by field and rebuilt for NumPy.

    Args:
        state: the state as read from the file (untrusted).
        path: the file, for error messages.
        what: the state's place in the file (``rng_state`` or ``layer_rng_states[...]``).

    Returns:
        A new dict in the form of ``numpy.random.<name>().state`` (NumPy arrays and ints),
        built only from checked values.

    Raises:
        FileFormatError: an unknown bit generator, a missing or unknown field, a value of the
            wrong type, out of its type's range or beyond its buffer, an array of the wrong
            length, or a degenerate state that would draw zeros forever (an even PCG
            increment, MT19937's all-zero state); the message names the file and the field.
    """
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if not isinstance(name, str) or name not in SCHEMAS:
        raise _fail(path, f"{what} must be a NumPy bit generator state with bit_generator "
                          f"in {list(BIT_GENERATORS)}, found {str(state)[:80]!r}")
    fields = {key: value for key, value in state.items() if key != "bit_generator"}
    checked = {"bit_generator": name, **_checked(fields, SCHEMAS[name], path, what)}
    if name == "MT19937":
        key = checked["state"]["key"]
        if not key[0] & 0x80000000 and not key[1:].any():
            # MT19937's 19937 state bits (the top bit of key[0], all of key[1:]) all zero:
            # it would draw 0 forever, and bounded draws (shuffles) would never return.
            raise _fail(path, f"{what}.state.key is MT19937's all-zero state (the top bit of "
                              "key[0] and all of key[1:] zero), which draws only zeros")
    return checked


def _bit_generator(state, path, what="rng_state"):
    """A NumPy bit generator set to a checkpoint's JSON ``state`` (checked, never trusted)."""
    state = checked_state(state, path, what)
    name = state["bit_generator"]
    try:
        bit_generator = getattr(xp.random, name)()
        bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise _fail(path, f"{what} is not a valid {name} state ({error})") from None
    return bit_generator, state


def restore_layers(model, states, path):
    """Give each ``Dropout(seed=...)``-like layer its saved generator state back."""
    if not states:
        return
    if not isinstance(states, dict):
        raise _fail(path, f"layer_rng_states must map layer names to states, found "
                          f"{type(states).__name__}")
    layers = {layer.name: layer for layer in private_rng_layers(model)}
    for name, state in states.items():
        if name not in layers:
            raise _fail(path, f"layer_rng_states names layer {name!r}, which has no private "
                              f"generator in the loaded model ({sorted(layers)})")
        bit_generator, _ = _bit_generator(state, path, f"layer_rng_states[{name!r}]")
        layers[name]._rng = xp.random.Generator(bit_generator)


def restore_global(state, path):
    """Put a checkpoint's RNG state back into ``glassnet.config.rng`` (None: leave it)."""
    if state is None:
        return
    bit_generator, state = _bit_generator(state, path)
    rng = get_rng()
    if type(getattr(rng, "bit_generator", None)) is type(bit_generator):
        rng.bit_generator.state = state  # in place: code holding the generator follows
    else:
        _config.rng = xp.random.Generator(bit_generator)
