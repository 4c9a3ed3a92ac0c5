"""glassnet.initializers: Keras names, defaults, statistics, fans, seeding."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import initializers as I

SHAPE = (500, 400)  # 200k draws: sample std within ~0.2% of the true std
TRUNC = 0.87962566103423978


def _std_of_truncated(stddev):
    """Std of a normal with this pre-truncation stddev cut at +-2 stddev."""
    return stddev * TRUNC


@pytest.mark.parametrize(
    "name, cls",
    [("random_normal", I.RandomNormal), ("normal", I.RandomNormal),
     ("random_uniform", I.RandomUniform), ("uniform", I.RandomUniform),
     ("truncated_normal", I.TruncatedNormal), ("glorot_uniform", I.GlorotUniform),
     ("glorot_normal", I.GlorotNormal), ("he_normal", I.HeNormal), ("he_uniform", I.HeUniform),
     ("lecun_normal", I.LecunNormal), ("lecun_uniform", I.LecunUniform),
     ("orthogonal", I.Orthogonal), ("zeros", I.Zeros), ("zero", I.Zeros), ("ones", I.Ones),
     ("one", I.Ones), ("constant", I.Constant), ("identity", I.Identity),
     ("variance_scaling", I.VarianceScaling), ("GlorotUniform", I.GlorotUniform),
     ("HeNormal", I.HeNormal)],
)
def test_names_resolve(name, cls):
    assert type(I.get(name)) is cls


def test_get_accepts_class_instance_callable_dict_and_none():
    assert isinstance(I.get(I.HeUniform), I.HeUniform)
    init = I.RandomNormal(stddev=2.0)
    assert I.get(init) is init

    def custom(shape, dtype=None):
        return np.full(shape, 7.0, dtype=dtype)

    assert I.get(custom) is custom
    made = I.get({"class_name": "RandomNormal", "config": {"mean": 1.0, "stddev": 0.5}})
    assert (made.mean, made.stddev) == (1.0, 0.5)
    assert I.get(None) is None


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        I.get("glorot_unifrom")
    assert "glorot_uniform" in str(info.value) and "he_normal" in str(info.value)
    assert isinstance(info.value, gn.UnknownIdentifierError)


def test_keras_defaults():
    assert (I.RandomNormal().mean, I.RandomNormal().stddev) == (0.0, 0.05)
    assert (I.RandomUniform().minval, I.RandomUniform().maxval) == (-0.05, 0.05)
    assert (I.TruncatedNormal().mean, I.TruncatedNormal().stddev) == (0.0, 0.05)
    assert I.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None}
    assert I.Constant().value == 0.0 and I.Orthogonal().gain == 1.0


def test_compute_fans_dense_conv_and_vectors():
    assert I.compute_fans((784, 10)) == (784, 10)
    assert I.compute_fans((3, 3, 16, 32)) == (3 * 3 * 16, 3 * 3 * 32)
    assert I.compute_fans((5, 8, 4)) == (40, 20)  # conv1d kernel (k, in, out)
    assert I.compute_fans((7,)) == (7, 7)
    assert I.compute_fans(()) == (1, 1)


def test_random_normal_and_uniform_statistics():
    w = I.RandomNormal(mean=1.0, stddev=0.5)(SHAPE)
    assert w.dtype == np.float32 and w.shape == SHAPE
    assert abs(w.mean() - 1.0) < 0.01 and abs(w.std() - 0.5) < 0.005
    u = I.RandomUniform()(SHAPE)
    assert u.min() >= -0.05 and u.max() < 0.05
    assert abs(u.std() - 0.1 / math.sqrt(12)) < 1e-4


def test_truncated_normal_bounds_and_std():
    w = I.TruncatedNormal(mean=0.5, stddev=0.1)(SHAPE)
    assert np.all(np.abs(w - 0.5) <= 0.2 + 1e-6)
    assert abs(w.std() - _std_of_truncated(0.1)) < 0.001


@pytest.mark.parametrize(
    "cls, scale, mode, uniform",
    [(I.GlorotUniform, 1.0, "fan_avg", True), (I.GlorotNormal, 1.0, "fan_avg", False),
     (I.HeNormal, 2.0, "fan_in", False), (I.HeUniform, 2.0, "fan_in", True),
     (I.LecunNormal, 1.0, "fan_in", False), (I.LecunUniform, 1.0, "fan_in", True)],
)
def test_variance_scaling_presets(cls, scale, mode, uniform):
    shape = (3, 3, 64, 128)  # conv kernel: fan_in 576, fan_out 1152
    fan_in, fan_out = 576, 1152
    n = {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode]
    w = cls()(shape)
    target_std = math.sqrt(scale / n)  # every preset's variance is scale / n
    assert abs(w.std() - target_std) < 0.01 * target_std
    assert abs(w.mean()) < 0.01 * target_std
    if uniform:
        limit = math.sqrt(3 * scale / n)
        assert w.max() <= limit and w.min() >= -limit and w.max() > 0.99 * limit
    else:  # truncated at 2 pre-truncation stddevs
        assert np.abs(w).max() <= 2 * target_std / TRUNC + 1e-6


def test_glorot_uniform_dense_limit():
    w = I.GlorotUniform()((784, 10))
    assert np.abs(w).max() <= math.sqrt(6 / 794)


def test_variance_scaling_untruncated_and_fan_out():
    w = I.VarianceScaling(scale=3.0, mode="fan_out", distribution="untruncated_normal")((100,
                                                                                          2000))
    assert abs(w.std() - math.sqrt(3.0 / 2000)) < 0.01 * math.sqrt(3.0 / 2000)
    assert np.abs(w).max() > 2.5 * math.sqrt(3.0 / 2000)  # not truncated


def test_variance_scaling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        I.VarianceScaling(mode="fan_max")
    with pytest.raises(ValueError, match="distribution"):
        I.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="scale"):
        I.VarianceScaling(scale=0.0)


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 4, 8)])
def test_orthogonal(shape):
    w = I.Orthogonal(gain=2.0)(shape, dtype="float64")
    flat = w.reshape(-1, shape[-1])
    rows, cols = flat.shape
    gram = flat.T @ flat if rows >= cols else flat @ flat.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-10)
    assert w.flags.c_contiguous  # (fewer rows than columns: the transposed QR factor, copied)


def test_orthogonal_needs_2d():
    with pytest.raises(ValueError, match="2-D"):
        I.Orthogonal()((5,))


def test_constants_and_identity():
    np.testing.assert_array_equal(I.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(I.Ones()((2,), dtype="float64"), [1.0, 1.0])
    np.testing.assert_array_equal(I.Constant(0.25)((3,)), [0.25] * 3)
    np.testing.assert_array_equal(I.Identity(gain=3.0)((2, 3)), [[3, 0, 0], [0, 3, 0]])
    assert I.Ones()((2,), dtype="float64").dtype == np.float64


@pytest.mark.parametrize("name", ["random_normal", "random_uniform", "truncated_normal",
                                  "glorot_uniform", "he_normal", "orthogonal"])
def test_reproducible_under_manual_seed(name):
    gn.manual_seed(42)
    a = I.get(name)((8, 8))
    b = I.get(name)((8, 8))
    gn.manual_seed(42)
    c = I.get(name)((8, 8))
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


def test_explicit_seed_is_deterministic_on_its_own():
    init = I.GlorotNormal(seed=7)
    a = init((5, 5))
    gn.manual_seed(123)
    np.testing.assert_array_equal(a, init((5, 5)))
    np.testing.assert_array_equal(a, I.GlorotNormal(seed=7)((5, 5)))
    assert not np.array_equal(a, I.GlorotNormal(seed=8)((5, 5)))


def test_dtypes():
    assert I.HeNormal()((3, 3), dtype="float64").dtype == np.float64
    assert I.RandomUniform()((3,), dtype=np.float16).dtype == np.float16
    with pytest.raises(TypeError):
        I.RandomNormal()((3,), dtype="int32")


@pytest.mark.parametrize("init", [I.RandomNormal(0.1, 0.2, seed=1), I.RandomUniform(-1, 2),
                                  I.TruncatedNormal(stddev=0.3), I.Constant(1.5),
                                  I.VarianceScaling(2.0, "fan_avg", "uniform", seed=3),
                                  I.GlorotUniform(seed=4), I.Orthogonal(gain=0.5),
                                  I.Identity(2.0), I.Zeros()])
def test_get_config_round_trip(init):
    clone = I.deserialize(I.serialize(init))
    assert type(clone) is type(init) and clone.get_config() == init.get_config()
