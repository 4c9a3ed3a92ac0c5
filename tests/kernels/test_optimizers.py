"""The fused optimizer kernels (glassnet/kernels/optimizers.py) against the NumPy reference.

Each case trains the same parameters for several steps twice, with ``accelerator='numpy'`` (the
reference: base-class clipping and weight decay, then each optimizer's ``update_step``) and
``'auto'`` (one kernel pass per parameter), and asserts the weights and every state array are
bit-identical: the kernels do the same + - * / sqrt in the same order in the weights' dtype.
The parameters are a matrix of at least ``kernels.MIN_PARALLEL_SIZE`` elements (the parallel
build), a vector and a 0-d scalar (the serial build).
"""

import numpy as np
import pytest

pytest.importorskip("numba")

import glassnet as gn  # noqa: E402
from glassnet import kernels, schedules  # noqa: E402
from glassnet.config import using_config  # noqa: E402
from glassnet.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop  # noqa: E402

BIG = (129, 128)  # 16512 elements >= MIN_PARALLEL_SIZE
SHAPES = (BIG, (7,), ())
STEPS = 5


def _schedule():
    return schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.7)


# name -> (optimizer factory, kernel that must run)
CASES = {
    "adam": (lambda: Adam(learning_rate=0.01), "adam"),
    "adam-amsgrad-schedule": (lambda: Adam(learning_rate=_schedule(), amsgrad=True), "adam"),
    "adam-clipnorm": (lambda: Adam(learning_rate=0.01, clipnorm=0.5), "adam"),
    "adam-coupled-decay": (lambda: Adam(learning_rate=0.01, weight_decay=0.1,
                                        weight_decay_mode="coupled"), "adam"),
    "adamw": (lambda: AdamW(learning_rate=0.01, weight_decay=0.2), "adam"),
    "adamw-amsgrad-clipvalue": (lambda: AdamW(learning_rate=0.01, weight_decay=0.2,
                                              amsgrad=True, clipvalue=0.3), "adam"),
    "sgd": (lambda: SGD(learning_rate=0.05), "sgd"),
    "sgd-global-clipnorm-schedule": (lambda: SGD(learning_rate=_schedule(),
                                                 global_clipnorm=1.0), "sgd"),
    "sgd-momentum": (lambda: SGD(learning_rate=0.05, momentum=0.9), "sgd_momentum"),
    "sgd-nesterov-decoupled": (lambda: SGD(learning_rate=0.05, momentum=0.9, nesterov=True,
                                           weight_decay=0.01), "sgd_momentum"),
    "sgd-mindspore-dampened": (lambda: SGD([gn.tensor(0.0)], 0.05, 0.9, 0.25, 0.01),
                               "sgd_dampened"),
    "sgd-clipvalue-loss-scale": (lambda: SGD(learning_rate=0.05, momentum=0.5, loss_scale=8.0,
                                             clipvalue=0.2), "sgd_momentum"),
    "rmsprop": (lambda: RMSprop(learning_rate=0.01), "rmsprop"),
    "rmsprop-centered-momentum": (lambda: RMSprop(learning_rate=_schedule(), momentum=0.8,
                                                  centered=True, clipnorm=0.7), "rmsprop"),
    "rmsprop-momentum-decay": (lambda: RMSprop(learning_rate=0.01, momentum=0.5,
                                               weight_decay=0.05), "rmsprop"),
    "adagrad": (lambda: Adagrad(learning_rate=0.1, global_clipnorm=2.0), "adagrad"),
    "adagrad-coupled": (lambda: Adagrad(learning_rate=0.1, weight_decay=0.1,
                                        weight_decay_mode="coupled"), "adagrad"),
    "adadelta": (lambda: Adadelta(learning_rate=1.0), "adadelta"),
    "adadelta-decay-clipvalue": (lambda: Adadelta(learning_rate=1.0, weight_decay=0.05,
                                                  clipvalue=0.5), "adadelta"),
}


@pytest.fixture
def kernel_calls(monkeypatch):
    """Names of the optimizer kernels called (through kernels.get) while the test runs."""
    calls = []
    real_get = kernels.get

    def spying_get(module, name):
        found = real_get(module, name)
        if found is None:
            return None

        def call(*args):
            calls.append(name)
            return found(*args)
        return call

    monkeypatch.setattr(kernels, "get", spying_get)
    return calls


def _params(dtype, shapes=SHAPES, make=None):
    rng = np.random.default_rng(7)
    arrays = [rng.normal(size=s).astype(dtype) for s in shapes]
    return [gn.Tensor(make(a) if make else a, name=f"p{i}") for i, a in enumerate(arrays)]


def _grads(params, step, dtype):
    """Deterministic gradients, some large (so that clipping acts), depending on the weights."""
    rng = np.random.default_rng(100 + step)
    return [(rng.normal(size=p.shape) * 0.8 + 0.3 * p.data).astype(dtype) for p in params]


def _train(factory, accelerator, dtype, steps=STEPS, make=None, make_grad=None, exclude=False):
    params = _params(dtype, make=make)
    opt = factory()
    if exclude:
        opt.exclude_from_weight_decay(var_names=["p1"])
    with using_config("accelerator", accelerator):
        for step in range(steps):
            grads = _grads(params, step, dtype)
            if make_grad is not None:
                grads = [make_grad(g) for g in grads]
            opt.apply_gradients(zip(grads, params, strict=True))
    return [p.data.copy() for p in params], [a.copy() for a in opt.variables()], opt


def _assert_identical(a, b):
    (weights_a, state_a, opt_a), (weights_b, state_b, opt_b) = a, b
    assert opt_a.iterations == opt_b.iterations
    assert len(state_a) == len(state_b)
    for x, y in zip(weights_a + state_a, weights_b + state_b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y, strict=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(CASES))
def test_fused_steps_are_bit_identical_to_numpy(case, dtype, kernel_calls):
    factory, name = CASES[case]
    reference = _train(factory, "numpy", dtype)
    assert kernel_calls == []
    fused = _train(factory, "auto", dtype, exclude=True)
    reference_excluded = _train(factory, "numpy", dtype, exclude=True)
    _assert_identical(reference_excluded, fused)
    # every parameter, every step; but NumPy's ``g / loss_scale`` of a 0-d gradient is a
    # scalar, not an array: that parameter takes the NumPy path
    fused_params = len(SHAPES) - (case == "sgd-clipvalue-loss-scale")
    assert kernel_calls == [name] * (fused_params * STEPS)
    assert not np.array_equal(reference[0][0], _params(dtype)[0].data)  # the weights moved


@pytest.mark.parametrize("case", ["adam", "adamw-amsgrad-clipvalue", "sgd-momentum",
                                  "rmsprop-centered-momentum", "adagrad", "adadelta"])
def test_kernels_run_alone_as_numba_requires(case, kernel_calls):
    """accelerator='numba' (required) runs the same kernels as 'auto'."""
    factory, name = CASES[case]
    _assert_identical(_train(factory, "numpy", np.float32), _train(factory, "numba", np.float32))
    assert set(kernel_calls) == {name}


def _fortran(array):
    return np.asfortranarray(array) if array.ndim == 2 else array


def _strided(array):
    """The same values in every other element of a twice-as-long buffer (not contiguous)."""
    if array.ndim == 0:
        return array
    buffer = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), array.dtype)
    buffer[..., ::2] = array
    return buffer[..., ::2]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ["adamw-amsgrad-clipvalue", "adam-clipnorm",
                                  "sgd-global-clipnorm-schedule", "sgd-mindspore-dampened",
                                  "rmsprop-centered-momentum", "adagrad-coupled",
                                  "adadelta-decay-clipvalue"])
def test_non_contiguous_parameters_fall_back_to_numpy(case, dtype, kernel_calls):
    """A Fortran-ordered matrix (its state too) takes the NumPy path; the rest stays fused."""
    factory, name = CASES[case]
    reference = _train(factory, "numpy", dtype, make=_fortran)
    fused = _train(factory, "auto", dtype, make=_fortran)
    _assert_identical(reference, fused)
    assert kernel_calls == [name] * ((len(SHAPES) - 1) * STEPS)  # not the matrix


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ["adamw-amsgrad-clipvalue", "sgd-global-clipnorm-schedule",
                                  "rmsprop-momentum-decay", "adadelta"])
def test_non_contiguous_gradients_fall_back_to_numpy(case, dtype, kernel_calls):
    factory, name = CASES[case]
    reference = _train(factory, "numpy", dtype, make_grad=_strided)
    fused = _train(factory, "auto", dtype, make_grad=_strided)
    _assert_identical(reference, fused)
    assert kernel_calls == [name] * STEPS  # only the 0-d parameter's gradient is contiguous


def test_other_dtypes_and_gradients_take_the_numpy_path_or_are_cast_first(kernel_calls):
    """float16 weights have no kernel; a float64 gradient of float32 weights is cast first."""
    factory, _ = CASES["adamw-amsgrad-clipvalue"]
    _assert_identical(_train(factory, "numpy", np.float16), _train(factory, "auto", np.float16))
    assert kernel_calls == []
    cast = _train(factory, "auto", np.float32, make_grad=lambda g: g.astype(np.float64))
    _assert_identical(_train(factory, "numpy", np.float32), cast)
    assert len(kernel_calls) == len(SHAPES) * STEPS


@pytest.mark.parametrize("accelerator", ["numpy", "auto"])
def test_a_gradient_that_is_the_weights_array_itself_gives_the_reference_result(accelerator):
    """``apply_gradients([(w.data, w)])``: the decoupled decay changes the gradient too."""
    results = []
    for acc in ("numpy", accelerator):
        w = gn.Tensor(np.linspace(-1.0, 1.0, BIG[0] * BIG[1]).reshape(BIG))
        opt = AdamW(learning_rate=0.1, weight_decay=0.5)
        with using_config("accelerator", acc):
            for _ in range(3):
                opt.apply_gradients([(w.data, w)])
        results.append(w.data)
    np.testing.assert_array_equal(results[0], results[1])


def test_non_finite_gradients_propagate_as_in_numpy():
    """NaN and inf go through clipping, AMSGrad's maximum and the update as in NumPy."""
    def run(accelerator):
        w = gn.Tensor(np.ones(BIG, np.float32))
        opt = Adam(learning_rate=0.1, amsgrad=True, clipvalue=10.0)
        g = np.full(BIG, 0.5, np.float32)
        g[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
        with using_config("accelerator", accelerator):
            opt.apply_gradients([(g, w)])
            opt.apply_gradients([(np.full(BIG, 0.25, np.float32), w)])
        return [w.data, *opt.variables()]

    for a, b in zip(run("numpy"), run("auto"), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("layer", ["LSTM", "GRU"])
def test_every_recurrent_weight_takes_the_fused_step(layer, kernel_calls):
    """An LSTM's or GRU's weights (the orthogonal recurrent kernel included) are C-contiguous,
    so one Adam step runs the kernel once per weight and NumPy's update for none."""
    from glassnet.layers import GRU, LSTM, Dense
    from glassnet.models import Sequential
    from glassnet.optimizers import Adam

    model = Sequential([{"LSTM": LSTM, "GRU": GRU}[layer](6, input_shape=(4, 3)), Dense(2)])
    model.compile(optimizer=Adam(), loss="mse")
    x = np.random.default_rng(0).standard_normal((5, 4, 3)).astype(np.float32)
    model.fit(x, np.zeros((5, 2), np.float32), batch_size=5, epochs=1, verbose=0)
    assert kernel_calls.count("adam") == len(model.trainable_weights)
