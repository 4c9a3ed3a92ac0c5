"""Building a model of n layers is O(n) (issue 20): Sequential.add, from_config, get_config.

Broken variant checked: today's main scans every existing layer's name in each
Sequential.add, so 20,000 layers took 30 s there (1.5 s per thousand, about 16 times as
long as 5,000); here about 2.5 s, 4 times as long. The other tests pin the behaviour the
O(1) name index and the functional call index must keep (names, refs, duplicates refused).
"""

import gc
import time

import pytest

import glassnet as gn
from glassnet.layers import Dense, Input
from glassnet.models import Model, Sequential


def _stack(n):
    return [Dense(2, input_shape=(2,))] + [Dense(2) for _ in range(n - 1)]


def _build_seconds(n, repeats=2):
    """The best of ``repeats`` builds of an n-layer Sequential (the layers made beforehand)."""
    best = float("inf")
    for _ in range(repeats):
        layers = _stack(n)
        gc.disable()  # a full collection over what earlier tests left alive is not the build's
        try:
            start = time.perf_counter()
            model = Sequential(layers)
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
        assert len(model.layers) == n
    return best


def test_building_n_layers_is_linear():
    small, large = _build_seconds(5_000), _build_seconds(20_000)
    assert large / 20 < 0.25  # seconds per thousand layers: well under one
    assert large / small < 8, (small, large)  # linear: about 4; quadratic: about 16


def test_a_long_config_round_trips():
    """from_config goes through the same O(1) add; the names come back in order."""
    model = Sequential(_stack(3_000))
    again = Sequential.from_config(model.get_config())
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]


def test_a_long_functional_graph_builds_and_serializes():
    x = y = Input(shape=(2,))
    for _ in range(5_000):
        y = Dense(2)(y)
    model = Model(x, y)
    config = model.get_config()
    assert len(config["layers"]) == 5_001
    assert config["layers"][1]["inbound_nodes"] == [[[model.layers[0].name, 0, 0]]]


def test_automatic_names_are_unchanged():
    from glassnet.layers.base import clear_session

    clear_session()
    model = Sequential([Dense(2, input_shape=(2,)), Dense(2), Dense(2)])
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "dense_2"]


def test_duplicate_names_are_still_refused_after_pop_and_rename():
    a, b = Dense(2, name="a", input_shape=(2,)), Dense(2, name="b")
    model = Sequential([a, b])
    with pytest.raises(gn.GlassnetValueError, match="'b' is already the name"):
        model.add(Dense(2, name="b"))
    model.pop()
    model.add(Dense(2, name="b"))  # the popped name is free again
    a.name = "renamed"
    model.add(Dense(2, name="a"))  # 'a' is free once its layer is renamed (index rebuilt)
    with pytest.raises(gn.GlassnetValueError, match="'renamed' is already the name"):
        model.add(Dense(2, name="renamed"))
