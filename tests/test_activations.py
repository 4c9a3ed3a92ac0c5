"""glassnet.activations: the name registry."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet import activations

KERAS_NAMES = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "softmax",
               "log_softmax", "gelu", "swish", "silu", "step", "hard_sigmoid"]


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_keras_names_resolve_to_callables_on_tensors(name):
    fn = activations.get(name)
    y = fn(gn.tensor([[-1.0, 0.5, 2.0]]))
    assert isinstance(y, gn.Tensor) and y.shape == (1, 3)
    assert activations.get(name.upper()) is fn


def test_names_map_to_the_functional_implementations():
    assert activations.get("relu") is F.relu
    assert activations.get("sigmoid") is F.sigmoid
    assert activations.get("swish") is activations.get("silu")


def test_none_and_linear_are_identity():
    x = gn.tensor([1.0, -3.0])
    assert activations.get(None)(x) is x
    assert activations.get("linear")(x) is x


def test_callable_passes_through():
    def custom(x):
        return x * 2

    assert activations.get(custom) is custom


def test_keras_config_dict():
    assert activations.get({"class_name": "relu"}) is F.relu


def test_hard_sigmoid_keras3_values():
    np.testing.assert_allclose(activations.hard_sigmoid([-4.0, -1.5, 0.0, 3.0]).data,
                               [0.0, 0.25, 0.5, 1.0])


def test_unknown_name_lists_valid_names_and_suggests():
    with pytest.raises(ValueError) as info:
        activations.get("rellu")
    message = str(info.value)
    assert "relu" in message and "sigmoid" in message and "Did you mean" in message
    assert isinstance(info.value, gn.UnknownIdentifierError)


def test_wrong_type_raises_type_error():
    with pytest.raises(TypeError):
        activations.get(3)


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_serialize_round_trip(name):
    fn = activations.get(name)
    assert activations.get(activations.serialize(fn)) is fn


def test_serialize_of_none_and_custom():
    def my_act(x):
        return x

    assert activations.serialize(None) == "linear"
    assert activations.serialize(my_act) == "my_act"
