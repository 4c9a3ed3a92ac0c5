"""Smoke test of benchmarks/run.py: the harness's own code runs (no timing is asserted)."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

RUN_PY = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("glassnet_bench_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def data(bench):
    return bench.load_data()


def test_data_layouts(data):
    assert data["flat"].shape == (60000, 784) and data["flat"].dtype.name == "float32"
    assert data["onehot"].shape == (60000, 10) and (data["onehot"].sum(axis=1) == 1).all()
    assert data["nhwc"].shape == (60000, 28, 28, 1)
    assert data["nchw"].shape == (60000, 1, 28, 28)
    assert 0.0 <= data["flat"].min() and data["flat"].max() <= 1.0


@pytest.mark.parametrize("workload", ["mlp", "lenet", "lstm"])
def test_glassnet_workload_two_batches(bench, data, workload):
    times = bench.time_workload(workload, data, ["glassnet"], reps=1, n_batches=2,
                                warmup_batches=1)
    assert list(times) == ["glassnet"]
    assert len(times["glassnet"]) == 1 and times["glassnet"][0] > 0


def test_torch_mlp_workload_when_installed(bench, data):
    torch = bench.load_torch()
    if torch is None:
        pytest.skip("PyTorch is not installed")
    times = bench.time_workload("mlp", data, ["glassnet", "torch"], reps=1, n_batches=1,
                                torch=torch, warmup_batches=1)
    assert set(times) == {"glassnet", "torch"} and all(v[0] > 0 for v in times.values())


@pytest.mark.parametrize("workload", ["mlp", "lenet", "lstm"])
def test_jax_workload_when_installed(bench, data, workload):
    jax = bench.load_jax()
    if jax is None:
        pytest.skip("JAX is not installed")
    times = bench.time_workload(workload, data, ["jax"], reps=1, n_batches=2, jax=jax,
                                warmup_batches=1)
    assert list(times) == ["jax"] and times["jax"][0] > 0


def test_jax_training_step_lowers_the_loss_when_installed(bench, data):
    """The hand-written JAX models and Adam really train (a broken step would not learn)."""
    jax = bench.load_jax()
    if jax is None:
        pytest.skip("JAX is not installed")
    module = bench._bench_jax()
    for workload in ("mlp", "lenet", "lstm"):
        train = module.jax_trainer(jax, workload, data, 64)
        for _ in range(4):
            train(10)
        first, last = train.mean_losses[0], train.mean_losses[-1]
        assert np.isfinite(last) and last < 0.9 * first, (workload, train.mean_losses)


def test_gemm_shapes_count_the_mlp_products(bench):
    shapes = bench.mlp_gemm_shapes(batch_size=200)
    # 3 forward products, 3 weight gradients, 2 input gradients (not for the input layer)
    assert [s[0] for s in shapes].count("forward") == 3
    assert [s[0] for s in shapes].count("dW") == 3
    assert [s[0] for s in shapes].count("dX") == 2
    flops = sum(2 * m * k * n for _, m, k, n, _ in shapes)
    # forward 2*200*(784*784*2 + 784*10), dW the same, dX 2*200*(784*784 + 10*784)
    forward = 2 * 200 * (784 * 784 * 2 + 784 * 10)
    assert flops == 2 * forward + 2 * 200 * (784 * 784 + 10 * 784)


def test_run_writes_json_without_torch(bench, tmp_path):
    lines = []
    report = bench.run(only=["mlp", "roofline", "rss"], reps=1, frameworks=["glassnet"],
                       name="smoke", n_batches=2, results_dir=tmp_path, out=lines.append)
    written = json.loads((tmp_path / "smoke.json").read_text())
    assert written["workloads"]["mlp"]["median"]["glassnet"] > 0
    assert written["workloads"]["mlp"]["batches_timed"] == 2
    assert written["roofline"]["gflops_per_second"] > 0
    assert written["roofline"]["fraction"]["glassnet"] > 0
    assert written["rss_mib"]["glassnet"]["peak_mib"] >= written["rss_mib"]["glassnet"][
        "baseline_mib"] > 0
    assert report["json_path"] == str(tmp_path / "smoke.json")
    assert any("roofline" in line for line in lines)


def test_import_time_is_measured(bench):
    median, runs = bench.import_seconds("glassnet", runs=1)
    assert len(runs) == 1 and median == runs[0] > 0
