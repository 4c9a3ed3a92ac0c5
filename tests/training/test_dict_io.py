"""Dict and list inputs/outputs in compile, fit, evaluate and predict (Keras 3's rules)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.errors import GlassnetValueError
from glassnet.layers import Concatenate, Dense, Input
from glassnet.models import Model


def _two_output_model():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    h = Concatenate()([a, b])
    return Model(inputs={"a": a, "b": b},
                 outputs={"y": Dense(1, name="y_head")(h),
                          "z": Dense(3, activation="softmax", name="z_head")(h)})


def _data(rng, n=12):
    x = {"a": rng.normal(size=(n, 3)).astype("float32"),
         "b": rng.normal(size=(n, 2)).astype("float32")}
    y = {"y": rng.normal(size=(n, 1)).astype("float32"),
         "z": np.eye(3, dtype="float32")[rng.integers(0, 3, size=n)]}
    return x, y


def _by_hand(model, x, y):
    h = np.concatenate([x["a"], x["b"]], axis=1).astype(np.float64)
    ky, by = model.get_layer("y_head").get_weights()
    kz, bz = model.get_layer("z_head").get_weights()
    py = h @ ky + by
    logits = h @ kz + bz
    pz = np.exp(logits - logits.max(1, keepdims=True))
    pz /= pz.sum(1, keepdims=True)
    mse = np.mean((y["y"] - py) ** 2)
    cce = np.mean(-np.sum(y["z"] * np.log(np.clip(pz, 1e-7, 1 - 1e-7)), axis=1))
    accuracy = np.mean(pz.argmax(1) == y["z"].argmax(1))
    return mse, cce, accuracy, py, pz


def test_dict_outputs_per_output_losses_weights_and_metrics_by_hand(rng):
    model = _two_output_model()
    assert model.output_names == ["y", "z"] and model.input_names == ["a", "b"]
    model.compile(optimizer="sgd", loss={"y": "mse", "z": "categorical_crossentropy"},
                  loss_weights={"y": 2.0, "z": 0.5}, metrics={"z": ["accuracy"]})
    x, y = _data(rng)
    logs = model.evaluate(x, y, batch_size=12, verbose=0, return_dict=True)
    mse, cce, accuracy, _, _ = _by_hand(model, x, y)
    assert list(logs) == ["loss", "y_loss", "z_loss", "z_accuracy"]
    assert logs["y_loss"] == pytest.approx(2.0 * mse, rel=1e-5)  # weighted, as in the total
    assert logs["z_loss"] == pytest.approx(0.5 * cce, rel=1e-5)
    assert logs["loss"] == pytest.approx(2.0 * mse + 0.5 * cce, rel=1e-5)
    assert logs["z_accuracy"] == pytest.approx(accuracy)


def test_fit_history_uses_keras_per_output_names(rng):
    model = _two_output_model()
    model.compile(optimizer="sgd", loss={"y": "mse", "z": "categorical_crossentropy"},
                  metrics={"y": ["mae"], "z": ["accuracy"]})
    x, y = _data(rng)
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0, validation_split=0.25)
    assert set(history.history) == {
        "loss", "y_loss", "z_loss", "y_mae", "z_accuracy",
        "val_loss", "val_y_loss", "val_z_loss", "val_y_mae",
        "val_z_accuracy"}
    for epoch in range(2):  # the total is the sum of the per-output losses
        assert history.history["loss"][epoch] == pytest.approx(
            history.history["y_loss"][epoch] + history.history["z_loss"][epoch], rel=1e-5)


def test_predict_returns_a_dict_for_dict_outputs(rng):
    model = _two_output_model()
    x, y = _data(rng, n=7)
    predictions = model.predict(x, batch_size=3, verbose=0)
    assert list(predictions) == ["y", "z"]
    _, _, _, py, pz = _by_hand(model, x, y)
    np.testing.assert_allclose(predictions["y"], py, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predictions["z"], pz, rtol=1e-5, atol=1e-6)
    on_batch = model.predict_on_batch(x)
    np.testing.assert_allclose(on_batch["z"], pz, rtol=1e-5, atol=1e-6)


def test_dicts_and_lists_train_bit_identically(rng):
    x, y = _data(rng)
    results = []
    for as_dict in (True, False):
        gn.manual_seed(3)
        model = _two_output_model()
        model.compile(optimizer="adam", loss=["mse", "categorical_crossentropy"],
                      loss_weights=[1.0, 0.2])
        xs = x if as_dict else [x["a"], x["b"]]
        ys = y if as_dict else [y["y"], y["z"]]
        history = model.fit(xs, ys, epochs=2, batch_size=5, verbose=0)
        results.append((history.history, model.get_weights()))
    assert results[0][0] == results[1][0]
    for w_dict, w_list in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_array_equal(w_dict, w_list)


def test_list_outputs_with_layer_names_and_a_missing_loss(rng):
    a = Input(shape=(3,), name="img")
    score = Dense(1, name="score_output")(a)
    klass = Dense(3, activation="softmax", name="class_output")(a)
    model = Model([a], [score, klass])
    assert model.output_names == ["score_output", "class_output"]
    x = rng.normal(size=(8, 3)).astype("float32")
    targets = np.eye(3, dtype="float32")[rng.integers(0, 3, size=8)]
    for loss in ([None, "categorical_crossentropy"], {"class_output": "categorical_crossentropy"}):
        model.compile(optimizer="sgd", loss=loss)
        logs = model.evaluate({"img": x}, {"score_output": np.zeros((8, 1)),
                                           "class_output": targets},
                              batch_size=8, verbose=0, return_dict=True)
        assert list(logs) == ["loss", "class_output_loss"]
        assert logs["loss"] == pytest.approx(logs["class_output_loss"])
        # the output without a loss needs no target
        only = model.evaluate(x, {"class_output": targets}, batch_size=8, verbose=0,
                              return_dict=True)
        assert only["loss"] == pytest.approx(logs["loss"])


def test_single_output_loss_dict_trains(rng):
    """compile(loss={name: ...}) used to be accepted and then fail in fit."""
    x = Input(shape=(2,), name="x")
    model = Model(x, Dense(1, name="y")(x))
    model.compile(optimizer="sgd", loss={"y": "mse"}, metrics={"y": ["mae"]})
    data = rng.normal(size=(6, 2)).astype("float32")
    target = rng.normal(size=(6, 1)).astype("float32")
    kernel, bias = model.get_weights()
    logs = model.evaluate(data, {"y": target}, batch_size=6, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae"]
    assert logs["loss"] == pytest.approx(np.mean((data @ kernel + bias - target) ** 2), rel=1e-5)
    history = model.fit(data, target, epochs=3, batch_size=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_generator_and_train_on_batch_with_dicts(rng):
    model = _two_output_model()
    model.compile(optimizer="sgd", loss={"y": "mse", "z": "categorical_crossentropy"})
    x, y = _data(rng)

    def batches():
        for start in range(0, 12, 4):
            part = slice(start, start + 4)
            yield ({k: v[part] for k, v in x.items()}, {k: v[part] for k, v in y.items()})

    history = model.fit(batches(), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "y_loss", "z_loss"}
    logs = model.train_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "y_loss", "z_loss"}


def test_wrong_keys_are_named(rng):
    model = _two_output_model()
    x, y = _data(rng)
    model.compile(optimizer="sgd", loss={"y": "mse", "w": "mse"})
    with pytest.raises(GlassnetValueError, match=r"\['w'\].*outputs are \['y', 'z'\]"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="sgd", loss={"y": "mse", "z": "mse"})
    with pytest.raises(GlassnetValueError, match=r"keys \['q'\].*\['y', 'z'\]"):
        model.fit(x, {"y": y["y"], "q": y["z"]}, verbose=0)
    with pytest.raises(GlassnetValueError, match="output 'z' has a loss but y has no target"):
        model.fit(x, {"y": y["y"]}, verbose=0)
    with pytest.raises(GlassnetValueError, match=r"missing \['b'\]"):
        model.predict({"a": x["a"]}, verbose=0)
