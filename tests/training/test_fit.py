"""compile / fit / evaluate / predict (glassnet.training) on tiny models, checked by formula."""

import numpy as np
import pytest

from glassnet import training
from glassnet.callbacks import Callback, LambdaCallback
from glassnet.errors import GlassnetError
from glassnet.layers import Dense, Layer
from glassnet.metrics import BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy
from glassnet.models import Sequential
from glassnet.optimizers import SGD


def linear_model(n_in=3, n_out=1, kernel=None, bias=None, **dense_kwargs):
    model = Sequential([Dense(n_out, input_shape=(n_in,), **dense_kwargs)])
    if kernel is not None:
        model.set_weights([np.asarray(kernel, np.float32), np.asarray(bias, np.float32)])
    return model


def frozen(model, loss, metrics=None):
    """Compile with SGD(learning_rate=0): fitting leaves the weights unchanged."""
    model.compile(optimizer=SGD(learning_rate=0.0), loss=loss, metrics=metrics)
    return model


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- fit basics
def test_fit_reduces_loss_on_linear_regression(rng):
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3
    model = linear_model()
    model.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 30
    assert losses[-1] < 0.01 * losses[0]
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel.ravel(), [1.0, -2.0, 0.5], atol=0.05)
    np.testing.assert_allclose(bias, [0.3], atol=0.05)


def test_history_keys_lengths_and_model_history(rng):
    x = rng.normal(size=(40, 3))
    y = rng.integers(0, 2, size=(40, 1)).astype(np.float32)
    model = linear_model(activation="sigmoid")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 for values in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert model.history is history


def test_one_sgd_step_matches_hand_gradient():
    # one batch, mse, SGD: w1 = w0 - lr * dL/dw with dL/dw = 2/N * x^T (x w0 + b0 - y)
    x = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    y = np.array([[1.0], [0.0]], np.float32)
    w0, b0 = np.array([[0.5], [-0.5]], np.float32), np.array([0.1], np.float32)
    model = linear_model(2, 1, w0, b0)
    model.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    history = model.fit(x, y, epochs=1, batch_size=2, verbose=0)
    residual = x @ w0 + b0 - y
    np.testing.assert_allclose(history.history["loss"][0], np.mean(residual**2), rtol=1e-6)
    w1, b1 = model.get_weights()
    np.testing.assert_allclose(w1, w0 - 0.1 * 2 / 2 * x.T @ residual, rtol=1e-5)
    np.testing.assert_allclose(b1, b0 - 0.1 * 2 / 2 * residual.sum(axis=0), rtol=1e-5)


def test_regularization_penalty_is_added_to_the_loss():
    x = np.array([[1.0, 2.0]], np.float32)
    y = np.array([[0.0]], np.float32)
    w = np.array([[1.0], [2.0]], np.float32)
    model = linear_model(2, 1, w, [0.0], kernel_regularizer="l2")
    frozen(model, "mse")
    loss = model.evaluate(x, y, verbose=0)
    # Keras L2 default factor 0.01: penalty = 0.01 * sum(w^2) = 0.05; mse = (1 + 4)^2 = 25
    assert loss == pytest.approx(25.0 + 0.05, rel=1e-6)


# --------------------------------------------------------------------------- validation
def test_validation_split_holds_out_the_last_samples_before_shuffling():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = 2 * x
    model = linear_model(1, 1, [[1.0]], [0.0])
    frozen(model, "mse")
    seen = []
    history = model.fit(x, y, batch_size=3, epochs=1, validation_split=0.2, verbose=0,
                        callbacks=[RecordParams(seen)])
    # training on the first 8 samples (3 batches: 3 + 3 + 2), validation on x = 8, 9
    assert seen[0]["steps"] == 3
    expected_val = np.mean((x[8:] - y[8:]) ** 2)  # prediction x, target 2x
    assert history.history["val_loss"][0] == pytest.approx(expected_val)
    assert history.history["loss"][0] == pytest.approx(np.mean((x[:8] - y[:8]) ** 2))


class RecordParams(Callback):
    def __init__(self, store):
        super().__init__()
        self.store = store

    def on_train_begin(self, logs=None):
        self.store.append(dict(self.params))


def test_validation_data_and_validation_freq(rng):
    x, y = rng.normal(size=(12, 3)), rng.normal(size=(12, 1))
    model = linear_model()
    frozen(model, "mse")
    history = model.fit(x, y, epochs=4, verbose=0, validation_data=(x[:4], y[:4]),
                        validation_freq=2)
    assert len(history.history["loss"]) == 4
    assert len(history.history["val_loss"]) == 2  # epochs 2 and 4


def test_initial_epoch_resumes_numbering(rng):
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    model = frozen(linear_model(), "mse")
    history = model.fit(x, y, epochs=3, initial_epoch=1, verbose=0)
    assert history.epoch == [1, 2]


# --------------------------------------------------------------------------- data pipeline
class Recorder(Layer):
    """Passes inputs through and keeps a copy of every batch it sees."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs):
        self.seen.append(inputs.data.copy())
        return inputs


def recording_model():
    recorder = Recorder(input_shape=(1,))
    model = Sequential([recorder, Dense(1)])
    frozen(model, "mse")
    recorder.seen.clear()  # building may have run the layer once on dummy data
    return model, recorder


def test_batches_in_order_without_shuffle_and_cast_to_float32():
    x = np.arange(7, dtype=np.float64).reshape(7, 1)
    model, recorder = recording_model()
    model.fit(x, x, batch_size=3, epochs=1, shuffle=False, verbose=0)
    assert [len(b) for b in recorder.seen] == [3, 3, 1]
    assert all(b.dtype == np.float32 for b in recorder.seen)
    np.testing.assert_array_equal(np.concatenate(recorder.seen), x)


def test_shuffle_permutes_every_epoch():
    x = np.arange(20, dtype=np.float32).reshape(20, 1)
    model, recorder = recording_model()
    model.fit(x, x, batch_size=5, epochs=2, verbose=0)
    epoch1 = np.concatenate(recorder.seen[:4]).ravel()
    epoch2 = np.concatenate(recorder.seen[4:8]).ravel()
    for order in (epoch1, epoch2):
        np.testing.assert_array_equal(np.sort(order), x.ravel())
    assert not np.array_equal(epoch1, x.ravel())
    assert not np.array_equal(epoch1, epoch2)


def test_generator_and_iterable_inputs(rng):
    x, y = rng.normal(size=(12, 3)).astype(np.float32), rng.normal(size=(12, 1))

    def batches():
        while True:
            for start in range(0, 12, 4):
                yield x[start:start + 4], y[start:start + 4]

    model = frozen(linear_model(), "mse")
    history = model.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    listed = [(x[i:i + 6], y[i:i + 6]) for i in (0, 6)]
    history = model.fit(listed, epochs=2, verbose=0)
    kernel, bias = model.get_weights()
    expected = np.mean((x @ kernel + bias - y) ** 2)
    assert history.history["loss"][-1] == pytest.approx(expected, rel=1e-5)


def test_stop_training_is_honoured_after_the_current_batch(rng):
    x, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    batches = []

    def stop_after_two(batch, logs):
        batches.append(batch)
        if batch == 1:
            model.stop_training = True

    model = frozen(linear_model(), "mse")
    history = model.fit(x, y, batch_size=4, epochs=5, verbose=0,
                        callbacks=[LambdaCallback(on_train_batch_end=stop_after_two)])
    assert batches == [0, 1]
    assert len(history.history["loss"]) == 1


# --------------------------------------------------------------------------- weights
def test_sample_weight_weights_the_loss_like_keras():
    # Keras 'sum_over_batch_size': sum_i w_i * l_i / N (not divided by sum of weights)
    x = np.array([[1.0], [2.0], [3.0]], np.float32)
    y = np.zeros((3, 1), np.float32)
    model = frozen(linear_model(1, 1, [[1.0]], [0.0]), "mse")
    weights = np.array([1.0, 0.0, 2.0], np.float32)
    history = model.fit(x, y, sample_weight=weights, batch_size=3, epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx((1 * 1 + 0 * 4 + 2 * 9) / 3)


def test_class_weight_becomes_per_sample_weights():
    x = np.array([[0.0], [1.0], [2.0], [3.0]], np.float32)
    labels = np.array([0, 1, 1, 0])
    kernel, bias = np.array([[0.5, -0.5]], np.float32), np.array([0.1, 0.0], np.float32)
    model = frozen(linear_model(1, 2, kernel, bias, activation="softmax"),
                   "sparse_categorical_crossentropy")
    class_weight = {0: 1.0, 1: 3.0}
    history = model.fit(x, labels, class_weight=class_weight, batch_size=4, epochs=1,
                        verbose=0, shuffle=False)
    probabilities = softmax(x @ kernel + bias)
    per_sample = -np.log(probabilities[np.arange(4), labels])
    weights = np.array([class_weight[k] for k in labels])
    assert history.history["loss"][0] == pytest.approx((weights * per_sample).sum() / 4,
                                                       rel=1e-5)


# --------------------------------------------------------------------------- metrics
@pytest.mark.parametrize(
    "loss, labels, units, expected",
    [
        ("categorical_crossentropy", np.eye(3)[[0, 2, 1, 1]], 3, CategoricalAccuracy),
        ("sparse_categorical_crossentropy", np.array([0, 2, 1, 1]), 3,
         SparseCategoricalAccuracy),
        ("sparse_categorical_crossentropy", np.array([[0], [2], [1], [1]]), 3,
         SparseCategoricalAccuracy),
        ("binary_crossentropy", np.array([[0.0], [1.0], [1.0], [0.0]]), 1, BinaryAccuracy),
    ],
)
def test_accuracy_string_resolves_like_keras(loss, labels, units, expected, rng):
    x = rng.normal(size=(4, 2)).astype(np.float32)
    activation = "sigmoid" if units == 1 else "softmax"
    model = linear_model(2, units, activation=activation)
    frozen(model, loss, metrics=["accuracy"])
    result = model.evaluate(x, labels, verbose=0, return_dict=True)
    metric = training.get_metrics(model)[1]
    assert isinstance(metric, expected) and metric.name == "accuracy"
    predictions = model.predict(x, verbose=0)
    if units == 1:
        hits = (predictions > 0.5).astype(float) == labels
    else:
        hits = predictions.argmax(-1) == np.asarray(labels).reshape(4, -1).argmax(-1) \
            if labels.ndim == 2 and labels.shape[1] == 3 else \
            predictions.argmax(-1) == labels.reshape(-1)
    assert result["accuracy"] == pytest.approx(hits.mean())


def test_evaluate_returns_loss_or_list_like_keras():
    x = np.array([[1.0], [2.0]], np.float32)
    y = np.array([[1.0], [1.0]], np.float32)
    model = frozen(linear_model(1, 1, [[1.0]], [0.0]), "mse")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(0.5)
    frozen(model, "mse", metrics=["mae"])
    loss, mae = model.evaluate(x, y, verbose=0)
    assert (loss, mae) == (pytest.approx(0.5), pytest.approx(0.5))
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {
        "loss": pytest.approx(0.5), "mae": pytest.approx(0.5)}


def test_predict_is_batched_and_matches_the_formula(rng):
    x = rng.normal(size=(10, 3)).astype(np.float32)
    kernel, bias = rng.normal(size=(3, 2)).astype(np.float32), np.array([0.5, -1], np.float32)
    model = linear_model(3, 2, kernel, bias)
    out = model.predict(x, batch_size=4, verbose=0)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (10, 2)
    np.testing.assert_allclose(out, x @ kernel + bias, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- output
def test_verbose_modes_print_keras_style_lines(rng, capsys):
    x, y = rng.normal(size=(10, 3)), rng.normal(size=(10, 1))
    model = frozen(linear_model(), "mse")
    model.fit(x, y, epochs=2, batch_size=5, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2, batch_size=5, verbose=1, validation_data=(x, y))
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "2/2 " in out and "- loss: " in out and "- val_loss: " in out
    model.fit(x, y, epochs=1, batch_size=5, verbose=2)
    line = capsys.readouterr().out.strip()
    assert line.startswith("2/2 - ") and "/step - loss: " in line


# --------------------------------------------------------------------------- errors
def test_fit_before_compile_is_a_clear_error(rng):
    model = linear_model()
    with pytest.raises(GlassnetError, match=r"compile"):
        model.fit(rng.normal(size=(4, 3)), rng.normal(size=(4, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"compile"):
        model.evaluate(rng.normal(size=(4, 3)), rng.normal(size=(4, 1)), verbose=0)


def test_mismatched_lengths_name_both_sizes(rng):
    model = frozen(linear_model(), "mse")
    with pytest.raises(ValueError, match=r"x with 10 samples .* y with 9 samples"):
        model.fit(rng.normal(size=(10, 3)), rng.normal(size=(9, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"sample_weight"):
        model.fit(rng.normal(size=(10, 3)), rng.normal(size=(10, 1)),
                  sample_weight=np.ones(3), verbose=0)


def test_empty_data_and_bad_batch_size(rng):
    model = frozen(linear_model(), "mse")
    with pytest.raises(ValueError, match=r"empty"):
        model.fit(np.zeros((0, 3)), np.zeros((0, 1)), verbose=0)
    for bad in (0, -2, 2.5):
        with pytest.raises(ValueError, match=rf"batch_size.*{bad}"):
            model.fit(rng.normal(size=(4, 3)), rng.normal(size=(4, 1)), batch_size=bad,
                      verbose=0)
    with pytest.raises(ValueError, match=r"validation_split"):
        model.fit(rng.normal(size=(4, 3)), rng.normal(size=(4, 1)), validation_split=1.5,
                  verbose=0)
    with pytest.raises(ValueError, match=r"verbose"):
        model.fit(rng.normal(size=(4, 3)), rng.normal(size=(4, 1)), verbose=3)
    with pytest.raises(TypeError, match=r"x must be numeric"):
        model.fit(np.array([["a", "b", "c"]]), np.zeros((1, 1)), verbose=0)


def test_bad_labels_for_the_loss_are_explained(rng):
    x = rng.normal(size=(6, 2))
    model = frozen(linear_model(2, 3, activation="softmax"), "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"\[0, 3\).*max 5"):
        model.fit(x, np.array([0, 1, 2, 5, 1, 0]), verbose=0)
    with pytest.raises(ValueError, match=r"min -1"):
        model.fit(x, np.array([0, 1, 2, -1, 1, 0]), verbose=0)
    with pytest.raises(ValueError, match=r"one-hot"):
        model.fit(x, np.eye(3)[[0, 1, 2, 0, 1, 2]], verbose=0)
    with pytest.raises(ValueError, match=r"non-integer"):
        model.fit(x, np.array([0.5, 1, 2, 0, 1, 0]), verbose=0)
    frozen(model, "categorical_crossentropy")
    with pytest.raises(ValueError, match=r"one-hot labels of shape \(6, 3\).*to_categorical"):
        model.fit(x, np.array([0, 1, 2, 0, 1, 2]), verbose=0)
    binary = frozen(linear_model(2, 1, activation="sigmoid"), "binary_crossentropy")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary.evaluate(x, np.array([[0], [1], [2], [0], [1], [0]]), verbose=0)


def test_predict_on_an_empty_sequential_is_a_clear_error():
    with pytest.raises(ValueError, match=r"no layers"):
        Sequential().predict(np.zeros((2, 3)), verbose=0)


def test_a_subclass_train_step_override_is_used(rng):
    from glassnet.models import Model

    class Counting(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(1)
            self.steps = 0

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            self.steps += 1
            return training.train_step(self, data)

    model = Counting()
    frozen(model, "mse")
    model.fit(rng.normal(size=(10, 3)), rng.normal(size=(10, 1)), batch_size=4, verbose=0)
    assert model.steps == 3
