"""Data-parallel training on MPI: communication cost and throughput, and the scaling model.

One command measures, on this machine, side by side:

* the gradient allreduce alone: an in-place ``MPI.Allreduce`` (SUM, mpi4py's uppercase buffer
  method, no pickling) of a float32 buffer the size of each model's gradients, on 2 ranks
  (``mpiexec -n 2``), best and median over repetitions; plus a latency probe (8 bytes) and a
  bandwidth probe, fitted to the ring model below (the local shared-memory figures);
* end-to-end training (``compile`` + ``fit``, Adam, shuffled, global batch as in
  ``benchmarks/run.py``): samples/s for **1 process x 2 BLAS threads** and for **2 processes x
  1 thread** (``mpiexec -n 2`` with ``OPENBLAS_NUM_THREADS=1``, ``gn.distribution.initialize()``
  and ``set_distribution(DataParallel())``), the communication time per step (every call of
  the communicator's collectives, timed inside the ranks: the gradient allreduce and the small
  metric/norm gathers) and its share of the step;
* ``--cost-model``: the expected strong and weak scaling on 8 and 64 machines from the ring
  allreduce model, with the step times measured here.

Every training step is timed on its own (a callback, begin to end of the batch; the first of
each ``fit`` left out), and the configurations alternate in rounds so that all see the same
load. The tables use the **fastest** step by default: on a machine shared with other
processes it is the best estimate of the machine itself (two BLAS threads lose badly whenever
one waits for a core); ``--statistic median`` shows the medians (both are in the JSON).

Ring allreduce (Patarasuk and Yuan; what MPI uses for large messages): with N ranks and a
gradient of ``S`` bytes, each rank sends and receives ``2 (N - 1) / N * S`` bytes in
``2 (N - 1)`` steps (a reduce-scatter, then an allgather), so::

    t_allreduce(N) = 2 (N - 1) / N * S / bandwidth + 2 (N - 1) * latency

Strong scaling keeps the global batch ``B`` (glassnet's ``batch_size``): each of the N ranks
computes ``ceil(B / N)`` samples (measured here, at that batch size: small batches use the CPU
worse), then the allreduce (not overlapped, the conservative case)::

    t_step(N) = t_compute(ceil(B / N)) + t_allreduce(N),   speedup = t_compute(B) / t_step(N)

Weak scaling keeps ``B`` per rank (the global batch grows to ``N B``):
``throughput(N) = N B / (t_compute(B) + t_allreduce(N))``.

Usage::

    python benchmarks/distributed.py                  # everything (a few minutes)
    python benchmarks/distributed.py --only mlp       # one workload
    python benchmarks/distributed.py --cost-model     # the scaling table of docs/distributed.md
    python benchmarks/distributed.py --smoke          # tiny, for the tests (nothing is timed)
    python benchmarks/distributed.py --report benchmarks/results/distributed.json  # reprint

Results are printed and written to ``benchmarks/results/distributed.json``. Needs the
``[mpi]`` extra (mpi4py and the mpich wheel's ``mpiexec``); without it only the single-process
parts run. The benchmark launches mpiexec itself (``--worker`` is its internal entry point).
"""

import argparse
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKLOADS = ("mlp", "lenet", "lstm")
#: workload -> global batch size (as benchmarks/run.py), batches timed, batches with --smoke
SPECS = {"mlp": (200, 30, 2), "lenet": (128, 20, 2), "lstm": (128, 20, 2)}
#: network assumptions of the cost model: name -> (bytes per second, latency in seconds)
NETWORKS = {"10 Gb/s Ethernet": (10e9 / 8, 20e-6), "25 Gb/s Ethernet": (25e9 / 8, 20e-6)}
MACHINES = (8, 64)
RESULT = "RESULT "


# ------------------------------------------------------------------------ the cost model
def ring_allreduce_seconds(n_ranks, nbytes, bandwidth, latency):
    """Ring allreduce time: ``2 (N-1)/N * bytes / bandwidth + 2 (N-1) * latency`` (0 for N=1).

    Args:
        n_ranks: number of ranks N.
        nbytes: bytes of the buffer every rank contributes (the gradients).
        bandwidth: bytes per second of one link.
        latency: seconds per message.

    Returns:
        Seconds.

    Example:
        >>> ring_allreduce_seconds(2, 1e6, 1e9, 1e-5)  # 1 MB on 2 ranks: 1 ms + 2 x 10 us
        0.00102
    """
    if n_ranks <= 1:
        return 0.0
    return 2 * (n_ranks - 1) / n_ranks * nbytes / bandwidth + 2 * (n_ranks - 1) * latency


def ring_bytes_per_rank(n_ranks, nbytes):
    """Bytes each rank sends (and receives) in one ring allreduce: ``2 (N-1)/N * bytes``."""
    return 2 * (n_ranks - 1) / n_ranks * nbytes


def fit_link(small_bytes, small_seconds, large_bytes, large_seconds, n_ranks=2):
    """(bandwidth, latency) of the ring model through two measured allreduces."""
    factor = 2 * (n_ranks - 1) / n_ranks
    slope = (large_seconds - small_seconds) / (factor * (large_bytes - small_bytes))
    bandwidth = 1.0 / slope if slope > 0 else float("inf")
    latency = max(small_seconds - factor * small_bytes / bandwidth, 0.0) / (2 * (n_ranks - 1))
    return bandwidth, latency


def scaling_rows(workload, grad_bytes, compute, batch, bandwidth, latency,
                 machines=MACHINES):
    """Strong and weak scaling of one workload on ``machines`` ranks (one rank per machine).

    Args:
        workload: its name.
        grad_bytes: bytes of its gradients.
        compute: {batch size: measured seconds per step of one process}.
        batch: the global batch B.
        bandwidth, latency: the network.
        machines: rank counts.

    Returns:
        A list of dicts, one per rank count.
    """
    rows = []
    for n in machines:
        per_rank = math.ceil(batch / n)
        comm = ring_allreduce_seconds(n, grad_bytes, bandwidth, latency)
        strong = compute[per_rank] + comm
        weak = compute[batch] + comm
        rows.append({
            "workload": workload, "ranks": n, "per_rank_batch": per_rank,
            "allreduce_ms": 1e3 * comm, "strong_step_ms": 1e3 * strong,
            "strong_speedup": compute[batch] / strong,
            "strong_efficiency": compute[batch] / strong / n,
            "comm_share": comm / strong,
            "weak_samples_per_s": n * batch / weak, "weak_efficiency": compute[batch] / weak,
        })
    return rows


# ------------------------------------------------------------------------ workloads
def _sibling(name):
    spec = importlib.util.spec_from_file_location(f"glassnet_bench_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(workload):
    """(model, loss) of a workload: the models of benchmarks/run.py and bench_conv_lstm.py."""
    if workload == "mlp":
        return _sibling("run").glassnet_mlp(), "categorical_crossentropy"
    from glassnet.losses import SparseCategoricalCrossentropy

    models = _sibling("bench_conv_lstm")
    make = models.glassnet_lenet if workload == "lenet" else models.glassnet_lstm
    return make(), SparseCategoricalCrossentropy(from_logits=True)


def load_data(workload, n):
    """The first ``n`` MNIST training images, shaped for the workload (float32 in [0, 1])."""
    import numpy as np

    from glassnet.datasets import mnist

    (x, y), _ = mnist.load_data()
    x = x[:n].astype(np.float32) / np.float32(255)
    shape = {"mlp": (784,), "lenet": (28, 28, 1), "lstm": (28, 28)}[workload]
    x = x.reshape((len(x), *shape))
    y = y[:n].astype(np.int64)
    return x, (np.eye(10, dtype=np.float32)[y] if workload == "mlp" else y)


class CommTimer:
    """Wraps a communicator's collectives to add up the seconds spent in each."""

    METHODS = ("allreduce_sum", "allgather_arrays", "broadcast_arrays", "broadcast_json",
               "allgather_json", "barrier")

    def __init__(self, comm):
        self.seconds = dict.fromkeys(self.METHODS, 0.0)
        self.calls = dict.fromkeys(self.METHODS, 0)
        for name in self.METHODS:
            if hasattr(comm, name):
                setattr(comm, name, self._wrap(name, getattr(comm, name)))

    def _wrap(self, name, method):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start
                self.calls[name] += 1
        return timed

    def reset(self):
        for name in self.METHODS:
            self.seconds[name], self.calls[name] = 0.0, 0


def _step_clock(timer):
    """A callback that times every training step (begin to end) and its communication."""
    from glassnet.callbacks import Callback

    class StepClock(Callback):
        def __init__(self):
            super().__init__()
            self.steps, self.comm = [], []

        def _comm_total(self):
            return dict(timer.seconds) if timer is not None else {}

        def on_train_batch_begin(self, batch, logs=None):
            self._comm_start = self._comm_total()
            self._start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.steps.append(time.perf_counter() - self._start)
            now = self._comm_total()
            self.comm.append({k: now[k] - self._comm_start[k] for k in now})

    return StepClock()


def summarize(steps, comm):
    """Median and fastest step, median seconds per step of each collective, raw steps."""
    return {"step_seconds": statistics.median(steps), "fastest_step_seconds": min(steps),
            "steps_timed": len(steps), "steps": steps, "comm_steps": comm,
            "comm_seconds": ({k: statistics.median(c[k] for c in comm) for k in comm[0]}
                             if comm else None),
            "fastest_comm_seconds": ({k: min(c[k] for c in comm) for k in comm[0]}
                                     if comm else None)}


def merge(results):
    """One worker result from several rounds of the same measurement (steps pooled)."""
    merged = dict(results[0], batch={}, load_average=max(r["load_average"] for r in results))
    for batch in results[0]["batch"]:
        parts = [r["batch"][batch] for r in results]
        comm = [c for p in parts for c in (p["comm_steps"] or [])]
        merged["batch"][batch] = summarize([t for p in parts for t in p["steps"]], comm or None)
    return merged


def fit_worker(workload, n_batches, batch_sizes, reps):
    """Time every ``fit`` step (this process, or every rank under mpiexec).

    Each repetition is one ``fit`` epoch of ``n_batches`` batches; its first step is left out
    (warm-up). Reported: the median step over all repetitions (robust to bursts of load from
    other processes) and the fastest step; the communication per step is the median of each
    collective's seconds per step.
    """
    import numpy as np

    import glassnet as gn

    ranks, timer = 1, None
    if os.environ.get("GLASSNET_BENCH_DISTRIBUTED") == "1":
        from glassnet import distribution

        distribution.initialize()
        ranks = distribution.num_processes()
        if ranks > 1:
            distribution.set_distribution(distribution.DataParallel())
            from glassnet.distribution.communicator import current

            timer = CommTimer(current())
    out = {"ranks": ranks, "batch": {}}
    for batch in batch_sizes:
        gn.manual_seed(0)
        np.random.seed(0)
        model, loss = build(workload)
        model.compile(optimizer=gn.optimizers.Adam(learning_rate=1e-3), loss=loss)
        x, y = load_data(workload, batch * n_batches)
        model.fit(x[:2 * batch], y[:2 * batch], batch_size=batch, epochs=1, verbose=0)
        clock = _step_clock(timer)
        steps, comm = [], []
        for _ in range(reps):
            clock.steps, clock.comm = [], []
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True,
                      callbacks=[clock])
            steps += clock.steps[1:]
            comm += clock.comm[1:]
        out["batch"][str(batch)] = summarize(steps, comm if timer is not None else None)
    out["parameters"] = int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    out["gradient_bytes"] = int(sum(w.numpy().nbytes for w in model.trainable_weights))
    out["load_average"] = os.getloadavg()
    return out


def allreduce_worker(sizes, reps):
    """[best, median] seconds of an in-place float32 Allreduce per size (slowest rank)."""
    import numpy as np
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    result = {}
    for nbytes in sizes:
        buffer = np.ones(max(nbytes // 4, 1), dtype=np.float32)
        for _ in range(3):
            comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        times = []
        for _ in range(reps):
            comm.Barrier()
            start = MPI.Wtime()
            comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
            times.append(MPI.Wtime() - start)
        best = np.array([min(times), statistics.median(times)])
        comm.Allreduce(MPI.IN_PLACE, best, op=MPI.MAX)
        result[str(buffer.nbytes)] = [float(best[0]), float(best[1])]
    return {"ranks": comm.Get_size(), "seconds": result}


# ------------------------------------------------------------------------ launching
def mpiexec_path():
    """The mpiexec next to this Python (the mpich wheel puts it there), else on PATH."""
    import shutil

    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


def mpi_missing():
    """Why the MPI parts cannot run (a reason), or None."""
    if importlib.util.find_spec("mpi4py") is None:
        return 'mpi4py is not installed (pip install "glassnet[mpi]")'
    if mpiexec_path() is None:
        return 'no mpiexec (pip install "glassnet[mpi]" installs the mpich wheel)'
    return None


def launch(worker_args, ranks, threads, timeout=900):
    """Run this script's ``--worker`` with ``ranks`` processes (mpiexec when > 1)."""
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    root = str(HERE.parent)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", *worker_args]
    if ranks > 1:
        env["GLASSNET_BENCH_DISTRIBUTED"] = "1"
        command = [mpiexec_path(), "-n", str(ranks), *command]
    else:
        env.pop("GLASSNET_BENCH_DISTRIBUTED", None)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(command[:4])} ... failed ({done.returncode}):\n"
                           f"{done.stderr[-3000:]}")
    return json.loads(lines[0][len(RESULT):])


def measure_fit(workload, ranks, threads, n_batches, batch_sizes, reps):
    args = ["fit", "--workload", workload, "--batches", str(n_batches), "--reps", str(reps),
            "--batch-sizes", ",".join(map(str, batch_sizes))]
    return launch(args, ranks, threads)


def measure_allreduce(sizes, reps, ranks=2):
    return launch(["allreduce", "--sizes", ",".join(map(str, sizes)), "--reps", str(reps)],
                  ranks, threads=1)


# ------------------------------------------------------------------------ driver
def run(workloads=WORKLOADS, smoke=False, reps=3, cost_model_only=False, out=print,
        results=HERE / "results" / "distributed.json"):
    """Measure and print; returns the report (also written to ``results``)."""
    missing = mpi_missing()
    report = {"machine": platform.processor() or platform.machine(),
              "cpu_count": os.cpu_count(), "load_average_start": os.getloadavg(),
              "smoke": smoke, "mpi": missing or "ok", "workloads": {}}
    out(f"glassnet distributed benchmark on {os.cpu_count()} CPUs; load average "
        f"{' '.join(f'{v:.2f}' for v in report['load_average_start'])}; MPI: {missing or 'ok'}")
    rounds = 1 if smoke else reps
    for workload in workloads:
        batch, timed, smoke_batches = SPECS[workload]
        n_batches = smoke_batches if smoke else timed
        sizes = sorted({batch, *(math.ceil(batch / n) for n in MACHINES)})
        entry = {"global_batch": batch, "batches_timed": n_batches, "rounds": rounds}
        configs = {"one_process_2_threads": (1, 2, sizes)}
        if not missing and not cost_model_only:
            configs["one_process_1_thread"] = (1, 1, [batch])
            configs["two_processes_1_thread"] = (2, 1, [batch])
        rounds_of = {name: [] for name in configs}
        for _ in range(rounds):  # the configurations alternate, so all see the same load
            for name, (ranks, threads, batches) in configs.items():
                rounds_of[name].append(measure_fit(workload, ranks, threads, n_batches, batches,
                                                 1))
        entry.update({name: merge(found) for name, found in rounds_of.items()})
        report["workloads"][workload] = entry
    if not missing:
        grads = sorted({w["one_process_2_threads"]["gradient_bytes"]
                        for w in report["workloads"].values()})
        probe = [8, 1 << 16, 1 << 24, *grads]
        report["allreduce"] = measure_allreduce(probe, 5 if smoke else 30)["seconds"]
        best = {size: pair[0] for size, pair in report["allreduce"].items()}
        bandwidth, latency = fit_link(8, best["8"], 1 << 24, best[str(1 << 24)])
        report["shm_link"] = {"bandwidth_bytes_per_s": bandwidth, "latency_s": latency}
    report["load_average_end"] = os.getloadavg()
    print_report(report, out, cost_model_only)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=1))
    report["json_path"] = str(results)
    return report


#: which step statistic the tables use: "fastest" (default: the best estimate of the machine
#: without the other processes of a shared machine) or "median" (``--statistic``)
STATISTIC = {"step": "fastest_step_seconds", "comm": "fastest_comm_seconds"}


def use_statistic(name):
    """Make the tables use the fastest (``'fastest'``) or the median (``'median'``) step."""
    fastest = name == "fastest"
    STATISTIC["step"] = "fastest_step_seconds" if fastest else "step_seconds"
    STATISTIC["comm"] = "fastest_comm_seconds" if fastest else "comm_seconds"


def _step(fit, batch):
    return fit["batch"][str(batch)][STATISTIC["step"]]


def _throughput(fit, batch):
    return batch / _step(fit, batch)


def print_report(report, out=print, cost_model_only=False):
    works = report["workloads"]
    out("")
    out("gradients: " + "; ".join(
        f"{w}: {e['one_process_2_threads']['parameters']:,} parameters, "
        f"{e['one_process_2_threads']['gradient_bytes'] / 1e6:.2f} MB (float32)"
        for w, e in works.items()))
    if "allreduce" in report:
        out("")
        out("in-place MPI Allreduce (SUM, float32) on 2 ranks, shared memory "
            "(best / median of the repetitions):")
        for nbytes, (best, median) in sorted(report["allreduce"].items(),
                                             key=lambda kv: int(kv[0])):
            out(f"  {int(nbytes):>11,} bytes  {1e3 * best:9.3f} ms / {1e3 * median:9.3f} ms")
        link = report["shm_link"]
        out(f"  ring-model fit: bandwidth {link['bandwidth_bytes_per_s'] / 1e9:.2f} GB/s, "
            f"latency {1e6 * link['latency_s']:.1f} us")
    if not cost_model_only and any("two_processes_1_thread" in e for e in works.values()):
        out("")
        which = "fastest" if STATISTIC["step"].startswith("fastest") else "median"
        out(f"end-to-end fit (Adam, shuffled), {which} step over the alternating rounds:")
        out(measured_table(report))
    out("")
    out(cost_model_table(report))
    loads = [report["load_average_start"][0], *(
        f.get("load_average", [0])[0] for e in works.values() for f in e.values()
        if isinstance(f, dict)), report.get("load_average_end", [0])[0]]
    out("")
    out(f"1-minute load average during the run: {min(loads):.2f} to {max(loads):.2f} on "
        f"{report['cpu_count']} CPUs")
    if max(loads) > (report["cpu_count"] or 1) - 0.5:
        out("WARNING: other processes were running; 2-thread BLAS runs degrade badly when a "
            "thread waits for a core, so rerun on an idle machine for meaningful ratios")


def measured_table(report):
    """The Markdown table of throughput and communication share, from a report."""
    lines = ["| model | global batch | 1 process x 2 threads | 1 process x 1 thread | "
             "2 processes x 1 thread | 2x1 / 1x2 | comm per step | of which gradient "
             "allreduce | comm share of the step |",
             "|---|---|---|---|---|---|---|---|---|"]
    for workload, e in report["workloads"].items():
        if "two_processes_1_thread" not in e:
            continue
        batch = e["global_batch"]
        two = e["two_processes_1_thread"]["batch"][str(batch)]
        comm = sum(two[STATISTIC["comm"]].values())
        a, b, c = (_throughput(e[k], batch) for k in (
            "one_process_2_threads", "one_process_1_thread", "two_processes_1_thread"))
        lines.append(
            f"| {workload} | {batch} | {a:,.0f} samples/s | {b:,.0f} samples/s | "
            f"{c:,.0f} samples/s | {c / a:.2f} | {1e3 * comm:.2f} ms | "
            f"{1e3 * two[STATISTIC['comm']]['allreduce_sum']:.2f} ms | "
            f"{comm / two[STATISTIC['step']]:.0%} |")
    return "\n".join(lines)


def cost_model_table(report):
    """The Markdown scaling table of docs/distributed.md, from a report's measurements."""
    networks = dict(NETWORKS)
    if "shm_link" in report:
        link = report["shm_link"]
        networks["this machine, shared memory (measured)"] = (
            link["bandwidth_bytes_per_s"], link["latency_s"])
    lines = ["| network | model | gradients | ranks | batch/rank | allreduce | step "
             "(strong) | speedup | efficiency | comm share | weak scaling efficiency |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for net, (bandwidth, latency) in networks.items():
        for workload, e in report["workloads"].items():
            fit = e["one_process_2_threads"]
            compute = {int(b): v[STATISTIC["step"]] for b, v in fit["batch"].items()}
            if not all(math.ceil(e["global_batch"] / n) in compute for n in MACHINES):
                continue
            for row in scaling_rows(workload, fit["gradient_bytes"], compute,
                                    e["global_batch"], bandwidth, latency):
                lines.append(
                    f"| {net} | {workload} | {fit['gradient_bytes'] / 1e6:.2f} MB | "
                    f"{row['ranks']} | {row['per_rank_batch']} | {row['allreduce_ms']:.2f} ms | "
                    f"{row['strong_step_ms']:.2f} ms | {row['strong_speedup']:.1f}x | "
                    f"{row['strong_efficiency']:.0%} | {row['comm_share']:.0%} | "
                    f"{row['weak_efficiency']:.0%} |")
    steps = "; ".join(
        f"{w}: " + ", ".join(f"batch {b} {1e3 * v[STATISTIC['step']]:.2f} ms" for b, v in sorted(
            e["one_process_2_threads"]["batch"].items(), key=lambda kv: -int(kv[0])))
        for w, e in report["workloads"].items())
    which = "fastest" if STATISTIC["step"].startswith("fastest") else "median"
    return (f"measured single-process step (1 process x 2 threads, {which} step): {steps}\n\n"
            + "\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help="comma-separated subset of " + ",".join(WORKLOADS))
    parser.add_argument("--reps", type=int, default=3,
                        help="rounds: every configuration runs once per round, alternating")
    parser.add_argument("--cost-model", action="store_true",
                        help="only what the scaling table needs, then the table")
    parser.add_argument("--smoke", action="store_true", help="tiny runs, for the tests")
    parser.add_argument("--statistic", choices=("fastest", "median"), default="fastest",
                        help="step statistic of the tables (default: fastest, the machine "
                             "without the load of other processes)")
    parser.add_argument("--results", default=str(HERE / "results" / "distributed.json"))
    parser.add_argument("--report", default=None,
                        help="print the tables of a saved results JSON, measure nothing")
    parser.add_argument("--worker", choices=("fit", "allreduce"), help=argparse.SUPPRESS)
    parser.add_argument("--workload", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--batches", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--batch-sizes", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "fit":
        result = fit_worker(args.workload, args.batches,
                            [int(b) for b in args.batch_sizes.split(",")], args.reps)
        if result["ranks"] == 1 or _rank() == 0:
            print(RESULT + json.dumps(result), flush=True)
        return None
    if args.worker == "allreduce":
        result = allreduce_worker([int(s) for s in args.sizes.split(",")], args.reps)
        if _rank() == 0:
            print(RESULT + json.dumps(result), flush=True)
        return None
    use_statistic(args.statistic)
    if args.report:
        report = json.loads(Path(args.report).read_text())
        print_report(report, print, args.cost_model)
        return report
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = sorted(set(only) - set(WORKLOADS))
    if unknown:
        parser.error(f"--only: unknown {unknown}; choose from {', '.join(WORKLOADS)}")
    return run(only, smoke=args.smoke, reps=args.reps, cost_model_only=args.cost_model,
               results=Path(args.results))


def _rank():
    from mpi4py import MPI

    return MPI.COMM_WORLD.Get_rank()


if __name__ == "__main__":
    main()
