"""ARCHITECTURE.md's recipes, carried out: a toy op, layer, optimizer, loss and callback, each
added exactly the way its recipe says, then used end to end.

The toys are defined here instead of in the package, but with the same code a recipe asks
for in the package's file (same base class, same decorator, same registry); each test removes
its toy from the registry afterwards so that no other test sees it.
"""

import numpy as np
import pytest

import glassnet as gn
from glassnet import callbacks, losses, optimizers
from glassnet.callbacks.base import Callback
from glassnet.callbacks.base import register as register_callback
from glassnet.errors import HigherOrderError
from glassnet.layers.base import Layer
from glassnet.layers.serialization import REGISTRY as LAYER_REGISTRY
from glassnet.layers.serialization import register_layer
from glassnet.optimizers.base import Optimizer, check_hyper
from glassnet.optimizers.base import register as register_optimizer
from glassnet.tensor import Function, Tensor, grad
from tests.conftest import assert_gradcheck


# ============================================================================ an op
class CubeFunction(Function):
    """y = x^3;  dy/dx = 3 x^2 (backward with Tensor ops: differentiable again)."""

    def forward(self, x):
        return x * x * x

    def backward(self, gy):
        x = self.inputs[0]
        return gy * 3 * x * x


def cube(x):
    return CubeFunction()(x)


class FastCubeFunction(Function):
    """y = x^3 with its backward on arrays: first order only, and it says so."""

    higher_order = False
    higher_order_hint = "use cube(x), whose backward is written with Tensor ops"

    def forward(self, x):
        return x * x * x

    def backward(self, gy):
        return Tensor(gy.data * 3 * self.inputs[0].data ** 2)


def test_recipe_add_an_op(rng):
    x = gn.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    assert_gradcheck(cube, x)
    assert gn.gradgradcheck(cube, x) is True
    (dx,) = grad(cube(x).sum(), x, create_graph=True)
    (ddx,) = grad(dx.sum(), x)
    np.testing.assert_allclose(ddx.data, 6 * x.data)  # d2/dx2 x^3 = 6x, by formula
    assert_gradcheck(lambda t: FastCubeFunction()(t), x)
    with pytest.raises(HigherOrderError, match="FastCubeFunction.*use cube"):
        grad(FastCubeFunction()(x).sum(), x, create_graph=True)


# ============================================================================ a layer
@register_layer
class ToyScale(Layer):
    """y = x * w, one weight per feature (a diagonal Dense)."""

    def __init__(self, initial_value=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial_value = initial_value

    def build(self, input_shape):
        self.scale = self.add_weight("scale", (input_shape[-1],),
                                     gn.initializers.Constant(self.initial_value))

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {**super().get_config(), "initial_value": self.initial_value}


@pytest.fixture
def toy_layer_registered():
    yield ToyScale
    LAYER_REGISTRY.unregister(ToyScale)
    assert "ToyScale" not in LAYER_REGISTRY.names()


def test_recipe_add_a_layer(toy_layer_registered, tmp_path, rng):
    assert gn.layers.get_layer_class("ToyScale") is ToyScale
    layer = ToyScale(2.0, input_shape=(3,))
    x = rng.normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(layer(x).numpy(), 2.0 * x)
    assert_gradcheck(lambda t: ToyScale(1.5, dtype="float64")(t), gn.tensor(x.astype("float64")))

    model = gn.Sequential([ToyScale(0.5, input_shape=(3,)), gn.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, x.sum(axis=1, keepdims=True), epochs=2, verbose=0)
    path = tmp_path / "toy.glassnet"
    model.save(path)
    restored = gn.models.load_model(path)  # rebuilt from the registry by name
    assert isinstance(restored.layers[0], ToyScale)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


# ============================================================================ an optimizer
@register_optimizer
class ToySignSGD(Optimizer):
    """Sign descent: w <- w - lr * sign(g) (+ a constant ``nudge`` added to g)."""

    hyper_names = ("nudge",)

    def __init__(self, learning_rate=0.01, nudge=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.nudge = check_hyper("ToySignSGD", "nudge", nudge, lambda v: v >= 0, "a float >= 0")

    def init_state(self, variable):
        return {"steps": np.zeros_like(variable)}

    def update_step(self, grad, variable, state, learning_rate):
        state["steps"] += 1                                           # how often updated
        variable -= learning_rate * np.sign(grad + self.nudge)        # w -= lr sign(g + nudge)


@pytest.fixture
def toy_optimizer_registered():
    yield ToySignSGD
    optimizers.base.REGISTRY.unregister(ToySignSGD)
    assert "toysignsgd" not in optimizers.base.REGISTRY.names()


def test_recipe_add_an_optimizer(toy_optimizer_registered, tmp_path):
    assert isinstance(optimizers.get("ToySignSGD"), ToySignSGD)
    with pytest.raises(gn.GlassnetError, match="nudge"):
        ToySignSGD(nudge=-1.0)
    w = gn.tensor([1.0, -2.0, 3.0], dtype=gn.float64, requires_grad=True)
    g = np.array([0.5, -0.25, 0.0])
    ToySignSGD(learning_rate=0.1).apply_gradients([(gn.tensor(g), w)])
    np.testing.assert_allclose(w.data, [1.0 - 0.1, -2.0 + 0.1, 3.0])  # sign(0) = 0

    x = np.eye(3, dtype="float32")
    model = gn.Sequential([gn.layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer="toysignsgd", loss="mse")
    model.fit(x, np.ones((3, 1), "float32"), epochs=2, batch_size=3, verbose=0)
    assert isinstance(model.optimizer, ToySignSGD) and model.optimizer.iterations == 2
    model.save(tmp_path / "m.glassnet")
    restored = gn.models.load_model(tmp_path / "m.glassnet")
    assert isinstance(restored.optimizer, ToySignSGD)
    assert restored.optimizer.iterations == 2


# ============================================================================ a loss
@losses.register("toy_mean_quartic_error", "tmqe")
class ToyMeanQuarticError(losses.Loss):
    """mean((y_true - y_pred)^4) over the last axis."""

    def __init__(self, reduction="sum_over_batch_size", name="toy_mean_quartic_error",
                 dtype=None):
        super().__init__(reduction, name, dtype)

    def call(self, y_true, y_pred):
        d = gn.tensor(y_pred) - y_true if not isinstance(y_pred, Tensor) else y_pred - y_true
        return (d * d * d * d).mean(axis=-1)


@pytest.fixture
def toy_loss_registered():
    yield ToyMeanQuarticError
    losses.REGISTRY.unregister(ToyMeanQuarticError)
    assert "tmqe" not in losses.REGISTRY.names()


def test_recipe_add_a_loss(toy_loss_registered, rng):
    loss = losses.get("tmqe")
    assert isinstance(loss, ToyMeanQuarticError)
    y_true, y_pred = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    expected = np.mean(np.mean((y_true - y_pred) ** 4, axis=-1))
    np.testing.assert_allclose(loss(y_true, gn.tensor(y_pred)).item(), expected, rtol=1e-12)
    assert_gradcheck(lambda p: loss(y_true, p), gn.tensor(y_pred))
    assert losses.deserialize(losses.serialize(loss)).name == "toy_mean_quartic_error"

    x = rng.normal(size=(64, 2)).astype("float32")
    model = gn.Sequential([gn.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer=gn.optimizers.SGD(0.01), loss="toy_mean_quartic_error")
    history = model.fit(x, x[:, :1] * 0.5, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# ============================================================================ a callback
@register_callback
class ToyStopBelow(Callback):
    """Stop training once the epoch's loss is below ``threshold``."""

    def __init__(self, threshold=0.1):
        super().__init__()
        self.threshold = threshold
        self.stopped_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        if logs["loss"] < self.threshold:
            self.stopped_epoch = epoch
            self.model.stop_training = True


@pytest.fixture
def toy_callback_registered():
    yield ToyStopBelow
    callbacks.REGISTRY.unregister(ToyStopBelow)
    assert "ToyStopBelow" not in callbacks.REGISTRY.names()


def test_recipe_add_a_callback(toy_callback_registered, rng):
    assert isinstance(callbacks.get("ToyStopBelow"), ToyStopBelow)
    stop = callbacks.deserialize({"class_name": "ToyStopBelow", "config": {"threshold": 1e9}})
    x = rng.normal(size=(32, 2)).astype("float32")
    model = gn.Sequential([gn.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, x[:, :1], epochs=10, verbose=0, callbacks=[stop])
    assert stop.stopped_epoch == 0 and len(history.history["loss"]) == 1
