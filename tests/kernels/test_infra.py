"""The accelerator's machinery (glassnet/kernels/__init__.py): lazy import, the choice in
``gn.config.accelerator``, compile report, and results independent of threads."""

import ctypes.util
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import glassnet as gn
from glassnet import kernels
from glassnet.config import using_config
from glassnet.errors import GlassnetValueError


def test_import_glassnet_does_not_import_numba():
    code = ("import sys, glassnet, glassnet.kernels, glassnet.optimizers\n"
            "print(sorted(m for m in sys.modules if m == 'numba' or m.startswith('numba.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_numpy_accelerator_turns_every_kernel_off():
    with using_config("accelerator", "numpy"):
        assert kernels.active() is False
        assert kernels.get("optimizers", "adam") is None
        assert kernels.get("no_such_module", "no_such_kernel") is None  # nothing imported


def test_an_unknown_accelerator_names_the_setting_and_the_choices():
    with using_config("accelerator", "cuda"), pytest.raises(GlassnetValueError) as info:
        kernels.get("optimizers", "adam")
    message = str(info.value)
    assert "accelerator" in message and "'cuda'" in message
    assert "'auto', 'numba', 'numpy'" in message


def test_required_numba_when_missing_names_the_fast_extra(monkeypatch):
    monkeypatch.setattr(kernels, "_available", False)
    assert kernels.available() is False
    assert kernels.get_num_threads() == 1
    with using_config("accelerator", "auto"):
        assert kernels.get("optimizers", "adam") is None  # 'auto' falls back quietly
    with using_config("accelerator", "numba"), pytest.raises(GlassnetValueError) as info:
        kernels.get("optimizers", "adam")
    assert "[fast]" in str(info.value) and "accelerator" in str(info.value)


def test_numba_that_cannot_be_imported_warns_under_auto_and_errors_under_numba(monkeypatch):
    monkeypatch.setattr(kernels, "_available", True)
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError
    with using_config("accelerator", "numba"), pytest.raises(GlassnetValueError) as info:
        kernels.get("optimizers", "adam")
    assert "[fast]" in str(info.value)
    with using_config("accelerator", "auto"), pytest.warns(RuntimeWarning, match="NumPy"):
        assert kernels.get("optimizers", "adam") is None
    assert kernels.available() is False  # off for the rest of the process (restored here)


# ------------------------------------------------------------------ with numba
@pytest.fixture
def numba():
    """numba itself; the tests above this line run without it, those below need it."""
    return pytest.importorskip("numba")


@pytest.fixture
def two_threads(numba):
    """Lets a test set numba's thread count; restores it afterwards."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 numba threads")
    before_global, before = kernels._num_threads, numba.get_num_threads()
    yield numba
    numba.set_num_threads(before)
    kernels._num_threads = before_global


SIZE = 3 * kernels.MIN_PARALLEL_SIZE + 5


def _adam_args(seed, size=SIZE, dtype=np.float32):
    rng = np.random.default_rng(seed)
    grad, variable = (rng.normal(size=size).astype(dtype) for _ in range(2))
    m, v = np.zeros(size, dtype), np.zeros(size, dtype)
    cast = np.dtype(dtype).type
    scalars = (cast(0.1), cast(0.001), cast(0.01), cast(1e-7), cast(1.0), cast(np.inf),
               cast(0.0), cast(0.999))
    return grad, variable, m, v, scalars


def _run_adam(seed, steps=4, size=SIZE):
    adam = kernels.get("optimizers", "adam")
    grad, variable, m, v, (b1, b2, alpha, eps, *pre) = _adam_args(seed, size)
    for _ in range(steps):
        adam(grad, variable, m, v, None, b1, b2, alpha, eps, *pre)
    return variable, m, v


def test_compile_report_lists_a_used_kernel(numba):
    _run_adam(0, steps=1)
    _run_adam(0, steps=1, size=10)  # the serial build too
    report = kernels.compile_report()
    seconds, hits = report["optimizers.adam"]
    assert seconds > 0 and isinstance(hits, int) and hits >= 0
    assert all(isinstance(name, str) and "." in name for name in report)


def test_kernels_called_from_four_threads_at_once_match_the_serial_runs(numba):
    """One thread gets the parallel build, the others the serial one: same results."""
    expected = [_run_adam(seed) for seed in range(4)]
    with kernels._parallel_lock:  # as if another thread were in a parallel kernel: serial
        for a, b in zip(_run_adam(0), expected[0], strict=True):
            np.testing.assert_array_equal(a, b)
    results, errors = [None] * 4, []
    start = threading.Barrier(4)

    def worker(i):
        try:
            start.wait()
            results[i] = _run_adam(i, steps=4)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors and not any(thread.is_alive() for thread in threads)
    for got, want in zip(results, expected, strict=True):
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
    assert not kernels._parallel_lock.locked()


def test_the_pool_is_libgomp_waiting_passively_and_the_environment_is_left_as_it_was(numba):
    """Fresh interpreters: the default layer, the user's choice, and OMP_WAIT_POLICY restored."""
    code = ("import os, numba; from glassnet import kernels; kernels.get_num_threads(); "
            "print(numba.threading_layer(), os.environ.get('OMP_WAIT_POLICY'))")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_THREADING_LAYER", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    gomp = ctypes.util.find_library("gomp")
    preload = f"import ctypes; ctypes.CDLL({gomp!r}); " if gomp else ""
    runs = {}
    for name, extra, before in (("default", {}, ""),
                                ("chosen", {"NUMBA_THREADING_LAYER": "workqueue"}, ""),
                                ("user policy", {"OMP_WAIT_POLICY": "ACTIVE"}, ""),
                                ("libgomp already loaded", {}, preload)):
        out = subprocess.run([sys.executable, "-c", before + code], capture_output=True,
                             text=True, timeout=120, env={**env, **extra})
        assert out.returncode == 0, out.stderr
        runs[name] = out.stdout.split()
    assert runs["default"][1] == "None"  # set while libgomp loaded, then removed
    if gomp:  # numba's omp layer needs libgomp: without it numba takes workqueue
        assert runs["default"][0] == "omp"
        # someone else's libgomp (PyTorch's) has its own wait policy: not shared by default
        assert runs["libgomp already loaded"][0] == "workqueue"
    assert runs["chosen"] == ["workqueue", "None"]
    assert runs["user policy"][1] == "ACTIVE"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_runs_the_kernels_serially_with_the_same_results(numba):
    expected = _run_adam(1)  # the parent has used the parallel pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a parallel-size kernel must neither hang nor abort
        status = 1
        try:
            got = _run_adam(1)
            same = all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
            os.write(write, b"same" if same and kernels._forked else b"differ")
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    message = os.read(read, 16)
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0 and message == b"same"
    assert not kernels._forked  # the parent keeps its parallel builds


def test_results_do_not_depend_on_the_number_of_threads(two_threads):
    runs = []
    for n in (1, 2):
        kernels.set_num_threads(n)
        assert kernels.get_num_threads() == n
        runs.append(_run_adam(3))
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_set_num_threads_holds_in_other_python_threads(two_threads):
    """numba's own setting is per thread; kernels.set_num_threads is for the process."""
    numba = two_threads
    kernels.set_num_threads(2)
    seen = {}

    @numba.njit(parallel=True)
    def threads_used(out):
        for i in numba.prange(out.size):
            out[i] = numba.get_num_threads()

    def worker():
        numba.set_num_threads(1)  # this thread's own numba setting
        adam = kernels.get("optimizers", "adam")
        grad, variable, m, v, scalars = _adam_args(5)
        adam(grad, variable, m, v, None, *scalars)  # a parallel call applies kernels' setting
        out = np.zeros(4, np.int64)
        threads_used(out)
        seen["threads"] = set(out.tolist())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(120)
    assert seen["threads"] == {2}
    assert kernels.get_num_threads() == 2


def test_a_kernel_of_a_training_step_is_off_without_the_accelerator(monkeypatch):
    """With 'numpy' the optimizers never ask for a kernel module (nothing compiles)."""
    asked = []
    monkeypatch.setattr(kernels, "_numba_imports", lambda: asked.append(1) or True)
    w = gn.Tensor(np.ones(8, np.float32))
    with using_config("accelerator", "numpy"):
        gn.optimizers.Adam().apply_gradients([(np.ones(8, np.float32), w)])
    assert asked == []
