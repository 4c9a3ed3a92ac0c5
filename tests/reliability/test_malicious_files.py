"""Hostile, broken and half-written files: nothing executes, memory stays bounded, every
problem is a FileFormatError, and a save killed mid-write leaves the previous file intact.

tests/test_io.py already covers truncation at one point, another format or version, weights
of the wrong shape and one pickled object array; this file adds the other attacks.

Broken variants: each test was run against a deliberately broken glassnet (a monkeypatched
function, or an edited copy of the package imported instead of the real one) and failed; the
docstrings say what was broken.
"""

import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from glassnet import io as gio
from glassnet.datasets import mnist
from glassnet.errors import FileFormatError
from glassnet.layers import Dense
from glassnet.models import Sequential

pytestmark = pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")


def mlp():
    return Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2)])


def members(path):
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def write_zip(path, items, compression=zipfile.ZIP_STORED):
    """A zip with exactly these (name, bytes) members, in order (duplicates allowed)."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, blob in items:
            archive.writestr(name, blob)


def replace_member(path, name, blob):
    write_zip(path, [(n, blob if n == name else b) for n, b in members(path)])


def npy(array_or_header, data=b""):
    """The bytes of an .npy: a real array, or a hand-written header dict plus raw data."""
    if isinstance(array_or_header, np.ndarray):
        buffer = io.BytesIO()
        np.save(buffer, array_or_header, allow_pickle=True)
        return buffer.getvalue()
    header = repr(array_or_header).encode("latin1")
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def npz(items):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, blob in items:
            archive.writestr(name, blob)
    return buffer.getvalue()


def good_arrays():
    return [("w00000.npy", npy(np.zeros((3, 4), np.float32))),
            ("w00001.npy", npy(np.zeros(4, np.float32))),
            ("w00002.npy", npy(np.zeros((4, 2), np.float32))),
            ("w00003.npy", npy(np.zeros(2, np.float32)))]


class Payload:
    """Unpickling this creates the marker file: the loaders must never get that far."""

    marker = None

    def __reduce__(self):
        return (open, (Payload.marker, "w"))


@pytest.fixture
def marker(tmp_path):
    Payload.marker = str(tmp_path / "pwned")
    yield tmp_path / "pwned"
    assert not (tmp_path / "pwned").exists(), "a payload was executed"


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "m.glassnet"
    mlp().save(path)
    return path


# ----------------------------------------------------------------------------- pickle
def pickled_object_npy():
    hostile = np.empty(1, dtype=object)
    hostile[0] = Payload()
    return npy(hostile)


@pytest.mark.parametrize("where", ["weights", "optimizer", "weights-file"])
def test_object_arrays_anywhere_are_refused_unexecuted(tmp_path, marker, where):
    """Broken variant checked: with io.check_npz a no-op and np.load forced to
    allow_pickle=True, the marker file appeared in all three cases."""
    from glassnet.optimizers import Adam

    if where == "weights-file":
        path = tmp_path / "w.weights.npz"
        mlp().save_weights(path)
        blob = npz([(n, pickled_object_npy() if n == "w00000.npy" else b)
                    for n, b in members(path)])
        path.write_bytes(blob)
        with pytest.raises(FileFormatError, match=r"dtype object.*without pickle"):
            mlp().load_weights(path)
        return
    model = mlp()
    model.compile(optimizer=Adam(), loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    path = tmp_path / "m.glassnet"
    model.save(path)
    member = "model.weights.npz" if where == "weights" else "optimizer.npz"
    inner = members_of_bytes(dict(members(path))[member])
    inner[0] = (inner[0][0], pickled_object_npy())
    replace_member(path, member, npz(inner))
    with pytest.raises(FileFormatError, match=rf"{member}.*dtype object"):
        gio.load_model(path)


def members_of_bytes(blob):
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def test_raw_pickle_in_place_of_an_npz_is_refused(model_file, marker):
    """Broken variant checked: with io.check_npz a no-op the error was NumPy's, not ours."""
    replace_member(model_file, "model.weights.npz", pickle.dumps(Payload()))
    with pytest.raises(FileFormatError, match=r"model.weights.npz is not an .npz archive"):
        gio.load_model(model_file)
    model_file.write_bytes(pickle.dumps(Payload()))  # the whole file a pickle
    with pytest.raises(FileFormatError, match=r"not a glassnet model file"):
        gio.load_model(model_file)


def test_pickle_inside_the_mnist_npz_loader(tmp_path, marker):
    """Broken variant checked: with io.check_npz a no-op (mnist.load_npz skips it) it failed."""
    path = tmp_path / "mnist.npz"
    path.write_bytes(npz([("x_train.npy", pickled_object_npy())]))
    with pytest.raises(FileFormatError, match=r"dtype object"):
        mnist.load_npz(path)


# ----------------------------------------------------------------------------- sizes
def test_npy_header_declaring_a_huge_array_allocates_nothing(model_file):
    """A 100-byte member whose header claims 2**40 float32 (4 TiB).

    Broken variant checked: with io.check_npz a no-op, np.load tried to allocate the declared
    array and the test failed."""
    huge = npy({"descr": "<f4", "fortran_order": False, "shape": (2**40,)}, bytes(100))
    inner = good_arrays()
    inner[0] = ("w00000.npy", huge)
    replace_member(model_file, "model.weights.npz", npz(inner))
    tracemalloc.start()
    try:
        with pytest.raises(FileFormatError, match=r"declares shape \(1099511627776,\).*holds "
                                                  r"100 bytes"):
            gio.load_model(model_file)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def test_mnist_npz_declaring_a_huge_array(tmp_path):
    """Broken variant checked: with io.check_npz a no-op this failed (np.load allocates)."""
    path = tmp_path / "mnist.npz"
    huge = npy({"descr": "|u1", "fortran_order": False, "shape": (2**20, 2**20, 28)}, bytes(10))
    path.write_bytes(npz([("x_train.npy", huge)]))
    tracemalloc.start()
    try:
        with pytest.raises(FileFormatError, match=r"declares shape"):
            mnist.load_npz(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def test_zip_bomb_member_is_refused_before_inflating(model_file):
    """64 MiB of zeros deflate to ~64 KiB; the loader must refuse without inflating them.

    Broken variant checked: with MAX_DEFLATE_RATIO huge (no ratio check), it failed."""
    items = members(model_file)
    items = [(n, d) for n, d in items if n != "model.weights.npz"]
    with zipfile.ZipFile(model_file, "w") as archive:
        for name, data in items:
            archive.writestr(name, data)
        info = zipfile.ZipInfo("model.weights.npz")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as out:
            chunk = bytes(2**20)
            for _ in range(64):
                out.write(chunk)
    assert model_file.stat().st_size < 2**20
    tracemalloc.start()
    try:
        with pytest.raises(FileFormatError, match=r"zip bomb"):
            gio.load_model(model_file)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def patch_central_size(path, name, size):
    """Rewrite the uncompressed size that the central directory declares for ``name``."""
    blob = bytearray(path.read_bytes())
    at = 0
    while True:
        at = blob.index(b"PK\x01\x02", at)
        length = struct.unpack("<H", blob[at + 28:at + 30])[0]
        if blob[at + 46:at + 46 + length] == name.encode():
            blob[at + 24:at + 28] = struct.pack("<I", size)
            break
        at += 4
    path.write_bytes(bytes(blob))


@pytest.mark.parametrize("size", [2**32 - 2, 10**9])
def test_zip_entry_declaring_a_huge_size(model_file, size):
    """A stored member whose central directory claims up to 4 GiB.

    Broken variant checked: without the stored-size and ratio checks of archive.check_sizes, both
    sizes failed."""
    patch_central_size(model_file, "model.weights.npz", size)
    tracemalloc.start()
    try:
        with pytest.raises(FileFormatError, match=rf"declares {size} bytes"):
            gio.load_model(model_file)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("array, words", [
    (np.zeros((3, 4), np.complex64), r"dtype complex64"),
    (np.array([["a"] * 4] * 3), r"non-numeric dtype <U1"),
    (np.zeros((3, 4), [("a", "<f4")]), r"dtype \[\('a', '<f4'\)\]|dtype.*'a'"),
])
def test_wrong_dtypes_are_refused(model_file, array, words):
    """Broken variant checked: with the dtype checks of check_npz, _read_npz and
    _assign_weights removed (three layers), all three cases failed (a silent complex->float
    cast, a string ValueError)."""
    inner = good_arrays()
    inner[0] = ("w00000.npy", npy(array))
    replace_member(model_file, "model.weights.npz", npz(inner))
    with pytest.raises(FileFormatError, match=words):
        gio.load_model(model_file)


# ----------------------------------------------------------------------------- names
@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "model.weights.npz/../../x",
                                  "..\\x", "config.json\x00.txt", "extra.json"])
def test_unexpected_or_path_trick_members(model_file, name):
    """Broken variant checked: with _unique_infos not refusing duplicates, the NUL case failed;
    the other names are refused by the member whitelist (test_io shows one such case)."""
    write_zip(model_file, members(model_file) + [(name, b"{}")])
    # zipfile cuts a name at NUL: 'config.json\x00.txt' becomes a second config.json
    with pytest.raises(FileFormatError, match=r"unexpected member|'config.json' twice"):
        gio.load_model(model_file)
    assert not os.path.exists(os.path.join(model_file.parent, "x"))


@pytest.mark.parametrize("name", ["../w00000.npy", "/abs/w00000.npy", "sub/w00000.npy",
                                  "w00000.pkl"])
def test_path_tricks_inside_the_npz(model_file, name):
    """Broken variant checked: with io.check_npz a no-op, all four failed (NumPy's KeyError
    or a silently accepted key)."""
    inner = good_arrays()
    inner[0] = (name, inner[0][1])
    replace_member(model_file, "model.weights.npz", npz(inner))
    with pytest.raises(FileFormatError, match=r"unexpected member"):
        gio.load_model(model_file)


def test_duplicated_members_are_refused(model_file):
    """Broken variant checked: without _unique_infos the second config.json silently won."""
    items = members(model_file)
    config = dict(items)["config.json"]
    write_zip(model_file, items + [("config.json", config)])
    with pytest.raises(FileFormatError, match=r"'config.json' twice"):
        gio.load_model(model_file)
    inner = good_arrays()
    write_zip(model_file, [(n, npz(inner + [inner[0]]) if n == "model.weights.npz" else b)
                           for n, b in items])
    with pytest.raises(FileFormatError, match=r"'w00000.npy' twice"):
        gio.load_model(model_file)


def test_manifest_and_arrays_disagree(model_file):
    """Broken variant checked: without the manifest comparison in _read_npz, it failed."""
    replace_member(model_file, "model.weights.npz", npz(good_arrays()[:3]))
    with pytest.raises(FileFormatError, match=r"missing \['w00003'\]"):
        gio.load_model(model_file)


# ----------------------------------------------------------------------------- damage
def test_every_truncation_and_many_bit_flips_give_file_format_errors(tmp_path):
    """Cut the file at 40 points and flip bytes at 60: load_model either succeeds (a flip in
    slack space) or raises FileFormatError -- never another exception.

    Broken variant checked: with _open_archive letting zipfile.BadZipFile escape, it failed."""
    path = tmp_path / "m.glassnet"
    mlp().save(path)
    blob = path.read_bytes()
    rng = np.random.default_rng(0)
    for cut in np.linspace(0, len(blob) - 1, 40).astype(int):
        path.write_bytes(blob[:cut])
        with pytest.raises(FileFormatError):
            gio.load_model(path)
    for position in rng.integers(0, len(blob), 60):
        damaged = bytearray(blob)
        damaged[position] ^= 0xFF
        path.write_bytes(bytes(damaged))
        try:
            gio.load_model(path)
        except FileFormatError:
            pass


def test_rng_state_of_another_kind_is_refused(model_file):
    """Broken variant checked: without the bit-generator whitelist in
    rng_state.restore_global, it failed (getattr on numpy.random with the file's string:
    AttributeError)."""
    items = dict(members(model_file))
    config = json.loads(items["config.json"])
    config["rng_state"] = {"bit_generator": "os.system", "state": "rm -rf /"}
    replace_member(model_file, "config.json", json.dumps(config).encode())
    with pytest.raises(FileFormatError, match=r"rng_state must be a NumPy bit generator"):
        gio.load_model(model_file)


# ----------------------------------------------------------------------------- atomic writes
SAVER = r"""
import sys
import numpy as np
from glassnet.layers import Dense
from glassnet.models import Sequential

path = sys.argv[1]
model = Sequential([Dense(2048, input_shape=(2048,)), Dense(2048)])  # 32 MiB of weights
version = 0
while True:
    for w in model.weights:
        w.data[...] = version
    model.save(path)
    print(version, flush=True)
    version += 1
"""


def test_killing_a_save_midway_leaves_the_previous_file_intact(tmp_path):
    """SIGKILL a process that saves a 32 MiB model in a loop, at several moments.

    Broken variant checked: with _atomic_write writing straight to the target path, the
    file left behind was truncated ('corrupted or truncated zip archive') on every kill."""
    path = tmp_path / "big.glassnet"
    for delay in (0.05, 0.17, 0.31):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(path)],
                                 stdout=subprocess.PIPE, text=True)
        try:
            first = child.stdout.readline()  # one complete save exists
            assert first.strip().isdigit()
            time.sleep(delay)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        restored = gio.load_model(path)
        values = {float(w.data.flat[0]) for w in restored.weights}
        assert len(values) == 1 and int(values.pop()) >= 0  # one whole version, not a mix
        for w in restored.weights:
            assert np.all(w.data == w.data.flat[0])


@pytest.mark.parametrize("payload, words", [
    (b'{"a": ' + b"9" * 5000 + b"}", "not valid JSON"),
    (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
])
def test_json_members_with_huge_integers_or_deep_nesting_are_file_format_errors(payload, words):
    from glassnet.archive import read_json
    from glassnet.errors import FileFormatError

    with pytest.raises(FileFormatError, match=words):
        read_json(payload, "config.json", "model.glassnet")
