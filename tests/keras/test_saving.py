"""keras.saving: registration, custom object scopes, Keras 3 serialization dicts, to_json."""

import json

import numpy as np
import pytest

import glassnet as gn
import glassnet.keras as keras
from glassnet import registry
from glassnet.errors import GlassnetTypeError, GlassnetValueError, UnknownIdentifierError


@pytest.fixture(autouse=True)
def _restore_custom_objects():
    """Each test registers what it needs; the global dicts are restored afterwards."""
    objects = dict(registry.GLOBAL_CUSTOM_OBJECTS)
    names = dict(registry.GLOBAL_CUSTOM_NAMES)
    yield
    registry.GLOBAL_CUSTOM_OBJECTS.clear()
    registry.GLOBAL_CUSTOM_OBJECTS.update(objects)
    registry.GLOBAL_CUSTOM_NAMES.clear()
    registry.GLOBAL_CUSTOM_NAMES.update(names)


def _scale_layer_class():
    class ScaleBy(gn.layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    return ScaleBy


def _model(layer_class, activation):
    inputs = gn.layers.Input(shape=(4,))
    mid = layer_class(0.5)(inputs)
    outputs = gn.layers.Dense(1, activation=activation)(mid)
    return gn.Model(inputs, outputs)


def test_keras_paths_are_glassnet_saving():
    for name in keras.saving.__all__:
        assert getattr(keras.saving, name) is getattr(gn.saving, name)
    assert keras.saving.CustomObjectScope is keras.saving.custom_object_scope
    assert keras.models.model_from_json is gn.models.model_from_json


def test_register_names_default_package_and_name():
    @gn.saving.register_keras_serializable()
    def first(x):
        return x

    @gn.saving.register_keras_serializable(package="Pkg", name="second_fn")
    def second(x):
        return x

    assert gn.saving.get_registered_name(first) == "Custom>first"
    assert gn.saving.get_registered_name(second) == "Pkg>second_fn"
    assert gn.saving.get_registered_object("Pkg>second_fn") is second
    assert gn.saving.get_custom_objects()["Custom>first"] is first
    assert gn.saving.get_registered_object("second_fn") is None  # exact keys only, as Keras
    assert gn.saving.get_registered_object("x", module_objects={"x": first}) is first
    assert gn.saving.get_registered_name(len) == "len"  # not registered: its __name__


def test_register_a_class_without_get_config_is_refused():
    class Plain:
        pass

    with pytest.raises(GlassnetTypeError, match="Plain has no get_config"):
        gn.saving.register_keras_serializable()(Plain)


def test_registered_layer_and_function_load_without_custom_objects(tmp_path, rng):
    ScaleBy = gn.saving.register_keras_serializable(package="MyLayers")(_scale_layer_class())

    @gn.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def custom_fn(x):
        return x**2

    model = _model(ScaleBy, custom_fn)
    x = rng.random((3, 4)).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = gn.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.layers[1], ScaleBy)
    assert loaded.layers[2].activation is custom_fn
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # after forgetting them, the same file needs custom_objects, a scope does as well
    gn.saving.get_custom_objects().clear()
    with pytest.raises(ValueError, match="ScaleBy"):
        gn.models.load_model(tmp_path / "m.keras")
    objects = {"ScaleBy": ScaleBy, "custom_fn": custom_fn}
    with gn.saving.custom_object_scope(objects):
        in_scope = gn.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(in_scope.predict(x, verbose=0), model.predict(x, verbose=0))
    passed = gn.saving.load_model(tmp_path / "m.keras", custom_objects=objects)
    np.testing.assert_allclose(passed.predict(x, verbose=0), model.predict(x, verbose=0))


def test_scopes_nest_and_end():
    def outer(x):
        return x

    def inner(x):
        return -x

    with gn.saving.custom_object_scope({"fn": outer}) as scope:
        assert scope.custom_objects == {"fn": outer}
        assert gn.activations.get("fn") is outer
        with gn.saving.CustomObjectScope({"fn": inner}, None):
            assert gn.activations.get("fn") is inner
        assert gn.activations.get("fn") is outer
    with pytest.raises(UnknownIdentifierError):
        gn.activations.get("fn")
    with pytest.raises(GlassnetTypeError, match="custom_object_scope"):
        gn.saving.custom_object_scope(["fn"])


def test_serialize_keras_object_layout_and_round_trip():
    spec = gn.saving.serialize_keras_object(gn.regularizers.L1(0.005))
    assert spec == {"module": "keras.regularizers", "class_name": "L1",
                    "config": {"l1": 0.005}, "registered_name": None}
    assert gn.saving.deserialize_keras_object(spec).l1 == 0.005
    relu = gn.saving.serialize_keras_object(gn.activations.relu)
    assert relu == {"module": "keras.activations", "class_name": "function",
                    "config": "relu", "registered_name": "relu"}
    assert gn.saving.deserialize_keras_object(relu) is gn.activations.relu
    dense = gn.saving.serialize_keras_object(gn.layers.Dense(3, name="d"))
    assert (dense["module"], dense["class_name"], dense["config"]["units"]) == (
        "keras.layers", "Dense", 3)
    rebuilt = gn.saving.deserialize_keras_object(dense)
    assert isinstance(rebuilt, gn.layers.Dense) and rebuilt.units == 3
    assert gn.saving.deserialize_keras_object(gn.saving.serialize_keras_object(
        gn.optimizers.Adam(0.01))).get_config()["learning_rate"] == pytest.approx(0.01)


def test_serialize_plain_values():
    s = gn.saving.serialize_keras_object
    d = gn.saving.deserialize_keras_object
    assert s(None) is None and s(3) == 3 and s("a") == "a" and s(np.float32(0.5)) == 0.5
    assert s((1, 2)) == {"class_name": "__tuple__", "config": {"value": [1, 2]}}
    assert d(s((1, (2, 3)))) == (1, (2, 3))
    array = np.arange(6, dtype="float32").reshape(2, 3)
    back = d(s(array))
    assert back.dtype == np.float32 and np.array_equal(back, array)
    tensor = d(s(gn.tensor([1.0, 2.0])))
    assert isinstance(tensor, gn.Tensor) and tensor.numpy().tolist() == [1.0, 2.0]
    assert d(s({"a": [1, (2,)]})) == {"a": [1, (2,)]}
    json.dumps(s({"a": (1, array)}))
    with pytest.raises(GlassnetTypeError, match="lambda"):
        s(lambda x: x)


def test_custom_objects_serialize_with_registered_name():
    @gn.saving.register_keras_serializable(package="MyLayers", name="KernelMult")
    class MyDense(gn.layers.Layer):
        def __init__(self, units, nested=None, **kwargs):
            super().__init__(**kwargs)
            self.units, self.nested = units, nested

        def get_config(self):
            return {**super().get_config(), "units": self.units, "nested": self.nested}

        @classmethod
        def from_config(cls, config):
            if config.get("nested") is not None:
                config["nested"] = gn.layers.deserialize(config["nested"])
            return cls(**config)

    layer = MyDense(2, nested=MyDense(3), name="outer")
    spec = gn.layers.serialize(layer)
    assert spec["class_name"] == "MyDense" and spec["registered_name"] == "MyLayers>KernelMult"
    assert spec["config"]["nested"]["registered_name"] == "MyLayers>KernelMult"
    json.dumps(spec)
    rebuilt = gn.layers.deserialize(spec)
    assert isinstance(rebuilt, MyDense) and isinstance(rebuilt.nested, MyDense)
    assert (rebuilt.units, rebuilt.nested.units, rebuilt.name) == (2, 3, "outer")
    general = gn.saving.serialize_keras_object(MyDense(4))
    assert general["registered_name"] == "MyLayers>KernelMult"
    assert general["module"] == MyDense.__module__
    assert gn.saving.deserialize_keras_object(general).units == 4


def test_deserialize_unknown_names_the_class():
    with pytest.raises(GlassnetValueError, match="'Nowhere>Missing'"):
        gn.saving.deserialize_keras_object({"module": None, "class_name": "Missing",
                                            "config": {}, "registered_name": "Nowhere>Missing"})
    with pytest.raises(GlassnetValueError, match="unknown function 'nofn'"):
        gn.saving.deserialize_keras_object({"module": None, "class_name": "function",
                                            "config": "nofn", "registered_name": None})


def test_to_json_and_model_from_json(rng):
    model = gn.Sequential([gn.layers.Input(shape=(5,)), gn.layers.Dense(4, activation="relu"),
                           gn.layers.Dense(2)])
    text = model.to_json()
    spec = json.loads(text)
    assert set(spec) == {"module", "class_name", "config", "registered_name"}
    assert spec["class_name"] == "Sequential" and spec["registered_name"] is None
    assert [layer["class_name"] for layer in spec["config"]["layers"]] == ["Dense", "Dense"]
    assert json.loads(model.to_json(indent=2)) == spec
    rebuilt = keras.models.model_from_json(text)
    assert isinstance(rebuilt, gn.Sequential)
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]
    rebuilt.set_weights(model.get_weights())
    x = rng.random((3, 5)).astype("float32")
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))

    inputs = gn.layers.Input(shape=(3,), name="x")
    functional = gn.Model(inputs, gn.layers.Dense(2, name="out")(inputs))
    again = gn.models.model_from_json(functional.to_json())
    assert [layer.name for layer in again.layers] == ["x", "out"]
    with pytest.raises(GlassnetValueError, match="model_from_json"):
        gn.models.model_from_json("not json")
    with pytest.raises(GlassnetValueError, match="class_name"):
        gn.models.model_from_json("[1, 2]")


def test_model_from_json_custom_objects():
    ScaleBy = _scale_layer_class()
    text = _model(ScaleBy, "linear").to_json()
    with pytest.raises(ValueError, match="ScaleBy"):
        gn.models.model_from_json(text)
    rebuilt = gn.models.model_from_json(text, custom_objects={"ScaleBy": ScaleBy})
    assert isinstance(rebuilt.layers[1], ScaleBy) and rebuilt.layers[1].factor == 0.5
