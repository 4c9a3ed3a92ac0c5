"""glassnet.rng_state: every NumPy bit generator saved and restored exactly; hostile states refused.

On the main branch before this module validated states (issue 20), a Philox, SFC64 or MT19937
generator made ``save_model(include_rng_state=True)`` (and so ModelCheckpoint) raise "ndarray is
not JSON serializable", a PCG64DXSM checkpoint failed to load with "'Config' object has no
attribute 'config'", and out-of-range fields reached NumPy unchecked (an MT19937 ``pos=10**9``
crashed the process natively, a Philox ``buffer_pos=-6`` read memory before its buffer). The
round-trip, resume and refusal tests below failed there; the fuzz test's child process crashed.
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import io as gio
from glassnet import rng_state
from glassnet.callbacks import ModelCheckpoint
from glassnet.layers import Dense, Dropout
from glassnet.models import Sequential, load_model

GENERATORS = ["PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937"]
U32, U64, U128 = 2**32 - 1, 2**64 - 1, 2**128 - 1

# The fields of each generator's state, written out here independently of rng_state.SCHEMAS:
# ("int", low, high), ("odd", low, high) (an odd integer) or ("array", length, high).
PCG = {("state", "state"): ("int", 0, U128), ("state", "inc"): ("odd", 1, U128),
       ("has_uint32",): ("int", 0, 1), ("uinteger",): ("int", 0, U32)}
FIELDS = {
    "PCG64": PCG,
    "PCG64DXSM": PCG,
    "Philox": {("state", "counter"): ("array", 4, U64), ("state", "key"): ("array", 2, U64),
               ("buffer",): ("array", 4, U64), ("buffer_pos",): ("int", 0, 4),
               ("has_uint32",): ("int", 0, 1), ("uinteger",): ("int", 0, U32)},
    "SFC64": {("state", "state"): ("array", 4, U64), ("has_uint32",): ("int", 0, 1),
              ("uinteger",): ("int", 0, U32)},
    "MT19937": {("state", "key"): ("array", 624, U32), ("state", "pos"): ("int", 0, 624)},
}


@pytest.fixture(autouse=True)
def _restore_global_rng():
    saved = gn.config.rng
    yield
    gn.config.rng = saved


def advanced(name, seed):
    """A generator of kind ``name`` moved off its seed, mid-buffer where it has a buffer."""
    generator = np.random.Generator(getattr(np.random, name)(seed))
    generator.random(5)
    generator.integers(0, 2**32, size=1, dtype=np.uint32)  # leaves a buffered 32-bit half
    return generator


def draws(generator):
    """The next draws of several kinds (64-bit, buffered 32-bit, floats, normals), as bytes."""
    parts = (generator.integers(0, 2**32, size=3, dtype=np.uint32), generator.random(7),
             generator.integers(0, 10**18, size=3), generator.normal(size=5))
    return b"".join(part.tobytes() for part in parts)


def as_json(state):
    """NumPy's state with its arrays as lists, as a checkpoint stores it."""
    return json.loads(json.dumps(state, default=lambda array: array.tolist()))


def json_state(name, seed=3):
    """The state of an ``advanced`` generator, as a checkpoint stores it."""
    return as_json(advanced(name, seed).bit_generator.state)


def with_field(state, field, value):
    state = json.loads(json.dumps(state))
    place = state
    for key in field[:-1]:
        place = place[key]
    place[field[-1]] = value
    return state


def small_model():
    return Sequential([Dense(2, input_shape=(3,)), Dropout(0.5, seed=1)])


def rewrite_config(path, change):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    change(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, blob in members.items():
            archive.writestr(name, blob)


# ----------------------------------------------------------------------------- exact round trips
@pytest.mark.parametrize("before_load", ["same kind", "another kind"])
@pytest.mark.parametrize("name", GENERATORS)
def test_each_generator_round_trips_bit_exactly_through_a_checkpoint(tmp_path, name,
                                                                     before_load):
    model = small_model()
    gn.config.rng = advanced(name, 7)
    model.layers[1]._rng = advanced(name, 8)
    path = tmp_path / "ckpt.glassnet"
    gio.save_model(model, path, include_rng_state=True)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    assert config["rng_state"]["bit_generator"] == name
    expected_global, expected_layer = draws(gn.config.rng), draws(model.layers[1]._rng)
    other = "MT19937" if name != "MT19937" else "PCG64"
    kind = name if before_load == "same kind" else other
    gn.config.rng = np.random.Generator(getattr(np.random, kind)(12345))
    held = gn.config.rng
    loaded = load_model(path)
    assert type(gn.config.rng.bit_generator).__name__ == name
    assert (gn.config.rng is held) == (before_load == "same kind")  # same kind: set in place
    assert draws(gn.config.rng) == expected_global
    assert type(loaded.layers[1]._rng.bit_generator).__name__ == name
    assert draws(loaded.layers[1]._rng) == expected_layer


@pytest.mark.parametrize("name", GENERATORS)
def test_fit_with_a_model_checkpoint_resumes_bit_exactly_with_each_generator(tmp_path, name):
    """ModelCheckpoint no longer aborts fit, and the resumed run equals the straight one."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(24, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)

    def build():
        model = Sequential([Dense(8, activation="relu", input_shape=(3,)), Dropout(0.3),
                            Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    gn.config.rng = np.random.Generator(getattr(np.random, name)(4))
    straight = build()
    straight.fit(x, y, batch_size=6, epochs=3, shuffle=True, verbose=0)
    gn.config.rng = np.random.Generator(getattr(np.random, name)(4))
    first = build()
    first.fit(x, y, batch_size=6, epochs=1, shuffle=True, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "ckpt.glassnet"), monitor="loss")])
    gn.manual_seed(999)
    resumed = load_model(tmp_path / "ckpt.glassnet")
    resumed.fit(x, y, batch_size=6, epochs=3, initial_epoch=1, shuffle=True, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", GENERATORS)
def test_limits_of_every_field_are_accepted(name):
    """Each integer at its lowest and highest value and arrays of all-max words load and draw
    (MT19937 pos=624 and Philox buffer_pos=4 mean a used-up buffer, refilled next)."""
    for field, spec in FIELDS[name].items():
        length = spec[1]
        values = [[0] * (length - 1) + [1], [spec[2]] * length] if spec[0] == "array" \
            else spec[1:]
        for value in values:
            state = with_field(json_state(name), field, value)
            generator = np.random.Generator(np.random.PCG64(0))
            gn.config.rng = generator
            rng_state.restore_global(state, "ok.glassnet")
            assert gn.config.rng.bit_generator.state["bit_generator"] == name
            draws(gn.config.rng)


# ----------------------------------------------------------------------------- refusals
def bad_values(spec):
    if spec[0] in ("int", "odd"):
        low, high = spec[1:]
        even = [2, high - 1] if spec[0] == "odd" else []
        return [low - 1, high + 1, -1, 10**40, -(10**40), True, 1.0, "1", None, [low], *even]
    length, high = spec[1:]
    return [[0] * (length - 1), [0] * (length + 1), [], [-1] + [0] * (length - 1),
            [high + 1] + [0] * (length - 1), [0] * (length - 1) + [10**30],
            [1.5] + [0] * (length - 1), ["1"] + [0] * (length - 1),
            [None] * length, [[0]] * length, "0" * length, None, 7, {"0": 0}]


REFUSALS = [(name, field, value) for name in GENERATORS for field, spec in FIELDS[name].items()
            for value in bad_values(spec)]


@pytest.mark.parametrize(("name", "field", "value"), REFUSALS,
                         ids=[f"{n}-{'.'.join(f)}-{i}" for i, (n, f, _) in enumerate(REFUSALS)])
def test_each_out_of_range_or_mistyped_field_is_refused(name, field, value):
    state = with_field(json_state(name), field, value)
    before = gn.config.rng.bit_generator.state
    dotted = "rng_state." + ".".join(field)
    with pytest.raises(gn.FileFormatError, match=rf"^bad\.glassnet: {dotted}(\[\d+\])? must be"):
        rng_state.restore_global(state, "bad.glassnet")
    assert gn.config.rng.bit_generator.state == before  # nothing half-restored


@pytest.mark.parametrize("name", GENERATORS)
def test_missing_unknown_or_malformed_structure_is_refused(name):
    good = json_state(name)
    missing = {key: value for key, value in good.items() if key != list(FIELDS[name])[-1][0]}
    cases = [missing, {**good, "extra": 1}, {**good, "state": {**good["state"], "x": 0}},
             {**good, "state": [1, 2]}, {**good, "state": None},
             {**good, "bit_generator": "RandomState"}, {**good, "bit_generator": ["PCG64"]},
             {**good, "bit_generator": "numpy.random.PCG64"}, [good], "PCG64", 0]
    for state in cases:
        with pytest.raises(gn.FileFormatError, match=r"^bad\.glassnet: rng_state"):
            rng_state.restore_global(state, "bad.glassnet")


def test_states_that_would_draw_zeros_forever_are_refused():
    """On main these loaded, and a shuffle from them never returned (checked with a timeout):
    MT19937 with its 19937 state bits all zero, PCG64 with state 0 and an even increment."""
    lower_bits_only = [0x7FFFFFFF] + [0] * 623
    with pytest.raises(gn.FileFormatError, match=r"rng_state\.state\.key is MT19937's all-zero"):
        rng_state.restore_global(with_field(json_state("MT19937"), ("state", "key"),
                                            lower_bits_only), "bad.glassnet")
    top_bit = [0x80000000] + [0] * 623  # NumPy's own seeding sets this bit: a valid state
    rng_state.restore_global(with_field(json_state("MT19937"), ("state", "key"), top_bit),
                             "ok.glassnet")
    gn.config.rng.permutation(10)
    zero = with_field(with_field(json_state("PCG64"), ("state", "state"), 0), ("state", "inc"), 0)
    with pytest.raises(gn.FileFormatError, match=r"rng_state\.state\.inc must be an odd"):
        rng_state.restore_global(zero, "bad.glassnet")


@pytest.mark.parametrize(("name", "field", "value"), [
    ("MT19937", ("state", "pos"), 10**9),
    ("Philox", ("buffer_pos",), -6),
    ("PCG64", ("state", "inc"), 2**128),
])
def test_a_checkpoint_with_a_hostile_state_is_a_file_format_error(tmp_path, name, field, value):
    """The issue's cases through load_model: both the global and a layer's generator."""
    model = small_model()
    gn.config.rng = advanced(name, 1)
    model.layers[1]._rng = advanced(name, 2)
    path = tmp_path / "ckpt.glassnet"
    gio.save_model(model, path, include_rng_state=True)
    layer = model.layers[1].name

    def break_global(config):
        config["rng_state"] = with_field(config["rng_state"], field, value)

    def break_layer(config):
        config["layer_rng_states"][layer] = with_field(config["layer_rng_states"][layer],
                                                       field, value)

    rewrite_config(path, break_global)
    where = ".".join(field)
    with pytest.raises(gn.FileFormatError, match=rf"ckpt\.glassnet: rng_state\.{where} must"):
        load_model(path)
    gio.save_model(model, path, include_rng_state=True)
    rewrite_config(path, break_layer)
    with pytest.raises(gn.FileFormatError,
                       match=rf"ckpt\.glassnet: layer_rng_states\['{layer}'\]\.{where} must"):
        load_model(path)


def test_a_generator_a_checkpoint_cannot_store_is_refused_at_save(tmp_path):
    class Fake:
        bit_generator = type("BG", (), {"state": {"bit_generator": "Custom", "state": {}}})()

    model = small_model()
    gn.config.rng = Fake()
    with pytest.raises(gn.GlassnetValueError, match=r"save: glassnet.config.rng uses the bit "
                                                    r"generator 'Custom'"):
        gio.save_model(model, tmp_path / "m.glassnet", include_rng_state=True)


# ----------------------------------------------------------------------------- fuzz
FUZZ = r"""
import json, random, sys
import numpy as np
import glassnet as gn
from glassnet import rng_state

random.seed(int(sys.argv[1]))
NAMES = ["PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937"]
EDGES = [0, 1, -1, 2, 3, 4, 5, -6, 623, 624, 625, 2**31, 2**32 - 1, 2**32, 2**63, 2**64 - 1,
         2**64, 2**127, 2**128 - 1, 2**128, -(2**64), 10**9, 10**40, -(10**40)]

def junk():
    return random.choice([None, True, False, 1.5, float("nan"), float("inf"), "1", "", [],
                          {}, [1], {"a": 1}, random.choice(EDGES)])

def mutate(value):
    if isinstance(value, list):
        choice = random.randrange(4)
        if choice == 0:
            return [random.choice(EDGES) for _ in range(random.choice([0, 1, 2, 3, 4, 5, 623,
                                                                      624, 625, len(value)]))]
        if choice == 1 and value:
            value = list(value)
            value[random.randrange(len(value))] = random.choice([junk(), random.choice(EDGES)])
            return value
        return junk() if choice == 2 else [random.randrange(2**64) for _ in value]
    if isinstance(value, dict):
        value = dict(value)
        key = random.choice(list(value) + ["extra"])
        value[key] = mutate(value.get(key, 0))
        if random.random() < 0.1 and value:
            value.pop(random.choice(list(value)))
        return value
    r = random.random()
    if r < 0.6:
        return random.choice(EDGES) + random.choice([0, 0, 1, -1])
    if r < 0.8:
        return random.randrange(-(2**130), 2**130)
    return junk()

loaded = refused = 0
for case in range(int(sys.argv[2])):
    name = random.choice(NAMES)
    state = json.loads(json.dumps(getattr(np.random, name)(case).state,
                                  default=lambda array: array.tolist()))
    for _ in range(random.choice([1, 1, 2, 3])):
        state = mutate(state)
    if random.random() < 0.05:
        state["bit_generator"] = random.choice(NAMES + ["RandomState", "os.system", 1])
    # half the time the current generator is of the same kind (restored in place), else another
    kind = name if random.random() < 0.5 else random.choice(NAMES)
    gn.config.rng = np.random.Generator(getattr(np.random, kind)(case))
    try:
        rng_state.restore_global(state, "fuzz.glassnet")
    except gn.FileFormatError:
        refused += 1
        continue
    except Exception as error:  # anything else is a failure of the validation
        print("UNEXPECTED", type(error).__name__, error, json.dumps(state)[:300])
        sys.exit(3)
    rng = gn.config.rng
    for _ in range(3):  # drain well past any buffer: a bad position would crash or leak here
        rng.integers(0, 2**32, size=700, dtype=np.uint32)
        rng.random(700)
        rng.standard_normal(5)
    loaded += 1
print("loaded", loaded, "refused", refused)
"""


def test_fuzzing_the_state_fields_never_crashes_the_process():
    """Random, out-of-range, negative, huge and mistyped values for each field, in a child
    process (a native crash would kill it): every case either loads and draws or is a
    FileFormatError."""
    root = str(Path(gn.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.run([sys.executable, "-c", FUZZ, "20", "1500"], capture_output=True,
                           text=True, env=env, timeout=300, check=False)
    assert child.returncode == 0, (child.returncode, child.stdout[-2000:], child.stderr[-2000:])
    words = child.stdout.split()
    loaded, refused = int(words[words.index("loaded") + 1]), int(words[-1])
    assert loaded + refused == 1500
    assert loaded > 50 and refused > 500  # both paths exercised
