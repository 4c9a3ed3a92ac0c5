"""The fused element-wise kernels (glassnet/kernels/elementwise.py) against the NumPy reference.

Each kernel runs on arrays of at least ``kernels.MIN_PARALLEL_SIZE`` elements (the parallel
build) and on small ones (the serial build), in float32 and float64, and is compared with the
NumPy reference lines: bit for bit where the arithmetic is the same (+ - * /, the bias
gradient's row sums), within a few ulps where float32 e^x differs (:func:`exp32` vs NumPy's
``exp``). Whole Dense + activation + loss training steps are compared with
``accelerator='numpy'`` against ``'auto'``, and the recorded (glass box) path against the
fused one.
"""

import numpy as np
import pytest

pytest.importorskip("numba")

import glassnet as gn  # noqa: E402
from glassnet import kernels  # noqa: E402
from glassnet.config import using_config  # noqa: E402
from glassnet.kernels import elementwise as E  # noqa: E402
from glassnet.layers import Dense  # noqa: E402
from glassnet.layers.base import recording  # noqa: E402
from glassnet.models import Sequential  # noqa: E402
from glassnet.ops import activation_arrays as arrays  # noqa: E402
from glassnet.optimizers import SGD, Adam  # noqa: E402

BIG = (160, 130)   # 20800 elements >= MIN_PARALLEL_SIZE: the parallel build
SMALL = (5, 7)     # the serial build
DTYPES = (np.float32, np.float64)
RTOL = {np.float32: 4e-7, np.float64: 1e-15}


@pytest.fixture(params=[BIG, SMALL], ids=["parallel", "serial"])
def shape(request):
    assert (np.prod(request.param) >= kernels.MIN_PARALLEL_SIZE) == (request.param == BIG)
    return request.param


def _data(shape, dtype, scale=4.0, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale).astype(dtype)


def _numpy_sigmoid(z):
    with using_config("accelerator", "numpy"):
        return arrays.sigmoid(z)


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp32_within_one_ulp_and_special_values(dtype):
    from numba import njit

    @njit
    def apply(x, out):
        for i in range(x.size):
            out[i] = E.exp32(x[i])

    x = np.concatenate([np.linspace(-87, 88.7, 200001, dtype=np.float32),
                        np.float32([np.nan, np.inf, -np.inf, 88.8, -88.0, 0.0, -0.0])])
    out = np.empty_like(x)
    apply(x, out)
    exact = np.exp(x[:-7].astype(np.float64))
    ulps = np.abs(out[:-7] - exact) / np.spacing(exact.astype(np.float32)).astype(np.float64)
    assert ulps.max() <= 1.0
    assert np.isnan(out[-7]) and out[-6] == np.inf and out[-5] == 0 and out[-4] == np.inf
    assert out[-3] == 0 and out[-2] == 1 and out[-1] == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_bias_sigmoid(shape, dtype):
    z0, bias = _data(shape, dtype), _data(shape[1:], dtype, seed=1)
    z0.flat[:5] = [np.nan, np.inf, -np.inf, 200.0, -200.0]
    z, out = z0.copy(), np.empty_like(z0)
    E.bias_sigmoid(z, bias, out, dtype(1))
    want_z = z0 + bias
    np.testing.assert_array_equal(z, want_z)  # the pre-activation the glass box keeps
    np.testing.assert_allclose(out, _numpy_sigmoid(want_z), rtol=RTOL[dtype], atol=0)
    in_place = z0.copy()
    E.bias_sigmoid(in_place, bias, in_place, dtype(1))
    np.testing.assert_array_equal(in_place, out)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_and_its_gradients(shape, dtype):
    x, gy = _data(shape, dtype), _data(shape, dtype, 1.0, seed=2)
    y = np.empty_like(x)
    E.sigmoid(x, y, dtype(1))
    np.testing.assert_allclose(y, _numpy_sigmoid(x), rtol=RTOL[dtype], atol=0)
    gx, gx2, gb = np.empty_like(x), np.empty_like(x), np.empty(shape[1], dtype)
    E.sigmoid_grad(gy, y, gx, dtype(1))
    E.sigmoid_grad_bias(gy, y, gx2, gb, dtype(1))
    want = gy * y * (1 - y)
    np.testing.assert_array_equal(gx, want)
    np.testing.assert_array_equal(gx2, want)
    np.testing.assert_array_equal(gb, want.sum(axis=0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_kernels(shape, dtype):
    z0, bias, gy = _data(shape, dtype), _data(shape[1:], dtype, seed=1), _data(shape, dtype)
    z0.flat[:2] = [np.nan, -np.inf]
    z, out = z0.copy(), np.empty_like(z0)
    E.bias_relu(z, bias, out, dtype(1))
    want_z = z0 + bias
    np.testing.assert_array_equal(z, want_z)
    np.testing.assert_array_equal(out, np.maximum(want_z, 0))
    gx, gx2, gb = np.empty_like(z), np.empty_like(z), np.empty(shape[1], dtype)
    E.relu_grad(gy, out, gx, dtype(1))
    E.relu_grad_bias(gy, out, gx2, gb, dtype(1))
    want = np.multiply(gy, want_z > 0, dtype=dtype)
    np.testing.assert_array_equal(gx, want)
    np.testing.assert_array_equal(gx2, want)
    np.testing.assert_array_equal(gb, want.sum(axis=0))


def _train(accelerator, dtype, activation, record=None, steps=3, batch=100, units=(130, 10)):
    """Weights and losses after a few steps of a Dense + activation MLP (Keras CCE).

    SGD for the comparisons with a tolerance: Adam's first steps, lr * g / |g|, would turn a
    rounding difference in a near-zero gradient into a whole step."""
    rng = np.random.default_rng(0)
    x = rng.random((batch * steps, 170)).astype(dtype)
    y = np.eye(units[-1], dtype=dtype)[rng.integers(0, units[-1], batch * steps)]
    with using_config("accelerator", accelerator):
        gn.manual_seed(3)
        model = Sequential([Dense(units[0], activation=activation, input_shape=(170,),
                                  dtype=dtype),
                            Dense(units[1], activation="sigmoid", dtype=dtype)])
        model.compile(optimizer=Adam(learning_rate=0.01) if record is not None else
                      SGD(learning_rate=0.5), loss="categorical_crossentropy")
        if record:
            with recording(model):
                history = model.fit(x, y, batch_size=batch, epochs=1, verbose=0,
                                    shuffle=False)
        else:
            history = model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    return [w.data.copy() for w in model.weights], history.history["loss"]


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_training_steps_agree_with_the_numpy_path(dtype, activation):
    reference, ref_loss = _train("numpy", dtype, activation)
    fused, loss = _train("auto", dtype, activation)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(reference, fused, strict=True):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol * 1e-2)
    np.testing.assert_allclose(loss, ref_loss, rtol=rtol)


@pytest.mark.parametrize("accelerator", ["numpy", "auto"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_recording_does_not_change_results(dtype, accelerator):
    """The glass box's path (DenseFunction + activation op) equals the fused op bit for bit."""
    plain, plain_loss = _train(accelerator, dtype, "sigmoid", record=False)
    recorded, recorded_loss = _train(accelerator, dtype, "sigmoid", record=True)
    for a, b in zip(plain, recorded, strict=True):
        np.testing.assert_array_equal(a, b)
    assert plain_loss == recorded_loss


def test_recorded_z_is_the_pre_activation():
    rng = np.random.default_rng(1)
    layer = Dense(130, activation="sigmoid", input_shape=(150,))
    x = rng.random((140, 150)).astype(np.float32)
    with recording(layer):
        out = layer(x)
        out.sum().backward()
    info = layer.inspect()
    z = x @ layer.kernel.data + layer.bias.data
    np.testing.assert_array_equal(info["z"], z)
    np.testing.assert_array_equal(info["output"], out.data)
    fused = layer(x)  # not recording: the fused op gives the same output
    assert fused.creator.op_name == "Dense(sigmoid)"
    np.testing.assert_array_equal(fused.data, out.data)
