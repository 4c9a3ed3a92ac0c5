"""Hostile model files (issue 19): each crafted here ends in FileFormatError, in bounded memory.

Every file is generated from a small saved model by editing one member. Broken variant
checked: before glassnet.file_limits, these escaped as RecursionError, TypeError,
AttributeError, OverflowError, RuntimeError or allocated gigabytes (the memory cases are run in
a subprocess that reports its peak RSS).
"""

import io
import json
import struct
import subprocess
import sys
import warnings
import zipfile
import zlib

import numpy as np
import pytest

from glassnet import io as gio
from glassnet.errors import FileFormatError
from glassnet.layers import Dense
from glassnet.models import Sequential
from glassnet.optimizers import Adam


def saved(tmp_path, optimizer=False, rng=False):
    model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2)])
    if optimizer:
        model.compile(optimizer=Adam(0.01), loss="mse")
        model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0)
    path = tmp_path / "m.glassnet"
    gio.save_model(model, path, include_rng_state=rng)
    return path


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write(path, items):
    with zipfile.ZipFile(path, "w") as archive:
        for name, blob in items.items():
            archive.writestr(name, blob)


def edit_config(path, change, raw=None):
    items = members(path)
    config = json.loads(items["config.json"])
    change(config)
    text = json.dumps(config)
    items["config.json"] = (raw(text) if raw else text).encode()
    write(path, items)


def npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def edit_npz(path, member, change):
    items = members(path)
    with np.load(io.BytesIO(items[member])) as npz:
        arrays = {key: npz[key] for key in npz.files}
    change(arrays)
    items[member] = npz_bytes(arrays)
    write(path, items)


def layer(config, i=0):
    return config["model"]["config"]["layers"][i]["config"]


def dense_spec(units):
    return {"class_name": "Dense", "config": {"units": units}}


def nested_sequentials(depth):
    spec = dense_spec(2)
    for _ in range(depth):
        spec = {"class_name": "Sequential", "config": {"layers": [spec]}}
    return spec


def set_model(spec):
    def change(config):
        config["model"] = spec
    return change


def put(where, key, value):
    def change(config):
        where(config)[key] = value
    return change


# ------------------------------------------------------------------ the config attacks
CONFIG_ATTACKS = {
    "dense_268435456": put(layer, "units", 268435456),
    "embedding_536870912x64": set_model({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Embedding", "config": {"input_dim": 536870912, "output_dim": 64}}]}}),
    "conv_filters_2**30": set_model({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Conv2D", "config": {"filters": 2**30, "kernel_size": [3, 3]}}]}}),
    "lstm_units_10**6": set_model({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "LSTM", "config": {"units": 10**6}}]}}),
    "build_shape_29998x29998": put(lambda c: c, "build_input_shape", [29998, 29998]),
    "build_shape_int": put(lambda c: c, "build_input_shape", 5),
    "build_shape_negative": put(lambda c: c, "build_input_shape", [None, -3]),
    "build_shape_overflow": put(lambda c: c, "build_input_shape", [None, 2**70]),
    "build_shape_string": put(lambda c: c, "build_input_shape", [None, "3"]),
    "input_shape_2**40": put(layer, "input_shape", [2**40]),
    "input_shape_negative": put(layer, "input_shape", [-1]),
    "input_shape_int": put(layer, "input_shape", 7),
    "units_negative": put(layer, "units", -5),
    "units_string": put(layer, "units", "8"),
    "units_float": put(layer, "units", 1e300),
    "units_list": put(layer, "units", [4]),
    "units_2**80": put(layer, "units", 2**80),
    "activation_list": put(layer, "activation", ["relu"]),
    "activation_bad_dict": put(layer, "activation", {"class_name": 5, "config": []}),
    "activation_unknown": put(layer, "activation", "no_such_activation"),
    "initializer_list": put(layer, "kernel_initializer", [1, 2]),
    "layers_dict": put(lambda c: c["model"]["config"], "layers", {"a": 1}),
    "layers_ints": put(lambda c: c["model"]["config"], "layers", [5, 6]),
    "layer_config_list": lambda c: c["model"]["config"]["layers"][0].__setitem__("config", []),
    "layer_config_null": lambda c: c["model"]["config"]["layers"][0].__setitem__("config",
                                                                                  None),
    "model_config_list": put(lambda c: c["model"], "config", [1, 2]),
    "class_name_unknown": put(lambda c: c["model"], "class_name", "Nope"),
    "class_name_int": put(lambda c: c["model"], "class_name", 12),
    "name_dict": put(layer, "name", {"x": 1}),
    "dtype_object": put(layer, "dtype", "object"),
    "nested_sequentials_200": set_model(nested_sequentials(200)),
    "layers_200000": set_model({"class_name": "Sequential", "config": {
        "layers": [dense_spec(1)] * 200_000}}),
    "manifest_lists": lambda c: c.__setitem__("weights", [[e["key"]] for e in c["weights"]]),
    "manifest_dict": put(lambda c: c, "weights", {"w00000": 1}),
    "manifest_key_int": lambda c: c["weights"][0].__setitem__("key", 7),
    "compile_config_list": put(lambda c: c, "compile_config", ["mse"]),
    "loss_bad_dict": put(lambda c: c, "compile_config", {"loss": {"class_name": []}}),
    "optimizer_learning_rate_string": lambda c: c["optimizer"]["config"].__setitem__(
        "learning_rate", "fast"),
    "optimizer_state_keys_list": put(lambda c: c["optimizer"], "state_keys", ["iterations"]),
    "optimizer_config_list": put(lambda c: c["optimizer"], "config", [0.1]),
    "rng_state_list": put(lambda c: c, "rng_state", [1, 2, 3]),
    "rng_state_config": put(lambda c: c, "rng_state", {"config": 1}),
    "rng_state_bad_state": put(lambda c: c, "rng_state", {"bit_generator": "PCG64",
                                                          "state": []}),
    "layer_rng_states_list": put(lambda c: c, "layer_rng_states", [1]),
}
RAW_ATTACKS = {
    "int_10000_digits": lambda text: text.replace('"units": 4', '"units": ' + "9" * 10_000),
    "json_depth_100000": lambda text: text.replace('"compile_config"',
                                                   '"x": ' + "[" * 100_000 + "]" * 100_000
                                                   + ', "compile_config"'),
}


def crafted(tmp_path, name):
    path = saved(tmp_path, optimizer=True, rng=True)
    if name in RAW_ATTACKS:
        edit_config(path, lambda c: None, raw=RAW_ATTACKS[name])
    else:
        edit_config(path, CONFIG_ATTACKS[name])
    return path


def set_flag(path, member):
    """Mark ``member`` as encrypted (general-purpose flag bit 0, local and central headers)."""
    blob = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    struct.pack_into("<H", blob, info.header_offset + 6, info.flag_bits | 1)
    start = blob.rfind(b"PK\x01\x02" + b"", 0)
    offset = 0
    while True:
        offset = blob.find(b"PK\x01\x02", offset)
        if offset < 0:
            break
        name_length = struct.unpack_from("<H", blob, offset + 28)[0]
        if bytes(blob[offset + 46:offset + 46 + name_length]).decode() == member:
            struct.pack_into("<H", blob, offset + 8, info.flag_bits | 1)
        offset += 4
    del start
    path.write_bytes(bytes(blob))


def state_edit(key, value):
    def change(arrays):
        config_key = None
        for k, v in list(arrays.items()):
            del v
            config_key = k
        del config_key
        arrays[STATE_KEYS[key]] = value
    return change


STATE_KEYS = {}


def optimizer_file(tmp_path, key, value):
    path = saved(tmp_path, optimizer=True)
    config = json.loads(members(path)["config.json"])
    name = {v: k for k, v in config["optimizer"]["state_keys"].items()}[key]
    edit_npz(path, "optimizer.npz", lambda arrays: arrays.__setitem__(name, value))
    return path


@pytest.mark.parametrize("name", sorted(CONFIG_ATTACKS) + sorted(RAW_ATTACKS))
def test_crafted_configs_end_in_file_format_errors(tmp_path, name):
    path = crafted(tmp_path, name)
    with pytest.raises(FileFormatError) as caught:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gio.load_model(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("member", ["config.json", "model.weights.npz", "optimizer.npz"])
def test_encrypted_members_are_refused_naming_them(tmp_path, member):
    path = saved(tmp_path, optimizer=True)
    set_flag(path, member)
    with pytest.raises(FileFormatError, match=f"{member}.*encrypted"):
        gio.load_model(path)


@pytest.mark.parametrize("key, value, words", [
    ("iterations", np.array(2**63 - 1, dtype=np.int64), "iterations"),
    ("iterations", np.array(-1, dtype=np.int64), "iterations"),
    ("iterations", np.array(1.5), "iterations"),
    ("iterations", np.array([1, 2]), "iterations"),
    ("learning_rate", np.array("fast"), "learning_rate"),
    ("learning_rate", np.array(np.nan), "learning_rate"),
    ("learning_rate", np.array([0.1, 0.2]), "learning_rate"),
])
def test_optimizer_state_out_of_range_or_non_numeric(tmp_path, key, value, words):
    path = optimizer_file(tmp_path, key, value)
    with pytest.raises(FileFormatError, match=f"optimizer.npz.*{words}"):
        gio.load_model(path)


# ------------------------------------------------------------------ dtypes and values
def weight_file(tmp_path, change):
    path = saved(tmp_path)
    edit_npz(path, "model.weights.npz", change)
    return path


def cast_all(dtype):
    def change(arrays):
        for key in arrays:
            arrays[key] = arrays[key].astype(dtype)
    return change


@pytest.mark.parametrize("dtype", [np.float16, ">f4", np.float64])
def test_lossless_dtypes_load_with_a_warning_naming_the_weight(tmp_path, dtype):
    if dtype == np.float16:
        change = cast_all(np.float16)  # float16 values are exact in float32
    else:
        change = cast_all(dtype)  # float32 values are exact in float64 / in big-endian
    path = weight_file(tmp_path, change)
    with np.load(io.BytesIO(members(path)["model.weights.npz"])) as npz:
        expected = npz["w00000"].astype(np.float32)
    with pytest.warns(UserWarning, match=r"dense.*kernel.*converted"):
        model = gio.load_model(path)
    np.testing.assert_array_equal(model.weights[0].data, expected)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.int32])
def test_integer_and_bool_weights_are_refused(tmp_path, dtype):
    path = weight_file(tmp_path, cast_all(dtype))
    with pytest.raises(FileFormatError, match=r"model.weights.npz.*kernel.*refused"):
        gio.load_model(path)


def test_float64_that_would_round_is_refused(tmp_path):
    def change(arrays):
        arrays["w00000"] = arrays["w00000"].astype(np.float64) + 1e-12
    path = weight_file(tmp_path, change)
    with pytest.raises(FileFormatError, match=r"float64.*refused"):
        gio.load_model(path)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_weights_load_with_a_runtime_warning(tmp_path, value):
    def change(arrays):
        arrays["w00002"][0, 0] = value
    path = weight_file(tmp_path, change)
    with pytest.warns(RuntimeWarning, match=r"kernel.*NaN or infinite"):
        model = gio.load_model(path)
    assert not np.isfinite(model.weights[2].data[0, 0])


# ------------------------------------------------------------------ memory, in a subprocess
# Peak resident memory of the refusing process, in MB (VmHWM on Linux, else ru_maxrss).
PROBE = """
import resource, sys, warnings
import glassnet as gn
from glassnet import io as gio
warnings.simplefilter("ignore")
try:
    gio.load_model(sys.argv[1], **eval(sys.argv[2]))
    outcome = "loaded"
except gn.FileFormatError as error:
    outcome = "FileFormatError " + str(error)[:200]
except BaseException as error:
    outcome = type(error).__name__ + " " + str(error)[:200]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
try:  # ru_maxrss can include the parent's pages from before exec; VmHWM is this process's own
    with open("/proc/self/status") as status:
        peak = [int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM")][0]
except (OSError, IndexError):
    pass
print(peak, outcome)
"""


def probe(path, kwargs="{}"):
    done = subprocess.run([sys.executable, "-c", PROBE, str(path), kwargs],
                          capture_output=True, text=True, timeout=120)
    megabytes, outcome = done.stdout.strip().split(" ", 1)
    return int(megabytes), outcome


def zip64_member(name, header, declared_data, filler):
    """One deflated zip entry whose central directory (zip64) declares ``declared_data`` bytes
    after the .npy ``header``; only ``filler`` random bytes are really there."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    data = compressor.compress(header + filler) + compressor.flush()
    size = len(header) + declared_data
    extra = struct.pack("<HHQQ", 1, 16, size, len(data))
    encoded = name.encode()
    local = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 45, 0, 0, 8, 0, 0x21, 0,
                        0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(extra)) + encoded + extra
    central = struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 45, 3, 45, 0, 0, 8, 0, 0x21, 0,
                          0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(extra), 0, 0, 0, 0,
                          0) + encoded + extra
    body = local + data
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(body), 0)
    return body + central + end


def npy_header(shape, dtype="<f4"):
    text = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    text += b" " * (63 - (len(text) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


@pytest.mark.parametrize("name", ["dense_268435456", "embedding_536870912x64",
                                  "build_shape_29998x29998", "layers_200000"])
def test_refusing_a_huge_architecture_stays_small(tmp_path, name):
    megabytes, outcome = probe(crafted(tmp_path, name))
    print(f"peak RSS refusing {name}: {megabytes} MB")
    assert outcome.startswith("FileFormatError"), outcome
    assert megabytes < 300


@pytest.mark.parametrize("kwargs", ["{}", "{'max_parameters': 2**32}"])
def test_npy_header_of_2_31_floats_in_a_compressed_member_is_refused_from_the_header(
        tmp_path, kwargs):
    path = saved(tmp_path)
    items = members(path)
    with np.load(io.BytesIO(items["model.weights.npz"])) as npz:
        arrays = {key: npz[key] for key in npz.files}
    inner = zip64_member("w00000.npy", npy_header((2**31,)), 4 * 2**31,
                         np.random.default_rng(0).bytes(4 * 2**31 // 190))
    with zipfile.ZipFile(io.BytesIO(inner)) as check:  # the entry really declares 8 GiB
        assert check.getinfo("w00000.npy").file_size > 2**33
    rest = {k: v for k, v in arrays.items() if k != "w00000"}
    buffer = io.BytesIO(inner)
    # append the other arrays: rewrite the archive with zipfile in append mode
    with zipfile.ZipFile(buffer, "a") as archive:
        for key, array in rest.items():
            one = io.BytesIO()
            np.save(one, array)
            archive.writestr(f"{key}.npy", one.getvalue())
    items["model.weights.npz"] = buffer.getvalue()
    write(path, items)
    megabytes, outcome = probe(path, kwargs)
    print(f"peak RSS refusing an 8 GiB .npy header ({kwargs}): {megabytes} MB")
    assert outcome.startswith("FileFormatError"), outcome
    assert ("max_parameters" in outcome) if kwargs == "{}" else ("shape" in outcome)
    assert megabytes < 300


def test_the_ceiling_is_overridable(tmp_path):
    path = saved(tmp_path)
    with pytest.raises(FileFormatError, match="max_parameters=10"):
        gio.load_model(path, max_parameters=10)
    assert len(gio.load_model(path, max_parameters=26).weights) == 4
