"""Tests for glassnet.registry: the one Registry every family uses, and to_snake_case."""

import json
import sys
import types

import pytest

from glassnet import (
    activations,
    callbacks,
    initializers,
    losses,
    metrics,
    optimizers,
    regularizers,
    schedules,
)
from glassnet.errors import GlassnetTypeError, GlassnetValueError, UnknownIdentifierError
from glassnet.layers import serialization as layer_serialization
from glassnet.registry import Registry, exact_name, lower_case_name, to_snake_case


class Shape:
    """A tiny family base class for the tests."""

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def make_registry(**options):
    registry = Registry("shape", module="shapes", base=Shape, **options)

    @registry.register(aliases=("box",))
    class Square(Shape):
        def __init__(self, side=1.0):
            self.side = side

        def get_config(self):
            return {"side": self.side}

    @registry.register
    class RoundedRectangle(Shape):
        pass

    return registry, Square, RoundedRectangle


# ------------------------------------------------------------------------ snake case
@pytest.mark.parametrize("name, expected", [
    ("Dense", "dense"), ("BatchNormalization", "batch_normalization"), ("Conv2D", "conv2d"),
    ("MaxPooling2D", "max_pooling2d"), ("SimpleRNN", "simple_rnn"), ("LSTM", "lstm"),
    ("GlorotUniform", "glorot_uniform"), ("KLDivergence", "kl_divergence"), ("AUC", "auc"),
    ("SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy"),
])
def test_to_snake_case_like_keras(name, expected):
    assert to_snake_case(name) == expected


def test_default_names_of_objects_use_the_one_snake_case():
    assert losses.KLDivergence().name == "kl_divergence"
    assert metrics.SparseTopKCategoricalAccuracy().name == "sparse_top_k_categorical_accuracy"
    assert "auc" in metrics.METRICS and "a_u_c" not in metrics.METRICS


# ------------------------------------------------------------------------ register
def test_register_keys_are_name_snake_form_and_aliases():
    registry, square, rounded = make_registry()
    assert registry.names() == ["RoundedRectangle", "Square", "box", "rounded_rectangle",
                                "square"]
    assert all(registry.entries[key] is square for key in ("Square", "square", "box"))
    assert registry.entries["rounded_rectangle"] is rounded


def test_register_returns_the_object_and_works_as_a_plain_call():
    registry = Registry("function", module="functions", name_forms=exact_name,
                        from_callable=lambda function: function)

    def double(x):
        return 2 * x

    assert registry.register(double, name="twice", aliases=("x2",)) is double
    assert registry.names() == ["twice", "x2"]
    assert registry.get("X2") is double
    assert registry.serialize(double) == "twice"


def test_name_forms_choose_the_keys():
    exact = Registry("thing", module="things", name_forms=exact_name)
    lower = Registry("thing", module="things", name_forms=lower_case_name)
    for registry in (exact, lower):
        registry.register(type("RMSprop", (), {}))
    assert exact.names() == ["RMSprop"] and lower.names() == ["rmsprop"]


def test_unregister_removes_every_key():
    registry, square, _ = make_registry()
    registry.unregister(square)
    assert registry.names() == ["RoundedRectangle", "rounded_rectangle"]
    with pytest.raises(UnknownIdentifierError):
        registry.get("box")


# ------------------------------------------------------------------------ get
def test_get_every_identifier_form():
    registry, square, _ = make_registry()
    made = square(2.0)
    assert registry.get(made) is made
    assert isinstance(registry.get("Square"), square)
    assert isinstance(registry.get("square"), square)
    assert isinstance(registry.get("BOX"), square)  # case-insensitive
    assert isinstance(registry.get(square), square)
    assert registry.get({"class_name": "Square", "config": {"side": 3.0}}).side == 3.0
    assert isinstance(registry.get("RoundedRectangle".lower()), Shape)  # no underscores


def test_get_none_and_callables_follow_the_family():
    registry, _, _ = make_registry()
    with pytest.raises(GlassnetTypeError, match="shapes.get: expected"):
        registry.get(None)
    with pytest.raises(GlassnetTypeError, match="int 3"):
        registry.get(3)
    with pytest.raises(GlassnetTypeError):
        registry.get(len)  # callables refused unless the family accepts them
    lenient = Registry("shape", module="shapes", base=Shape, none="nothing",
                       from_callable=lambda function: ("wrapped", function))
    assert lenient.get(None) == "nothing"
    assert lenient.get(len) == ("wrapped", len)


def test_type_error_says_what_the_family_accepts():
    registry = Registry("shape", module="shapes", base=Shape, none=None,
                        from_callable=lambda function: function)
    with pytest.raises(GlassnetTypeError) as info:
        registry.get(2.5)
    assert str(info.value) == ("shapes.get: expected a name, a config dict, a Shape (class or "
                               "instance), a function or None, got float 2.5")


def test_unknown_name_names_the_family_the_name_and_close_matches():
    registry, _, _ = make_registry()
    with pytest.raises(UnknownIdentifierError) as info:
        registry.get("sqare")
    message = str(info.value)
    assert message.startswith("Unknown shape 'sqare'. Did you mean 'square'?")
    assert "Valid names: box, rounded_rectangle, square." in message


def test_unknown_name_suggestions_ignore_case():
    registry, _, _ = make_registry(name_forms=exact_name)
    with pytest.raises(UnknownIdentifierError, match="Did you mean 'Square'"):
        registry.get("SQUAR")


def test_lookup_of_a_non_string_is_a_type_error():
    registry, _, _ = make_registry()
    with pytest.raises(GlassnetTypeError, match="expected a string name, got int 7"):
        registry.deserialize({"class_name": 7})


def test_lazy_modules_are_imported_on_a_miss(tmp_path, monkeypatch):
    registry = Registry("layer class", module="layers", name_forms=exact_name,
                        lazy_modules=("registry_lazy_module",))
    holder = types.ModuleType("registry_lazy_holder")
    holder.REGISTRY = registry
    monkeypatch.setitem(sys.modules, "registry_lazy_holder", holder)
    (tmp_path / "registry_lazy_module.py").write_text(
        "import registry_lazy_holder\n"
        "registry_lazy_holder.REGISTRY.register(type('Late', (), {}))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "registry_lazy_module", raising=False)
    assert registry.names() == []
    assert registry.lookup("Late").__name__ == "Late"  # found after the import
    with pytest.raises(UnknownIdentifierError, match="Unknown layer class 'Nothing'"):
        registry.lookup("Nothing")
    assert layer_serialization.get_layer_class("Sequential").__name__ == "Sequential"


# ------------------------------------------------------------------------ serialize
def test_serialize_and_deserialize_round_trip_through_json():
    registry, square, _ = make_registry()
    data = json.loads(json.dumps(registry.serialize(square(4.0))))
    assert data == {"class_name": "Square", "config": {"side": 4.0}}
    assert registry.deserialize(data).side == 4.0
    assert isinstance(registry.deserialize("box"), square)


def test_explicit_name_is_the_serialized_class_name():
    registry = Registry("shape", module="shapes", base=Shape, name_forms=exact_name)

    @registry.register(name="my_package>Circle")
    class Circle(Shape):
        pass

    data = registry.serialize(Circle())
    assert data["class_name"] == "my_package>Circle"
    assert isinstance(registry.deserialize(data), Circle)


def test_serialize_refuses_objects_of_another_family():
    registry, _, _ = make_registry()
    with pytest.raises(GlassnetTypeError, match="shapes.serialize: expected a Shape, got int"):
        registry.serialize(3)


def test_deserialize_bad_config_names_the_module():
    registry, _, _ = make_registry()
    with pytest.raises(GlassnetValueError, match="shapes.deserialize: expected a dict"):
        registry.deserialize({"config": {}})


def test_custom_objects_come_first_and_reach_from_config():
    registry, square, _ = make_registry()
    seen = {}

    class Custom(Shape):
        @classmethod
        def from_config(cls, config, custom_objects=None):
            seen["custom_objects"] = custom_objects
            return cls()

    custom_objects = {"Square": Custom}
    made = registry.deserialize({"class_name": "Square", "config": {}}, custom_objects)
    assert isinstance(made, Custom) and seen["custom_objects"] is custom_objects


def test_a_class_without_from_config_gets_its_config_as_arguments():
    registry = Registry("callback", module="callbacks", name_forms=exact_name)

    @registry.register
    class Patient:
        def __init__(self, patience=0):
            self.patience = patience

    assert registry.deserialize({"class_name": "Patient", "config": {"patience": 3}}).patience == 3


# ------------------------------------------------------------------------ the families
@pytest.mark.parametrize("module, name", [
    (activations, "relu"), (initializers, "he_normal"), (losses, "mse"),
    (metrics, "binary_accuracy"), (optimizers, "sgd"), (regularizers, "l2"),
])
def test_every_family_resolves_names_through_its_registry(module, name):
    assert module.REGISTRY.lookup(name) is not None
    assert type(module.get(name)) is type(module.REGISTRY.get(name))


def test_families_keep_their_public_tables():
    assert losses.LOSSES is losses.REGISTRY.entries
    assert metrics.METRICS is metrics.REGISTRY.entries
    assert initializers.INITIALIZERS is initializers.REGISTRY.entries
    assert regularizers.REGULARIZERS is regularizers.REGISTRY.entries
    assert activations.ACTIVATIONS is activations.REGISTRY.entries
    assert layer_serialization.LAYERS is layer_serialization.REGISTRY.entries
    assert optimizers.base.REGISTRY.entries["adamw"] is optimizers.AdamW
    assert schedules.REGISTRY.entries["CosineDecay"] is schedules.CosineDecay
    assert callbacks.REGISTRY.entries["EarlyStopping"] is callbacks.EarlyStopping


def test_activation_aliases_and_serialized_names():
    assert activations.get("identity") is activations.linear
    assert activations.get("Heaviside") is activations.step
    assert activations.serialize(activations.swish) == "silu"  # one function, first name
    assert activations.serialize(None) == "linear"


def test_new_metric_is_one_decorator():
    @metrics.register_metric("halfway")
    class Halfway(metrics.Mean):
        pass

    try:
        assert isinstance(metrics.get("halfway"), Halfway)
        assert isinstance(metrics.get("Halfway"), Halfway)
        data = metrics.serialize(Halfway())
        assert data["class_name"] == "Halfway"
        assert isinstance(metrics.deserialize(data), Halfway)
    finally:
        metrics.REGISTRY.unregister(Halfway)
    assert "halfway" not in metrics.METRICS
