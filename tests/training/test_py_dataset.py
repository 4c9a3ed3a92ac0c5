"""keras.utils.PyDataset and Python generators as fit/evaluate/predict input."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.keras as keras
from glassnet.errors import GlassnetValueError
from glassnet.layers import Dense
from glassnet.models import Sequential


class Batches(keras.utils.PyDataset):
    """The guide's PyDataset, recording which batches were asked for and the epoch hooks."""

    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.asked, self.begins, self.ends = [], 0, 0

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, index):
        self.asked.append(index)
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part], self.y[part]

    def on_epoch_begin(self):
        self.begins += 1

    def on_epoch_end(self):
        self.ends += 1


def _model():
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _arrays(rng, n=10):
    return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")


def test_constructor_arguments_are_kept_and_ignored(rng):
    data = Batches(*_arrays(rng), batch_size=4, workers=4, use_multiprocessing=True,
                   max_queue_size=3)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (4, True, 3)
    assert len(data) == data.num_batches == 3
    assert isinstance(data, gn.training.py_dataset.PyDataset)


def test_fit_without_shuffle_reads_every_batch_in_order_each_epoch(rng):
    x, y = _arrays(rng)
    data = Batches(x, y, batch_size=4)
    gn.manual_seed(0)
    model = _model()
    history = model.fit(data, epochs=2, shuffle=False, batch_size=64, verbose=0)
    assert data.asked == [0, 1, 2, 0, 1, 2]
    assert (data.begins, data.ends) == (2, 2)
    # the same steps as arrays in storage order with the same batches
    gn.manual_seed(0)
    reference = _model()
    expected = reference.fit(x, y, epochs=2, shuffle=False, batch_size=4, verbose=0)
    assert history.history == expected.history
    for got, want in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_fit_with_shuffle_reads_a_new_permutation_each_epoch(rng):
    data = Batches(*_arrays(rng, n=40), batch_size=5)
    gn.manual_seed(1)
    _model().fit(data, epochs=3, verbose=0)
    epochs = [data.asked[i * 8:(i + 1) * 8] for i in range(3)]
    assert all(sorted(epoch) == list(range(8)) for epoch in epochs)
    gn.manual_seed(1)
    again = Batches(*_arrays(rng, n=40), batch_size=5)
    _model().fit(again, epochs=3, verbose=0)
    assert again.asked == data.asked  # reproducible under gn.manual_seed


def test_steps_per_epoch_continues_then_starts_over(rng):
    data = Batches(*_arrays(rng), batch_size=3)  # 4 batches
    _model().fit(data, epochs=3, steps_per_epoch=3, shuffle=False, verbose=0)
    # Keras 3: epoch 2 goes on at batch 3 and stops when all were seen; epoch 3 starts over
    assert data.asked == [0, 1, 2, 3, 0, 1, 2]


def test_validation_evaluate_and_predict_take_a_py_dataset(rng):
    x, y = _arrays(rng)
    model = _model()
    train, val = Batches(x, y, batch_size=4), Batches(x, y, batch_size=5)
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2 and val.asked == [0, 1, 0, 1]
    loss = model.evaluate(Batches(x, y, batch_size=3), verbose=0)
    kernel, bias = model.get_weights()
    assert loss == pytest.approx(np.mean((x @ kernel + bias - y) ** 2), rel=1e-5)
    predicted = model.predict(Batches(x, y, batch_size=3), verbose=0)
    np.testing.assert_allclose(predicted, x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_endless_py_dataset_needs_steps(rng):
    x, y = _arrays(rng)

    class Endless(keras.utils.PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, index):
            return x[:2], y[:2]

    model = _model()
    with pytest.raises(GlassnetValueError, match="steps_per_epoch"):
        model.fit(Endless(), epochs=1, verbose=0)
    history = model.fit(Endless(), epochs=2, steps_per_epoch=3, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.raises(GlassnetValueError, match="y must not be given"):
        model.fit(Endless(), y, verbose=0)


def test_python_generators_feed_fit_evaluate_and_predict(rng):
    x, y = _arrays(rng, n=12)
    taken = []

    def batches():
        for start in range(0, 12, 4):
            taken.append(start)
            yield x[start:start + 4], y[start:start + 4]

    model = _model()
    history = model.fit(batches(), epochs=1, verbose=0)
    assert taken == [0, 4, 8] and len(history.history["loss"]) == 1
    kernel, bias = model.get_weights()
    loss = model.evaluate(batches(), verbose=0)
    assert loss == pytest.approx(np.mean((x @ kernel + bias - y) ** 2), rel=1e-5)
    predicted = model.predict((x[i:i + 5] for i in range(0, 12, 5)), verbose=0)
    np.testing.assert_allclose(predicted, x @ kernel + bias, rtol=1e-5, atol=1e-6)
    # a generator is consumed across epochs: steps_per_epoch takes the next batches
    taken.clear()
    model.fit(batches(), epochs=3, steps_per_epoch=1, verbose=0)
    assert taken == [0, 4, 8]
