"""Metric base class: Keras 3's add_variable idiom, default reset_state, use in compile/fit."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import keras, metrics


class CategoricalTruePositives(keras.metrics.Metric):
    """The custom-metric idiom of Keras 3's "training with built-in methods" guide."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.reshape(np.argmax(y_pred, axis=1), (-1, 1))
        values = (np.asarray(y_true).astype("int32") == y_pred.astype("int32"))
        values = values.astype("float32")
        if sample_weight is not None:
            values = values * np.asarray(sample_weight, "float32").reshape(-1, 1)
        self.true_positives.assign_add(np.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0)


class RunningSum(metrics.Metric):
    """State made with add_variable and no reset_state of its own."""

    def __init__(self, name="running_sum"):
        super().__init__(name=name)
        self.total = self.add_variable((2,), initializer="ones", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(np.asarray(y_pred).sum(axis=0))

    def result(self):
        return self.total.value.sum()


def test_add_variable_makes_state_after_super_init():
    m = CategoricalTruePositives()
    assert m.variables == [m.true_positives]
    assert m.true_positives.shape == () and m.true_positives.dtype == np.float32
    m.update_state([[1], [0], [2]], [[0.1, 0.9, 0], [0.2, 0.7, 0.1], [0, 0, 1]])
    assert float(m.result()) == 2.0
    m.update_state([[1]], [[0.0, 1.0, 0.0]], sample_weight=[3.0])
    assert float(m.result()) == 5.0
    m.reset_state()
    assert float(m.result()) == 0.0


def test_default_reset_state_restores_each_variables_initializer():
    m = RunningSum()
    assert float(m.result()) == 2.0  # initializer "ones"
    m.update_state(None, [[1.0, 2.0], [3.0, 4.0]])
    assert float(m.result()) == 12.0
    m.reset_state()
    np.testing.assert_array_equal(m.total.numpy(), [1.0, 1.0])


def test_add_weight_is_the_tf_keras_2_spelling():
    m = metrics.Metric(name="m")
    count = m.add_weight("count", initializer="zeros")
    assert count.name == "count" and count.shape == ()
    count.assign_add(2)
    count.assign_sub(0.5)
    assert float(count) == 1.5


def test_custom_metric_in_compile_and_fit(rng):
    x = rng.normal(size=(48, 4)).astype("float32")
    y = rng.integers(0, 3, size=(48, 1))
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[CategoricalTruePositives()])
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    counts = history.history["categorical_true_positives"]
    assert len(counts) == 2 and all(0 <= c <= 48 for c in counts)
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    hits = (np.argmax(model.predict(x, verbose=0), axis=1) == y[:, 0]).sum()
    assert logs["categorical_true_positives"] == pytest.approx(float(hits))


def test_metric_variable_is_a_tensor():
    v = metrics.MetricVariable(np.zeros(3), name="v")
    v.assign([1.0, 2.0, 3.0])
    assert isinstance(v, gn.Tensor) and v.value is v
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0, 3.0])


def test_keras_string_names_and_vector_results_in_fit(rng):
    x = rng.normal(size=(40, 4)).astype("float32")
    y = np.eye(3)[rng.integers(0, 3, size=40)]
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy",
                  metrics=["auc", "precision", "recall", "mape", "msle",
                           keras.metrics.F1Score()])  # F1Score: one value per class
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for name in ("auc", "precision", "recall", "mape", "msle"):
        assert len(history.history[name]) == 2 and np.isfinite(history.history[name]).all()
    assert np.shape(history.history["f1_score"][-1]) == (3,)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    predictions = model.predict(x, verbose=0)
    expected = metrics.F1Score()
    expected.update_state(y, predictions)
    np.testing.assert_allclose(logs["f1_score"], expected.result().numpy(), rtol=1e-5)
    assert logs["auc"] == pytest.approx(float(metrics.AUC()(y, predictions)), rel=1e-5)
