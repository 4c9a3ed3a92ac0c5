"""Overridden train_step / test_step / predict_step are honoured by fit / evaluate / predict.

The idioms are Keras 3's "customizing what happens in fit" (GradientTape, compute_loss,
self.metrics, a GAN with two optimizers) and tf.keras 2's (compiled_loss, compiled_metrics).
"""

import numpy as np
import pytest

import glassnet as gn
from glassnet.callbacks import Callback
from glassnet.layers import Dense
from glassnet.models import Model, Sequential
from glassnet.optimizers import SGD


class Linear(Model):
    """y = x W + b with a custom quartic loss mean((y_pred - y)^4), trained with a tape."""

    def __init__(self):
        super().__init__()
        self.dense = Dense(1)
        self.loss_tracker = gn.metrics.Mean(name="quartic")

    def call(self, inputs, training=False):
        return self.dense(inputs)

    def train_step(self, data):
        x, y = data
        with gn.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = ((y_pred - y) ** 4).mean()
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        self.loss_tracker.update_state(loss)
        return {"quartic": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]


def test_a_custom_loss_train_step_matches_the_hand_gradient_and_trains(rng):
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)
    model = Linear()
    model.compile(optimizer=SGD(learning_rate=0.01))
    model(x[:1])
    kernel, bias = (w.astype(np.float64) for w in model.dense.get_weights())
    residual = x.astype(np.float64) @ kernel + bias - y
    delta = 4 * residual**3 / len(x)                  # dL/dy_pred of mean(r^4)
    expected_kernel = kernel - 0.01 * x.T.astype(np.float64) @ delta
    expected_bias = bias - 0.01 * delta.sum(axis=0)
    history = model.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.dense.get_weights()[0], expected_kernel, rtol=1e-5)
    np.testing.assert_allclose(model.dense.get_weights()[1], expected_bias, rtol=1e-5)
    assert history.history["quartic"][0] == pytest.approx(float((residual**4).mean()),
                                                          rel=1e-5)
    history = model.fit(x, y, batch_size=16, epochs=30, verbose=0)
    losses = history.history["quartic"]
    assert list(history.history) == ["quartic"] and losses[-1] < 0.5 * losses[0]


class GAN(Model):
    """Two sub-models and two optimizers in one train_step (Keras's GAN example, shrunk)."""

    def __init__(self, latent_dim=2):
        super().__init__()
        self.latent_dim = latent_dim
        self.generator = Sequential([Dense(8, activation="relu", input_shape=(latent_dim,)),
                                     Dense(4)])
        self.discriminator = Sequential([Dense(8, activation="relu", input_shape=(4,)),
                                         Dense(1, activation="sigmoid")])
        self.d_loss_tracker = gn.metrics.Mean(name="d_loss")
        self.g_loss_tracker = gn.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real):
        assert isinstance(real, np.ndarray)  # fit(x) without y: the batch is x itself
        n = len(real)
        noise = gn.config.rng.normal(size=(n, self.latent_dim)).astype(np.float32)
        fake = self.generator(noise).detach()
        both = np.concatenate([fake.numpy(), real])
        labels = gn.tensor(np.concatenate([np.zeros((n, 1)), np.ones((n, 1))]),
                           dtype=gn.float32)
        with gn.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(both))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights, strict=True))
        noise = gn.config.rng.normal(size=(n, self.latent_dim)).astype(np.float32)
        with gn.GradientTape() as tape:
            g_loss = self.loss_fn(gn.tensor(np.ones((n, 1), np.float32)),
                                  self.discriminator(self.generator(noise)))
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights, strict=True))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.batch_logs, self.epoch_logs = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.batch_logs.append(dict(logs))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_logs.append(dict(logs))


def test_a_gan_train_step_with_two_optimizers_trains_both_sub_models(rng):
    real = (rng.normal(size=(64, 4)) * 0.5 + 2.0).astype(np.float32)
    gan = GAN()
    gan.compile(SGD(0.05), SGD(0.05), gn.losses.BinaryCrossentropy())
    generator_before = [w.copy() for w in gan.generator.get_weights()]
    discriminator_before = [w.copy() for w in gan.discriminator.get_weights()]
    recorder = Recorder()
    history = gan.fit(real, batch_size=16, epochs=3, verbose=0, callbacks=[recorder])
    assert set(history.history) == {"d_loss", "g_loss"}
    for key in ("d_loss", "g_loss"):
        assert len(history.history[key]) == 3 and np.all(np.isfinite(history.history[key]))
    assert all(isinstance(v, float) for logs in recorder.batch_logs for v in logs.values())
    assert len(recorder.batch_logs) == 12 and set(recorder.batch_logs[-1]) == {"d_loss", "g_loss"}
    assert recorder.epoch_logs == [{k: v[i] for k, v in history.history.items()}
                                   for i in range(3)]
    for before, after in ((generator_before, gan.generator.get_weights()),
                          (discriminator_before, gan.discriminator.get_weights())):
        assert all(not np.allclose(b, a) for b, a in zip(before, after, strict=True))


class Scored(Model):
    def __init__(self):
        super().__init__()
        self.dense = Dense(2, kernel_initializer="ones", bias_initializer="zeros")
        self.seen = []

    def call(self, inputs, training=False):
        return self.dense(inputs)

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        return {"score": float((y_pred.numpy() - y).sum()), "rows": len(x)}

    def predict_step(self, data):
        self.seen.append(type(data))
        return self(data, training=False) * 2.0  # a Tensor: predict turns it into arrays


def test_custom_test_step_and_predict_step_are_honoured(rng):
    x = rng.normal(size=(10, 3)).astype(np.float32)
    y = rng.normal(size=(10, 2)).astype(np.float32)
    model = Scored()
    model.compile(optimizer="sgd", loss="mse")
    logs = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    last = x[8:].sum(axis=1, keepdims=True) * np.ones((1, 2)) - y[8:]
    assert logs == {"score": pytest.approx(float(last.sum()), rel=1e-5), "rows": 2}
    assert model.evaluate(x, y, batch_size=4, verbose=0) == [logs["score"], 2]
    predictions = model.predict(x, batch_size=4, verbose=0)
    np.testing.assert_allclose(predictions, 2 * x.sum(axis=1, keepdims=True) * np.ones((1, 2)),
                               rtol=1e-6)
    assert model.seen == [np.ndarray] * 3
    np.testing.assert_allclose(model.predict_on_batch(x[:2]), predictions[:2], rtol=1e-6)
    assert model.test_on_batch(x[:3], y[:3], return_dict=True)["rows"] == 3


class Keras3Idiom(Model):
    """self.compute_loss + a loop over self.metrics (the compiled metrics must exist)."""

    def __init__(self):
        super().__init__()
        self.dense = Dense(1)

    def call(self, inputs, training=False):
        return self.dense(inputs)

    def train_step(self, data):
        x, y = data
        with gn.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_the_keras3_metrics_loop_sees_compiled_metrics_and_the_progress_bar_shows_them(
        rng, capsys):
    x = rng.normal(size=(12, 3)).astype(np.float32)
    y = rng.normal(size=(12, 1)).astype(np.float32)
    model = Keras3Idiom()
    model.compile(optimizer=SGD(0.0), loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "loss:" in out and "mae:" in out
    assert list(history.history) == ["loss", "mae"] and model.metrics_names == ["loss", "mae"]
    error = model.predict(x, verbose=0) - y  # learning rate 0: the model never changed
    assert history.history["mae"][-1] == pytest.approx(float(np.abs(error).mean()), rel=1e-5)
    assert history.history["loss"][-1] == pytest.approx(float((error**2).mean()), rel=1e-5)


class TfKeras2Idiom(Sequential):
    def train_step(self, data):
        x, y = data
        with gn.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables, strict=True))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_the_tf_keras2_idiom_gives_the_default_fit_results(rng):
    x = rng.normal(size=(20, 3)).astype(np.float32)
    labels = rng.integers(0, 3, size=20)
    results = []
    for cls in (Sequential, TfKeras2Idiom):
        gn.manual_seed(7)
        model = cls([Dense(3, activation="softmax", input_shape=(3,),
                           kernel_regularizer="l2")])
        model.compile(optimizer=SGD(0.1), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        history = model.fit(x, labels, batch_size=5, epochs=2, verbose=0)
        results.append((history.history, model.get_weights()))
    (default_logs, default_weights), (custom_logs, custom_weights) = results
    assert list(custom_logs) == ["loss", "accuracy"]
    for key in default_logs:
        np.testing.assert_allclose(custom_logs[key], default_logs[key], rtol=1e-6)
    for a, b in zip(default_weights, custom_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_generator_keeps_its_first_batch_when_a_custom_step_builds_metrics(rng):
    batches = [(rng.normal(size=(4, 3)).astype(np.float32), rng.integers(0, 2, size=(4, 1)))
               for _ in range(3)]
    seen = []

    class Counting(Keras3Idiom):
        def train_step(self, data):
            seen.append(data[0])
            return super().train_step(data)

    model = Counting()
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit((batch for batch in batches), epochs=1, verbose=0)
    assert len(seen) == 3 and all(a is not None for a in seen)
    np.testing.assert_array_equal(seen[0], batches[0][0])
    assert isinstance(model.metrics[1], gn.metrics.BinaryAccuracy)


def test_compile_without_a_loss_trains_on_add_loss_alone(rng):
    class Penalized(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(1, kernel_initializer="ones", bias_initializer="zeros")

        def call(self, inputs, training=False):
            outputs = self.dense(inputs)
            self.add_loss((outputs**2).mean())
            return outputs

    x = rng.normal(size=(8, 2)).astype(np.float32)
    model = Penalized()
    model.compile(optimizer=SGD(0.1))
    history = model.fit(x, np.zeros((8, 1), np.float32), batch_size=8, epochs=5, verbose=0)
    losses = history.history["loss"]
    assert losses[0] == pytest.approx(float((x.sum(axis=1) ** 2).mean()), rel=1e-5)
    assert losses[-1] < losses[0]
