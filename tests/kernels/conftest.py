"""Shared by the kernel tests: every kernel's parallel build from ``kernels.MIN_PARALLEL_SIZE``.

For speed the library raises some kernels' thresholds (the light element-wise passes, the
optimizer updates, the convolution loops: see their modules). The tests' "parallel" sizes are
chosen against ``MIN_PARALLEL_SIZE``, so here those kernels take their parallel build from
there, and both builds are compared with the NumPy reference. The recurrent step kernels'
tests choose their build themselves.
"""

import importlib

import pytest


@pytest.fixture(autouse=True)
def parallel_from_min_parallel_size(monkeypatch):
    try:
        import numba  # noqa: F401
    except ImportError:  # the test modules skip themselves
        return
    from glassnet import kernels

    for family in ("elementwise", "optimizers", "conv"):
        importlib.import_module(f"glassnet.kernels.{family}")
    for k in list(kernels._kernels):
        if not k.name.startswith("recurrent.") and k.min_parallel_size > kernels.MIN_PARALLEL_SIZE:
            monkeypatch.setattr(k, "min_parallel_size", kernels.MIN_PARALLEL_SIZE)


@pytest.fixture
def kernel_threads():
    """``kernels.set_num_threads`` for the test; the previous setting is restored after it."""
    from glassnet import kernels

    before = kernels.get_num_threads()
    yield kernels.set_num_threads
    kernels.set_num_threads(before)
