import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import ShapeError
from glassnet.utils import (
    minmax_normalize,
    normalize,
    to_categorical,
    train_validation_split,
    zscore_normalize,
)

# ------------------------------------------------------------------ to_categorical


def test_to_categorical_basic():
    out = to_categorical([0, 2, 1, 2])
    assert out.dtype == np.float32 and out.shape == (4, 3)
    assert out.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]]


def test_to_categorical_num_classes_and_dtype():
    out = to_categorical(np.array([1, 0], dtype=np.uint8), num_classes=4, dtype="int32")
    assert out.dtype == np.int32
    assert out.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0]]


def test_to_categorical_drops_trailing_axis_of_one():
    assert to_categorical(np.array([[2], [0]]), 3).shape == (2, 3)
    y = np.array([[0, 1], [2, 1]])
    out = to_categorical(y)
    assert out.shape == (2, 2, 3)
    assert out[1, 0].tolist() == [0, 0, 1]
    assert to_categorical(np.array(1), 3).tolist() == [0, 1, 0]  # scalar -> (num_classes,)


def test_to_categorical_accepts_integer_floats_and_tensors():
    assert to_categorical(np.array([1.0, 0.0])).tolist() == [[0, 1], [1, 0]]
    assert to_categorical(gn.tensor(np.array([2, 0]))).tolist() == [[0, 0, 1], [1, 0, 0]]


def test_to_categorical_rejects_bad_labels():
    with pytest.raises(ValueError, match=r"-1 at index 1"):
        to_categorical([0, -1, 2])
    with pytest.raises(ValueError, match=r"\[0, 2\].*5 at index 2"):
        to_categorical([0, 1, 5], num_classes=3)
    with pytest.raises(ValueError, match="whole numbers.*0.5 at index 0"):
        to_categorical([0.5, 1.0])
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([], num_classes=None)
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([0, 1], num_classes=0)


def test_to_categorical_mnist_labels():
    y = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    out = to_categorical(y)
    assert out.shape == (5, 10)
    np.testing.assert_array_equal(out.argmax(axis=1), y)
    np.testing.assert_array_equal(out.sum(axis=1), 1)

# ----------------------------------------------------------------------- normalize


def test_keras_normalize():
    out = normalize(np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float32))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    assert out.dtype == np.float32
    np.testing.assert_allclose(normalize([[1.0, -3.0]], order=1), [[0.25, -0.75]])


def test_minmax_uses_training_statistics():
    train = np.array([[0.0, 10.0], [5.0, 20.0], [10.0, 30.0]], dtype=np.float32)
    scaled, stats = minmax_normalize(train)
    np.testing.assert_allclose(scaled, [[0, 0], [0.5, 0.5], [1, 1]])
    assert scaled.dtype == np.float32
    test, _ = minmax_normalize(np.array([[20.0, 0.0]], dtype=np.float32), stats=stats)
    np.testing.assert_allclose(test, [[2.0, -0.5]])  # (20-0)/10, (0-10)/20
    ranged, _ = minmax_normalize(train, feature_range=(-1, 1))
    np.testing.assert_allclose(ranged[:, 0], [-1, 0, 1])


def test_minmax_uint8_images_global_and_constant_feature():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    scaled, stats = minmax_normalize(images, axis=None)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, images / 255.0, rtol=1e-6)
    constant, _ = minmax_normalize(np.array([[3.0], [3.0]]))
    assert constant.tolist() == [[0.0], [0.0]]
    with pytest.raises(ValueError, match="feature_range"):
        minmax_normalize(images, feature_range=(1, 0))


def test_zscore_hand_values_and_test_transform():
    train = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]])
    z, stats = zscore_normalize(train)
    assert z.dtype == np.float64
    std = np.sqrt(8.0 / 3.0)  # population std of 1, 3, 5
    np.testing.assert_allclose(z[:, 0], [-2 / std, 0, 2 / std])
    np.testing.assert_allclose(z[:, 1], [0, 0, 0])  # constant feature: divided by 1
    np.testing.assert_allclose(stats["mean"], [[3.0, 2.0]])
    zt, _ = zscore_normalize(np.array([[7.0, 4.0]]), stats=stats)
    np.testing.assert_allclose(zt, [[4 / std, 2.0]])
    z32, _ = zscore_normalize(np.arange(6, dtype=np.uint8).reshape(3, 2))
    assert z32.dtype == np.float32

# ------------------------------------------------------------------------- split


def test_split_without_shuffle_takes_the_last_part():
    x = np.arange(10).reshape(10, 1)
    y = np.arange(10) * 2
    (xt, yt), (xv, yv) = train_validation_split(x, y, validation_split=0.3, shuffle=False)
    assert xv[:, 0].tolist() == [7, 8, 9] and yv.tolist() == [14, 16, 18]
    assert xt[:, 0].tolist() == list(range(7))


def test_split_shuffled_is_a_reproducible_partition():
    x = np.arange(100)
    gn.manual_seed(3)
    (a, _), (b, _) = train_validation_split(x, validation_split=0.25)
    gn.manual_seed(3)
    (a2, _), (b2, _) = train_validation_split(x, validation_split=0.25)
    assert len(a) == 75 and len(b) == 25
    assert sorted(np.concatenate([a, b]).tolist()) == list(range(100))
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)
    assert b.tolist() != list(range(75, 100))


def test_split_keeps_x_y_pairs_together():
    x = np.arange(20)
    (xt, yt), (xv, yv) = train_validation_split(x, x * 10, validation_split=0.5)
    np.testing.assert_array_equal(yt, xt * 10)
    np.testing.assert_array_equal(yv, xv * 10)


def test_stratified_split_keeps_class_proportions():
    y = np.array([0] * 80 + [1] * 20)
    x = np.arange(100)
    (xt, yt), (xv, yv) = train_validation_split(x, y, validation_split=0.1, stratify=True)
    assert np.bincount(yv).tolist() == [8, 2]
    assert np.bincount(yt).tolist() == [72, 18]
    onehot = np.eye(2)[y]
    (_, yt1), (_, yv1) = train_validation_split(x, onehot, validation_split=0.1, stratify=True)
    assert yv1.sum(axis=0).tolist() == [8, 2]
    (_, _), (xv2, _) = train_validation_split(x, None, validation_split=0.1, stratify=y,
                                              shuffle=False)
    assert xv2.tolist() == [72, 73, 74, 75, 76, 77, 78, 79, 98, 99]


def test_split_errors():
    with pytest.raises(ValueError, match="validation_split"):
        train_validation_split(np.arange(10), validation_split=1.0)
    with pytest.raises(ShapeError, match="10 samples but y has 9"):
        train_validation_split(np.arange(10), np.arange(9))
    with pytest.raises(ValueError, match="empty"):
        train_validation_split(np.arange(1), validation_split=0.5)
    with pytest.raises(ValueError, match="needs y"):
        train_validation_split(np.arange(10), stratify=True)


# ---------------------------------------------------------------- Keras 3 keras.utils additions
def _pad_reference(sequences, maxlen, padding, truncating, value, dtype):
    """The published definition, one sample at a time."""
    rows = []
    for seq in sequences:
        seq = list(seq)
        if len(seq) > maxlen:
            seq = seq[len(seq) - maxlen:] if truncating == "pre" else seq[:maxlen]
        fill = [value] * (maxlen - len(seq))
        rows.append(fill + seq if padding == "pre" else seq + fill)
    return np.array(rows, dtype=dtype).reshape(len(sequences), maxlen)


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 1, 3, 6])
def test_pad_sequences_against_the_definition(rng, padding, truncating, maxlen):
    from glassnet.utils import pad_sequences

    sequences = [list(rng.integers(1, 9, size=n)) for n in (0, 1, 4, 2, 5)]
    out = pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating,
                        value=-1)
    expected = _pad_reference(sequences, maxlen or 5, padding, truncating, -1, "int32")
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, expected)


def test_pad_sequences_keras_defaults_and_element_shapes():
    import glassnet.keras as keras
    from glassnet.utils import pad_sequences

    assert keras.utils.pad_sequences is pad_sequences
    raw = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
    np.testing.assert_array_equal(pad_sequences(raw, padding="post")[0], [711, 632, 71, 0, 0, 0])
    np.testing.assert_array_equal(pad_sequences(raw)[0], [0, 0, 0, 711, 632, 71])
    floats = pad_sequences([[0.5], [1.5, 2.5]], dtype="float32", value=9.0)
    np.testing.assert_array_equal(floats, np.array([[9.0, 0.5], [1.5, 2.5]], "float32"))
    vectors = pad_sequences([np.ones((1, 2)), np.full((3, 2), 2.0)], dtype="float64")
    assert vectors.shape == (2, 3, 2)
    np.testing.assert_array_equal(vectors[0], [[0, 0], [0, 0], [1, 1]])
    text = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert text.tolist() == [["a", "b"], ["<pad>", "c"]]
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)


def test_pad_sequences_errors_name_the_argument():
    from glassnet.errors import GlassnetValueError, ShapeError
    from glassnet.utils import pad_sequences

    with pytest.raises(GlassnetValueError, match="padding must be 'pre' or 'post'.*'middle'"):
        pad_sequences([[1]], padding="middle")
    with pytest.raises(GlassnetValueError, match="truncating"):
        pad_sequences([[1]], truncating=None)
    with pytest.raises(GlassnetValueError, match="position 1 is int"):
        pad_sequences([[1], 5])
    with pytest.raises(GlassnetValueError, match="maxlen"):
        pad_sequences([[1]], maxlen=-2)
    with pytest.raises(GlassnetValueError, match="string value"):
        pad_sequences([[1]], value="x")
    with pytest.raises(ShapeError, match="position 1"):
        pad_sequences([np.ones((1, 2)), np.ones((1, 3))], dtype="float32")


def test_set_random_seed_seeds_every_generator():
    import random

    import glassnet.keras as keras

    keras.utils.set_random_seed(7)
    first = (random.random(), np.random.rand(), gn.config.rng.random())
    keras.utils.set_random_seed(7)
    assert (random.random(), np.random.rand(), gn.config.rng.random()) == first
    keras.utils.set_random_seed(8)
    assert (random.random(), np.random.rand(), gn.config.rng.random()) != first
    with pytest.raises(ValueError, match="seed"):
        keras.utils.set_random_seed(-1)


def test_split_dataset_sizes_and_structures():
    from glassnet.errors import GlassnetValueError, ShapeError
    from glassnet.utils import split_dataset

    data = np.arange(20).reshape(10, 2)
    left, right = split_dataset(data, left_size=0.8)
    np.testing.assert_array_equal(left, data[:8])
    np.testing.assert_array_equal(right, data[8:])
    left, right = split_dataset(data, right_size=3)
    assert (len(left), len(right)) == (7, 3)
    left, right = split_dataset(data)
    assert (len(left), len(right)) == (5, 5)
    left, right = split_dataset(data, left_size=2, right_size=3)
    np.testing.assert_array_equal(right, data[2:5])
    x, y = np.arange(10.0), np.arange(10) % 3
    (xl, yl), (xr, yr) = split_dataset((x, y), left_size=0.6, shuffle=True, seed=1)
    assert sorted(np.concatenate([xl, xr]).tolist()) == x.tolist()
    np.testing.assert_array_equal(yl, xl.astype(int) % 3)
    again = split_dataset((x, y), left_size=0.6, shuffle=True, seed=1)
    np.testing.assert_array_equal(again[0][0], xl)
    with pytest.raises(GlassnetValueError, match="left_size as a fraction"):
        split_dataset(data, left_size=1.5)
    with pytest.raises(GlassnetValueError, match="give 8 \\+ 5"):
        split_dataset(data, left_size=8, right_size=5)
    with pytest.raises(ShapeError, match="different numbers"):
        split_dataset((x, y[:5]))


def test_py_dataset_trains_and_evaluates():
    import glassnet.keras as keras

    class Batches(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size

        def __len__(self):
            return int(np.ceil(len(self.x) / self.batch_size))

        def __getitem__(self, index):
            part = slice(index * self.batch_size, (index + 1) * self.batch_size)
            return self.x[part], self.y[part]

    x = np.random.default_rng(0).random((20, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    data = Batches(x, y, batch_size=8, workers=2)
    assert (len(data), data.num_batches, data.workers) == (3, 3, 2)
    model = keras.Sequential([keras.layers.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(data, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(model.evaluate(data, verbose=0))
    with pytest.raises(TypeError, match="__len__"):  # a PyDataset must say how many batches
        len(keras.utils.PyDataset())


def test_keras_utils_reexports():
    import glassnet.keras as keras
    from glassnet.datasets.download import get_file

    assert keras.utils.get_file is get_file
    assert keras.utils.register_keras_serializable is gn.saving.register_keras_serializable
    assert keras.utils.split_dataset is gn.utils.split_dataset
