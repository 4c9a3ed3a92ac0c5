"""Shared test helpers (fixtures and assertion helpers used across the suite)."""

import numpy as np
import pytest

import glassnet as gn


@pytest.fixture
def rng():
    """A seeded NumPy generator for test data (independent of glassnet's own RNG)."""
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _seed_glassnet():
    """Every test starts from the same glassnet seed, so tests are reproducible and independent."""
    gn.manual_seed(0)
    yield


def assert_gradcheck(fn, *inputs, **kwargs):
    """Assert that ``fn``'s analytic gradients match central differences in float64."""
    assert gn.gradcheck(fn, *inputs, **kwargs) is True


def f64(rng, *shape, low=-1.0, high=1.0):
    """A float64 glassnet tensor of uniform random values (for gradient checks)."""
    return gn.tensor(rng.uniform(low, high, size=shape))


def assert_config_round_trip(layer):
    """Serialize ``layer`` by name and back: same class, same config; returns the clone."""
    from glassnet.layers.serialization import deserialize, serialize

    clone = deserialize(serialize(layer))
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    return clone


def assert_save_load(model, x, tmp_path):
    """Save ``model``, load it back and assert the same outputs on ``x``; returns the copy."""
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = gn.models.load_model(path)
    np.testing.assert_allclose(loaded(x).data, model(x).data, rtol=1e-6)
    return loaded


def branchy_model():
    """A functional model with a branch, a merge and a nested Sequential (graphs, plots).

    x -> a (relu), b; concat(a, b) -> d -> inner Sequential (i1 -> i2). Not compiled.
    """
    from glassnet import layers
    from glassnet.models import Model, Sequential

    inner = Sequential([layers.Dense(3, input_shape=(4,), name="i1"),
                        layers.Dense(1, name="i2")], name="inner")
    x = layers.Input((2,), name="x")
    a = layers.Dense(4, activation="relu", name="a")(x)
    b = layers.Dense(4, name="b")(x)
    c = layers.Concatenate(name="c")([a, b])
    d = layers.Dense(4, name="d")(c)
    return Model(x, inner(d), name="branchy")
