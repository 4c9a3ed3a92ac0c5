"""Random-generator state in checkpoints: captured as plain JSON, restored only after checks.

A checkpoint stores the state of ``glassnet.config.rng`` and of every layer that owns a
generator (``Dropout(seed=...)``), so that a resumed ``fit`` draws the same shuffles and masks as
the uninterrupted run. A state read from a file is data, not trusted: only NumPy's own bit
generators are accepted, and a malformed state raises :class:`~glassnet.errors.FileFormatError`
naming the file.
"""

from glassnet.archive import fail as _fail
from glassnet.backend import xp
from glassnet.config import get_rng


def capture(model):
    """``(global state, {layer name: state})`` as JSON-able dicts of str and int."""
    layers = {layer.name: layer._rng.bit_generator.state for layer in private_rng_layers(model)}
    return get_rng().bit_generator.state, layers


BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")


def private_rng_layers(model):
    """The layers that draw from a generator of their own (``Dropout(seed=...)``)."""
    return [layer for layer in model._flatten_layers()
            if isinstance(getattr(layer, "_rng", None), xp.random.Generator)]


def _bit_generator(state, path, what="rng_state"):
    """A NumPy bit generator set to a checkpoint's JSON ``state`` (checked, never trusted)."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in BIT_GENERATORS:
        raise _fail(path, f"{what} must be a NumPy bit generator state with bit_generator "
                          f"in {list(BIT_GENERATORS)}, found {str(state)[:80]!r}")
    try:
        bit_generator = getattr(xp.random, name)()
        bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise _fail(path, f"{what} is not a valid {name} state ({error})") from None
    return bit_generator


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
        layers[name]._rng = xp.random.Generator(
            _bit_generator(state, path, f"layer_rng_states[{name!r}]"))


def restore_global(state, path):
    """Put a checkpoint's RNG state back into ``glassnet.config.rng`` (None: leave it)."""
    if state is None:
        return
    bit_generator = _bit_generator(state, path)
    rng = get_rng()
    if type(rng.bit_generator) is type(bit_generator):
        rng.bit_generator.state = state  # in place: code holding the generator follows
    else:
        from glassnet import config as config_module

        config_module.config.rng = xp.random.Generator(bit_generator)
