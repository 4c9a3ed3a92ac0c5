"""The fused recurrent steps (glassnet/kernels/recurrent.py) against the NumPy reference.

Whole LSTM/GRU ops (forward over the sequence and backward through time) run twice, with
``accelerator='numpy'`` (the reference) and ``'auto'`` (one kernel pass per step), in float32
and float64, with masks, return_sequences and go_backwards; the outputs, states and every
gradient agree to a few ulps per step (the kernels do the reference's arithmetic in its
order; only exp and tanh differ, by an ulp or two). The parallel build runs with the
kernels' threshold lowered to 0; the serial build on small batches. Where NumPy's OpenBLAS is
found, the LSTM runs whole sequences per row block (GEMMs inside the kernel): that path is
also checked against the per-step kernels, and its bits against the thread count. A few
``fit`` steps of masked models agree as well, and the vector exp/tanh are checked against
NumPy's.
"""

import numpy as np
import pytest

pytest.importorskip("numba")

import glassnet as gn  # noqa: E402
from glassnet import kernels  # noqa: E402
from glassnet.config import using_config  # noqa: E402
from glassnet.kernels import blas  # noqa: E402
from glassnet.kernels import recurrent as KR  # noqa: E402
from glassnet.ops import recurrent as R  # noqa: E402
from glassnet.tensor import Tensor  # noqa: E402

TOL = {np.float32: (2e-5, 2e-6), np.float64: (1e-12, 1e-13)}  # rtol, atol (times max |ref|)
STEP_KERNELS = [k for k in vars(KR).values() if isinstance(k, kernels.Kernel)]


@pytest.fixture(params=["serial", "parallel"])
def build(request, monkeypatch):
    """'parallel': every step kernel takes its parallel build (threshold 0)."""
    if request.param == "parallel":
        for k in STEP_KERNELS:
            monkeypatch.setattr(k, "min_parallel_size", 0)
    return request.param


def _run(kind, accelerator, dtype, n, t=6, fin=5, u=7, reset_after=True, seq=False,
         backwards=False, mask=False):
    rng = np.random.default_rng(1)
    gates = 4 if kind == "lstm" else 3

    def param(*shape, scale=0.4):
        return Tensor((rng.standard_normal(shape) * scale).astype(dtype), requires_grad=True)

    x, w, uk = param(n, t, fin, scale=1.0), param(fin, gates * u), param(u, gates * u)
    b = param(*((2, 3 * u) if kind == "gru" and reset_after else (gates * u,)), scale=0.2)
    states = [param(n, u, scale=0.3) for _ in range(2 if kind == "lstm" else 1)]
    m = rng.random((n, t)) > 0.3 if mask else None
    with using_config("accelerator", accelerator):
        if kind == "lstm":
            outs = R.lstm(x, w, uk, b, states, return_sequences=seq, return_state=True,
                          go_backwards=backwards, mask=m)
        else:
            outs = R.gru(x, w, uk, b, states, return_sequences=seq, return_state=True,
                         go_backwards=backwards, reset_after=reset_after, mask=m)
        loss = sum((o * Tensor(rng.standard_normal(o.shape).astype(dtype))).sum() for o in outs)
        loss.backward()
    values = [o.data for o in outs] + [v.grad.data for v in [x, w, uk, b] + states]
    return values


CASES = [dict(), dict(seq=True, mask=True), dict(backwards=True, mask=True),
         dict(seq=True, backwards=True)]
KINDS = [("lstm", True), ("gru", True), ("gru", False)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind,reset_after", KINDS)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_whole_sequence_matches_reference(build, dtype, kind, reset_after, case):
    n = 40 if build == "parallel" else 3
    options = dict(kind=kind, dtype=dtype, n=n, reset_after=reset_after, **CASES[case])
    ref = _run(accelerator="numpy", **options)
    got = _run(accelerator="auto", **options)
    rtol, atol = TOL[dtype]
    for r, g in zip(ref, got, strict=True):
        assert g.dtype == r.dtype
        np.testing.assert_allclose(g, r, rtol=rtol, atol=atol * max(np.abs(r).max(), 1.0))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_the_kernels_run(kind, monkeypatch):
    """The accelerated op really goes through the step kernels (and the reference does not)."""
    calls = []
    real_call = kernels.Kernel.__call__

    def counting(self, *args):
        calls.append(self.name)
        return real_call(self, *args)

    monkeypatch.setattr(kernels.Kernel, "__call__", counting)
    _run(kind, "auto", np.float32, 3)
    assert any(name.startswith(f"recurrent.{kind}_forward") for name in calls)
    assert any(name.startswith(f"recurrent.{kind}_backward") for name in calls)
    calls.clear()
    _run(kind, "numpy", np.float32, 3)
    assert not any(name.startswith("recurrent.") for name in calls)


def test_other_activations_and_mixed_dtypes_take_the_reference():
    x = np.ones((2, 3, 4), np.float32)
    with using_config("accelerator", "auto"):
        op = R.LSTMFunction(activation="relu")
        op.forward(x, np.zeros((4, 8), np.float32), np.zeros((2, 8), np.float32),
                   np.zeros(8, np.float32), np.zeros((2, 2), np.float32),
                   np.zeros((2, 2), np.float32))
        assert op.kernels is None
        op = R.GRUFunction()
        op.forward(x, np.zeros((4, 6), np.float64), np.zeros((2, 6), np.float32),
                   np.zeros((2, 6), np.float32), np.zeros((2, 2), np.float32))
        assert op.kernels is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layer", ["lstm", "gru", "gru_reset_before"])
def test_fit_steps_with_masks_match(dtype, layer):
    """Embedding(mask_zero) -> recurrent layer -> Dense: three Adam steps, same weights."""
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 9, (64, 7))
    tokens[:, -2:] = 0  # padded tails: masked steps
    labels = rng.integers(0, 3, 64)
    weights = {}
    for accelerator in ("numpy", "auto"):
        with using_config("accelerator", accelerator), using_config("default_float",
                                                                    np.dtype(dtype).name):
            gn.manual_seed(3)
            rnn = {"lstm": lambda: gn.layers.LSTM(8, return_sequences=True, go_backwards=True),
                   "gru": lambda: gn.layers.GRU(8),
                   "gru_reset_before": lambda: gn.layers.GRU(8, reset_after=False,
                                                             return_sequences=True)}[layer]()
            layers = [gn.layers.Embedding(9, 5, mask_zero=True), rnn]
            if layer != "gru":
                layers.append(gn.layers.GlobalAveragePooling1D())
            model = gn.models.Sequential(layers + [gn.layers.Dense(3)])
            model.compile(optimizer=gn.optimizers.Adam(0.01),
                          loss=gn.losses.SparseCategoricalCrossentropy(from_logits=True))
            model.fit(tokens, labels, batch_size=32, epochs=1, shuffle=False, verbose=0)
            model.fit(tokens[:32], labels[:32], batch_size=32, epochs=1, shuffle=False,
                      verbose=0)
            weights[accelerator] = model.get_weights()
    rtol, atol = TOL[dtype]
    for r, g in zip(weights["numpy"], weights["auto"], strict=True):
        np.testing.assert_allclose(g, r, rtol=50 * rtol, atol=50 * atol)


def _no_sequence_kernels(monkeypatch):
    """The LSTM's per-step kernel path (what runs where NumPy's OpenBLAS is not found)."""
    monkeypatch.setattr(R, "_sequence_kernels", lambda names, dtype: None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_lstm_sequence_kernels_match_the_step_kernels(dtype, case, monkeypatch):
    """Whole-sequence kernels (GEMMs by row blocks; 71 rows: uneven blocks) against the
    per-step kernels and the reference."""
    if blas.functions() is None:
        pytest.skip("NumPy's bundled OpenBLAS was not found: only the per-step path exists")
    options = dict(kind="lstm", dtype=dtype, n=71, **CASES[case])
    ref = _run(accelerator="numpy", **options)
    got = _run(accelerator="auto", **options)
    with monkeypatch.context() as patch:
        _no_sequence_kernels(patch)
        per_step = _run(accelerator="auto", **options)
    rtol, atol = TOL[dtype]
    for r, g, p in zip(ref, got, per_step, strict=True):
        for value in (g, p):
            np.testing.assert_allclose(value, r, rtol=rtol, atol=atol * max(np.abs(r).max(), 1))


def test_lstm_takes_the_sequence_kernels_where_numpys_openblas_is_found(monkeypatch):
    x = np.ones((70, 3, 4), np.float32)
    args = (x, np.zeros((4, 8), np.float32), np.zeros((2, 8), np.float32),
            np.zeros(8, np.float32), np.zeros((70, 2), np.float32), np.zeros((70, 2), np.float32))
    with using_config("accelerator", "auto"):
        op = R.LSTMFunction()
        op.forward(*args)
        assert (op.sequence is not None) == (blas.functions() is not None)
        _no_sequence_kernels(monkeypatch)
        op = R.LSTMFunction()
        op.forward(*args)
        assert op.kernels is not None and op.sequence is None


def test_lstm_results_do_not_depend_on_the_thread_count(kernel_threads):
    if blas._numba_pool_size() < 2:
        pytest.skip("numba has one thread here")
    fns = blas.functions()
    blas_before = None if fns is None else fns.get_threads()
    runs = []
    for threads in (1, 2):
        kernel_threads(threads)
        runs.append(_run("lstm", "auto", np.float32, 130, seq=True, mask=True))
    for one, two in zip(*runs, strict=True):
        np.testing.assert_array_equal(one, two)
    if fns is not None:  # and OpenBLAS's own thread count is back
        assert fns.get_threads() == blas_before
