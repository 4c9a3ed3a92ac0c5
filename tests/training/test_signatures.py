"""Model's training methods have Keras 3's signatures: parameter names, order and defaults.

Checked against keras/src/trainers/trainer.py (Keras 3) and keras.io/api/models/model_training_apis.
"""

import inspect

import pytest

from glassnet.models import Model, Sequential
from glassnet.training import Trainer

EMPTY = inspect.Parameter.empty

KERAS3 = {
    "compile": [("optimizer", "rmsprop"), ("loss", None), ("loss_weights", None),
                ("metrics", None), ("weighted_metrics", None), ("run_eagerly", False),
                ("steps_per_execution", 1), ("jit_compile", "auto"),
                ("auto_scale_loss", True)],
    "fit": [("x", None), ("y", None), ("batch_size", None), ("epochs", 1),
            ("verbose", "auto"), ("callbacks", None), ("validation_split", 0.0),
            ("validation_data", None), ("shuffle", True), ("class_weight", None),
            ("sample_weight", None), ("initial_epoch", 0), ("steps_per_epoch", None),
            ("validation_steps", None), ("validation_batch_size", None),
            ("validation_freq", 1)],
    "evaluate": [("x", None), ("y", None), ("batch_size", None), ("verbose", "auto"),
                 ("sample_weight", None), ("steps", None), ("callbacks", None),
                 ("return_dict", False), ("kwargs", EMPTY)],
    "predict": [("x", EMPTY), ("batch_size", None), ("verbose", "auto"), ("steps", None),
                ("callbacks", None)],
    "train_on_batch": [("x", EMPTY), ("y", None), ("sample_weight", None),
                       ("class_weight", None), ("return_dict", False)],
    "test_on_batch": [("x", EMPTY), ("y", None), ("sample_weight", None),
                      ("return_dict", False)],
    "predict_on_batch": [("x", EMPTY)],
    "train_step": [("data", EMPTY)],
    "test_step": [("data", EMPTY)],
    "predict_step": [("data", EMPTY)],
    "compute_loss": [("x", None), ("y", None), ("y_pred", None), ("sample_weight", None),
                     ("training", True)],
    "compute_metrics": [("x", EMPTY), ("y", EMPTY), ("y_pred", EMPTY),
                        ("sample_weight", None)],
    "get_metrics_result": [],
    "reset_metrics": [],
}


@pytest.mark.parametrize("name", sorted(KERAS3))
@pytest.mark.parametrize("cls", [Model, Sequential])
def test_signature_matches_keras3(cls, name):
    parameters = list(inspect.signature(getattr(cls, name)).parameters.values())
    assert parameters[0].name == "self"
    assert [(p.name, p.default) for p in parameters[1:]] == KERAS3[name]
    assert getattr(cls, name) is getattr(Trainer, name)


def test_evaluate_kwargs_is_var_keyword_and_unknown_ones_are_refused():
    import numpy as np

    kind = inspect.signature(Model.evaluate).parameters["kwargs"].kind
    assert kind is inspect.Parameter.VAR_KEYWORD
    model = Sequential([__import__("glassnet").layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="evaluate.*'bogus'"):
        model.evaluate(np.ones((2, 2)), np.ones((2, 1)), verbose=0, bogus=1)


def test_metrics_properties_exist_on_the_class():
    for name in ("metrics", "metrics_names", "compiled_loss", "compiled_metrics"):
        assert isinstance(inspect.getattr_static(Model, name), property), name


def test_ignored_compile_arguments_warn_when_they_cannot_be_honoured():
    import glassnet as gn

    model = gn.Sequential([gn.layers.Dense(1, input_shape=(2,))])
    with pytest.warns(UserWarning, match="steps_per_execution=4"):
        model.compile(loss="mse", steps_per_execution=4)
    with pytest.warns(UserWarning, match="jit_compile=True"):
        model.compile(loss="mse", jit_compile=True)
    model.compile(loss="mse", run_eagerly=True, jit_compile=False, auto_scale_loss=False)
    assert model.run_eagerly is True and model.jit_compile is False
    assert model.steps_per_execution == 1
