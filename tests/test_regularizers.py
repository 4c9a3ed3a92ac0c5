"""Tests for glassnet.regularizers: L1, L2, L1L2, names, get/serialize, gradients."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import regularizers
from glassnet.errors import GlassnetTypeError, GlassnetValueError, UnknownIdentifierError
from glassnet.regularizers import L1, L1L2, L2
from tests.conftest import assert_gradcheck, f64

W = np.array([[1.0, -2.0], [0.5, 0.0]], dtype=np.float32)


def test_penalty_values_by_hand():
    w = gn.tensor(W)
    assert L1(0.1)(w).item() == pytest.approx(0.1 * 3.5)  # |1| + |-2| + |0.5|
    assert L2(0.1)(w).item() == pytest.approx(0.1 * 5.25)  # 1 + 4 + 0.25
    assert L1L2(l1=0.1, l2=0.2)(w).item() == pytest.approx(0.35 + 1.05)
    assert L1L2()(w).item() == 0.0  # Keras 3 defaults l1 = l2 = 0
    assert L2(0.1)(w).dtype == np.float32


def test_keras_defaults_and_names():
    assert regularizers.get("l1").l1 == 0.01
    assert regularizers.get("l2").l2 == 0.01
    assert isinstance(regularizers.get("l1_l2"), L1L2)
    assert isinstance(regularizers.get("L2"), L2)
    assert regularizers.l2 is L2 and regularizers.l1_l2 is L1L2
    assert regularizers.get(None) is None
    with pytest.raises(UnknownIdentifierError, match="'l2'"):
        regularizers.get("l3")
    with pytest.raises(GlassnetTypeError):
        regularizers.get(3)
    with pytest.raises(GlassnetValueError, match="l2"):
        L2(-1.0)


def test_serialize_round_trip():
    reg = L1L2(l1=0.3, l2=0.4)
    spec = regularizers.serialize(reg)
    assert spec == {"class_name": "L1L2", "config": {"l1": 0.3, "l2": 0.4}}
    back = regularizers.get(spec)
    assert isinstance(back, L1L2) and back.get_config() == reg.get_config()
    assert regularizers.serialize(None) is None


def test_gradients(rng):
    assert_gradcheck(lambda w: L2(0.3)(w), f64(rng, 3, 2))
    assert_gradcheck(lambda w: L1L2(0.2, 0.3)(w), f64(rng, 3, 2, low=0.1, high=1.0))
    w = gn.tensor(W, requires_grad=True)
    L1(0.5)(w).backward()
    np.testing.assert_allclose(w.grad.numpy(), 0.5 * np.sign(W))


def test_layer_penalties_added_to_losses():
    from glassnet.layers.core import Dense

    layer = Dense(2, kernel_initializer="ones", bias_initializer="ones",
                  kernel_regularizer="l2", bias_regularizer=L1(0.5),
                  activity_regularizer=L2(1.0))
    y = layer(np.ones((1, 3)))  # y = 3 + 1 = 4 per unit
    values = [t.item() for t in layer.losses]
    # activity: 1.0 * (16 + 16); kernel: 0.01 * 6; bias: 0.5 * 2
    assert values == pytest.approx([32.0, 0.06, 1.0])
    assert y.shape == (1, 2)
