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


def test_data_layouts(data, bench):
    assert data["flat"].shape == (60000, 784) and data["flat"].dtype.name == "float32"
    n = bench.CIFAR_IMAGES
    assert data["cifar_nhwc"].shape == (n, 32, 32, 3) and data["cifar_nhwc"].dtype.name == (
        "float32")
    assert data["cifar_nchw"].shape == (n, 3, 32, 32)
    assert data["cifar_source"] in ("cifar10", "random")
    assert set(np.unique(data["cifar_labels"])) <= set(range(10))
    assert data["onehot"].shape == (60000, 10) and (data["onehot"].sum(axis=1) == 1).all()
    assert data["nhwc"].shape == (60000, 28, 28, 1)
    assert data["nchw"].shape == (60000, 1, 28, 28)
    assert 0.0 <= data["flat"].min() and data["flat"].max() <= 1.0


@pytest.mark.parametrize("workload", ["mlp", "lenet", "lstm", "gru", "cifar"])
def test_glassnet_workload_two_batches(bench, data, workload):
    times = bench.time_workload(workload, data, ["glassnet"], reps=1, n_batches=2,
                                warmup_batches=1)
    assert list(times) == ["glassnet"]
    assert len(times["glassnet"]) == 1 and times["glassnet"][0] > 0


@pytest.mark.parametrize("workload", ["mlp", "gru", "cifar"])
def test_torch_workload_when_installed(bench, data, workload):
    torch = bench.load_torch()
    if torch is None:
        pytest.skip("PyTorch is not installed")
    frameworks = ["glassnet", "glassnet_numpy", "torch"]
    times = bench.time_workload(workload, data, frameworks, reps=1, n_batches=1, torch=torch,
                                warmup_batches=1)
    assert list(times) == frameworks and all(v[0] > 0 for v in times.values())


def test_framework_process_trains_in_its_own_process(bench):
    """The default: a worker process per framework, which imports only its own framework."""
    worker = bench.FrameworkProcess("glassnet_numpy", cifar_images=0)
    try:
        assert worker.info["missing"] is False and worker.info["cifar_source"] is None
        assert "BLAS" in worker.threads(1) or "threadpoolctl" in worker.threads(1)
        worker.prepare("mlp", 1)
        assert worker.train("mlp", 2) > 0
        info = worker.call("info")
        assert info["loaded"] == []  # neither torch nor numba: the pure NumPy path
        assert info["compile_report"] == {}  # no kernel ran there
        with pytest.raises(RuntimeError, match="KeyError: 'lstm'"):  # never prepared
            worker.train("lstm", 1)
        assert worker.train("mlp", 1) > 0  # a failed request leaves the worker serving
    finally:
        worker.close()
    assert worker.process.returncode == 0


def test_framework_process_kernels_and_torch_stay_apart(bench):
    pytest.importorskip("numba")
    worker = bench.FrameworkProcess("glassnet", cifar_images=0)
    try:
        worker.threads(1)
        worker.prepare("mlp", 1)
        info = worker.call("info")
        assert "torch" not in info["loaded"] and "numba" in info["loaded"]
        assert info["compile_report"]  # the kernels ran in the worker
    finally:
        worker.close()


def test_torch_and_glassnet_models_have_the_same_parameter_counts(bench):
    torch = bench.load_torch()
    if torch is None:
        pytest.skip("PyTorch is not installed")
    models = bench._bench_conv_lstm()
    for make_gn, make_torch, count in (
            (models.glassnet_gru, models.torch_gru, 3 * 128 * (28 + 128) + 6 * 128 + 1290),
            (models.glassnet_cifar, models.torch_cifar, 122570)):
        gn_model, torch_model = make_gn(), make_torch(torch)
        assert gn_model.count_params() == count
        assert sum(p.numel() for p in torch_model.parameters()) == count


def test_numpy_path_trainer_runs_without_kernels(bench, data, monkeypatch):
    """The 'glassnet (NumPy)' column really runs with gn.config.accelerator = 'numpy'."""
    import glassnet as gn
    from glassnet import kernels

    seen = []
    real_get = kernels.get

    def spy(module, name):
        seen.append(gn.config.accelerator)
        return real_get(module, name)

    monkeypatch.setattr(kernels, "get", spy)
    train = bench.make_trainer("glassnet_numpy", "mlp", data)
    assert train(1) > 0
    assert gn.config.accelerator == "auto"  # restored after the run
    assert set(seen) <= {"numpy"}


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
                       name="smoke", n_batches=2, results_dir=tmp_path, threads=1,
                       in_process=True, out=lines.append)
    written = json.loads((tmp_path / "smoke.json").read_text())
    assert written["in_process"] is True
    assert written["workloads"]["mlp"]["median"]["glassnet"] > 0
    assert written["workloads"]["mlp"]["batches_timed"] == 2
    assert written["roofline"]["gflops_per_second"] > 0
    assert written["roofline"]["fraction"]["glassnet"] > 0
    assert written["rss_mib"]["glassnet"]["peak_mib"] >= written["rss_mib"]["glassnet"][
        "baseline_mib"] > 0
    assert report["json_path"] == str(tmp_path / "smoke.json")
    assert any("roofline" in line for line in lines)


def test_run_all_new_fields_two_thread_counts(bench, tmp_path):
    """gru and cifar, the NumPy-path column, threads 2 and 1, machine, accelerator, GEMM table."""
    lines = []
    frameworks = ["glassnet", "glassnet_numpy", "torch"]
    bench.run(only=["gru", "cifar", "gemm"], reps=1, quick=True, frameworks=frameworks,
              name="smoke2", n_batches=1, results_dir=tmp_path, threads="2,1", out=lines.append,
              gemm_options={"samples": 1, "min_time": 0.0, "peak_size": 128})
    written = json.loads((tmp_path / "smoke2.json").read_text())
    assert written["in_process"] is False  # the default: each framework in its own process
    assert "glassnet:" in written["by_threads"]["1"]["workers_note"]
    assert written["threads_list"] == [2, 1] and written["threads"] == 2
    assert set(written["by_threads"]) == {"2", "1"}
    ran = written["frameworks"]
    assert ran[0] == "glassnet"
    from glassnet import kernels

    assert ("glassnet_numpy" in ran) == kernels.available()
    for threads in ("2", "1"):
        run = written["by_threads"][threads]
        for workload in ("gru", "cifar"):
            entry = run["workloads"][workload]
            assert entry["threads"] == int(threads) and entry["batches_timed"] == 1
            assert all(entry["median"][fw] > 0 for fw in ran)
            if "torch" in ran:
                assert entry["ratio"] > 0 and entry["target_ratio"] in (1.0, 1.2)
            if "glassnet_numpy" in ran and "torch" in ran:
                assert entry["ratio_numpy"] > 0 and entry["accelerator_speedup"] > 0
        gemm = run["gemm"]
        assert gemm["threads"] == int(threads) and gemm["peak_gflops"] > 0
        assert {p["workload"] for p in gemm["products"]} == {"gru", "cifar"}
    assert written["workloads"] == written["by_threads"]["2"]["workloads"]
    assert written["cifar_data"] in ("cifar10", "random")
    cpu = written["cpu"]
    assert cpu["model"] and cpu["logical_cpus"] >= 1 and isinstance(cpu["isa"], list)
    assert cpu["isa_level"]
    acc = written["accelerator"]
    assert acc["config"] == "auto" and "compile_report" in acc
    if kernels.available():
        assert acc["numba"] and acc["num_threads"] >= 1 and acc["threading_layer"]
    targets = {(t["target"], t["threads"]) for t in written["targets"]}
    if "torch" in ran:
        assert ("gru <= 1.0x PyTorch", "1") in targets
        assert ("cifar <= 1.2x PyTorch", "2") in targets
    text = "\n".join(lines)
    assert "CPU:" in text and "accelerator:" in text and "GEMM efficiency" in text
    assert "cifar data:" in text


def test_cpu_info_reads_model_and_flags(bench, tmp_path):
    fake = tmp_path / "cpuinfo"
    block = ("processor\t: {i}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) "
             "Platinum 8375C CPU @ 2.90GHz\nphysical id\t: 0\ncore id\t: {c}\nflags\t\t: "
             "fpu sse4_2 avx avx2 fma avx512f avx512bw avx512vl avx512_vnni\n")
    fake.write_text("\n".join(block.format(i=i, c=i // 2) for i in range(4)))
    info = bench.cpu_info(str(fake))
    assert info["model"].startswith("Intel(R) Xeon(R) Platinum 8375C")
    assert info["isa"] == ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl",
                           "avx512_vnni"]
    assert info["isa_level"] == "AVX-512" and info["physical_cores"] == 2
    missing = bench.cpu_info(str(tmp_path / "absent"))
    assert missing["source"] == "platform" and missing["isa"] == []
    here = bench.cpu_info()
    assert here["logical_cpus"] == __import__("os").cpu_count()


def test_thread_limits_set_and_restore(bench):
    torch = bench.load_torch()
    from glassnet import kernels

    before_torch = torch.get_num_threads() if torch is not None else None
    before_numba = kernels.get_num_threads()
    with bench.thread_limits(1, torch) as note:
        assert "BLAS" in note or "threadpoolctl" in note
        if torch is not None:
            assert torch.get_num_threads() == 1
        if kernels.available():
            assert kernels.get_num_threads() == 1
    assert kernels.get_num_threads() == before_numba
    if torch is not None:
        assert torch.get_num_threads() == before_torch


def test_parse_threads(bench):
    assert bench._parse_threads("2,1") == [2, 1]
    assert bench._parse_threads(1) == [1]
    assert bench._parse_threads((2, 2, 1)) == [2, 1]
    with pytest.raises(ValueError):
        bench._parse_threads("0")


def test_evaluate_targets(bench):
    report = {
        "threads": 2,
        "by_threads": {"2": {
            "workloads": {"mlp": {"ratio": 0.9, "ratio_numpy": 1.3},
                          "cifar": {"ratio": 1.25}},
            "roofline": {"fraction": {"glassnet": 0.7, "glassnet_numpy": 0.5}}}},
        "import_seconds": {"glassnet": {"median": 0.2}},
        "rss_mib": {"glassnet": {"delta_mib": 50.0}, "glassnet_numpy": {"delta_mib": 30.0},
                    "torch": {"delta_mib": 40.0}},
    }
    rows = {r["target"]: r for r in bench.evaluate_targets(report)}
    assert rows["mlp <= 1.0x PyTorch"]["met"] and not rows["mlp <= 1.0x PyTorch"]["numpy_met"]
    assert not rows["cifar <= 1.2x PyTorch"]["met"]
    assert rows["cifar <= 1.2x PyTorch"]["numpy_value"] is None
    roof = rows["MLP >= 65% of its GEMM roofline"]
    assert roof["met"] and not roof["numpy_met"]
    assert rows["import glassnet <= 0.3 s"]["met"]
    memory = rows["peak RSS of an MLP epoch <= PyTorch's (MiB)"]
    assert not memory["met"] and memory["numpy_met"]
    lines = []
    bench.print_targets(list(rows.values()), lines.append)
    assert any("MISSED" in line for line in lines) and any("met" in line for line in lines)


def test_compile_cost_is_measured_when_numba_installed(bench):
    pytest.importorskip("numba")
    runs = bench.compile_times(["mlp"], threads=1)
    assert set(runs) == {"cold", "warm"}
    for run in runs.values():
        assert run["first_batch_seconds"]["mlp"] > 0
        assert run["kernel_seconds_total"] >= 0
    # the second process finds what the first compiled
    assert runs["warm"]["cache_hits_total"] >= runs["cold"]["cache_hits_total"]


def test_import_time_is_measured(bench):
    median, runs = bench.import_seconds("glassnet", runs=1)
    assert len(runs) == 1 and median == runs[0] > 0
