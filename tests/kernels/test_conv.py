"""The fused convolution and pooling kernels (glassnet/kernels/conv.py) against the NumPy
reference (accelerator='numpy'): forward and backward, float32 and float64, serial (small)
and parallel (>= kernels.MIN_PARALLEL_SIZE elements) sizes, both data formats."""

import numpy as np
import pytest

pytest.importorskip("numba")

import glassnet as gn  # noqa: E402
from glassnet import kernels  # noqa: E402
from glassnet.config import using_config  # noqa: E402
from glassnet.ops import pooling  # noqa: E402
from glassnet.ops.conv import Conv2DFunction  # noqa: E402
from glassnet.ops.pooling import avg_pool2d, max_pool2d  # noqa: E402
from glassnet.tensor import Tensor  # noqa: E402

TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.fixture(autouse=True)
def _all_channel_counts(monkeypatch):
    """Exercise the pooling kernels at every channel count (production: >= 16)."""
    monkeypatch.setattr(pooling, "MIN_FUSED_CHANNELS", 1)


def _both(fn):
    """fn() under the NumPy reference and under the accelerator."""
    with using_config("accelerator", "numpy"):
        ref = fn()
    with using_config("accelerator", "auto"):
        fused = fn()
    return ref, fused


CONV_CASES = [
    ((3, 9, 9, 6), (3, 3, 6, 4), {}),
    ((3, 9, 8, 5), (3, 2, 5, 4), {"padding": "same"}),
    ((2, 11, 10, 8), (3, 3, 8, 4), {"strides": (2, 3), "padding": "same"}),
    ((2, 11, 10, 6), (3, 3, 6, 4), {"dilation_rate": 2}),
    ((2, 6, 9, 9), (3, 3, 6, 4), {"data_format": "channels_first", "padding": "same"}),
    ((8, 15, 15, 32), (3, 3, 32, 16), {}),  # parallel size
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws,kw", CONV_CASES)
def test_conv2d_im2col_forward_backward(dtype, xs, ws, kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[3]).astype(dtype)

    def run():
        xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
        y = Conv2DFunction(lowering="im2col", **kw)(xt, wt, bt)
        g = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
        y.backward(Tensor(g))
        return y.data, xt.grad.data, wt.grad.data, bt.grad.data

    ref, fused = _both(run)
    for a, c in zip(ref, fused, strict=True):
        scale = np.abs(a).max()
        np.testing.assert_allclose(c / scale, a / scale, **TOL[dtype])
    if max(x.size, 1) >= kernels.MIN_PARALLEL_SIZE:
        assert kernels.get("conv", "im2col")._parallel is not None


BANDED_CASES = [
    ((3, 28, 28, 1), (5, 5, 1, 6), {"padding": "same"}, None),  # LeNet's first convolution
    ((3, 14, 14, 6), (5, 5, 6, 16), {}, None),  # LeNet's second
    ((2, 11, 10, 3), (3, 3, 3, 4), {"strides": (2, 3), "padding": "same"}, 2),
    ((2, 11, 13, 2), (3, 2, 2, 4), {"dilation_rate": (2, 3)}, 5),
    ((2, 9, 9, 2), (3, 3, 2, 3), {"padding": "same"}, 1),  # T = 1: im2col's matrices
    ((2, 2, 9, 9), (3, 3, 2, 3), {"data_format": "channels_first"}, 7),  # T = OW
    ((64, 28, 28, 1), (5, 5, 1, 6), {"padding": "same"}, None),  # parallel size
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws,kw,tile", BANDED_CASES)
def test_conv2d_banded_backward_bit_identical(dtype, xs, ws, kw, tile):
    """The fused band_rows copies the reference's rows and band_col2im adds dL/dX back in the
    reference's order: the same bits."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)

    def run():
        xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
        y = Conv2DFunction(lowering="banded", tile=tile, **kw)(xt, wt)
        y.backward(Tensor(np.random.default_rng(1).standard_normal(y.shape).astype(dtype)))
        return y.data, xt.grad.data, wt.grad.data

    ref, fused = _both(run)
    for a, c in zip(ref, fused, strict=True):
        np.testing.assert_array_equal(c, a)
    for name in ("band_rows", "band_col2im"):  # both ran, for this dtype
        fused_kernel = kernels.get("conv", name)
        assert any(str(sig[0].dtype) == np.dtype(dtype).name for build in (
            fused_kernel._serial, fused_kernel._parallel) for sig in build.overloads), name


POOL_CASES = [
    ((4, 8, 8, 3), {"pool_size": 2}),
    ((4, 13, 13, 5), {"pool_size": 2}),  # cropped windows
    ((2, 9, 7, 3), {"pool_size": 3, "strides": 2, "padding": "same"}),
    ((2, 9, 7, 3), {"pool_size": 3, "strides": 1}),  # overlapping windows
    ((3, 4, 10, 10), {"pool_size": 2, "data_format": "channels_first"}),
    ((16, 30, 30, 32), {"pool_size": 2}),  # parallel size
    ((6, 28, 28, 6), {"pool_size": 2}),  # LeNet's first pooling: 2x2 kernels, 6 channels
    ((5, 13, 11, 64), {"pool_size": 2}),  # 2x2 kernels, a cropped last row and column
    ((3, 8, 8, 3), {"pool_size": 2, "strides": 1}),  # 2x2 overlapping: the general kernel
    ((8, 13, 13, 16), {"pool_size": 3, "strides": 2, "padding": "same"}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn", [max_pool2d, avg_pool2d])
@pytest.mark.parametrize("shape,kw", POOL_CASES)
def test_pooling_forward_backward_bit_identical(dtype, fn, shape, kw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    x[0, :3, :3] = 1.0  # ties: the first maximum in column-major order takes the gradient
    x[-1] = np.maximum(x[-1], 0)  # ReLU-like zeros, the common tie

    def run():
        t = Tensor(x, requires_grad=True)
        y = fn(t, **kw)
        y.backward(Tensor(np.random.default_rng(1).standard_normal(y.shape).astype(dtype)))
        return y.data, t.grad.data

    (y0, g0), (y1, g1) = _both(run)
    np.testing.assert_array_equal(y1, y0)
    np.testing.assert_array_equal(g1, g0)


@pytest.mark.parametrize("size,kw", [(8, {"pool_size": 2}), (9, {"pool_size": 2}),
                                     (8, {"pool_size": 3, "strides": 2, "padding": "same"})])
def test_max_pool_nan_and_padding_rules(size, kw):
    x = np.random.default_rng(0).standard_normal((2, size, size, 3))
    x[0, 1, 1, 0] = np.nan  # NaN in a window's last column
    x[0, 2, 4, 2] = np.nan  # NaN in a window's first column (the rules differ by tiling)
    x[1, :3, :3, 1] = -np.inf  # windows whose real cells are all -inf

    def run():
        t = Tensor(x, requires_grad=True)
        y = max_pool2d(t, **kw)
        y.backward(Tensor(np.ones(y.shape)))
        return y.data, t.grad.data

    (y0, g0), (y1, g1) = _both(run)
    np.testing.assert_array_equal(y1, y0)
    np.testing.assert_array_equal(g1, g0)


@pytest.mark.parametrize("size,two_by_two", [(8, True), (9, True), (9, False)])
def test_max_pool_2x2_kernels_run_where_they_apply(size, two_by_two):
    """Unpadded 2x2 windows at stride 2 take the 2x2 kernels (whatever the channel count);
    'same' padding of an odd size takes the general one."""
    x = Tensor(np.random.default_rng(0).standard_normal((2, size, size, 3)))
    f = pooling.MaxPool2DFunction((2, 2), (2, 2), "valid" if two_by_two else "same",
                                  "channels_last")
    with using_config("accelerator", "auto"):
        f(x)
    assert f.two_by_two is two_by_two
    expected = "max_pool_2x2_forward" if two_by_two else "max_pool_forward"
    assert f.fused[0] is kernels.get("conv", expected)


@pytest.mark.parametrize("size", [8, 9])
def test_max_pool_2x2_double_backward(size):
    x = np.random.default_rng(0).standard_normal((2, size, size, 4))

    def run():
        t = Tensor(x, requires_grad=True)
        y = max_pool2d(t, pool_size=2)
        (gx,) = gn.grad((y * y * y).sum(), [t], create_graph=True)
        (ggx,) = gn.grad((gx * gx).sum(), [t])
        return gx.data, ggx.data

    (a0, b0), (a1, b1) = _both(run)
    np.testing.assert_array_equal(a1, a0)
    np.testing.assert_allclose(b1, b0, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("fn", [max_pool2d, avg_pool2d])
def test_pooling_double_backward(fn):
    x = np.random.default_rng(0).standard_normal((2, 7, 7, 3))

    def run():
        t = Tensor(x, requires_grad=True)
        y = fn(t, pool_size=3, strides=2, padding="same")
        (gx,) = gn.grad((y * y).sum(), [t], create_graph=True)
        (ggx,) = gn.grad((gx * gx).sum(), [t])
        return gx.data, ggx.data

    (a0, b0), (a1, b1) = _both(run)
    np.testing.assert_allclose(a1, a0, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(b1, b0, rtol=1e-13, atol=1e-13)


def test_gradcheck_float64_with_the_accelerator():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 6, 6, 5)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 3, 5, 2)), requires_grad=True)
    with using_config("accelerator", "auto"):
        assert gn.gradcheck(lambda a, k: max_pool2d(Conv2DFunction(
            padding="same", lowering="im2col")(a, k), 2), x, w)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cnn_fit_steps_agree(dtype):
    """A few Adam steps of a small CNN (conv im2col with many channels, max pooling)."""
    from glassnet.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from glassnet.models import Sequential

    rng = np.random.default_rng(0)
    x = rng.random((32, 12, 12, 3)).astype(dtype)
    y = rng.integers(0, 10, 32)

    def run():
        gn.manual_seed(0)
        with using_config("default_float", np.dtype(dtype).name):
            model = Sequential([
                Conv2D(16, 3, activation="relu", input_shape=(12, 12, 3)), MaxPooling2D(2),
                Conv2D(16, 3, padding="same", activation="relu"), MaxPooling2D(2),
                Flatten(), Dense(10)])
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        return [w.copy() for w in model.get_weights()]

    ref, fused = _both(run)
    for a, c in zip(ref, fused, strict=True):
        np.testing.assert_allclose(c, a, **TOL[dtype])
