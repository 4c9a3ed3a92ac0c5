"""Tests for glassnet.layers.preprocessing: Rescaling, Normalization (adapt), CategoryEncoding."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.layers import CategoryEncoding, Dense, Input, Normalization, Rescaling
from tests.conftest import assert_config_round_trip, assert_gradcheck, assert_save_load


# ------------------------------------------------------------------------ Rescaling
def test_rescaling_formula_config_and_gradcheck(rng):
    x = rng.uniform(0, 255, size=(2, 3))
    layer = Rescaling(1.0 / 255)
    np.testing.assert_allclose(layer(x).data, x / 255, rtol=1e-6)
    assert layer.offset == 0.0
    np.testing.assert_allclose(Rescaling(1 / 127.5, offset=-1)(x).data, x / 127.5 - 1,
                               rtol=1e-5, atol=1e-6)
    per_channel = Rescaling([1.0, 2.0, 3.0], offset=[0.0, 1.0, 0.0])
    np.testing.assert_allclose(per_channel(x).data, x * [1, 2, 3] + [0, 1, 0], rtol=1e-6)
    assert assert_config_round_trip(per_channel).scale == [1.0, 2.0, 3.0]
    assert_gradcheck(lambda v: Rescaling(0.5, 2.0, dtype="float64")(v),
                     gn.tensor(rng.normal(size=(2, 3))))
    with pytest.raises(GlassnetValueError, match="'rs'.*scale"):
        Rescaling("big", name="rs")


# ------------------------------------------------------------------------ Normalization
def test_normalization_adapt_learns_population_statistics(rng):
    data = rng.normal(3.0, 2.0, size=(50, 4))
    layer = Normalization()
    layer.adapt(data)
    mean, variance = layer.get_weights()  # Keras's weights, in Keras's order
    np.testing.assert_allclose(mean, data.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(variance, data.var(axis=0), rtol=1e-5)  # ddof=0
    assert [w.path.split("/")[-1] for w in layer.weights] == ["mean", "variance"]
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    x = rng.normal(size=(5, 4))
    expected = (x - data.mean(axis=0)) / np.sqrt(data.var(axis=0))
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-4, atol=1e-5)


def test_normalization_axis_choices_and_batched_adapt(rng):
    data = rng.normal(size=(6, 3, 2))
    layer = Normalization(axis=(1, 2))
    layer.adapt(data)
    assert layer.get_weights()[0].shape == (3, 2)
    scalar = Normalization(axis=None)
    scalar.adapt(iter([data[:3], data[3:]]))  # an iterable of batches
    np.testing.assert_allclose(scalar.get_weights()[0], data.mean(), rtol=1e-5)
    np.testing.assert_allclose(scalar.get_weights()[1], data.var(), rtol=1e-5)
    np.testing.assert_allclose(scalar(data).data, (data - data.mean()) / data.std(),
                               rtol=1e-4, atol=1e-5)
    middle = Normalization(axis=1)
    middle.adapt(data)
    np.testing.assert_allclose(middle.get_weights()[0], data.mean(axis=(0, 2)), rtol=1e-5)


def test_normalization_given_statistics_invert_and_epsilon():
    layer = Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    x = np.array([[3.0, 2.5]])
    np.testing.assert_allclose(layer(x).data, [[1.0, 0.5 / 1e-7]], rtol=1e-5)  # std >= 1e-7
    assert layer.get_weights() == []
    inverse = Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    np.testing.assert_allclose(inverse(np.array([[1.0, -1.0]])).data, [[3.0, -1.0]])
    clone = assert_config_round_trip(inverse)
    np.testing.assert_allclose(clone(np.array([[1.0, -1.0]])).data, [[3.0, -1.0]])
    with pytest.raises(GlassnetValueError, match="'nm'.*both"):
        Normalization(mean=[0.0], name="nm")
    with pytest.raises(GlassnetValueError, match="adapt"):
        layer.adapt(x)
    with pytest.raises(ShapeError, match="Normalization"):
        layer(np.zeros((2, 3)))


def test_normalization_gradcheck(rng):
    layer = Normalization(mean=[0.5, -1.0, 2.0], variance=[2.0, 0.5, 1.0], dtype="float64")
    assert_gradcheck(lambda v: layer(v), gn.tensor(rng.normal(size=(4, 3))))
    inverse = Normalization(mean=[0.5, -1.0, 2.0], variance=[2.0, 0.5, 1.0], invert=True,
                            dtype="float64")
    assert_gradcheck(lambda v: inverse(v), gn.tensor(rng.normal(size=(4, 3))))


def test_adapted_normalization_saves_and_loads(tmp_path, rng):
    data = rng.normal(5.0, 3.0, size=(40, 3)).astype(np.float32)
    norm = Normalization()
    norm.adapt(data)
    model = gn.Sequential([Input((3,)), norm, Dense(2)])
    loaded = assert_save_load(model, data[:4], tmp_path)
    np.testing.assert_allclose(loaded.layers[0].get_weights()[0], data.mean(axis=0), rtol=1e-5)


# ------------------------------------------------------------------------ CategoryEncoding
def test_category_encoding_modes():
    tokens = np.array([[0, 1, 1], [3, 3, 2]])
    multi = CategoryEncoding(num_tokens=4)
    assert multi.output_mode == "multi_hot"  # Keras's default
    np.testing.assert_array_equal(multi(tokens).data, [[1, 1, 0, 0], [0, 0, 1, 1]])
    count = CategoryEncoding(4, output_mode="count")
    np.testing.assert_array_equal(count(tokens).data, [[1, 2, 0, 0], [0, 0, 1, 2]])
    weights = np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 4.0]])
    np.testing.assert_allclose(count(tokens, count_weights=weights).data,
                               [[0.5, 3.0, 0, 0], [0, 0, 4.0, 2.0]])
    one = CategoryEncoding(4, output_mode="one_hot")
    np.testing.assert_array_equal(one(np.array([3, 2, 0, 1])).data, np.eye(4)[[3, 2, 0, 1]])
    np.testing.assert_array_equal(one(np.array([[3], [0]])).data, np.eye(4)[[3, 0]])
    assert multi(np.array([0, 2])).shape == (4,)  # a rank-1 input is one sample
    assert multi(tokens).dtype == np.float32


def test_category_encoding_symbolic_config_and_errors():
    layer = CategoryEncoding(5, output_mode="count")
    assert layer(Input((3,), dtype="int32")).shape == (None, 5)
    assert CategoryEncoding(5, "one_hot")(Input((1,), dtype="int32")).shape == (None, 5)
    clone = assert_config_round_trip(layer)
    assert (clone.num_tokens, clone.output_mode) == (5, "count")
    with pytest.raises(GlassnetValueError, match="'ce'.*0 <= value < num_tokens=5"):
        CategoryEncoding(5, name="ce")(np.array([[1, 5]]))
    with pytest.raises(GlassnetValueError, match="output_mode"):
        CategoryEncoding(5, output_mode="tf_idf")
    with pytest.raises(GlassnetValueError, match="num_tokens"):
        CategoryEncoding()
    with pytest.raises(GlassnetTypeError, match="integer"):
        CategoryEncoding(5)(np.array([[0.5]]))
    with pytest.raises(ShapeError, match="rank"):
        CategoryEncoding(5)(np.zeros((2, 2, 2), dtype=int))


def test_category_encoding_feeds_a_dense_model(tmp_path):
    model = gn.Sequential([Input((3,), dtype="int32"), CategoryEncoding(6), Dense(2)])
    tokens = np.array([[0, 5, 5], [1, 2, 3]])
    assert_save_load(model, tokens, tmp_path)
