"""Bad input everywhere it can enter: one table, each row a call, the error class it must
raise and words its message must contain (the argument or layer, what was expected, what was
received).

Broken variants checked: (1) the table was run against a copy of the tree in which the
library files changed for this issue were put back to their previous version: all 18 rows for
user shapes, NaN/inf, to_categorical, initial_epoch, loss_weights, EarlyStopping patience,
gradcheck and manual_seed (marked "fix") failed, the others passed. (2) with
training._check_lengths, _check_batch_size and _check_targets made no-ops and difflib's
suggestions emptied (monkeypatched), the 20 rows on lengths, batch sizes, labels and unknown
names failed. (3) with training._check_finite a no-op, the 7 NaN/inf rows failed.
"""

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import callbacks, datasets, losses, optimizers, schedules, utils
from glassnet.config import config, using_config
from glassnet.errors import (
    GlassnetTypeError,
    GlassnetValueError,
    ShapeError,
    UnknownIdentifierError,
)
from glassnet.layers import Activation, Dense, Dropout, Embedding, Flatten, Input, Reshape
from glassnet.models import Sequential

X = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
Y = np.array([0, 1, 1, 0, 1, 0, 0, 1])


def model(units=2, activation="softmax", loss="sparse_categorical_crossentropy", **compile_args):
    m = Sequential([Dense(4, input_shape=(3,), name="hidden"),
                    Dense(units, activation=activation, name="out")])
    m.compile(optimizer="sgd", loss=loss, **compile_args)
    return m


def fit(x=X, y=Y, m=None, **kwargs):
    return (m or model()).fit(x, y, verbose=0, **kwargs)


def with_x(value):
    x = X.copy()
    x[2, 1] = value
    return x


def with_mode(mode, call):
    with using_config("check_inputs", mode):
        call()


def raising(call):
    return lambda: with_mode("raise", call)


def built_dense():
    layer = Dense(2, name="probe")
    layer(X)
    return layer


def custom_metric_model():
    m = Sequential([Dense(2, input_shape=(3,))])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["acuracy"])
    return m


CASES = [
    # ---------------------------------------------------------------- shapes and ranks
    ("feature size", lambda: fit(np.ones((8, 5))), ShapeError, ["hidden", "3", "(8, 5)"]),
    ("rank 3 into Dense", lambda: fit(np.ones((8, 3, 2))), ShapeError, ["hidden", "(8, 3, 2)"]),
    ("predict rank 1", lambda: model().predict(np.ones(3), verbose=0), ShapeError,
     ["hidden", "rank", "(3,)"]),
    ("predict scalar", lambda: model().predict(np.float32(1), verbose=0), ShapeError,
     ["predict", "batch dimension", "scalar"]),
    ("flatten mismatch", lambda: Sequential([Flatten(input_shape=(2, 2)), Dense(1, name="d")])
     .predict(np.ones((3, 3, 3)), verbose=0), ShapeError, ["'d'", "4", "(3, 9)"]),
    ("reshape mismatch", lambda: Sequential([Reshape((4, 4), input_shape=(3,), name="r")])
     .predict(X, verbose=0), ShapeError, ["'r'", "(3,)", "(4, 4)"]),
    ("set_weights shape", lambda: built_dense().set_weights([np.ones((2, 2)), np.ones(2)]),
     ShapeError, ["probe", "(3, 2)", "(2, 2)"]),
    ("set_weights count", lambda: built_dense().set_weights([np.ones((3, 2))]),
     GlassnetValueError, ["probe", "expected 2 arrays", "received 1"]),
    ("matmul", lambda: gn.tensor(np.ones((2, 3))) @ gn.tensor(np.ones((2, 3))), ShapeError,
     ["matmul", "(2, 3)", "3", "2"]),
    ("broadcast", lambda: gn.tensor(np.ones((2, 3))) + gn.tensor(np.ones(4)), ShapeError,
     ["Add", "(2, 3)", "(4,)"]),
    ("backward non-scalar", lambda: (gn.tensor(np.ones(3), requires_grad=True) * 2).backward(),
     ShapeError, ["backward()", "one element", "(3,)"]),
    ("loss shapes", lambda: losses.get("mse")(gn.tensor(np.ones((4, 2))),
                                              gn.tensor(np.ones((4, 3)))),
     ShapeError, ["mean_squared_error", "(4, 2)", "(4, 3)"]),
    ("optimizer grad shape", lambda: optimizers.SGD().apply_gradients(
        [(gn.tensor(np.ones(3)), gn.tensor(np.ones(2)))]), ShapeError, ["SGD", "(3,)", "(2,)"]),
    # ---------------------------------------------------------------- user shapes (fix)
    ("Input shape str", lambda: Input(shape="abc"), GlassnetTypeError,
     ["Input", "shape", "positive integers", "'abc'"]),
    ("Input shape negative", lambda: Input(shape=(-3,)), GlassnetValueError,
     ["Input", "shape", "positive integers", "(-3,)"]),
    ("input_shape zero", lambda: Dense(2, input_shape=(0,), name="z"), GlassnetValueError,
     ["'z'", "input_shape", "positive integers", "(0,)"]),
    ("build str", lambda: Sequential([Dense(2)], name="s").build("abc"), GlassnetTypeError,
     ["'s'.build", "input_shape", "positive integers", "'abc'"]),
    # ---------------------------------------------------------------- NaN / inf (fix)
    ("NaN in x", raising(lambda: fit(with_x(np.nan))), GlassnetValueError,
     ["fit", "x contains 1 NaN", "(2, 1)", "finite", "check_inputs"]),
    ("inf in x, evaluate", raising(lambda: model().evaluate(with_x(np.inf), Y, verbose=0)),
     GlassnetValueError, ["evaluate", "x contains 0 NaN and 1 infinite", "finite"]),
    ("NaN in x, predict", raising(lambda: model().predict(with_x(np.nan), verbose=0)),
     GlassnetValueError, ["predict", "x contains 1 NaN", "finite"]),
    ("inf in y", raising(lambda: fit(y=np.full((8, 2), np.inf), m=model(loss="mse"))),
     GlassnetValueError, ["fit", "y contains", "16 infinite", "finite"]),
    ("NaN in sample_weight", raising(lambda: fit(sample_weight=np.full(8, np.nan))),
     GlassnetValueError, ["fit", "sample_weight contains 8 NaN", "finite"]),
    ("NaN in a generator batch", raising(lambda: model(loss="mse").fit(
        iter([(with_x(np.nan), np.ones((8, 2)))]), verbose=0)), GlassnetValueError,
     ["fit", "x contains 1 NaN"]),
    ("bad check_inputs mode", lambda: with_mode("loud", fit), GlassnetValueError,
     ["check_inputs", "'warn'", "'loud'"]),
    # ---------------------------------------------------------------- labels vs loss
    ("labels out of range", lambda: fit(y=Y + 5), GlassnetValueError,
     ["sparse_categorical_crossentropy", "[0, 2)", "max 6"]),
    ("negative labels", lambda: fit(y=Y - 3), GlassnetValueError,
     ["sparse_categorical_crossentropy", "[0, 2)", "min -3"]),
    ("float labels for sparse", lambda: fit(y=Y + 0.5), GlassnetValueError,
     ["sparse_categorical_crossentropy", "integer class labels", "non-integer"]),
    ("one-hot for sparse", lambda: fit(y=np.eye(2)[Y]), GlassnetValueError,
     ["sparse_categorical_crossentropy", "(8,)", "one-hot", "(8, 2)"]),
    ("integers for categorical", lambda: fit(m=model(loss="categorical_crossentropy")),
     GlassnetValueError, ["categorical_crossentropy", "(8, 2)", "(8,)", "to_categorical"]),
    ("binary labels of 2", lambda: fit(y=Y * 2, m=model(1, "sigmoid", "binary_crossentropy")),
     GlassnetValueError, ["binary_crossentropy", "[0, 1]", "to 2"]),
    ("direct loss labels", lambda: losses.get("sparse_categorical_crossentropy")(
        gn.tensor(np.array([0, 5])), gn.tensor(np.ones((2, 3)) / 3)), GlassnetValueError,
     ["sparse_categorical_crossentropy", "[0, 3)", "[0, 5]"]),
    ("to_categorical range (fix)", lambda: utils.to_categorical([0, 5], 3), GlassnetValueError,
     ["to_categorical", "num_classes=3", "5"]),
    ("to_categorical fractions (fix)", lambda: utils.to_categorical([0.5, 1], 3),
     GlassnetValueError, ["to_categorical", "whole numbers", "0.5"]),
    ("embedding floats", lambda: Embedding(10, 3, name="emb")(np.full((2, 3), 0.5, "f4")),
     GlassnetTypeError, ["emb", "integer", "float32"]),
    ("embedding index", lambda: Embedding(10, 3, name="emb")(np.array([[1, 12]])),
     GlassnetValueError, ["emb", "12", "0..9"]),
    # ---------------------------------------------------------------- data arguments
    ("empty dataset", lambda: fit(np.zeros((0, 3)), np.zeros(0)), GlassnetValueError,
     ["fit", "empty", "(0, 3)", "at least one sample"]),
    ("batch_size 0", lambda: fit(batch_size=0), GlassnetValueError,
     ["batch_size", "positive integer", "batch_size=0"]),
    ("batch_size -1", lambda: model().predict(X, batch_size=-1, verbose=0), GlassnetValueError,
     ["predict", "batch_size", "positive integer", "-1"]),
    ("batch_size float", lambda: fit(batch_size=2.5), GlassnetValueError,
     ["batch_size", "positive integer", "2.5"]),
    ("x/y lengths", lambda: fit(y=Y[:5]), GlassnetValueError,
     ["x and y", "8 samples", "5 samples"]),
    ("evaluate lengths", lambda: model().evaluate(X, Y[:3], verbose=0), GlassnetValueError,
     ["evaluate", "8 samples", "3 samples"]),
    ("sample_weight length", lambda: fit(sample_weight=np.ones(3)), GlassnetValueError,
     ["sample_weight", "(8)", "(3,)"]),
    ("string x", lambda: fit(np.array([["a"] * 3] * 8)), GlassnetTypeError,
     ["fit", "x", "numeric", "<U1"]),
    ("string y", lambda: fit(y=np.array(["a"] * 8)), GlassnetTypeError,
     ["fit", "y", "numeric", "<U1"]),
    ("x None", lambda: model().predict(None, verbose=0), GlassnetValueError,
     ["predict", "x is required", "None"]),
    ("epochs -1", lambda: fit(epochs=-1), GlassnetValueError,
     ["epochs", "non-negative integer", "-1"]),
    ("initial_epoch past epochs (fix)", lambda: fit(epochs=2, initial_epoch=5),
     GlassnetValueError, ["initial_epoch", "[0, epochs=2]", "5"]),
    ("verbose 5", lambda: model().fit(X, Y, verbose=5),
     GlassnetValueError, ["verbose", "0, 1 or 2", "5"]),
    ("validation_split 1.5", lambda: fit(validation_split=1.5), GlassnetValueError,
     ["validation_split", "[0, 1)", "1.5"]),
    ("validation_data length", lambda: fit(validation_data=(X, Y, Y, Y)), GlassnetValueError,
     ["validation_data", "(x_val, y_val)", "length 4"]),
    ("class_weight list", lambda: fit(class_weight=[1, 2]), GlassnetTypeError,
     ["class_weight", "dict", "list"]),
    ("steps_per_epoch 0", lambda: fit(steps_per_epoch=0), GlassnetValueError,
     ["steps_per_epoch", "positive integer", "0"]),
    # ---------------------------------------------------------------- model state
    ("predict on empty Sequential", lambda: Sequential().predict(X, verbose=0),
     GlassnetValueError, ["predict", "no layers", "model.add"]),
    ("fit before compile", lambda: Sequential([Dense(1)]).fit(X, Y, verbose=0),
     GlassnetValueError, ["fit", "compiled", "model.compile("]),
    ("compile without loss", lambda: model(loss=None).evaluate(X, Y, verbose=0),
     GlassnetValueError, ["no loss", "compile(loss="]),
    ("count_params unbuilt", lambda: Dense(2, name="u").count_params(), GlassnetValueError,
     ["'u'", "not built"]),
    ("Sequential.add non-layer", lambda: Sequential().add("dense"), GlassnetTypeError,
     ["Sequential.add", "Layer", "'dense'"]),
    ("loss_weights (fix)", lambda: model(loss_weights="a"), GlassnetTypeError,
     ["loss_weights", "number", "'a'"]),
    ("metrics not a list", lambda: model(metrics="accuracy"), GlassnetTypeError,
     ["metrics", "list", "metrics=['accuracy']"]),
    # ---------------------------------------------------------------- identifiers
    ("optimizer name", lambda: model().compile(optimizer="adamm", loss="mse"),
     UnknownIdentifierError, ["optimizer", "'adamm'", "Did you mean 'adam'"]),
    ("loss name", lambda: model(loss="mse2"), UnknownIdentifierError,
     ["loss", "'mse2'", "Did you mean 'mse'"]),
    ("metric name", lambda: custom_metric_model().fit(X, Y, verbose=0),
     UnknownIdentifierError, ["metric", "'acuracy'", "Did you mean 'accuracy'"]),
    ("activation name", lambda: Dense(3, activation="relux"), UnknownIdentifierError,
     ["activation", "'relux'", "Did you mean 'relu'"]),
    ("Activation layer name", lambda: Activation("sigmoidd"), UnknownIdentifierError,
     ["activation", "'sigmoidd'", "'sigmoid'"]),
    ("initializer name", lambda: Dense(3, kernel_initializer="glorot_unifrm"),
     UnknownIdentifierError, ["initializer", "'glorot_unifrm'", "'glorot_uniform'"]),
    ("regularizer name", lambda: Dense(3, kernel_regularizer="l3"), UnknownIdentifierError,
     ["regularizer", "'l3'", "'l2'"]),
    ("loss of the wrong type", lambda: model(loss=3), GlassnetTypeError,
     ["losses.get", "a name", "int 3"]),
    # ---------------------------------------------------------------- layer / optimizer args
    ("Dense units 0", lambda: Dense(0, name="d0"), GlassnetValueError,
     ["'d0'", "units", "positive integer", "0"]),
    ("Dense units str", lambda: Dense("10", name="d1"), GlassnetValueError,
     ["'d1'", "units", "'10'"]),
    ("Dropout rate", lambda: Dropout(1.5, name="dr"), GlassnetValueError,
     ["'dr'", "rate", "[0, 1)", "1.5"]),
    ("layer dtype int", lambda: Dense(2, dtype="int32", name="di"), GlassnetTypeError,
     ["'di'", "dtype", "float", "int32"]),
    ("learning_rate negative", lambda: optimizers.SGD(learning_rate=-1), GlassnetValueError,
     ["SGD", "learning_rate", ">= 0", "-1"]),
    ("momentum 2", lambda: optimizers.SGD(momentum=2.0), GlassnetValueError,
     ["SGD", "momentum", "[0, 1]", "2.0"]),
    ("beta_1", lambda: optimizers.Adam(beta_1=1.5), GlassnetValueError,
     ["Adam", "beta_1", "[0, 1)", "1.5"]),
    ("decay_steps 0", lambda: schedules.ExponentialDecay(0.1, 0, 0.9), GlassnetValueError,
     ["ExponentialDecay", "decay_steps", "> 0", "0"]),
    ("EarlyStopping patience (fix)", lambda: callbacks.EarlyStopping(patience=-1),
     GlassnetValueError, ["EarlyStopping", "patience", "non-negative integer", "-1"]),
    ("EarlyStopping mode", lambda: callbacks.EarlyStopping(mode="minn"), GlassnetValueError,
     ["EarlyStopping", "mode", "'min'", "'minn'"]),
    ("callbacks of str", lambda: fit(callbacks=["earlystop"]), GlassnetTypeError,
     ["callbacks", "Callback", "str"]),
    # ---------------------------------------------------------------- tensors
    ("integer requires_grad", lambda: gn.tensor([1, 2], requires_grad=True), GlassnetTypeError,
     ["requires_grad", "floating-point", "int64"]),
    ("integer optimizer parameter", lambda: optimizers.SGD().apply_gradients(
        [(gn.tensor([1]), gn.tensor([1]))]), GlassnetTypeError,
     ["SGD", "floating-point", "int64"]),
    ("gradcheck of integers (fix)", lambda: gn.gradcheck(lambda a: a * 2, gn.tensor([1, 2])),
     GlassnetTypeError, ["gradcheck", "floating-point", "int64"]),
    ("string tensor", lambda: gn.tensor("abc"), GlassnetTypeError,
     ["glassnet.tensor", "numbers", "str"]),
    ("ragged tensor", lambda: gn.tensor([[1, 2], [3]]), GlassnetTypeError,
     ["glassnet.tensor", "numbers", "list"]),
    ("manual_seed (fix)", lambda: gn.manual_seed(-1), GlassnetValueError,
     ["manual_seed", "non-negative integer", "-1"]),
    ("transpose axes", lambda: gn.tensor(np.ones((2, 3))).transpose(0, 2), ShapeError,
     ["transpose", "(0, 2)", "(2, 3)"]),
    # ---------------------------------------------------------------- files and data sets
    ("mnist path", lambda: datasets.mnist.load_data(path="/nonexistent/m.npz"),
     FileNotFoundError, ["/nonexistent/m.npz", "x_train"]),
    ("cifar records", lambda: datasets.cifar10.parse_records(bytes(100), "blob"),
     gn.FileFormatError, ["blob", "100 bytes", "3073"]),
]


@pytest.mark.parametrize("call, error, words", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_raises_a_specific_error_naming_what_and_why(call, error, words):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            call()
    if error is not FileNotFoundError:
        assert isinstance(info.value, gn.GlassnetError)
    message = str(info.value)
    missing = [w for w in words if w not in message]
    assert not missing, f"{missing} not in: {message}"


def test_the_table_is_large_enough():
    assert len(CASES) >= 40


def test_nan_inputs_warn_by_default_and_can_be_ignored():
    """Broken variant checked: with training._check_finite a no-op this failed."""
    with pytest.warns(RuntimeWarning, match=r"fit: x contains 1 NaN .*check_inputs"):
        fit(with_x(np.nan))
    with using_config("check_inputs", "ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="ignore"):
            fit(with_x(np.nan))  # no warning at all
    assert config.check_inputs == "warn"
