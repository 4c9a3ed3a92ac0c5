import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.datasets import synthetic

GENERATORS = [
    (synthetic.sin, {}),
    (synthetic.polynomial, {}),
    (synthetic.xor, {"n_samples": 50, "noise": 0.1}),
    (synthetic.spirals, {}),
    (synthetic.circles, {}),
    (synthetic.linear, {}),
]


@pytest.mark.parametrize("make, kwargs", GENERATORS)
def test_reproducible_with_manual_seed_and_float32(make, kwargs):
    gn.manual_seed(7)
    x1, y1 = make(**kwargs)
    gn.manual_seed(7)
    x2, y2 = make(**kwargs)
    gn.manual_seed(8)
    x3, _ = make(**kwargs)
    assert x1.dtype == np.float32
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    assert x1.shape[0] == y1.shape[0]


def test_sin_samples():
    x, y = synthetic.sin(500)
    assert x.shape == (500, 1) and y.shape == (500, 1) and y.dtype == np.float32
    assert x.min() >= 0 and x.max() < 2 * math.pi
    np.testing.assert_allclose(y, np.sin(x.astype(np.float64)), atol=1e-6)
    x64, _ = synthetic.sin(3, dtype="float64")
    assert x64.dtype == np.float64


def test_polynomial_formula_and_noise_level():
    x, y = synthetic.polynomial(50, coefficients=(1.0, -2.0, 0.5), low=-3, high=3, noise=0.0)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(y, 1.0 - 2.0 * x64 + 0.5 * x64**2, rtol=1e-5, atol=1e-5)
    assert x.min() >= -3 and x.max() < 3
    x, y = synthetic.polynomial(20000, coefficients=(0.0, 1.0), noise=0.1)
    residual = y.astype(np.float64) - x
    assert residual.std() == pytest.approx(0.1, rel=0.05)
    assert abs(residual.mean()) < 0.01


def test_xor_truth_table_and_samples():
    x, y = synthetic.xor()
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [[0], [1], [1], [0]] and y.dtype == np.float32
    x, y = synthetic.xor(200, noise=0.0)
    assert x.shape == (200, 2) and y.shape == (200, 1)
    np.testing.assert_array_equal(y[:, 0], (x[:, 0] != x[:, 1]).astype(np.float32))
    assert set(np.unique(x)) <= {0.0, 1.0}


def test_spirals_geometry():
    x, y = synthetic.spirals(10, n_classes=3, noise=0.0, turns=0.5)
    assert x.shape == (10, 2) and y.shape == (10,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [4, 3, 3]
    # class k, point j of m: r = j/(m-1), t = 2*pi*(0.5*r + k/3), x = (r sin t, r cos t)
    for k, m, start in ((0, 4, 0), (1, 3, 4), (2, 3, 7)):
        r = np.linspace(0, 1, m)
        t = 2 * np.pi * (0.5 * r + k / 3)
        expected = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        np.testing.assert_allclose(x[start:start + m], expected, atol=1e-6)
    x, _ = synthetic.spirals(300, noise=0.3)
    assert np.linalg.norm(x, axis=1).max() <= 1 + 1e-6  # noise is on the angle only
    with pytest.raises(ValueError, match="n_classes"):
        synthetic.spirals(10, n_classes=1)


def test_circles_radii_and_labels():
    x, y = synthetic.circles(101, noise=0.0, factor=0.3)
    assert x.shape == (101, 2) and y.shape == (101,)
    assert np.bincount(y).tolist() == [51, 50]
    radius = np.linalg.norm(x.astype(np.float64), axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, atol=1e-6)
    with pytest.raises(ValueError, match="factor"):
        synthetic.circles(10, factor=1.5)


def test_linear_exact_and_recoverable():
    x, y = synthetic.linear(30, weight=[2.0, -3.0], bias=0.5, noise=0.0)
    assert x.shape == (30, 2) and y.shape == (30, 1)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(y[:, 0], 2.0 * x64[:, 0] - 3.0 * x64[:, 1] + 0.5, atol=1e-5)
    x, y = synthetic.linear(5000, weight=1.5, bias=-1.0, noise=0.1)
    design = np.hstack([x, np.ones_like(x)]).astype(np.float64)
    (w, b), *_ = np.linalg.lstsq(design, y[:, 0].astype(np.float64), rcond=None)
    assert w == pytest.approx(1.5, abs=0.02) and b == pytest.approx(-1.0, abs=0.02)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_sample_counts(bad):
    with pytest.raises(ValueError, match="n_samples"):
        synthetic.sin(bad)


def test_negative_noise_rejected():
    with pytest.raises(ValueError, match="noise"):
        synthetic.linear(10, noise=-1.0)


def test_gaussians_centres_spread_and_labels():
    gn.manual_seed(3)
    x, y = synthetic.gaussians(3001, n_classes=3, std=0.2, radius=2.0)
    assert x.shape == (3001, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [1001, 1000, 1000]
    for k in range(3):
        angle = np.pi / 4 + 2 * np.pi * k / 3
        centre = 2.0 * np.array([np.cos(angle), np.sin(angle)])
        points = x[y == k].astype(np.float64)
        np.testing.assert_allclose(points.mean(axis=0), centre, atol=0.03)
        np.testing.assert_allclose(points.std(axis=0), [0.2, 0.2], rtol=0.1)
    x, y = synthetic.gaussians(6, std=0.0, radius=1.0)
    np.testing.assert_allclose(x[y == 0], [[0.5**0.5, 0.5**0.5]] * 3, atol=1e-6)
    np.testing.assert_allclose(x[y == 1], [[-(0.5**0.5), -(0.5**0.5)]] * 3, atol=1e-6)
    gn.manual_seed(7)
    first = synthetic.gaussians(50)
    gn.manual_seed(7)
    second = synthetic.gaussians(50)
    np.testing.assert_array_equal(first[0], second[0])
    with pytest.raises(ValueError, match="n_classes"):
        synthetic.gaussians(10, n_classes=1)
    with pytest.raises(ValueError, match="std"):
        synthetic.gaussians(10, std=-0.1)
