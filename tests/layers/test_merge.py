"""Merge layers: values against NumPy, gradients by gradcheck, shape errors, a functional model
with two inputs that trains, saves and loads."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.layers import (
    Add,
    Average,
    Concatenate,
    Dense,
    Input,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    concatenate,
)
from glassnet.models import load_model
from tests.conftest import assert_gradcheck, f64

FORMULAS = {
    Add: lambda xs: xs[0] + xs[1] + xs[2],
    Multiply: lambda xs: xs[0] * xs[1] * xs[2],
    Average: lambda xs: (xs[0] + xs[1] + xs[2]) / 3,
    Maximum: lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2]),
    Minimum: lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2]),
}


@pytest.mark.parametrize("cls", list(FORMULAS), ids=lambda c: c.__name__)
def test_elementwise_merges_match_numpy_and_gradcheck(rng, cls):
    xs = [f64(rng, 2, 3) for _ in range(3)]
    layer = cls(dtype="float64")
    np.testing.assert_allclose(layer(xs).data, FORMULAS[cls]([x.data for x in xs]))
    assert_gradcheck(lambda a, b, c: cls(dtype="float64")([a, b, c]), *xs)


def test_subtract_takes_exactly_two(rng):
    a, b = f64(rng, 2, 3), f64(rng, 2, 3)
    np.testing.assert_allclose(Subtract(dtype="float64")([a, b]).data, a.data - b.data)
    assert_gradcheck(lambda a, b: Subtract(dtype="float64")([a, b]), a, b)
    with pytest.raises(GlassnetValueError, match=r"Layer 'sub' \(Subtract\): expected exactly "
                                                 r"2 inputs, received 3"):
        Subtract(name="sub")([a, b, b])


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_concatenate_matches_numpy_and_gradcheck(rng, axis):
    shape_b = (2, 3, 5) if axis in (-1, 2) else (2, 4, 4)
    a, b = f64(rng, 2, 3, 4), f64(rng, *shape_b)
    layer = Concatenate(axis=axis, dtype="float64")
    np.testing.assert_array_equal(layer([a, b]).data,
                                  np.concatenate([a.data, b.data], axis=axis))
    assert_gradcheck(lambda a, b: Concatenate(axis=axis, dtype="float64")([a, b]), a, b)


def test_shape_errors_name_the_layer_and_shapes():
    a, b = np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)
    with pytest.raises(ShapeError, match=r"Layer 'plus' \(Add\): inputs must have the same "
                                         r"shape, received \[\(None, 3\), \(None, 4\)\]"):
        Add(name="plus")([a, b])
    with pytest.raises(ShapeError, match=r"Layer 'cat' \(Concatenate\): inputs must agree"):
        Concatenate(axis=1, name="cat")([np.zeros((2, 3, 1)), np.zeros((2, 4, 2))])
    with pytest.raises(GlassnetValueError, match="axis=0 is not a non-batch axis"):
        Concatenate(axis=0)([a, a])
    with pytest.raises(GlassnetValueError, match="expected a list of inputs"):
        Add()(a)


def test_two_input_functional_model_trains_saves_and_loads(tmp_path):
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    xa = rng.normal(size=(128, 4)).astype(np.float32)
    xb = rng.normal(size=(128, 3)).astype(np.float32)
    y = ((xa[:, 0] + xb[:, 0]) > 0).astype(np.int64)  # needs both inputs
    a, b = Input(shape=(4,), name="a"), Input(shape=(3,), name="b")
    h = concatenate([Dense(8, activation="relu")(a), b])
    h = add([Dense(8, activation="tanh")(h), Dense(8)(b)])
    model = gn.Model([a, b], Dense(2, activation="softmax")(h))
    assert model.output_shape == (None, 2)
    model.compile(optimizer=gn.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit([xa, xb], y, batch_size=16, epochs=15, verbose=0)
    assert history.history["accuracy"][-1] > 0.85
    path = tmp_path / "two_inputs.glassnet"
    model.save(path)
    restored = load_model(path)
    np.testing.assert_array_equal(model.predict([xa, xb], verbose=0),
                                  restored.predict([xa, xb], verbose=0))


# ------------------------------------------------------------------ Dot
@pytest.mark.parametrize("shapes, axes", [
    (((3, 4), (3, 4)), 1),
    (((2, 5, 3), (2, 4, 3)), 2),
    (((2, 5, 3), (2, 3, 4)), (2, 1)),
    (((2, 3, 5), (2, 4, 3)), (-2, -1)),
])
def test_dot_matches_numpy_einsum_and_gradcheck(rng, shapes, axes):
    from glassnet.layers import Dot

    x, y = (rng.normal(size=s) for s in shapes)
    i, j = (axes, axes) if isinstance(axes, int) else axes
    i, j = i % x.ndim, j % y.ndim
    expected = np.stack([np.tensordot(x[n], y[n], axes=(i - 1, j - 1)) for n in range(len(x))])
    if expected.ndim == 1:
        expected = expected[:, None]
    layer = Dot(axes, dtype="float64")
    np.testing.assert_allclose(layer([x, y]).data, expected, rtol=1e-10)
    assert layer.compute_output_shape([(None,) + s[1:] for s in shapes]) == (
        (None,) + expected.shape[1:])
    assert_gradcheck(lambda a, b: layer([a, b]), f64(rng, *shapes[0]), f64(rng, *shapes[1]))


def test_dot_normalize_gives_cosine_similarity(rng):
    from glassnet.layers import Dot

    x, y = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    cosine = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    layer = Dot(axes=-1, normalize=True, dtype="float64")
    np.testing.assert_allclose(layer([x, y]).data[:, 0], cosine, rtol=1e-10)
    assert_gradcheck(lambda a, b: layer([a, b]), f64(rng, 3, 4), f64(rng, 3, 4))


def test_dot_errors_config_and_save_load(tmp_path, rng):
    from glassnet.layers import Dot, dot

    with pytest.raises(ShapeError, match="dot_a.*contracted"):
        Dot(1, name="dot_a")([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(GlassnetValueError, match="dot_b.*axes"):
        Dot(0, name="dot_b")([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(GlassnetValueError, match="dot_c.*exactly 2"):
        Dot(1, name="dot_c")([np.ones((2, 3))] * 3)
    layer = Dot((2, 1), normalize=True)
    assert Dot.from_config(layer.get_config()).get_config() == layer.get_config()
    a, b = Input(shape=(5, 3)), Input(shape=(3, 4))
    model = gn.Model([a, b], dot([a, b], axes=(2, 1)))
    assert model.output_shape == (None, 5, 4)
    xa = rng.normal(size=(2, 5, 3)).astype(np.float32)
    xb = rng.normal(size=(2, 3, 4)).astype(np.float32)
    model.save(tmp_path / "dot.glassnet")
    restored = load_model(tmp_path / "dot.glassnet")
    np.testing.assert_allclose(restored.predict([xa, xb], verbose=0),
                               np.einsum("nij,njk->nik", xa, xb), rtol=1e-5)
