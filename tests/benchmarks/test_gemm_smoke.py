"""Smoke test of benchmarks/gemm.py: the products it lists and its table (no timing asserted)."""

import importlib.util
from pathlib import Path

import pytest

GEMM_PY = Path(__file__).resolve().parents[2] / "benchmarks" / "gemm.py"


@pytest.fixture(scope="module")
def gemm():
    spec = importlib.util.spec_from_file_location("glassnet_bench_gemm", GEMM_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mlp_products_match_run_py_roofline(gemm):
    products = gemm.workload_products("mlp")
    assert len(products) == 8  # 3 forward, 3 dW, 2 dX (no input gradient for the data)
    flops = sum(p.flops * p.calls for p in products)
    forward = 2 * 200 * (784 * 784 * 2 + 784 * 10)
    assert flops == 2 * forward + 2 * 200 * (784 * 784 + 10 * 784)
    assert {(p.a, p.b) for p in products} == {("N", "N"), ("T", "N"), ("N", "T")}


def test_conv_lowerings_follow_glassnet(gemm):
    lenet = [p for p in gemm.workload_products("lenet") if p.name.startswith("conv")]
    assert all("banded" in p.name for p in lenet)
    assert sum("dX" in p.name for p in lenet) == 1  # the first layer's input is data
    first = next(p for p in lenet if p.name.startswith("conv1") and "fwd" in p.name)
    # tiles of T = 7 output columns (6 filters: 42 GEMM columns), each reading 7 + 5 - 1 = 11
    # input columns ('same' pads)
    assert (first.m, first.k, first.n) == (128 * 28 * 4, 5 * 11 * 1, 7 * 6)
    second = next(p for p in lenet if p.name.startswith("conv2") and "fwd" in p.name)
    assert (second.m, second.k, second.n) == (128 * 10 * 2, 5 * 9 * 6, 5 * 16)
    cifar = [p for p in gemm.workload_products("cifar") if p.name.startswith("conv")]
    assert all("im2col" in p.name for p in cifar)
    conv1 = [p for p in cifar if p.name.startswith("conv1")]
    assert all("k-major" in p.name for p in conv1)
    col2im = [p for p in cifar if "col2im" in p.name]
    assert len(col2im) == 2 and all(p.calls == 3 for p in col2im)


def test_recurrent_products(gemm):
    for workload, gates in (("lstm", 4), ("gru", 3)):
        products = gemm.workload_products(workload)
        steps = [p for p in products if p.per_step]
        assert len(steps) == 2 and all(p.calls == 28 for p in steps)
        assert all(p.n == gates * 128 or p.k == gates * 128 for p in steps)
    gru = {p.name: p for p in gemm.workload_products("gru")}
    assert gru["gru dW X.T@dZx (X sliced)"].a == "T+1"


def test_operand_layouts(gemm):
    import numpy as np

    rng = np.random.default_rng(0)
    assert gemm.operand(3, 4, "N", rng).flags.c_contiguous
    t = gemm.operand(3, 4, "T", rng)
    assert t.shape == (3, 4) and t.flags.f_contiguous
    s = gemm.operand(3, 4, "T+1", rng)
    assert s.shape == (3, 4) and not s.flags.f_contiguous and s.strides[1] == 4 * 4


def test_report_fields(gemm, tmp_path):
    lines = []
    report = gemm.gemm_report(["lstm"], threads=1, samples=1, min_time=0.0, peak_size=128,
                              out=lines.append)
    assert report["peak_gflops"] > 0 and report["threads"] == 1
    for row in report["products"]:
        assert row["gflops"] > 0 and row["best_gflops"] >= max(row["gflops_by_layout"].values())
        assert row["best_layout"] in ("NN", "NT", "TN", "TT")
        assert (row["stacked_gflops"] is not None) == row["per_step"]
    summary = report["summary"]["lstm"]
    assert summary["ms_per_step"] > 0 and 0 < summary["gflop_per_step"]
    assert any("GEMM efficiency" in line for line in lines)
    assert any("total:" in line for line in lines)


def test_main_writes_json(gemm, tmp_path):
    path = tmp_path / "gemm.json"
    gemm.main(["--samples", "1", "--min-time", "0", "--only", "mlp", "--threads", "1",
               "--peak-size", "128", "--json", str(path)])
    assert path.is_file()
