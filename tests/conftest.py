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
