"""glassnet vs PyTorch (CPU) on the MNIST workloads, side by side in one run.

One command runs every workload for glassnet and, when installed, PyTorch, on the same data
(the MNIST bundled with glassnet, float32 in [0, 1]), the same batch size and the same number
of threads (2: ``torch.set_num_threads`` and, through threadpoolctl when installed, NumPy's
BLAS). Repetitions alternate the frameworks (glassnet, PyTorch, glassnet, ...) so that both see
the same machine state; each framework first runs one untimed warm-up. The table shows medians
and the ratio glassnet / PyTorch (lower is better; 1.0 = as fast as PyTorch).

Workloads (float32, Adam, learning rate 1e-3, one optimizer step per batch):

* ``mlp``: seed 003's 784-784-784-10 MLP, sigmoid everywhere, ``kernel_initializer='normal'``,
  categorical cross-entropy on the sigmoid outputs as Keras computes it (outputs normalized to
  sum 1, clipped to [1e-7, 1 - 1e-7]), batch 200: seconds per epoch (300 batches).
* ``lenet``: LeNet-5 (conv 6@5x5 same, pool, conv 16@5x5, pool, 120, 84, 10; ReLU), softmax
  cross-entropy from logits, batch 128: seconds per 100 batches. The models come from
  ``benchmarks/bench_conv_lstm.py``.
* ``lstm``: LSTM(128) over the 28 rows of an image, Dense(10), softmax cross-entropy from logits,
  batch 128: seconds per 100 batches (models from ``bench_conv_lstm.py``).

glassnet is driven through its public Keras-style API: ``Sequential`` + ``compile`` + ``fit``
(``verbose=0``, no metrics, shuffled); PyTorch through the usual loop (``randperm`` batches,
``zero_grad``, forward, loss, ``backward``, ``step``, ``loss.item()``).

Also reported:

* the GEMM roofline of the MLP: the float32 FLOPs of one epoch's matrix products (forward and
  backward, the same shapes glassnet and PyTorch run) divided by the rate NumPy's BLAS reaches
  on exactly those products here, i.e. the time one epoch would take if it were nothing but its
  GEMMs; each framework's fraction = roofline time / its epoch time;
* ``import glassnet`` vs ``import torch`` (seconds, fresh interpreters, median);
* peak memory of one MLP epoch: each framework in its own fresh subprocess; measured is the
  peak resident set size (``VmHWM`` on Linux, see ``_peak_rss_mib``; ``ru_maxrss`` elsewhere)
  after building the model and training one epoch, minus the same peak after the imports
  (torch for PyTorch, glassnet for both) and the data load (the MLP's float32 inputs and
  one-hot targets, read from ``.npy`` files so that the load leaves no transient peak above
  the data's live size); a delta of peaks, in MiB.

Environment: ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` in the environment can make OpenBLAS
pick a slow kernel; this script (only this script, for its own process) re-executes itself
without them and says so (``--keep-env`` keeps them). The BLAS library, kernel and thread
count are printed from threadpoolctl when it is installed.

Usage:
    python benchmarks/run.py [--quick] [--reps N] [--only mlp,lenet,lstm,roofline,import,rss]
        [--frameworks glassnet,torch,jax] [--threads 2] [--name run] [--no-retain-memory]

Results are printed and written to ``benchmarks/results/<name>.json``. Requires only glassnet;
PyTorch (``pip install glassnet[bench]``) adds the comparison (the targets are ratios to
PyTorch), and JAX, when installed (``pip install jax``), a third column: the same models
written in ``jax.numpy`` with one jitted training step (``benchmarks/bench_jax.py``).
"""

import os
import sys

_BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_MARK = "_GLASSNET_BENCH_REMOVED_ENV"


def _reexec_without_blas_env():
    """Re-run this script without the OpenBLAS tuning variables (before NumPy is imported)."""
    if "--keep-env" in sys.argv or _MARK in os.environ:
        return
    removed = [name for name in _BLAS_ENV if name in os.environ]
    if not removed:
        return
    env = {k: v for k, v in os.environ.items() if k not in removed}
    env[_MARK] = ",".join(f"{name}={os.environ[name]}" for name in removed)
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


if __name__ == "__main__":
    _reexec_without_blas_env()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
THREADS = 2
LEARNING_RATE = 1e-3
FRAMEWORKS = ("glassnet", "torch", "jax")
WORKLOADS = ("mlp", "lenet", "lstm")
EXTRAS = ("roofline", "import", "rss")
TARGETS = {"mlp": 1.0, "lenet": 1.5, "lstm": 1.5}


# ------------------------------------------------------------------------ environment
def load_torch(threads=THREADS):
    """``torch`` using ``threads`` threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def limit_blas_threads(threads=THREADS):
    """Limit NumPy's BLAS to ``threads`` threads; returns (context, note)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext(), "threadpoolctl not installed: BLAS thread count left at "\
            "its default"
    return threadpool_limits(threads, user_api="blas"), f"BLAS limited to {threads} threads"


def blas_info():
    """What threadpoolctl says about the loaded BLAS (library, kernel, threads), if installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = ("user_api", "internal_api", "version", "architecture", "num_threads", "prefix")
    return [{k: pool.get(k) for k in keys} for pool in threadpool_info()]


def environment_note():
    removed = os.environ.get(_MARK)
    if removed:
        return f"re-executed without {removed} (this process only)"
    kept = [f"{n}={os.environ[n]}" for n in _BLAS_ENV if n in os.environ]
    return f"kept {', '.join(kept)} (--keep-env)" if kept else "no OPENBLAS_* tuning variables set"


# ------------------------------------------------------------------------ data
def load_data():
    """The bundled MNIST training set as float32 arrays in every layout the workloads use."""
    from glassnet.datasets import mnist

    (x, y), _ = mnist.load_data()
    images = (x.astype(np.float32) / np.float32(255.0))  # (N, 28, 28)
    labels = y.astype(np.int64)
    return {
        "flat": images.reshape(len(images), -1),           # (N, 784)   MLP
        "onehot": np.eye(10, dtype=np.float32)[labels],    # (N, 10)    MLP targets
        "nhwc": images[..., None],                         # (N, 28, 28, 1)  glassnet conv
        "nchw": images[:, None],                           # (N, 1, 28, 28)  PyTorch conv
        "rows": images,                                    # (N, 28, 28)     LSTM
        "labels": labels,                                  # (N,)
    }


def _sibling(name):
    """The module ``benchmarks/<name>.py`` (this folder is not a package)."""
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bench_conv_lstm():
    """``benchmarks/bench_conv_lstm.py`` (LeNet-5 and LSTM model definitions)."""
    return _sibling("bench_conv_lstm")


# ------------------------------------------------------------------------ glassnet side
def glassnet_mlp():
    from glassnet.layers import Dense
    from glassnet.models import Sequential

    return Sequential([
        Dense(784, activation="sigmoid", kernel_initializer="normal", input_shape=(784,)),
        Dense(784, activation="sigmoid", kernel_initializer="normal"),
        Dense(10, activation="sigmoid", kernel_initializer="normal"),
    ])


def glassnet_trainer(workload, data, batch_size):
    """A function ``train(n_batches) -> seconds`` running ``model.fit`` on the first batches."""
    from glassnet.optimizers import Adam

    if workload == "mlp":
        model, x, y, loss = glassnet_mlp(), data["flat"], data["onehot"], \
            "categorical_crossentropy"
    else:
        from glassnet.losses import SparseCategoricalCrossentropy

        bench = _bench_conv_lstm()
        make = bench.glassnet_lenet if workload == "lenet" else bench.glassnet_lstm
        x = data["nhwc"] if workload == "lenet" else data["rows"]
        model, y, loss = make(), data["labels"], SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=Adam(learning_rate=LEARNING_RATE), loss=loss)

    def train(n_batches):
        n = n_batches * batch_size
        start = time.perf_counter()
        model.fit(x[:n], y[:n], batch_size=batch_size, epochs=1, verbose=0, shuffle=True)
        return time.perf_counter() - start

    return train


# ------------------------------------------------------------------------ PyTorch side
def torch_mlp(torch):
    nn = torch.nn
    model = nn.Sequential(nn.Linear(784, 784), nn.Sigmoid(), nn.Linear(784, 784), nn.Sigmoid(),
                          nn.Linear(784, 10), nn.Sigmoid())
    for layer in model:
        if isinstance(layer, nn.Linear):  # Keras 'normal': N(0, 0.05^2), zero bias
            nn.init.normal_(layer.weight, std=0.05)
            nn.init.zeros_(layer.bias)
    return model


def torch_keras_categorical_crossentropy(torch, y_true, y_pred, epsilon=1e-7):
    """Keras's categorical cross-entropy on probabilities: normalize, clip, -sum y log p."""
    y_pred = y_pred / y_pred.sum(dim=1, keepdim=True)
    y_pred = y_pred.clamp(epsilon, 1.0 - epsilon)
    return -(y_true * torch.log(y_pred)).sum(dim=1).mean()


def torch_trainer(torch, workload, data, batch_size):
    """A function ``train(n_batches) -> seconds``: the usual PyTorch training loop."""
    if workload == "mlp":
        model = torch_mlp(torch)
        x, y = torch.from_numpy(data["flat"]), torch.from_numpy(data["onehot"])

        def loss_fn(out, target):
            return torch_keras_categorical_crossentropy(torch, target, out)
    else:
        bench = _bench_conv_lstm()
        make = bench.torch_lenet if workload == "lenet" else bench.torch_lstm
        model = make(torch)
        x = torch.from_numpy(data["nchw"] if workload == "lenet" else data["rows"])
        y = torch.from_numpy(data["labels"])
        loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    model.train()

    def train(n_batches):
        start = time.perf_counter()
        order = torch.randperm(n_batches * batch_size)
        total = 0.0
        for i in range(n_batches):
            index = order[i * batch_size:(i + 1) * batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            opt.step()
            total += loss.item()
        return time.perf_counter() - start

    return train


# ------------------------------------------------------------------------ workloads
#: name -> (batch size, batches in the reported unit, batches timed with --quick, unit)
SPECS = {
    "mlp": (200, 300, 30, "s/epoch"),
    "lenet": (128, 100, 10, "s/100 batches"),
    "lstm": (128, 100, 10, "s/100 batches"),
}


def _bench_jax():
    """``benchmarks/bench_jax.py`` (the JAX models and training step)."""
    return _sibling("bench_jax")


def load_jax():
    """``(jax, jax.numpy)``, or None when JAX is not installed."""
    return _bench_jax().load_jax()


def make_trainer(framework, workload, data, torch=None, jax=None):
    batch_size = SPECS[workload][0]
    if framework == "glassnet":
        return glassnet_trainer(workload, data, batch_size)
    if framework == "jax":
        return _bench_jax().jax_trainer(jax, workload, data, batch_size, LEARNING_RATE)
    return torch_trainer(torch, workload, data, batch_size)


def time_workload(workload, data, frameworks, reps, n_batches, torch=None, warmup_batches=2,
                  also=None, jax=None):
    """Alternate the frameworks ``reps`` times; returns {framework: [seconds per unit]}.

    Each run trains ``n_batches`` batches and its time is scaled to the workload's unit
    (``SPECS[workload][1]`` batches). Every framework first trains ``warmup_batches`` untimed.
    ``also`` maps extra names to functions returning seconds per unit, run in the same
    rotation (the GEMM roofline, so that it sees the same machine state as the runs).
    """
    unit_batches = SPECS[workload][1]
    trainers = {fw: make_trainer(fw, workload, data, torch, jax) for fw in frameworks}
    for train in trainers.values():
        train(warmup_batches)
    times = {name: [] for name in [*frameworks, *(also or {})]}
    for _ in range(reps):
        for fw, train in trainers.items():
            times[fw].append(train(n_batches) * unit_batches / n_batches)
        for name, measure in (also or {}).items():
            times[name].append(measure())
    return times


# ------------------------------------------------------------------------ GEMM roofline
def mlp_gemm_shapes(batch_size=200, sizes=(784, 784, 784, 10)):
    """(m, k, n, transposes) of every matrix product of one MLP training step.

    Forward: X_l @ W_l. Backward: dW_l = X_l^T @ G_l for every layer, dX_l = G_l @ W_l^T for
    every layer but the first (the input needs no gradient).
    """
    shapes = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        shapes.append(("forward", batch_size, fan_in, fan_out, ""))
        shapes.append(("dW", fan_in, batch_size, fan_out, "A^T"))
        if i > 0:
            shapes.append(("dX", batch_size, fan_out, fan_in, "B^T"))
    return shapes


def gemm_roofline(batch_size=200, batches_per_epoch=300, reps=20):
    """Measured float32 GEMM rate of NumPy at the MLP's shapes and the epoch time it implies."""
    rng = np.random.default_rng(0)
    products = []
    flops = 0
    for _, m, k, n, trans in mlp_gemm_shapes(batch_size):
        a = rng.standard_normal((k, m) if trans == "A^T" else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if trans == "B^T" else (k, n), dtype=np.float32)
        a = a.T if trans == "A^T" else a
        b = b.T if trans == "B^T" else b
        products.append((a, b, np.empty((m, n), np.float32)))
        flops += 2 * m * k * n
    for a, b, out in products:
        np.matmul(a, b, out=out)
    runs = []
    for _ in range(reps):
        start = time.perf_counter()
        for a, b, out in products:
            np.matmul(a, b, out=out)
        runs.append(time.perf_counter() - start)
    step = statistics.median(runs)
    return {
        "flops_per_step": flops,
        "flops_per_epoch": flops * batches_per_epoch,
        "gemm_seconds_per_step": step,
        "gflops_per_second": flops / step / 1e9,
        "roofline_seconds_per_epoch": step * batches_per_epoch,
    }


# ------------------------------------------------------------------------ import time, RSS
_IMPORT_SNIPPET = "import time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)"


def import_seconds(module, runs=5):
    """Median seconds of ``import module`` in ``runs`` fresh interpreters (startup excluded).

    Measured as an installed package is used: from cached bytecode. One untimed import first
    writes the ``__pycache__`` files, with ``PYTHONDONTWRITEBYTECODE`` dropped for these
    subprocesses (a sandbox that sets it would otherwise time the compiler, not the import).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for _ in range(runs + 1):
        out = subprocess.run([sys.executable, "-c", _IMPORT_SNIPPET.format(m=module)],
                             capture_output=True, text=True, check=True, env=env)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    times = times[1:]  # the warm-up
    return statistics.median(times), times


def _status_mib(field):
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in MiB; None if unreadable."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _peak_rss_mib():
    """This process's peak resident set size in MiB, and where it was read.

    ``ru_maxrss`` of a child started from a big parent starts at the parent's size (Linux
    folds the forked copy's high-water mark into it at exec), so on Linux the peak of this
    process image, ``VmHWM`` in ``/proc/self/status``, is read instead; elsewhere
    ``resource.getrusage(RUSAGE_SELF).ru_maxrss``.
    """
    hwm = _status_mib("VmHWM")
    if hwm is not None:
        return hwm, "VmHWM"
    scale = 1 / 1024 / 1024 if sys.platform == "darwin" else 1 / 1024  # bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale, "ru_maxrss"


def rss_child(framework, n_batches, data_dir, threads=THREADS):
    """In a fresh process: peak RSS growth (MiB) from one MLP epoch of ``framework``.

    The data come from ``.npy`` files (``np.load`` reads them straight into their arrays), so
    loading them leaves no transient peak above their live size: the baseline peak is what is
    really held after the imports and the data load.
    """
    torch = load_torch(threads) if framework == "torch" else None
    jax = load_jax() if framework == "jax" else None
    import glassnet  # noqa: F401  (imported by every side: the baseline includes it)

    limiter, _ = limit_blas_threads(threads)
    with limiter:
        data = {key: np.load(Path(data_dir) / f"{key}.npy") for key in ("flat", "onehot")}
        (baseline, source), current = _peak_rss_mib(), _status_mib("VmRSS")
        train = make_trainer(framework, "mlp", data, torch, jax)
        train(n_batches)
        peak, _ = _peak_rss_mib()
    return {"baseline_mib": baseline, "baseline_current_mib": current, "peak_mib": peak,
            "delta_mib": peak - baseline, "batches": n_batches, "source": source}


def rss(framework, n_batches, data_dir, threads=THREADS):
    out = subprocess.run([sys.executable, __file__, "--keep-env", "--_rss", framework,
                          "--_batches", str(n_batches), "--_data", str(data_dir),
                          "--threads", str(threads)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def rss_all(frameworks, n_batches, data=None, threads=THREADS):
    """Peak RSS growth of one MLP run per framework, each in its own fresh subprocess."""
    import tempfile

    data = data or load_data()
    with tempfile.TemporaryDirectory(prefix="glassnet-bench-") as data_dir:
        for key in ("flat", "onehot"):
            np.save(Path(data_dir) / f"{key}.npy", data[key])
        return {fw: rss(fw, n_batches, data_dir, threads) for fw in frameworks}


# ------------------------------------------------------------------------ driver
def _fmt(value, spec="{:.3f}"):
    return "-" if value is None else spec.format(value)


def run(only=WORKLOADS + EXTRAS, reps=5, quick=False, frameworks=FRAMEWORKS, name="run",
        n_batches=None, results_dir=HERE / "results", import_runs=5, threads=THREADS,
        retain_memory=True, out=print):
    """Run the benchmarks; returns the report dict (also written to ``results_dir/name.json``).

    Args:
        only: workloads and extras to run (see WORKLOADS and EXTRAS).
        reps: timed repetitions per framework.
        quick: time a fraction of each unit (``SPECS``) and scale it.
        frameworks: the frameworks to time (PyTorch is skipped when not installed).
        name: the JSON file's name.
        n_batches: batches per timed run (overrides the unit and --quick; for smoke tests).
        results_dir: where the JSON goes.
        import_runs: fresh interpreters per import-time measurement.
        threads: threads for PyTorch and NumPy's BLAS (default 2).
        retain_memory: ``glassnet.config.retain_memory`` for this run (True is glassnet's
            default: ``fit`` tunes glibc's malloc, process-wide, so PyTorch's runs in this
            process get the same allocator settings).
        out: the print function.
    """
    import glassnet

    glassnet.config.retain_memory = bool(retain_memory)
    torch_asked, jax_asked = "torch" in frameworks, "jax" in frameworks
    torch = load_torch(threads) if torch_asked else None
    jax = load_jax() if jax_asked else None
    frameworks = [fw for fw in frameworks if (fw != "torch" or torch is not None)
                  and (fw != "jax" or jax is not None)]
    limiter, thread_note = limit_blas_threads(threads)
    report = {
        "name": name, "quick": quick, "reps": reps, "threads": threads,
        "frameworks": frameworks, "python": sys.version.split()[0], "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__,
        "jax": None if jax is None else jax[0].__version__,
        "machine": platform.machine(), "cpu_count": os.cpu_count(),
        "load_average_start": os.getloadavg(), "environment": environment_note(),
        "threads_note": thread_note, "retain_memory": bool(retain_memory), "workloads": {},
    }
    out(f"glassnet benchmarks: {'quick, ' if quick else ''}{reps} alternating repetitions, "
        f"{threads} thread(s); Python {report['python']}, NumPy {np.__version__}, "
        f"PyTorch {report['torch'] or ('not installed' if torch_asked else 'not requested')}; JAX "
        f"{report['jax'] or ('not installed' if jax_asked else 'not requested')}")
    out(f"environment: {report['environment']}; {thread_note}")
    out("allocator: " + ("glassnet's fit applies gn.backend.retain_freed_memory() "
                         "(gn.config.retain_memory, the default); PyTorch, in the same process, "
                         "runs under the same malloc settings" if retain_memory else
                         "gn.config.retain_memory = False (C library defaults)"))
    with limiter:
        report["blas"] = blas_info()
        for pool in report["blas"]:
            out(f"  {pool['user_api']}: {pool['internal_api']} {pool['version'] or ''} "
                f"kernel={pool.get('architecture')} threads={pool['num_threads']}")
        load = report["load_average_start"]
        out(f"load average at start: {' '.join(f'{v:.2f}' for v in load)} on "
            f"{os.cpu_count()} CPUs")
        if load[0] > (os.cpu_count() or 1) - 0.5 and threads > 1:
            out("WARNING: the machine is busy with other processes; multi-threaded BLAS/OpenMP "
                "runs degrade badly when threads wait for a core (small GEMMs 10-100x slower), "
                "so these timings mostly measure scheduling: rerun on an idle machine or with "
                "--threads 1")
        selected = [w for w in WORKLOADS if w in only]
        data = load_data() if selected else None
        for workload in selected:
            batch_size, unit_batches, quick_batches, unit = SPECS[workload]
            timed = n_batches or (quick_batches if quick else unit_batches)
            also = None
            if workload == "mlp" and "roofline" in only:
                def roofline_epoch():
                    return gemm_roofline(reps=5)["roofline_seconds_per_epoch"]
                also = {"roofline": roofline_epoch}
            times = time_workload(workload, data, frameworks, reps, timed, torch, also=also,
                                  jax=jax)
            roofline_runs = times.pop("roofline", None)
            if roofline_runs:
                report["roofline_interleaved_seconds"] = roofline_runs
            entry = {"unit": unit, "batch_size": batch_size, "batches_timed": timed,
                     "seconds": times,
                     "median": {fw: statistics.median(v) for fw, v in times.items()}}
            if "torch" in entry["median"]:
                entry["ratio"] = entry["median"]["glassnet"] / entry["median"]["torch"]
                entry["target_ratio"] = TARGETS[workload]
            if "jax" in entry["median"]:
                entry["ratio_jax"] = entry["median"]["glassnet"] / entry["median"]["jax"]
            report["workloads"][workload] = entry
            out(f"  {workload}: " + ", ".join(
                f"{fw} {m:.3f}" for fw, m in entry["median"].items()) + f" {unit} (median)")
        if "roofline" in only:
            report["roofline"] = gemm_roofline()
            interleaved = report.pop("roofline_interleaved_seconds", None)
            if interleaved:  # measured between the MLP runs: use it for the fractions
                epoch = statistics.median(interleaved)
                report["roofline"].update(
                    interleaved_seconds_per_epoch=interleaved,
                    roofline_seconds_per_epoch=epoch,
                    gflops_per_second=report["roofline"]["flops_per_epoch"] / epoch / 1e9)
    if "import" in only:
        report["import_seconds"] = {}
        for fw in frameworks:
            median, runs = import_seconds(fw, import_runs)
            report["import_seconds"][fw] = {"median": median, "runs": runs}
    if "rss" in only:
        rss_batches = n_batches or (SPECS["mlp"][2] if quick else SPECS["mlp"][1])
        report["rss_mib"] = rss_all(frameworks, rss_batches, data if selected else None,
                                    threads)
    report["load_average_end"] = os.getloadavg()
    print_report(report, out)
    path = Path(results_dir) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    report["json_path"] = str(path)
    out(f"wrote {path}")
    return report


def print_report(report, out=print):
    workloads = report["workloads"]
    if workloads:
        out("")
        names = {"glassnet": "glassnet", "torch": "PyTorch", "jax": "JAX"}
        out(f"{'workload':<9}{'unit':<15}{'glassnet':>10}{'PyTorch':>10}{'ratio':>8}"
            f"{'target':>8}{'JAX':>10}{'vs JAX':>8}   min-max ("
            + " / ".join(names[fw] for fw in report["frameworks"]) + ")")
        for name, e in workloads.items():
            med, secs = e["median"], e["seconds"]
            spread = " / ".join(f"{min(v):.3f}-{max(v):.3f}" for v in secs.values())
            out(f"{name:<9}{e['unit']:<15}{_fmt(med.get('glassnet')):>10}"
                f"{_fmt(med.get('torch')):>10}{_fmt(e.get('ratio'), '{:.2f}x'):>8}"
                f"{_fmt(e.get('target_ratio'), '<={:.1f}x'):>8}{_fmt(med.get('jax')):>10}"
                f"{_fmt(e.get('ratio_jax'), '{:.2f}x'):>8}   {spread}")
        quick = [f"{n}: {e['batches_timed']} batches" for n, e in workloads.items()]
        out(f"(medians; each run timed {', '.join(quick)}, scaled to the unit)")
    roof = report.get("roofline")
    if roof:
        out("")
        where = ("median of the measurements between the MLP runs"
                 if "interleaved_seconds_per_epoch" in roof else "measured once")
        out(f"MLP GEMM roofline: {roof['flops_per_epoch'] / 1e9:.1f} GFLOP per epoch at "
            f"{roof['gflops_per_second']:.1f} GFLOP/s (NumPy float32, these shapes; {where}) "
            f"= {roof['roofline_seconds_per_epoch']:.3f} s/epoch")
        mlp = workloads.get("mlp")
        if mlp and mlp["batches_timed"]:
            for fw, seconds in mlp["median"].items():
                fraction = roof["roofline_seconds_per_epoch"] / seconds
                roof.setdefault("fraction", {})[fw] = fraction
                out(f"  {fw}: {fraction:.0%} of the roofline (target for glassnet >= 75%)")
    imports = report.get("import_seconds")
    if imports:
        out("")
        out("import time (fresh interpreter, median): " + ", ".join(
            f"{fw} {v['median']:.3f} s" for fw, v in imports.items())
            + " (target: glassnet <= 0.3 s and below torch)")
    mem = report.get("rss_mib")
    if mem:
        out("")
        source = next(iter(mem.values()))["source"]
        out(f"peak RSS of one MLP epoch (own subprocess; peak RSS ({source}) after model build "
            f"+ training minus peak RSS after imports + data load):")
        for fw, v in mem.items():
            out(f"  {fw}: +{v['delta_mib']:.1f} MiB (baseline peak {v['baseline_mib']:.1f} MiB, "
                f"current {_fmt(v['baseline_current_mib'], '{:.1f}')} MiB; peak after "
                f"{v['peak_mib']:.1f} MiB; {v['batches']} batches)")
    out("")
    out(f"load average at end: {' '.join(f'{v:.2f}' for v in report['load_average_end'])}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="time a fraction of each unit and scale it (3 repetitions)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 5, quick 3)")
    parser.add_argument("--only", default=",".join(WORKLOADS + EXTRAS),
                        help="comma-separated subset of " + ",".join(WORKLOADS + EXTRAS))
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--threads", type=int, default=THREADS,
                        help=f"threads for PyTorch and NumPy's BLAS (default {THREADS})")
    parser.add_argument("--name", default="run", help="results file benchmarks/results/NAME.json")
    parser.add_argument("--keep-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE")
    parser.add_argument("--retain-memory", action=argparse.BooleanOptionalAction, default=True,
                        help="gn.config.retain_memory for glassnet's fit (default: on, as in "
                             "glassnet)")
    parser.add_argument("--_rss", help=argparse.SUPPRESS)
    parser.add_argument("--_batches", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._rss:
        print(json.dumps(rss_child(args._rss, args._batches, args._data, args.threads)))
        return None
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = sorted(set(only) - set(WORKLOADS + EXTRAS))
    if unknown:
        parser.error(f"--only: unknown {unknown}; choose from {', '.join(WORKLOADS + EXTRAS)}")
    reps = args.reps if args.reps is not None else (3 if args.quick else 5)
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    return run(only=only, reps=reps, quick=args.quick, frameworks=frameworks, name=args.name,
               threads=args.threads, retain_memory=args.retain_memory)


if __name__ == "__main__":
    main()
