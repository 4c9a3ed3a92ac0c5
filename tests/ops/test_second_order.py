"""Every Function in glassnet is either differentiable to second order or refuses to pretend.

``CASES`` maps each op class name to case builders ``rng -> (fn, inputs)``; each case runs
``gn.gradgradcheck`` (float64 Hessian-vector products against central differences of the first
derivative) and checks that the op really is in the graph of ``fn`` or of its create_graph
gradient. ``FIRST_ORDER_ONLY`` lists the ops that must raise HigherOrderError under
create_graph. An op class defined anywhere in glassnet that is in neither table fails
:func:`test_every_function_is_covered`, so a new op cannot be added without its check.
"""

import importlib
import pkgutil

import numpy as np
import pytest

import glassnet as gn
import glassnet.functional as F
from glassnet.errors import GlassnetError, HigherOrderError
from glassnet.ops import nn, recurrent
from glassnet.ops.dense import dense, dense_activation
from glassnet.ops.embedding import EmbeddingLookupFunction
from glassnet.ops.math import cast
from glassnet.ops.sync_normalization import sync_batch_norm
from glassnet.tensor import Function, grad


def _defined_in_glassnet():
    """Every concrete Function subclass defined in a glassnet module (all modules imported)."""
    for module in pkgutil.walk_packages(gn.__path__, "glassnet."):
        try:
            importlib.import_module(module.name)
        except ImportError:  # an optional dependency (matplotlib ...) that is not installed
            continue
    found, stack = {}, list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("glassnet.") and cls.forward is not Function.forward:
            found[cls.__name__] = cls
    return found


def u(rng, *shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape)


def away_from_zero(rng, *shape):
    """Values in +-[0.2, 1]: no kink of relu/abs/leaky relu within a finite-difference step."""
    return rng.uniform(0.2, 1.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def probabilities(rng, *shape):
    p = rng.uniform(0.1, 1.0, size=shape)
    return p / p.sum(axis=-1, keepdims=True)


def _derivative_of(f, *, weights_seed=1):
    """x -> d sum(f(x) * w) / dx with create_graph=True: its gradgradcheck is third order.

    The names of the ops in f's own graph are kept in ``gradient.inner_ops``.
    """

    def gradient(x):
        y = f(x)
        gradient.inner_ops.update(_graph_ops([y]))
        w = gn.tensor(np.random.default_rng(weights_seed).uniform(0.5, 1.5, size=y.shape))
        (gx,) = grad((y * w).sum(), x, create_graph=True)
        return gx

    gradient.inner_ops = set()
    return gradient


def _pool_case(pool, **kwargs):
    return lambda rng: (lambda x: pool(x, **kwargs) ** 2, [u(rng, 2, 4, 6, 2)])


MAX_POOL = [
    _pool_case(F.max_pool2d),                                          # windows tile
    _pool_case(F.max_pool2d, pool_size=3, strides=1, padding="same"),  # general windows
    lambda rng: (lambda x: F.max_pool1d(x, 2) ** 2, [u(rng, 2, 6, 3)]),
    lambda rng: (lambda x: F.max_pool2d(x, data_format="channels_first") ** 2,
                 [u(rng, 2, 2, 4, 4)]),
]
MAX_POOL_THIRD = [  # the gather is the backward of the scatter: seen one order higher
    lambda rng: (_derivative_of(lambda x: F.max_pool2d(x) ** 3), [u(rng, 1, 4, 4, 2)]),
    lambda rng: (_derivative_of(lambda x: F.max_pool2d(x, 3, 1, "same") ** 3),
                 [u(rng, 1, 4, 5, 2)]),
]
AVG_POOL = [
    _pool_case(F.avg_pool2d),
    _pool_case(F.avg_pool2d, pool_size=3, strides=2, padding="same"),
    lambda rng: (_derivative_of(lambda x: F.avg_pool2d(x, 3, 1, "same") ** 3),
                 [u(rng, 1, 4, 5, 2)]),
]
CONV = [
    lambda rng: (lambda x, w, b: F.conv2d(x, w, b, padding="same") ** 2,
                 [u(rng, 2, 5, 6, 2), u(rng, 3, 3, 2, 3), u(rng, 3)]),
    lambda rng: (lambda x, w: F.conv2d(x, w, strides=2, data_format="channels_first") ** 2,
                 [u(rng, 2, 6, 7, 7), u(rng, 3, 2, 6, 4)]),     # > 4 channels: im2col rows
    lambda rng: (lambda x, w: F.conv2d(x, w, dilation_rate=2) ** 2,
                 [u(rng, 1, 7, 7, 1), u(rng, 2, 2, 1, 2)]),
    lambda rng: (lambda x, w: F.conv1d(x, w, padding="causal") ** 2,
                 [u(rng, 2, 6, 3), u(rng, 3, 3, 2)]),
    lambda rng: (_derivative_of(lambda x: F.conv2d(x, gn.tensor(np.full((2, 2, 1, 1), 0.7)),
                                                   padding="same") ** 3),
                 [u(rng, 1, 4, 4, 1)]),
]

CASES = {
    # ---------------------------------------------------------------- math
    "AddFunction": [lambda rng: (lambda a, b: (a + b) ** 2, [u(rng, 2, 3), u(rng, 3)])],
    "SubFunction": [lambda rng: (lambda a, b: (a - b) ** 2, [u(rng, 2, 3), u(rng, 2, 1)])],
    "MulFunction": [lambda rng: (lambda a, b: a * b * a, [u(rng, 2, 3), u(rng, 3)])],
    "DivFunction": [lambda rng: (lambda a, b: a / (b + 3.0), [u(rng, 2, 3), u(rng, 2, 3)])],
    "NegFunction": [lambda rng: (lambda a: (-a) ** 3, [u(rng, 2, 3)])],
    "PowScalarFunction": [lambda rng: (lambda a: (a + 2.0) ** 2.5, [u(rng, 2, 3)])],
    "PowFunction": [lambda rng: (lambda a, b: (a + 2.0) ** (b * 0.5), [u(rng, 2, 3), u(rng, 3)])],
    "CastFunction": [lambda rng: (lambda a: cast(a * a, np.float64) ** 2, [u(rng, 2, 3)])],
    "ExpFunction": [lambda rng: (lambda a: gn.exp(a * a), [u(rng, 2, 3)])],
    "LogFunction": [lambda rng: (lambda a: gn.log(a + 2.0), [u(rng, 2, 3)])],
    "SqrtFunction": [lambda rng: (lambda a: gn.sqrt(a + 2.0), [u(rng, 2, 3)])],
    "SinFunction": [lambda rng: (gn.sin, [u(rng, 2, 3)])],
    "CosFunction": [lambda rng: (gn.cos, [u(rng, 2, 3)])],
    "TanhFunction": [
        lambda rng: (lambda z: gn.tanh(z) ** 2, [u(rng, 3, 4)]),
        lambda rng: (_derivative_of(gn.tanh), [u(rng, 3, 4)]),  # third order
    ],
    "AbsFunction": [lambda rng: (lambda a: gn.abs(a) ** 3, [away_from_zero(rng, 2, 3)])],
    "MaximumFunction": [lambda rng: (lambda a, b: gn.maximum(a, b) ** 3,
                                     [u(rng, 2, 3), u(rng, 2, 3)])],
    "MinimumFunction": [lambda rng: (lambda a, b: gn.minimum(a, b) ** 3,
                                     [u(rng, 2, 3), u(rng, 2, 3)])],
    "ClipFunction": [lambda rng: (lambda a: a.clip(-0.5, 0.5) * a * a, [u(rng, 2, 3)])],
    "WhereFunction": [lambda rng: (lambda a, b: gn.where(a > 0, a**3, b**2),
                                   [u(rng, 2, 3), u(rng, 2, 3)])],
    "MatMulFunction": [
        lambda rng: (lambda a, b: gn.tanh(a @ b), [u(rng, 2, 3), u(rng, 3, 4)]),
        lambda rng: (lambda z, w: F.linear(z, w) ** 3, [u(rng, 4, 3), u(rng, 3, 2)]),
    ],
    # ---------------------------------------------------------------- reduce, shape
    "SumFunction": [lambda rng: (lambda a: a.sum(axis=0) ** 2 * a.mean(), [u(rng, 2, 3)])],
    "MaxMinFunction": [lambda rng: (lambda a: a.max(axis=1) ** 2 + a.min() ** 3,
                                    [u(rng, 2, 3)])],
    "ReshapeFunction": [lambda rng: (lambda a: a.reshape(3, 2) ** 3, [u(rng, 2, 3)])],
    "TransposeFunction": [lambda rng: (lambda a: a.T ** 3, [u(rng, 2, 3)])],
    "BroadcastToFunction": [lambda rng: (lambda a: a.broadcast_to(4, 2, 3) ** 3,
                                         [u(rng, 2, 3)])],
    "SumToFunction": [lambda rng: (lambda a: a.sum_to((1, 3)) ** 3, [u(rng, 2, 3)])],
    "GetItemFunction": [lambda rng: (lambda a: a[[0, 0, 1]] ** 3, [u(rng, 2, 3)])],
    "GetItemGradFunction": [lambda rng: (lambda a: a[:, 1:] ** 3, [u(rng, 2, 3)])],
    "ConcatFunction": [lambda rng: (lambda a: gn.concat([a, a * a], axis=1) ** 2,
                                    [u(rng, 2, 3)])],
    "PadFunction": [lambda rng: (lambda a: gn.pad(a, 1, value=0.5) ** 3, [u(rng, 2, 3)])],
    # ---------------------------------------------------------------- activations, dropout
    "SigmoidFunction": [
        lambda rng: (lambda z: F.sigmoid(z) ** 2, [u(rng, 3, 4)]),
        lambda rng: (_derivative_of(F.sigmoid), [u(rng, 3, 4)]),  # third order
    ],
    "ReLUFunction": [lambda rng: (lambda z: F.relu(z) ** 3, [away_from_zero(rng, 3, 4)])],
    "LeakyReLUFunction": [lambda rng: (lambda z: F.leaky_relu(z) ** 3,
                                       [away_from_zero(rng, 3, 4)])],
    "ELUFunction": [lambda rng: (lambda z: F.elu(z) ** 2, [away_from_zero(rng, 3, 4)])],
    "SoftplusFunction": [
        lambda rng: (lambda z: F.softplus(z) ** 2, [u(rng, 3, 4)]),
        lambda rng: (_derivative_of(F.softplus), [u(rng, 3, 4)]),  # third order
    ],
    "SoftmaxFunction": [lambda rng: (lambda z: F.softmax(z)[:, 0] ** 2, [u(rng, 3, 4)]),
                        lambda rng: (lambda z: F.softmax(z, axis=0) ** 2, [u(rng, 3, 4)])],
    "LogSoftmaxFunction": [lambda rng: (lambda z: F.log_softmax(z) ** 2, [u(rng, 3, 4)])],
    "ErfFunction": [lambda rng: (lambda z: gn.erf(z) ** 2, [u(rng, 3, 4)])],
    "GELUFunction": [lambda rng: (lambda z: F.gelu(z) ** 2, [u(rng, 3, 4)])],
    "GELUTanhFunction": [lambda rng: (lambda z: F.gelu(z, approximate=True) ** 2,
                                      [u(rng, 3, 4)])],
    "SwishFunction": [lambda rng: (lambda z: F.swish(z) ** 2, [u(rng, 3, 4)])],
    "StepFunction": [lambda rng: (lambda z: F.step(z) * z**3, [away_from_zero(rng, 3, 4)])],
    "HardSigmoidFunction": [lambda rng: (lambda z: F.hard_sigmoid(z) ** 3, [u(rng, 3, 4)])],
    "DropoutFunction": [lambda rng: (
        lambda z: nn.DropoutFunction(np.array([[2.0, 0.0, 2.0, 2.0]] * 3))(z) ** 3,
        [u(rng, 3, 4)])],
    # ---------------------------------------------------------------- fused losses
    "SoftmaxCrossEntropyFunction": [
        lambda rng: (lambda z, t: nn.softmax_cross_entropy(z * z, t),
                     [u(rng, 4, 3), probabilities(rng, 4, 3)]),
        lambda rng: (lambda z, t: nn.softmax_cross_entropy(z * z, t, axis=0),
                     [u(rng, 4, 3), u(rng, 4, 3, low=0.0)]),  # targets not summing to 1
    ],
    "SparseSoftmaxCrossEntropyFunction": [
        lambda rng: (lambda z, labels: nn.sparse_softmax_cross_entropy(z * z, labels),
                     [u(rng, 4, 3), np.array([0, 2, 1, 2])]),
    ],
    "SigmoidBinaryCrossEntropyFunction": [
        lambda rng: (lambda z, t: nn.sigmoid_binary_cross_entropy(z * z, t),
                     [u(rng, 4, 3), u(rng, 4, 3, low=0.0)]),
    ],
    # ---------------------------------------------------------------- layers' ops
    "DenseFunction": [
        lambda rng: (lambda z, w, b: dense(z, w, b) ** 3, [u(rng, 4, 3), u(rng, 3, 2), u(rng, 2)]),
        lambda rng: (lambda z, w: dense(z, w) ** 3, [u(rng, 2, 4, 3), u(rng, 3, 2)]),
    ],
    "DenseActivationFunction": [
        lambda rng: (lambda z, w, b: dense_activation(z, w, b, "sigmoid") ** 2,
                     [u(rng, 4, 3), u(rng, 3, 2), u(rng, 2)]),
        lambda rng: (lambda z, w: dense_activation(z, w, None, "sigmoid") ** 2,
                     [u(rng, 2, 4, 3), u(rng, 3, 2)]),
        lambda rng: (lambda z, w, b: dense_activation(z, w, b, "relu") ** 3,
                     [away_from_zero(rng, 4, 3), u(rng, 3, 2), u(rng, 2, low=2.0, high=3.0)]),
    ],
    "CategoricalCrossentropyFunction": [
        lambda rng: (lambda p, t: nn.categorical_crossentropy(p * p, t, 1e-7),
                     [u(rng, 4, 3, low=0.3), probabilities(rng, 4, 3)]),
        lambda rng: (lambda p, t: nn.categorical_crossentropy(p * p, t, 1e-7, axis=0),
                     [u(rng, 4, 3, low=0.3), u(rng, 4, 3, low=0.0)]),
    ],
    "EmbeddingLookupFunction": [lambda rng: (
        lambda table: EmbeddingLookupFunction(np.array([[2, 0], [2, 2]]))(table) ** 3,
        [u(rng, 3, 2)])],
    "EmbeddingScatterFunction": [lambda rng: (
        _derivative_of(lambda table: EmbeddingLookupFunction(np.array([1, 1, 0]))(table) ** 3),
        [u(rng, 3, 2)])],
    "NormalizeFunction": [
        lambda rng: (lambda x, g, b: F.layer_norm(x, g, b) ** 2,
                     [u(rng, 4, 3), u(rng, 3, low=0.5, high=1.5), u(rng, 3)]),
        lambda rng: (lambda x, g, b: F.batch_norm(x, g, b, training=True, axis=1) ** 2,
                     [u(rng, 4, 2, 3), u(rng, 2, low=0.5, high=1.5), u(rng, 2)]),
    ],
    "SyncNormalizeFunction": [
        lambda rng: (lambda x, g, b: sync_batch_norm(x, g, b, training=True, axis=1) ** 2,
                     [u(rng, 4, 2, 3), u(rng, 2, low=0.5, high=1.5), u(rng, 2)]),
    ],
    "Conv2DFunction": CONV,
    "Im2ColFunction": CONV[:2],
    "Col2ImFunction": CONV[:2],
    "MaxPool2DFunction": MAX_POOL,
    "MaxPool2DScatterFunction": MAX_POOL,
    "MaxPool2DGatherFunction": MAX_POOL_THIRD,
    "AvgPool2DFunction": AVG_POOL,
    "AvgPool2DGradFunction": AVG_POOL,
}


def _recurrent_inputs(rng, gates, bias_shape=None):
    x = gn.tensor(u(rng, 2, 3, 2), requires_grad=True)
    units = 2
    kernel, recurrent_kernel = u(rng, 2, gates * units), u(rng, units, gates * units)
    bias = u(rng, *(bias_shape or (gates * units,)))
    return x, kernel, recurrent_kernel, bias


FIRST_ORDER_ONLY = {
    "SimpleRNNFunction": lambda rng: recurrent.simple_rnn(*_recurrent_inputs(rng, 1)),
    "LSTMFunction": lambda rng: recurrent.lstm(*_recurrent_inputs(rng, 4)),
    "GRUFunction": lambda rng: recurrent.gru(*_recurrent_inputs(rng, 3, (2, 6))),
}

DEFINED = _defined_in_glassnet()


def _graph_ops(outputs):
    """Names of the op classes in the graphs that lead to ``outputs``."""
    seen, stack = set(), [y.creator for y in outputs if y is not None]
    names = set()
    while stack:
        function = stack.pop()
        if function is None or id(function) in seen:
            continue
        seen.add(id(function))
        names.add(type(function).__name__)
        stack.extend(x.creator for x in function.inputs)
    return names


def _ops_in_graphs(fn, inputs):
    """Names of the op classes in the graph of fn(inputs) and of its create_graph gradient
    (and, for a case that is itself a gradient, in the graph it differentiated)."""
    tensors = [gn.tensor(x, requires_grad=True) if np.asarray(x).dtype.kind == "f"
               else gn.tensor(x) for x in inputs]
    y = fn(*tensors)
    checked = [t for t in tensors if t.requires_grad]
    grads = grad((y * y).sum(), checked, create_graph=True)
    return _graph_ops([y, *grads]) | getattr(fn, "inner_ops", set())


def test_every_function_is_covered():
    missing = sorted(set(DEFINED) - set(CASES) - set(FIRST_ORDER_ONLY))
    assert not missing, (
        f"Function subclasses without a second-order case: {missing}; add them to CASES "
        f"(a gradgradcheck) or, for a backward on arrays, set higher_order = False and add "
        f"them to FIRST_ORDER_ONLY"
    )
    stale = sorted((set(CASES) | set(FIRST_ORDER_ONLY)) - set(DEFINED))
    assert not stale, f"cases for op classes that glassnet no longer defines: {stale}"
    assert len(DEFINED) > 60


@pytest.mark.parametrize("name, number", [(name, number) for name, builders in CASES.items()
                                          for number in range(len(builders))])
def test_second_order(rng, name, number):
    fn, inputs = CASES[name][number](rng)
    assert DEFINED[name].higher_order is True
    assert name in _ops_in_graphs(fn, inputs), f"the case does not use {name}"
    assert gn.gradgradcheck(fn, *inputs) is True


@pytest.mark.parametrize("name", sorted(FIRST_ORDER_ONLY))
def test_first_order_only_ops_refuse_create_graph(rng, name):
    assert DEFINED[name].higher_order is False
    output = FIRST_ORDER_ONLY[name](rng)
    x = output.creator.inputs[0]
    module = DEFINED[name].__module__.replace(".", r"\.")
    with pytest.raises(HigherOrderError, match=rf"{name} \({module}\) is "
                                               r"first-order only.*Instead: write the "):
        grad(output.sum(), x, create_graph=True)
    with pytest.raises(HigherOrderError, match=name):
        output.sum().backward(create_graph=True)
    (gx,) = grad(output.sum(), x)  # first order still works
    assert gx.shape == x.shape
    assert issubclass(HigherOrderError, GlassnetError)


def test_gradgradcheck_catches_a_backward_on_arrays():
    """A backward that leaves the graph (arrays) but claims higher_order gives a wrong HVP."""

    class _SquareOnArrays(Function):
        def forward(self, x):
            return x * x

        def backward(self, gy):
            return gn.Tensor(2 * self.inputs[0].data * gy.data)

    x = np.array([0.5, -1.0, 2.0])
    assert gn.gradcheck(lambda x: _SquareOnArrays()(x), x)
    with pytest.raises(AssertionError, match="Hessian-vector product"):
        gn.gradgradcheck(lambda x: _SquareOnArrays()(x) * x, x)
    assert gn.gradgradcheck(lambda x: _SquareOnArrays()(x) * x, x,
                            raise_exception=False) is False
    assert gn.gradgradcheck(lambda x: x * x * x, x) is True


def test_gradgradcheck_checks_the_dependence_on_the_output_gradient():
    """A backward that uses gy's values as a constant is right in x but wrong in gy."""

    class _CubeConstantGy(Function):
        def forward(self, x):
            return x**3

        def backward(self, gy):
            return gn.Tensor(gy.data) * 3 * self.inputs[0] ** 2

    x = np.array([0.5, -1.0, 2.0])
    with pytest.raises(AssertionError, match="output gradient|Hessian-vector"):
        gn.gradgradcheck(lambda x: _CubeConstantGy()(x), x)


def test_hessian_vector_product_of_a_logistic_loss_matches_the_formula(rng):
    """H = X^T diag(s (1 - s)) X / n for the mean BCE-from-logits of X w."""
    x, y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=(6, 1)).astype(float)
    w = gn.tensor(rng.normal(size=(3, 1)), requires_grad=True)
    (g,) = grad(F.binary_crossentropy(y, gn.tensor(x) @ w, from_logits=True).mean(), w,
                create_graph=True)
    v = rng.normal(size=(3, 1))
    (hv,) = grad((g * gn.tensor(v)).sum(), w)
    s = 1 / (1 + np.exp(-(x @ w.data)))
    np.testing.assert_allclose(hv.data, x.T @ (x * (s * (1 - s))) @ v / 6, rtol=1e-10)
