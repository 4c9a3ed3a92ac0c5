"""keras.random: reproducibility (int seeds, SeedGenerator, gn.manual_seed), moments, dtypes."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.keras import random


def test_int_seed_repeats_and_none_follows_manual_seed():
    a = random.normal((3, 4), seed=5)
    assert np.array_equal(a.numpy(), random.normal((3, 4), seed=5).numpy())
    assert not np.array_equal(a.numpy(), random.normal((3, 4), seed=6).numpy())
    gn.manual_seed(11)
    first = [random.uniform((4,)).numpy(), random.normal((2,)).numpy()]
    gn.manual_seed(11)
    second = [random.uniform((4,)).numpy(), random.normal((2,)).numpy()]
    assert all(np.array_equal(p, q) for p, q in zip(first, second, strict=True))
    assert not np.array_equal(first[0], random.uniform((4,)).numpy())


def test_seed_generator_advances_and_is_reproducible():
    g1, g2 = random.SeedGenerator(3), random.SeedGenerator(3)
    a, b = random.normal((5,), seed=g1), random.normal((5,), seed=g1)
    assert not np.array_equal(a.numpy(), b.numpy())
    assert np.array_equal(a.numpy(), random.normal((5,), seed=g2).numpy())
    assert g1.state.tolist() == [3, 2]
    gn.manual_seed(0)
    s1 = random.SeedGenerator()
    gn.manual_seed(0)
    s2 = random.SeedGenerator()
    assert s1.seed == s2.seed
    with pytest.raises(gn.GlassnetTypeError, match="seed"):
        random.normal((2,), seed="x")


def test_distributions_moments_shapes_and_dtypes():
    n = (200, 500)
    x = random.normal(n, mean=2.0, stddev=3.0, seed=1)
    assert x.shape == n and x.dtype == np.float32
    assert abs(x.numpy().mean() - 2) < 0.05 and abs(x.numpy().std() - 3) < 0.05
    u = random.uniform(n, minval=-1.0, maxval=3.0, dtype="float64", seed=1).numpy()
    assert u.dtype == np.float64 and u.min() >= -1 and u.max() < 3
    assert abs(u.mean() - 1) < 0.02 and abs(u.var() - 16 / 12) < 0.02
    t = random.truncated_normal(n, mean=1.0, stddev=0.5, seed=1).numpy()
    assert np.abs(t - 1).max() <= 1.0 and abs(t.mean() - 1) < 0.01
    assert abs(t.std() - 0.5 * 0.8796) < 0.01  # the std of N(0, 1) truncated to [-2, 2]
    r = random.randint(n, 2, 7, seed=1).numpy()
    assert r.dtype == np.int32 and r.min() == 2 and r.max() == 6
    assert random.uniform((3,), 0, 5, dtype="int32", seed=1).dtype == np.int32


def test_categorical_follows_softmax_probabilities():
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    draws = random.categorical(logits, 20000, seed=2)
    assert draws.shape == (2, 20000) and draws.dtype == np.int32
    freq = np.stack([np.bincount(row, minlength=3) / 20000 for row in draws.numpy()])
    np.testing.assert_allclose(freq, np.exp(logits), atol=0.015)


def test_dropout_scales_and_is_differentiable():
    x = gn.tensor(np.ones((100, 100)), requires_grad=True)
    y = random.dropout(x, 0.25, seed=3)
    kept = y.numpy() != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.75)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75)
    column = random.dropout(np.ones((4, 6), np.float32), 0.5, noise_shape=(1, None), seed=4)
    assert (column.numpy() == column.numpy()[0]).all()
    with pytest.raises(gn.GlassnetValueError, match="rate"):
        random.dropout(x, 1.0)


def test_shuffle_permutes_along_an_axis():
    x = np.arange(12).reshape(6, 2)
    y = random.shuffle(x, seed=1).numpy()
    assert sorted(map(tuple, y)) == sorted(map(tuple, x))
    assert np.array_equal(y, random.shuffle(x, seed=1).numpy())
    z = random.shuffle(x, axis=1, seed=0).numpy()
    assert sorted(z[0].tolist()) == [0, 1]


def test_gamma_binomial_beta_means():
    assert abs(random.gamma((20000,), alpha=3.0, seed=1).numpy().mean() - 3) < 0.05
    assert abs(random.binomial((20000,), 10, 0.3, seed=1).numpy().mean() - 3) < 0.05
    assert abs(random.beta((20000,), 2.0, 6.0, seed=1).numpy().mean() - 0.25) < 0.01


def test_tensor_functions_take_keras_tensors():
    import glassnet.keras as keras

    x = keras.Input((50,))
    model = keras.Model(x, random.dropout(x, 0.5, seed=1))
    y = model.predict(np.ones((4, 50), np.float32), verbose=0)
    assert set(np.unique(y)) <= {0.0, 2.0} and 0 < (y == 0).mean() < 1
