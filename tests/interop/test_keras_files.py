"""Real Keras files in: .keras archives, legacy .h5 models and .weights.h5 (glassnet.interop).

The fixtures in fixtures/keras/ were written by real Keras (make_keras_fixtures.py says which
version and backend); each NAME.npz holds the input and Keras's own predictions, which the
loaded glassnet model must reproduce within 1e-5. Keras is not needed here; h5py is.

Broken variant met while writing these tests: ``mask=None`` node kwargs passed on to the
layers (conv_functional then failed at predict: BatchNormalization takes no mask).
"""

import io
import json
import os
import shutil
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import FileFormatError
from glassnet.interop import keras_files

h5py = pytest.importorskip("h5py")

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "keras")
NAMES = ["mlp", "cnn", "conv_functional", "rnn", "gru_variants", "branches", "two_inputs",
         "extras_image", "extras_sequence", "nested"]


def fixture(name, ext):
    return os.path.join(HERE, name + ext)


def inputs_and_predictions(name):
    data = np.load(fixture(name, ".npz"))
    if "x" in data:
        return data["x"], data["y"]
    return [data[f"x{i}"] for i in range(len(data.files) - 1)], data["y"]


@pytest.mark.parametrize("ext", [".keras", ".h5"])
@pytest.mark.parametrize("name", NAMES)
def test_predictions_equal_keras(name, ext):
    model = gn.io.load_model(fixture(name, ext))
    x, expected = inputs_and_predictions(name)
    predicted = model.predict(x, verbose=0)
    np.testing.assert_allclose(predicted, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", ["branches", "mlp"])
def test_tf_keras2_layout(name):
    # batch_input_shape, list-shaped inbound_nodes, dtype strings, "kernel:0" weight names
    model = gn.io.load_model(fixture(f"{name}_tf2", ".h5"))
    x, expected = inputs_and_predictions(name)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=1e-5)


def test_keras_namespace_and_model_class():
    model = gn.keras.models.load_model(fixture("branches", ".keras"))
    assert type(model) is gn.Model
    assert [layer.name for layer in model.layers][:3] == ["features", "branch_a", "branch_b"]
    assert type(gn.io.load_model(fixture("rnn", ".h5"))).__name__ == "Sequential"


@pytest.mark.parametrize("name", NAMES)
def test_load_weights_h5_into_fresh_model(name):
    model = gn.io.load_model(fixture(name, ".keras"))
    for weight in model.weights:
        weight.data[...] = 0.5
    model.load_weights(fixture(name, ".weights.h5"))
    x, expected = inputs_and_predictions(name)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("ext", [".weights.h5", ".h5", ".keras"])
def test_load_weights_into_hand_built_model(ext):
    # glassnet's own layer names differ: weights go by Keras's layer order
    model = gn.Sequential([gn.layers.Dense(8, activation="relu", input_shape=(5,)),
                           gn.layers.Dropout(0.3), gn.layers.Dense(3, activation="softmax")])
    model.load_weights(fixture("mlp", ext))
    x, expected = inputs_and_predictions("mlp")
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=1e-5)


def test_load_weights_wrong_model():
    model = gn.Sequential([gn.layers.Dense(7, input_shape=(5,)), gn.layers.Dense(3)])
    with pytest.raises(FileFormatError, match="mlp.weights.h5.*shapes"):
        model.load_weights(fixture("mlp", ".weights.h5"))


@pytest.mark.parametrize("ext", [".keras", ".h5", "_tf2.h5"])
def test_compile_config_restored(ext):  # (mlp_tf2.h5: tf.keras 2's training_config)
    model = gn.io.load_model(fixture("mlp", ext))
    assert type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(1e-3)
    x, _ = inputs_and_predictions("mlp")
    logs = model.evaluate(x, np.array([0, 1, 2, 0]), verbose=0, return_dict=True)
    assert {"loss", "accuracy"} <= set(logs)
    history = model.fit(x, np.array([0, 1, 2, 0]), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_compile_false_and_uncompiled_file():
    assert gn.io.load_model(fixture("mlp", ".keras"), compile=False).optimizer is None
    assert gn.io.load_model(fixture("gru_variants", ".keras")).optimizer is None


def test_unknown_optimizer_leaves_the_model_uncompiled(tmp_path):
    def exotic(config):
        config["compile_config"]["optimizer"] = {"module": "my.opts", "class_name": "Exotic",
                                                 "config": {}, "registered_name": "Exotic"}

    with pytest.warns(UserWarning, match="uncompiled.*Exotic"):
        model = gn.io.load_model(edit_keras(tmp_path, "mlp", exotic))
    assert model.optimizer is None
    x, expected = inputs_and_predictions("mlp")
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=1e-5)


def test_glass_box_tools_work_on_loaded_model():
    model = gn.io.load_model(fixture("cnn", ".keras"))
    x, expected = inputs_and_predictions("cnn")
    with gn.layers.recording(model):
        out = model(gn.tensor(x.astype(np.float32), requires_grad=True))
    np.testing.assert_allclose(out.data, expected, rtol=0, atol=1e-5)
    dense = model.layers[-1]
    np.testing.assert_allclose(dense.inspect()["output"], expected, rtol=0, atol=1e-5)
    trace = gn.explain(out.sum())
    assert "Conv" in trace.to_markdown()


def test_studio_records_a_loaded_model():
    from glassnet.callbacks.studio import Studio
    from glassnet.studio import Hub

    model = gn.io.load_model(fixture("cnn", ".keras"))  # compiled by Keras: sgd, mse
    x, expected = inputs_and_predictions("cnn")
    hub = Hub()
    model.fit(x, expected, batch_size=3, epochs=1, verbose=0,
              callbacks=[Studio(every=1, hub=hub, name="keras-cnn")])
    (run,) = hub.runs()
    snapshot = run.snapshot()
    classes = {record["class"] for record in snapshot["layers"].values()}
    assert {"Conv2D", "BatchNormalization", "Dense"} <= classes
    assert snapshot["graph"]["nodes"]


def test_wrapped_and_nested_layers_are_guarded(tmp_path):
    def widen(config):
        block = next(layer for layer in config["config"]["layers"]
                     if layer["class_name"] == "Sequential")
        block["config"]["layers"][1]["config"]["units"] = 10**9

    with pytest.raises(FileFormatError, match=r"'block'.*inside it.*\(5, 4\).*1000000000"):
        gn.io.load_model(edit_keras(tmp_path, "nested", widen))

    def wider_lstm(config):
        wrapper = next(layer for layer in config["config"]["layers"]
                       if layer["class_name"] == "Bidirectional")
        wrapper["config"]["layer"]["config"]["units"] = 4

    with pytest.raises(FileFormatError, match=r"'bidirectional'.*inside it"):
        gn.io.load_model(edit_keras(tmp_path, "extras_sequence", wider_lstm))


# --------------------------------------------------------------- hostile and malformed files
def edit_keras(tmp_path, name, edit=None, drop=()):
    """A copy of NAME.keras whose config.json went through edit(config) (and members dropped)."""
    target = tmp_path / f"{name}-edited.keras"
    with zipfile.ZipFile(fixture(name, ".keras")) as source, \
            zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            if info.filename in drop:
                continue
            data = source.read(info)
            if info.filename == "config.json" and edit is not None:
                config = json.loads(data)
                result = edit(config)
                data = result if isinstance(result, bytes) else json.dumps(config).encode()
            out.writestr(info.filename, data)
    return str(target)


def edit_h5(tmp_path, name, edit):
    target = str(tmp_path / f"{name}-edited.h5")
    shutil.copy(fixture(name, ".h5"), target)
    with h5py.File(target, "r+") as root:
        edit(root)
    return target


def first_dense(config):
    return next(layer for layer in config["config"]["layers"]
                if layer["class_name"] == "Dense")


def test_truncated_hdf5(tmp_path):
    data = open(fixture("rnn", ".h5"), "rb").read()
    for cut in (16, len(data) // 2, len(data) - 100):
        path = tmp_path / f"cut{cut}.h5"
        path.write_bytes(data[:cut])
        with pytest.raises(FileFormatError, match=f"cut{cut}.h5"):
            gn.io.load_model(path)


def test_truncated_weights_inside_keras_archive(tmp_path):
    with zipfile.ZipFile(fixture("mlp", ".keras")) as source:
        members = {i.filename: source.read(i) for i in source.infolist()}
    members["model.weights.h5"] = members["model.weights.h5"][:3000]
    path = tmp_path / "cut.keras"
    with zipfile.ZipFile(path, "w") as out:
        for member, data in members.items():
            out.writestr(member, data)
    with pytest.raises(FileFormatError, match="cut.keras.*HDF5"):
        gn.io.load_model(path)


def test_hdf5_missing_groups(tmp_path):
    no_weights = edit_h5(tmp_path, "mlp", lambda root: root.__delitem__("model_weights"))
    with pytest.raises(FileFormatError, match="layer_names"):
        gn.io.load_model(no_weights)
    no_config = edit_h5(tmp_path, "cnn", lambda root: root.attrs.__delitem__("model_config"))
    with pytest.raises(FileFormatError, match="model_config.*load_weights"):
        gn.io.load_model(no_config)

    def drop_dataset(root):
        del root["model_weights/hidden/mlp/hidden/kernel"]

    with pytest.raises(FileFormatError, match="hidden.*missing"):
        gn.io.load_model(edit_h5(tmp_path, "mlp", drop_dataset))
    empty = tmp_path / "empty.weights.h5"
    h5py.File(empty, "w").close()
    model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,))])
    with pytest.raises(FileFormatError, match="empty.weights.h5.*layer_names"):
        model.load_weights(empty)


def test_wrong_weight_shapes(tmp_path):
    def reshape(root):
        group = root["model_weights/hidden/mlp/hidden"]
        del group["kernel"]
        group.create_dataset("kernel", data=np.zeros((5, 9), np.float32))

    with pytest.raises(FileFormatError, match=r"'hidden'.*\(5, 9\).*\(5, 8\)"):
        gn.io.load_model(edit_h5(tmp_path, "mlp", reshape))


def test_non_numeric_weights(tmp_path):
    def strings(root):
        group = root["model_weights/hidden/mlp/hidden"]
        del group["bias"]
        group.create_dataset("bias", data=np.array([b"x"] * 8))

    with pytest.raises(FileFormatError, match="non-numeric"):
        gn.io.load_model(edit_h5(tmp_path, "mlp", strings))


@pytest.mark.parametrize("text", ["[1, 2]", "3", "not json {", '"a string"'])
def test_config_not_an_object(tmp_path, text):
    keras_path = edit_keras(tmp_path, "mlp", lambda config: text.encode())
    with pytest.raises(FileFormatError, match="mlp-edited.keras.*config.json"):
        gn.io.load_model(keras_path)

    def set_config(root):
        root.attrs["model_config"] = text

    with pytest.raises(FileFormatError, match="mlp-edited.h5.*model_config"):
        gn.io.load_model(edit_h5(tmp_path, "mlp", set_config))


def test_absurd_layer_size_is_refused_before_allocating(tmp_path):
    path = edit_keras(tmp_path, "mlp", lambda config: first_dense(config)["config"].update(
        units=10**9))
    tracemalloc.start()
    try:
        with pytest.raises(FileFormatError, match=r"'hidden'.*\(5, 8\).*\(5, 1000000000\)"):
            gn.io.load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def test_huge_declared_dataset(tmp_path):
    path = str(tmp_path / "huge.weights.h5")
    shutil.copy(fixture("mlp", ".h5"), tmp_path / "huge.h5")
    with h5py.File(tmp_path / "huge.h5", "r+") as root:
        group = root["model_weights/hidden/mlp/hidden"]
        del group["kernel"]
        group.create_dataset("kernel", shape=(5, 10**12), dtype="f4", chunks=(1, 1024))
    with pytest.raises(FileFormatError, match="limit"):
        gn.io.load_model(tmp_path / "huge.h5")
    assert os.path.getsize(tmp_path / "huge.h5") < 10**6
    del path


def test_deep_nesting(tmp_path):
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(FileFormatError, match="config.json"):
        gn.io.load_model(edit_keras(tmp_path, "mlp", lambda config: deep))

    def nest(config):
        value = {}
        for _ in range(200):
            value = {"class_name": "L1", "config": {"l1": value}}
        first_dense(config)["config"]["kernel_regularizer"] = value

    with pytest.raises(FileFormatError, match="nest"):
        gn.io.load_model(edit_keras(tmp_path, "mlp", nest))


def test_lambda_layer_is_refused(tmp_path):
    def to_lambda(config):
        layer = config["config"]["layers"][2]  # the Dropout
        layer["class_name"] = "Lambda"
        layer["config"] = {"name": "evil", "function": {"class_name": "__lambda__",
                                                        "config": {"code": "ZXZpbA=="}}}

    with pytest.raises(FileFormatError, match="mlp-edited.keras.*'evil'.*Lambda"):
        gn.io.load_model(edit_keras(tmp_path, "mlp", to_lambda))


def test_unknown_layer_refused_unless_custom_object(tmp_path):
    def rename(config):
        first_dense(config)["class_name"] = "MyDense"
        first_dense(config)["registered_name"] = "Custom>MyDense"

    path = edit_keras(tmp_path, "mlp", rename)
    with pytest.raises(FileFormatError, match="'hidden'.*unknown layer class 'MyDense'"):
        gn.io.load_model(path)

    class MyDense(gn.layers.Dense):
        @classmethod
        def from_config(cls, config):
            return cls(config["units"], activation=config["activation"], name=config["name"])

    model = gn.io.load_model(path, custom_objects={"MyDense": MyDense})
    assert isinstance(model.layers[0], MyDense)
    x, expected = inputs_and_predictions("mlp")
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=1e-5)


def test_result_changing_options_are_refused(tmp_path):
    def stateful(config):
        lstm = next(layer for layer in config["config"]["layers"]
                    if layer["class_name"] == "LSTM")
        lstm["config"]["stateful"] = True

    with pytest.raises(FileFormatError, match="'lstm'.*stateful=True"):
        gn.io.load_model(edit_keras(tmp_path, "rnn", stateful))

    def mixed(config):
        first_dense(config)["config"]["dtype"] = {"module": "keras", "class_name": "DTypePolicy",
                                                  "config": {"name": "mixed_float16"}}

    with pytest.raises(FileFormatError, match="mixed_float16"):
        gn.io.load_model(edit_keras(tmp_path, "mlp", mixed))


def test_zip_with_config_but_no_weights(tmp_path):
    path = edit_keras(tmp_path, "mlp", drop=("model.weights.h5",))
    with pytest.raises(FileFormatError, match="mlp-edited.keras.*model.weights.h5"):
        gn.io.load_model(path)
    bare = tmp_path / "bare.keras"
    with zipfile.ZipFile(bare, "w") as out:
        out.writestr("config.json", "{}")
    with pytest.raises(FileFormatError, match="bare.keras.*model.weights.h5"):
        gn.io.load_model(bare)


def test_glassnet_files_still_load(tmp_path):
    model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,))])
    for name in ("m.keras", "m.glassnet"):
        model.save(tmp_path / name)
        assert keras_files.sniff(tmp_path / name) is None
        restored = gn.io.load_model(tmp_path / name)
        np.testing.assert_array_equal(restored.predict(np.ones((1, 3)), verbose=0),
                                      model.predict(np.ones((1, 3)), verbose=0))
    model.save_weights(tmp_path / "w.weights.h5")  # glassnet's own .npz content
    model.load_weights(tmp_path / "w.weights.h5")


def test_missing_h5py_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[io\]"'):
        gn.io.load_model(fixture("mlp", ".keras"))
    with pytest.raises(ImportError, match=r'pip install "glassnet\[io\]"'):
        gn.io.load_model(fixture("mlp", ".h5"))


def test_sniff():
    assert keras_files.sniff(fixture("mlp", ".h5")) == "hdf5"
    assert keras_files.sniff(fixture("mlp", ".weights.h5")) == "hdf5"
    assert keras_files.sniff(fixture("mlp", ".keras")) == "keras"
    assert keras_files.sniff(io.__file__) is None


@pytest.mark.parametrize("name", ["branches", "rnn", "cnn"])
def test_weights_without_name_attributes(tmp_path, name):
    # older Keras 3 files: no "name" attribute on the vars groups; keys follow the layer order
    with zipfile.ZipFile(fixture(name, ".keras")) as source:
        members = {i.filename: source.read(i) for i in source.infolist()}
    weights = tmp_path / "w.weights.h5"
    weights.write_bytes(members["model.weights.h5"])
    with h5py.File(weights, "r+") as root:
        named = []
        root.visititems(lambda _, node: named.append(node) if "name" in node.attrs else None)
        for node in named:
            del node.attrs["name"]
        assert named
    members["model.weights.h5"] = weights.read_bytes()
    archive = tmp_path / f"{name}.keras"
    with zipfile.ZipFile(archive, "w") as out:
        for member, data in members.items():
            out.writestr(member, data)
    x, expected = inputs_and_predictions(name)
    model = gn.io.load_model(archive)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=1e-5)
    for weight in model.weights:
        weight.data[...] = 0.25
    model.load_weights(weights)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=1e-5)


FUZZ = """
import sys, warnings
import numpy as np
import glassnet as gn
from glassnet.errors import FileFormatError
warnings.simplefilter("ignore")
source, target, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
data, rng, leaks = open(source, "rb").read(), np.random.default_rng(seed), []
model = gn.io.load_model(source, compile=False)
for trial in range(120):
    mutated = bytearray(data)
    for _ in range(int(rng.integers(1, 8))):
        mutated[int(rng.integers(0, len(mutated)))] = int(rng.integers(0, 256))
    open(target, "wb").write(bytes(mutated))
    for load in (lambda: gn.io.load_model(target), lambda: model.load_weights(target)):
        try:
            load()
        except FileFormatError as error:
            assert target in str(error), error
        except Exception as error:
            leaks.append(f"{type(error).__name__}: {error}")
print("LEAKS", leaks[:5], len(leaks))
"""


@pytest.mark.parametrize("name", ["rnn.h5", "extras_sequence.h5", "nested.keras"])
def test_random_corruption_gives_file_format_errors(tmp_path, name):
    # in a subprocess: a crash inside libhdf5 would fail this test, not end the test run
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", FUZZ, os.path.join(HERE, name), str(tmp_path / name), "3"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "LEAKS [] 0" in result.stdout, result.stdout[-2000:]
