"""benchmarks/distributed.py: the cost-model formulas, and a smoke run (no timing asserted)."""

import importlib.util
import json
import math
from pathlib import Path

import pytest

from tests.distribution.conftest import require_mpi

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "distributed.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("glassnet_bench_distributed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ring_allreduce_formula(bench):
    # 4 ranks, 1 MB, 1 GB/s, 10 us: 2*3/4 * 1 ms + 2*3 * 10 us = 1.5 ms + 60 us
    assert bench.ring_allreduce_seconds(4, 1e6, 1e9, 1e-5) == pytest.approx(1.56e-3)
    assert bench.ring_allreduce_seconds(1, 1e6, 1e9, 1e-5) == 0.0
    assert bench.ring_bytes_per_rank(8, 800) == pytest.approx(1400)  # 2 * 7/8 * 800
    assert bench.ring_bytes_per_rank(2, 800) == pytest.approx(800)


def test_fit_link_recovers_bandwidth_and_latency(bench):
    bandwidth, latency = 3e9, 4e-6

    def seconds(nbytes):  # 2 ranks: bytes / bandwidth + 2 * latency
        return nbytes / bandwidth + 2 * latency

    got = bench.fit_link(8, seconds(8), 1 << 24, seconds(1 << 24))
    assert got[0] == pytest.approx(bandwidth) and got[1] == pytest.approx(latency)


def test_scaling_rows_strong_and_weak(bench):
    compute = {200: 0.020, 25: 0.010, 4: 0.008}
    rows = bench.scaling_rows("m", 4e6, compute, 200, 1e9, 1e-5, machines=(8, 64))
    comm8 = 2 * 7 / 8 * 4e6 / 1e9 + 14 * 1e-5
    assert rows[0]["per_rank_batch"] == 25 and rows[1]["per_rank_batch"] == math.ceil(200 / 64)
    assert rows[0]["allreduce_ms"] == pytest.approx(1e3 * comm8)
    assert rows[0]["strong_speedup"] == pytest.approx(0.020 / (0.010 + comm8))
    assert rows[0]["strong_efficiency"] == pytest.approx(0.020 / (0.010 + comm8) / 8)
    assert rows[0]["weak_efficiency"] == pytest.approx(0.020 / (0.020 + comm8))
    assert rows[1]["weak_samples_per_s"] == pytest.approx(
        64 * 200 / (0.020 + 2 * 63 / 64 * 4e6 / 1e9 + 126e-5))


def test_smoke_run_writes_every_measurement(bench, tmp_path):
    require_mpi()
    lines = []
    report = bench.run(["mlp"], smoke=True, results=tmp_path / "d.json", out=lines.append)
    written = json.loads((tmp_path / "d.json").read_text())
    mlp = written["workloads"]["mlp"]
    # 784*784 + 784 + 784*784 + 784 + 784*10 + 10 float32 parameters
    assert mlp["one_process_2_threads"]["parameters"] == 1238730
    assert mlp["one_process_2_threads"]["gradient_bytes"] == 4 * 1238730
    assert sorted(mlp["one_process_2_threads"]["batch"], key=int) == ["4", "25", "200"]
    assert mlp["two_processes_1_thread"]["ranks"] == 2
    comm = mlp["two_processes_1_thread"]["batch"]["200"]["comm_seconds"]
    assert comm["allreduce_sum"] > 0  # the gradient allreduce went through the communicator
    assert str(4 * 1238730) in written["allreduce"] and "8" in written["allreduce"]
    assert report["json_path"] == str(tmp_path / "d.json")
    text = "\n".join(lines)
    assert "| 2x1 / 1x2 |" in text and "| 10 Gb/s Ethernet | mlp |" in text
