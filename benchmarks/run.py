"""glassnet vs PyTorch (CPU) on the benchmark workloads, side by side in one run.

One command runs every workload for glassnet and, when installed, PyTorch, on the same data,
the same batch size and the same number of threads, at each thread count of ``--threads``
(default ``2,1``: the two cores of the reference machine, then one). At a thread count ``t``
every framework gets ``t`` threads: ``torch.set_num_threads(t)``, NumPy's BLAS through
threadpoolctl (when installed) and numba's parallel kernels through
``glassnet.kernels.set_num_threads(t)``. Each framework trains each workload in a fresh
worker process of its own (``FrameworkProcess``), which imports only that framework, as a
program training that one model does; this process drives them over pipes. (A glassnet worker
that had trained the MLP and LeNet first ran the LSTM 4.5 % slower than a fresh one, both
alternating in one run, on a Zen 4 VM.) Repetitions alternate the frameworks (glassnet, glassnet
(NumPy), PyTorch, ...) so that all see the same machine state, 0.25 s apart
(``SETTLE_SECONDS``); each framework first runs one untimed warm-up (which also compiles or
loads glassnet's kernels). The table shows medians and the ratios glassnet / PyTorch (lower is
better; 1.0 = as fast as PyTorch). ``--in-process`` runs them all in this one process instead,
PyTorch beside glassnet: numba then shares PyTorch's OpenMP runtime and glassnet's kernels run
on numba's workqueue pool (``glassnet/kernels/__init__.py``), and glassnet's malloc tuning
applies to PyTorch's runs too.

glassnet runs twice when numba (the optional ``[fast]`` extra) is installed: as installed,
``gn.config.accelerator = 'auto'`` (the fused kernels of ``glassnet/kernels/``), column
"glassnet", and with ``'numpy'`` (the pure NumPy reference path), column "glassnet (NumPy)".
Without numba the "glassnet" column is the NumPy path and the second column is left out. The
accelerator used (numba version, threading layer, thread count) and the kernels' compile report
(``glassnet.kernels.compile_report()``: seconds of each kernel's first call, cache hits) are
printed after the run.

Workloads (float32, Adam, learning rate 1e-3, one optimizer step per batch):

* ``mlp``: seed 003's 784-784-784-10 MLP, sigmoid everywhere, ``kernel_initializer='normal'``,
  categorical cross-entropy on the sigmoid outputs as Keras computes it (outputs normalized to
  sum 1, clipped to [1e-7, 1 - 1e-7]), batch 200: seconds per epoch (300 batches).
* ``lenet``: LeNet-5 (conv 6@5x5 same, pool, conv 16@5x5, pool, 120, 84, 10; ReLU), softmax
  cross-entropy from logits, batch 128: seconds per 100 batches.
* ``lstm``: LSTM(128) over the 28 rows of an image, Dense(10), softmax cross-entropy from logits,
  batch 128: seconds per 100 batches.
* ``gru``: GRU(128) (Keras 3 defaults, ``reset_after=True``, which is ``torch.nn.GRU``'s form)
  over the 28 rows, Dense(10), batch 128: seconds per 100 batches.
* ``cifar``: seed 004's CIFAR-10 CNN (conv 32@3x3, pool, conv 64@3x3, pool, conv 64@3x3, 64,
  10 softmax, 122,570 parameters; the seed's softmax output with a from-logits loss), batch 64:
  seconds per 100 batches, on CIFAR-10 when it is in glassnet's dataset cache, else on random
  images of CIFAR's shape (N, 32, 32, 3) (the printout says which).

MNIST is the copy bundled with glassnet (float32 in [0, 1]). The models come from
``benchmarks/bench_conv_lstm.py`` (except the MLP, defined here). glassnet is driven through its
public Keras-style API: ``Sequential`` + ``compile`` + ``fit`` (``verbose=0``, no metrics,
shuffled); PyTorch through the usual loop (``randperm`` batches, ``zero_grad``, forward, loss,
``backward``, ``step``, ``loss.item()``).

Targets (``TARGETS``, each glassnet / PyTorch in this run): mlp <= 1.0x, lenet <= 1.0x,
lstm <= 1.0x, gru <= 1.0x, cifar <= 1.2x; the MLP at >= 65 % of its GEMM roofline; ``import
glassnet`` <= 0.3 s; the peak RSS growth of an MLP epoch <= PyTorch's. A checklist at the end
says which are met, for the accelerator and for the NumPy path, at every thread count.

Also reported:

* the machine: CPU model, instruction-set extensions (avx2, avx512f, ... from /proc/cpuinfo;
  ``platform`` elsewhere), logical CPUs and cores;
* the GEMM roofline of the MLP: the float32 FLOPs of one epoch's matrix products (forward and
  backward, the same shapes glassnet and PyTorch run) divided by the rate NumPy's BLAS reaches
  on exactly those products here, i.e. the time one epoch would take if it were nothing but its
  GEMMs; each framework's fraction = roofline time / its epoch time;
* ``gemm``: the rate of every matrix product of every selected workload, in the operand layouts
  glassnet uses, against the best layout of the same product and the machine's measured sgemm
  peak (``benchmarks/gemm.py``), at each thread count;
* ``import glassnet`` vs ``import torch`` (seconds, fresh interpreters, median);
* peak memory of one MLP epoch: each framework in its own fresh subprocess; measured is the
  peak resident set size (``VmHWM`` on Linux, see ``_peak_rss_mib``; ``ru_maxrss`` elsewhere)
  after building the model and training one epoch, minus the same peak after the imports
  (torch for PyTorch, glassnet for all, and numba for glassnet with the accelerator: library
  code, like torch's) and the data load (the MLP's float32 inputs and one-hot targets, read
  from ``.npy`` files so that the load leaves no transient peak above the data's live size);
  a delta of peaks, in MiB;
* ``compile``: the kernels' first-call cost with an empty numba cache and again with the cache
  it filled (two fresh subprocesses sharing a new ``NUMBA_CACHE_DIR``, which only says where the
  cache lives), one batch of each selected workload: what a new install pays once, and what
  every later process pays.

Environment: ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` in the environment can make OpenBLAS
pick a slow kernel; this script (only this script, for its own process) re-executes itself
without them and says so (``--keep-env`` keeps them). The BLAS library, kernel and thread
count are printed from threadpoolctl when it is installed.

Run time: printed at the end ("run took N s") and stored as ``run_seconds``. The full default
run (5 repetitions + a warm-up, threads 2 and 1, glassnet twice and PyTorch, the GEMM tables,
the compile check) is estimated at 10-15 minutes on a quiet 2-core machine (not yet measured
quiet: on a shared machine it takes far longer); ``--threads 2`` saves the 1-thread pass (the
slower half); ``--quick`` trains a tenth of each unit, 3 repetitions.

Usage:
    python benchmarks/run.py [--quick] [--reps N] [--threads 2,1]
        [--only mlp,lenet,lstm,gru,cifar,roofline,gemm,import,rss,compile]
        [--frameworks glassnet,glassnet_numpy,torch,jax] [--name run] [--no-retain-memory]
        [--in-process]

Results are printed and written to ``benchmarks/results/<name>.json``. Requires only glassnet;
PyTorch (``pip install glassnet[bench]``) adds the comparison (the targets are ratios to
PyTorch), and JAX, when installed (``pip install jax``), a further column for mlp, lenet and
lstm: the same models written in ``jax.numpy`` with one jitted training step
(``benchmarks/bench_jax.py``); XLA sizes its own thread pool, so JAX runs only at the first
thread count.
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
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
THREADS = 2
DEFAULT_THREADS = (THREADS, 1)
LEARNING_RATE = 1e-3
FRAMEWORKS = ("glassnet", "glassnet_numpy", "torch", "jax")
LABELS = {"glassnet": "glassnet", "glassnet_numpy": "glassnet (NumPy)", "torch": "PyTorch",
          "jax": "JAX"}
WORKLOADS = ("mlp", "lenet", "lstm", "gru", "cifar")
JAX_WORKLOADS = ("mlp", "lenet", "lstm")  # written in benchmarks/bench_jax.py
EXTRAS = ("roofline", "gemm", "import", "rss", "compile")
TARGETS = {"mlp": 1.0, "lenet": 1.0, "lstm": 1.0, "gru": 1.0, "cifar": 1.2}
ROOFLINE_TARGET = 0.65  # glassnet's MLP epoch at >= 65 % of its GEMM roofline
IMPORT_TARGET = 0.3  # seconds
ISA_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw",
             "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16",
             "neon", "asimd", "sve")


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


@contextlib.contextmanager
def thread_limits(threads, torch=None, numba=True):
    """Every framework at ``threads`` threads: PyTorch, NumPy's BLAS and numba's kernels.

    ``numba=False`` leaves numba alone (not even imported: a process that runs no kernel).
    Yields a note saying what was limited; the previous settings are restored on exit.
    """
    from glassnet import kernels

    old_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(threads)
    old_numba = None
    notes = []
    if numba and kernels.available():
        import numba

        old_numba = kernels.get_num_threads()
        kernels.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        notes.append(f"numba threads {kernels.get_num_threads()}")
    limiter, note = limit_blas_threads(threads)
    try:
        with limiter:
            yield "; ".join([note, *notes] + ([f"torch threads {threads}"] if torch else []))
    finally:
        if torch is not None:
            torch.set_num_threads(old_torch)
        if old_numba is not None:
            kernels.set_num_threads(old_numba)


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


def cpu_info(cpuinfo_path="/proc/cpuinfo"):
    """The CPU: model name, instruction-set extensions, logical CPUs and physical cores.

    Read from ``/proc/cpuinfo`` (Linux: ``model name``, ``flags``, the distinct
    ``(physical id, core id)`` pairs); elsewhere ``platform.processor()`` and no flag list.
    ``isa`` lists the flags of ``ISA_FLAGS`` the CPU has; ``isa_level`` names the widest
    vector extension ('AVX-512', 'AVX2', 'AVX', 'SSE4.2', 'NEON' or 'unknown').
    """
    info = {"model": platform.processor() or platform.machine(), "machine": platform.machine(),
            "logical_cpus": os.cpu_count(), "physical_cores": None, "isa": [],
            "source": "platform"}
    if hasattr(os, "sched_getaffinity"):
        info["usable_cpus"] = len(os.sched_getaffinity(0))
    try:
        with open(cpuinfo_path) as f:
            text = f.read()
    except OSError:
        text = ""
    if text:
        fields, cores = {}, set()
        for block in text.split("\n\n"):
            entry = {}
            for line in block.splitlines():
                key, sep, value = line.partition(":")
                if sep:
                    entry[key.strip()] = value.strip()
            if entry:
                for key in ("model name", "flags", "Features", "vendor_id", "cpu MHz"):
                    if key in entry:
                        fields.setdefault(key, entry[key])
                if "core id" in entry:
                    cores.add((entry.get("physical id"), entry["core id"]))
        flags = set((fields.get("flags") or fields.get("Features") or "").split())
        info.update(source=cpuinfo_path, isa=[f for f in ISA_FLAGS if f in flags],
                    vendor=fields.get("vendor_id"), physical_cores=len(cores) or None)
        if fields.get("model name"):
            info["model"] = fields["model name"]
    isa = set(info["isa"])
    info["isa_level"] = next((name for flag, name in (
        ("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"), ("sse4_2", "SSE4.2"),
        ("asimd", "NEON"), ("neon", "NEON")) if flag in isa), "unknown")
    return info


def accelerator_info(run_done=False):
    """glassnet's accelerator: config choice, whether kernels run, numba's version and threads.

    ``threading_layer`` is known only after a parallel kernel ran (``run_done``).
    """
    import glassnet
    from glassnet import kernels

    info = {"config": glassnet.config.accelerator, "numba": None, "active": kernels.active()}
    if kernels.available():
        import numba

        info.update(numba=numba.__version__, num_threads=kernels.get_num_threads(),
                    numba_max_threads=numba.config.NUMBA_NUM_THREADS, threading_layer=None)
        if run_done:
            try:
                info["threading_layer"] = numba.threading_layer()
            except ValueError:
                info["threading_layer"] = "none started (no parallel kernel ran)"
    return info


# ------------------------------------------------------------------------ data
CIFAR_IMAGES = 100 * 64  # one reported unit of the cifar workload


def load_data(cifar_images=CIFAR_IMAGES):
    """The bundled MNIST training set as float32 arrays in every layout the workloads use, and
    ``cifar_images`` CIFAR-10 images (real when cached, else random; ``cifar_source``)."""
    from glassnet.datasets import mnist

    (x, y), _ = mnist.load_data()
    images = (x.astype(np.float32) / np.float32(255.0))  # (N, 28, 28)
    labels = y.astype(np.int64)
    data = {
        "flat": images.reshape(len(images), -1),           # (N, 784)   MLP
        "onehot": np.eye(10, dtype=np.float32)[labels],    # (N, 10)    MLP targets
        "nhwc": images[..., None],                         # (N, 28, 28, 1)  glassnet conv
        "nchw": images[:, None],                           # (N, 1, 28, 28)  PyTorch conv
        "rows": images,                                    # (N, 28, 28)     LSTM, GRU
        "labels": labels,                                  # (N,)
    }
    if cifar_images:
        cx, cy, source = _bench_conv_lstm().cifar_data(cifar_images)
        data.update(cifar_nhwc=cx, cifar_nchw=np.ascontiguousarray(cx.transpose(0, 3, 1, 2)),
                    cifar_labels=cy, cifar_source=source)
    return data


def _sibling(name):
    """The module ``benchmarks/<name>.py`` (this folder is not a package); loaded once."""
    key = f"glassnet_benchmarks_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


def _bench_conv_lstm():
    """``benchmarks/bench_conv_lstm.py`` (LeNet-5, LSTM, GRU and CIFAR model definitions)."""
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


def glassnet_trainer(workload, data, batch_size, accelerator="auto"):
    """A function ``train(n_batches) -> seconds`` running ``model.fit`` on the first batches.

    ``accelerator`` is ``gn.config.accelerator`` during each ``train`` call ('auto': the
    kernels when numba is installed; 'numpy': the reference path).
    """
    from glassnet.config import using_config
    from glassnet.optimizers import Adam

    bench = _bench_conv_lstm()
    if workload == "mlp":
        model, x, y, loss = glassnet_mlp(), data["flat"], data["onehot"], \
            "categorical_crossentropy"
    else:
        from glassnet.losses import SparseCategoricalCrossentropy

        make = {"lenet": bench.glassnet_lenet, "lstm": bench.glassnet_lstm,
                "gru": bench.glassnet_gru, "cifar": bench.glassnet_cifar}[workload]
        x = {"lenet": "nhwc", "cifar": "cifar_nhwc"}.get(workload, "rows")
        x = data[x]
        y = data["cifar_labels" if workload == "cifar" else "labels"]
        model, loss = make(), SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=Adam(learning_rate=LEARNING_RATE), loss=loss)

    def train(n_batches):
        n = n_batches * batch_size
        if n > len(x):
            raise ValueError(f"{workload}: {n_batches} batches of {batch_size} need {n} "
                             f"samples; the data hold {len(x)}")
        with using_config("accelerator", accelerator), bench.quiet_seed_softmax():
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
        make = {"lenet": bench.torch_lenet, "lstm": bench.torch_lstm, "gru": bench.torch_gru,
                "cifar": bench.torch_cifar}[workload]
        model = make(torch)
        x = {"lenet": "nchw", "cifar": "cifar_nchw"}.get(workload, "rows")
        x = torch.from_numpy(data[x])
        y = torch.from_numpy(data["cifar_labels" if workload == "cifar" else "labels"])
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
    "gru": (128, 100, 10, "s/100 batches"),
    "cifar": (64, 100, 10, "s/100 batches"),
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
    if framework == "glassnet_numpy":
        return glassnet_trainer(workload, data, batch_size, accelerator="numpy")
    if framework == "jax":
        return _bench_jax().jax_trainer(jax, workload, data, batch_size, LEARNING_RATE)
    return torch_trainer(torch, workload, data, batch_size)


#: seconds between two timed runs: OpenBLAS's idle workers spin for about 0.1 s after its last
#: call (measured: 0.1 s of CPU in the second after a glassnet run, 0.01 s after PyTorch's), and
#: would otherwise take a core from the start of the next framework's run
SETTLE_SECONDS = 0.25


def time_workload(workload, data, frameworks, reps, n_batches, torch=None, warmup_batches=2,
                  also=None, jax=None, runners=None, settle_seconds=SETTLE_SECONDS):
    """Alternate the frameworks ``reps`` times; returns {framework: [seconds per unit]}.

    Each run trains ``n_batches`` batches and its time is scaled to the workload's unit
    (``SPECS[workload][1]`` batches). Every framework first trains ``warmup_batches`` untimed.
    ``also`` maps extra names to functions returning seconds per unit, run in the same
    rotation (the GEMM roofline, so that it sees the same machine state as the runs).
    ``runners`` maps each framework to where it runs (a ``FrameworkProcess``); without it,
    every framework trains in this process on ``data``. Each timed run starts
    ``settle_seconds`` after the previous one ended (``SETTLE_SECONDS``).
    """
    unit_batches = SPECS[workload][1]
    if runners is None:
        runners = {fw: InProcess(fw, data, torch, jax) for fw in frameworks}
    for fw in frameworks:
        runners[fw].prepare(workload, warmup_batches)
    times = {name: [] for name in [*frameworks, *(also or {})]}
    for _ in range(reps):
        for fw in frameworks:
            time.sleep(settle_seconds)
            times[fw].append(runners[fw].train(workload, n_batches) * unit_batches / n_batches)
        for name, measure in (also or {}).items():
            time.sleep(settle_seconds)
            times[name].append(measure())
    return times


# ------------------------------------------------------------------------ where frameworks run
class InProcess:
    """A framework's trainers in this process (``--in-process``, and inside each worker)."""

    def __init__(self, framework, data, torch=None, jax=None):
        self.framework, self.data, self.torch, self.jax = framework, data, torch, jax
        self.trainers = {}

    def prepare(self, workload, warmup_batches):
        """Build the workload's model and train ``warmup_batches`` untimed (compiles kernels)."""
        train = make_trainer(self.framework, workload, self.data, self.torch, self.jax)
        train(warmup_batches)
        self.trainers[workload] = train

    def train(self, workload, n_batches):
        """Seconds to train ``n_batches`` batches of the prepared workload."""
        return self.trainers[workload](n_batches)


class FrameworkProcess:
    """One framework in its own Python process, driven over a pipe: the default (a new one
    for each workload and thread count).

    Each worker imports only its own framework, as a user's program does, and loads the data
    itself. In one process PyTorch's bundled OpenMP runtime (``libgomp.so.1``, which spins)
    would also be numba's, so glassnet's kernels would run on numba's workqueue pool instead
    of their own passive OpenMP one (``glassnet/kernels/__init__.py`` says why), and
    glassnet's malloc tuning (``gn.config.retain_memory``) would apply to PyTorch's runs too.
    ``--in-process`` measures that shared case instead. Requests and replies are JSON lines;
    the worker's own prints go to stderr.
    """

    def __init__(self, framework, cifar_images, retain_memory=True):
        self.framework = framework
        args = [sys.executable, __file__, "--keep-env", "--_worker", framework,
                "--_cifar", str(cifar_images)]
        if not retain_memory:
            args.append("--no-retain-memory")
        self.process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, bufsize=1)
        self.info = self.call("ready")

    def call(self, command, **arguments):
        """Send one request; returns the worker's result (raises with its traceback)."""
        self.process.stdin.write(json.dumps({"command": command, **arguments}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.framework} worker exited (code "
                               f"{self.process.wait()}) during {command!r}; see its stderr")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.framework} worker, {command!r}: {reply['error']}")
        return reply["result"]

    def threads(self, count):
        return self.call("threads", count=count)

    def prepare(self, workload, warmup_batches):
        self.call("prepare", workload=workload, warmup_batches=warmup_batches)

    def train(self, workload, n_batches):
        return self.call("train", workload=workload, n_batches=n_batches)

    def close(self):
        if self.process.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                self.process.stdin.close()
            self.process.wait(timeout=60)


def _start_workers(workers, frameworks, workload, count, cifar_images, retain_memory):
    """Fresh worker processes for ``frameworks`` (into ``workers``), at ``count`` threads."""
    for fw in frameworks:
        workers[fw] = worker = FrameworkProcess(fw, cifar_images if workload == "cifar" else 0,
                                                retain_memory)
        if worker.info["missing"]:
            raise RuntimeError(f"{fw} is installed but its worker could not import it")
        worker.note = worker.threads(count)


def _close_workers(workers):
    for worker in workers.values():
        worker.close()
    workers.clear()


def _print_blas(pools, out):
    for pool in pools:
        out(f"  {pool['user_api']}: {pool['internal_api']} {pool['version'] or ''} "
            f"kernel={pool.get('architecture')} threads={pool['num_threads']}")


def serve_worker(framework, cifar_images, retain_memory=True):
    """The worker side of ``FrameworkProcess``: answer requests on stdin until it closes."""
    import traceback

    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the frameworks' own prints must not reach the reply pipe
    torch = load_torch() if framework == "torch" else None
    jax = load_jax() if framework == "jax" else None
    missing = (framework == "torch" and torch is None) or (framework == "jax" and jax is None)
    import glassnet

    glassnet.config.retain_memory = bool(retain_memory)
    if framework == "glassnet_numpy":  # the pure NumPy path: numba is never imported here
        glassnet.config.accelerator = "numpy"
    kernels_here = framework == "glassnet"
    data = None if missing else load_data(cifar_images)
    runner = InProcess(framework, data, torch, jax)
    limits = contextlib.ExitStack()
    for line in sys.stdin:
        request = json.loads(line)
        command = request.pop("command")
        try:
            if command == "ready":
                result = {"missing": missing,
                          "version": (torch.__version__ if torch is not None else
                                      jax[0].__version__ if jax is not None else
                                      glassnet.__version__),
                          "cifar_source": None if data is None else data.get("cifar_source")}
            elif command == "threads":
                limits.close()
                limits = contextlib.ExitStack()
                result = limits.enter_context(thread_limits(request["count"], torch,
                                                            numba=kernels_here))
            elif command == "prepare":
                result = runner.prepare(**request)
            elif command == "train":
                result = runner.train(**request)
            elif command == "info":
                from glassnet import kernels

                loaded = [m for m in ("torch", "jax", "numba") if m in sys.modules]
                result = {"blas": blas_info(), "loaded": loaded,  # (before numba's version)
                          "accelerator": accelerator_info(run_done=True),
                          "compile_report": {
                              name: {"first_call_seconds": s, "cache_hits": hits}
                              for name, (s, hits) in kernels.compile_report().items()}}
            else:
                raise ValueError(f"unknown command {command!r}")
            replies.write(json.dumps({"result": result}) + "\n")
        except Exception:  # noqa: BLE001  (reported to the parent, which raises it)
            replies.write(json.dumps({"error": traceback.format_exc()}) + "\n")
    limits.close()


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
    really held after the imports and the data load. For glassnet with the accelerator the
    imports include numba (library code, as torch's import is PyTorch's); its own cost is
    reported as ``accelerator_import_mib``.
    """
    torch = load_torch(threads) if framework == "torch" else None
    jax = load_jax() if framework == "jax" else None
    import glassnet  # noqa: F401  (imported by every side: the baseline includes it)
    from glassnet import kernels

    accelerator_import = None
    if framework == "glassnet" and kernels.active():
        before = _peak_rss_mib()[0]
        import numba  # noqa: F401

        accelerator_import = _peak_rss_mib()[0] - before
    with thread_limits(threads, torch):
        data = {key: np.load(Path(data_dir) / f"{key}.npy") for key in ("flat", "onehot")}
        (baseline, source), current = _peak_rss_mib(), _status_mib("VmRSS")
        train = make_trainer(framework, "mlp", data, torch, jax)
        train(n_batches)
        peak, _ = _peak_rss_mib()
    return {"baseline_mib": baseline, "baseline_current_mib": current, "peak_mib": peak,
            "delta_mib": peak - baseline, "batches": n_batches, "source": source,
            "accelerator_import_mib": accelerator_import}


def _child(args):
    out = subprocess.run([sys.executable, __file__, "--keep-env", *args],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def rss(framework, n_batches, data_dir, threads=THREADS):
    return _child(["--_rss", framework, "--_batches", str(n_batches), "--_data", str(data_dir),
                   "--threads", str(threads)])


def rss_all(frameworks, n_batches, data=None, threads=THREADS):
    """Peak RSS growth of one MLP run per framework, each in its own fresh subprocess."""
    data = data or load_data(cifar_images=0)
    with tempfile.TemporaryDirectory(prefix="glassnet-bench-") as data_dir:
        for key in ("flat", "onehot"):
            np.save(Path(data_dir) / f"{key}.npy", data[key])
        return {fw: rss(fw, n_batches, data_dir, threads) for fw in frameworks}


# ------------------------------------------------------------------------ compile cost
def compile_child(workloads, threads=THREADS):
    """In a fresh process: one batch of each workload (glassnet, 'auto'), twice; kernel costs.

    Returns the seconds of each workload's first and second one-batch ``fit`` (the first pays
    the kernels' compile or cache load) and ``glassnet.kernels.compile_report()``.
    """
    from glassnet import kernels

    data = load_data(cifar_images=SPECS["cifar"][0] if "cifar" in workloads else 0)
    first, second = {}, {}
    with thread_limits(threads):
        for workload in workloads:
            train = glassnet_trainer(workload, data, SPECS[workload][0])
            first[workload] = train(1)
            second[workload] = train(1)
    report = kernels.compile_report()
    return {"first_batch_seconds": first, "second_batch_seconds": second,
            "kernels": {name: {"first_call_seconds": s, "cache_hits": hits}
                        for name, (s, hits) in report.items()},
            "kernel_seconds_total": sum(s for s, _ in report.values()),
            "cache_hits_total": sum(hits for _, hits in report.values())}


def compile_times(workloads, threads=THREADS):
    """The kernels' first-call cost with an empty numba cache, then with the cache it filled.

    Two fresh subprocesses share a new temporary ``NUMBA_CACHE_DIR`` (where numba keeps its
    cache; nothing else changes). None when numba is not installed.
    """
    from glassnet import kernels

    if not kernels.available():
        return None
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    args = ["--keep-env", "--_compile", ",".join(workloads), "--threads", str(threads)]
    with tempfile.TemporaryDirectory(prefix="glassnet-numba-cache-") as cache:
        env["NUMBA_CACHE_DIR"] = cache
        runs = {}
        for name in ("cold", "warm"):
            out = subprocess.run([sys.executable, __file__, *args], capture_output=True,
                                 text=True, check=True, env=env)
            runs[name] = json.loads(out.stdout.strip().splitlines()[-1])
    return runs


# ------------------------------------------------------------------------ targets
def evaluate_targets(report):
    """The issue's targets, checked on this report: a list of rows (see ``print_targets``).

    Each row: ``target`` (text), ``threads``, ``value`` (glassnet as installed), ``met``,
    and ``numpy_value`` / ``numpy_met`` for the NumPy path when it ran as its own column.
    """
    rows = []

    def add(target, threads, value, limit, numpy_value=None, below=True):
        def check(v):
            return None if v is None else (v <= limit if below else v >= limit)
        rows.append({"target": target, "threads": threads, "value": value, "met": check(value),
                     "numpy_value": numpy_value, "numpy_met": check(numpy_value)})

    for threads, run in report.get("by_threads", {}).items():
        for workload, entry in run["workloads"].items():
            if "ratio" in entry:
                add(f"{workload} <= {TARGETS[workload]:.1f}x PyTorch", threads, entry["ratio"],
                    TARGETS[workload], entry.get("ratio_numpy"))
        fraction = (run.get("roofline") or {}).get("fraction", {})
        if "glassnet" in fraction:
            add(f"MLP >= {ROOFLINE_TARGET:.0%} of its GEMM roofline", threads,
                fraction["glassnet"], ROOFLINE_TARGET, fraction.get("glassnet_numpy"),
                below=False)
    imports = report.get("import_seconds", {})
    if "glassnet" in imports:
        add(f"import glassnet <= {IMPORT_TARGET} s", None, imports["glassnet"]["median"],
            IMPORT_TARGET)
    mem = report.get("rss_mib", {})
    if "glassnet" in mem and "torch" in mem:
        numpy_delta = mem.get("glassnet_numpy", {}).get("delta_mib")
        add("peak RSS of an MLP epoch <= PyTorch's (MiB)", report["threads"],
            mem["glassnet"]["delta_mib"], mem["torch"]["delta_mib"], numpy_delta)
    return rows


# ------------------------------------------------------------------------ driver
def _fmt(value, spec="{:.3f}"):
    return "-" if value is None else spec.format(value)


def _parse_threads(threads):
    if isinstance(threads, int):
        return [threads]
    if isinstance(threads, str):
        threads = [int(t) for t in threads.split(",") if t.strip()]
    out = []
    for t in threads:  # keep the order, drop repeats
        if int(t) not in out:
            out.append(int(t))
    if not out or min(out) < 1:
        raise ValueError(f"threads: expected positive thread counts, got {threads!r}")
    return out


def run(only=WORKLOADS + EXTRAS, reps=5, quick=False, frameworks=FRAMEWORKS, name="run",
        n_batches=None, results_dir=HERE / "results", import_runs=5, threads=DEFAULT_THREADS,
        retain_memory=True, gemm_options=None, in_process=False, out=print):
    """Run the benchmarks; returns the report dict (also written to ``results_dir/name.json``).

    Args:
        only: workloads and extras to run (see WORKLOADS and EXTRAS).
        reps: timed repetitions per framework.
        quick: time a fraction of each unit (``SPECS``) and scale it; a shorter GEMM table.
        frameworks: the frameworks to time (PyTorch and JAX are skipped when not installed,
            ``glassnet_numpy`` when numba is not: then ``glassnet`` is the NumPy path).
        name: the JSON file's name.
        n_batches: batches per timed run (overrides the unit and --quick; for smoke tests).
        results_dir: where the JSON goes.
        import_runs: fresh interpreters per import-time measurement.
        threads: a thread count or a sequence of them (default (2, 1)): every workload, the
            roofline and the GEMM table run at each; PyTorch, NumPy's BLAS and numba get that
            many threads. The first is the primary one (RSS, compile cost, ``workloads``).
        retain_memory: ``glassnet.config.retain_memory`` for this run (True is glassnet's
            default: ``fit`` tunes glibc's malloc, process-wide, so with ``in_process``
            PyTorch's runs get the same allocator settings).
        gemm_options: keyword arguments for ``gemm.gemm_report`` (``samples``, ``min_time``,
            ``peak_size``) replacing the defaults (5, 0.01 s, 2048; quick: 2, 0.005 s, 1024).
        in_process: time every framework in this process (PyTorch imported beside glassnet)
            instead of each in its own worker process (``FrameworkProcess``, the default).
        out: the print function.
    """
    workers = {}  # the worker processes open now (one set per workload)
    try:
        return _run(only, reps, quick, frameworks, name, n_batches, results_dir, import_runs,
                    threads, retain_memory, gemm_options, in_process, out, workers)
    finally:
        _close_workers(workers)


def _run(only, reps, quick, frameworks, name, n_batches, results_dir, import_runs, threads,
         retain_memory, gemm_options, in_process, out, workers):
    import glassnet
    from glassnet import kernels

    started = time.perf_counter()
    thread_counts = _parse_threads(threads)
    primary = thread_counts[0]
    glassnet.config.retain_memory = bool(retain_memory)
    torch_asked, jax_asked = "torch" in frameworks, "jax" in frameworks
    numpy_column = "glassnet_numpy" in frameworks and kernels.available()
    frameworks = [fw for fw in frameworks if fw != "glassnet_numpy" or numpy_column]
    selected = [w for w in WORKLOADS if w in only]
    cifar_images = max(CIFAR_IMAGES, (n_batches or 0) * SPECS["cifar"][0])
    cifar_images = cifar_images if "cifar" in selected else 0
    torch = jax = data = None
    versions = {}
    if in_process:
        torch = load_torch(primary) if torch_asked else None
        jax = load_jax() if jax_asked else None
        frameworks = [fw for fw in frameworks if (fw != "torch" or torch is not None)
                      and (fw != "jax" or jax is not None)]
        versions = {"torch": None if torch is None else torch.__version__,
                    "jax": None if jax is None else jax[0].__version__}
        data = load_data(cifar_images) if selected else None
        cifar_source = None if data is None else data.get("cifar_source")
    else:  # found without importing them here: each runs in its own worker processes
        frameworks = [fw for fw in frameworks if fw not in ("torch", "jax")
                      or importlib.util.find_spec(fw) is not None]
        versions = {fw: importlib.metadata.version(fw) for fw in ("torch", "jax")
                    if fw in frameworks}
        cifar_source = None
        if "cifar" in selected:
            cifar_source = "cifar10" if _bench_conv_lstm().cifar_available() else "random"
    report = {
        "name": name, "quick": quick, "reps": reps, "threads": primary,
        "threads_list": thread_counts, "frameworks": frameworks,
        "python": sys.version.split()[0], "numpy": np.__version__,
        "glassnet": getattr(glassnet, "__version__", None),
        "torch": versions.get("torch"), "jax": versions.get("jax"),
        "in_process": bool(in_process),
        "machine": platform.machine(), "cpu_count": os.cpu_count(), "cpu": cpu_info(),
        "accelerator": accelerator_info(),
        "load_average_start": os.getloadavg(), "environment": environment_note(),
        "retain_memory": bool(retain_memory), "workloads": {}, "by_threads": {},
    }
    cpu, acc = report["cpu"], report["accelerator"]
    out(f"glassnet benchmarks: {'quick, ' if quick else ''}{reps} alternating repetitions, "
        f"threads {','.join(map(str, thread_counts))}; Python {report['python']}, NumPy "
        f"{np.__version__}, PyTorch "
        f"{report['torch'] or ('not installed' if torch_asked else 'not requested')}; JAX "
        f"{report['jax'] or ('not installed' if jax_asked else 'not requested')}")
    out(f"CPU: {cpu['model']} ({cpu['machine']}), {cpu['isa_level']} "
        f"[{' '.join(cpu['isa']) or 'flags unknown'}], {cpu['logical_cpus']} logical CPUs, "
        f"{cpu['physical_cores'] or '?'} cores")
    if acc["numba"]:
        out(f"accelerator: gn.config.accelerator={acc['config']!r} -> numba {acc['numba']} "
            f"(kernels {'on' if acc['active'] else 'off'}); "
            + ("the 'glassnet (NumPy)' column runs accelerator='numpy'" if numpy_column
               else "no NumPy-path column requested"))
    else:
        out("accelerator: numba (the [fast] extra) is not installed: the glassnet column is the "
            "pure NumPy path")
    out(f"environment: {report['environment']}")
    out("processes: " + ("every framework in this one process (--in-process): numba shares "
                         "PyTorch's OpenMP runtime when PyTorch is loaded" if in_process else
                         "each framework in a fresh worker process of its own for each "
                         "workload, alternating (as a program training that one model)"))
    out("allocator: " + ("glassnet's fit applies gn.backend.retain_freed_memory() "
                         "(gn.config.retain_memory, the default)" if retain_memory else
                         "gn.config.retain_memory = False (C library defaults)")
        + ("; PyTorch, in the same process, runs under the same malloc settings"
           if in_process and retain_memory else ""))
    if cifar_source:
        report["cifar_data"] = cifar_source
        out("cifar data: " + ("CIFAR-10 from glassnet's dataset cache"
                              if cifar_source == "cifar10" else
                              "random images of CIFAR-10's shape (the data set is not in "
                              "glassnet's cache)"))
    glassnet_info = None  # the glassnet workers' accelerator and kernels (first use of each)
    for count in thread_counts:
        run_fw = [fw for fw in frameworks if fw != "jax" or count == primary]
        entry_run = {"workloads": {}}
        report["by_threads"][str(count)] = entry_run
        with thread_limits(count, torch, numba=in_process) as thread_note:
            if not in_process:
                thread_note = f"this process (GEMM tables): {thread_note}"
            entry_run["threads_note"] = thread_note
            out("")
            out(f"== {count} thread(s): {thread_note}")
            if count == primary and in_process:
                report["blas"] = blas_info()
                _print_blas(report["blas"], out)
            load = os.getloadavg()
            out(f"  load average: {' '.join(f'{v:.2f}' for v in load)} on {os.cpu_count()} "
                "CPUs")
            if load[0] > (os.cpu_count() or 1) - 0.5 and count > 1:
                out("  WARNING: the machine is busy with other processes; multi-threaded "
                    "BLAS/OpenMP runs degrade badly when threads wait for a core (small GEMMs "
                    "10-100x slower), so these timings mostly measure scheduling: rerun on an "
                    "idle machine or with --threads 1")
            interleaved = None
            for workload in selected:
                batch_size, unit_batches, quick_batches, unit = SPECS[workload]
                timed = n_batches or (quick_batches if quick else unit_batches)
                also = None
                if workload == "mlp" and "roofline" in only:
                    def roofline_epoch():
                        return gemm_roofline(reps=5)["roofline_seconds_per_epoch"]
                    also = {"roofline": roofline_epoch}
                fws = [fw for fw in run_fw if fw != "jax" or workload in JAX_WORKLOADS]
                if not in_process:  # new worker processes for each workload, as its own program
                    _start_workers(workers, fws, workload, count, cifar_images, retain_memory)
                    if "workers_note" not in entry_run:
                        entry_run["workers_note"] = notes = "; ".join(
                            f"{LABELS[fw]}: {w.note}" for fw, w in workers.items())
                        out(f"  each workload's worker processes: {notes}")
                    if count == primary and "blas" not in report:
                        report["blas"] = workers[fws[0]].call("info")["blas"]
                        _print_blas(report["blas"], out)
                times = time_workload(workload, data, fws, reps, timed, torch, also=also,
                                      jax=jax, runners=workers or None)
                if "glassnet" in workers:  # the kernels ran there: their compile report
                    info = workers["glassnet"].call("info")
                    glassnet_info = glassnet_info or info
                    for kernel_name, v in info["compile_report"].items():
                        glassnet_info["compile_report"].setdefault(kernel_name, v)
                _close_workers(workers)
                interleaved = times.pop("roofline", None) or interleaved
                entry = {"unit": unit, "batch_size": batch_size, "batches_timed": timed,
                         "threads": count, "seconds": times,
                         "median": {fw: statistics.median(v) for fw, v in times.items()}}
                med = entry["median"]
                if "torch" in med and "glassnet" in med:
                    entry["ratio"] = med["glassnet"] / med["torch"]
                    if "glassnet_numpy" in med:
                        entry["ratio_numpy"] = med["glassnet_numpy"] / med["torch"]
                    entry["target_ratio"] = TARGETS[workload]
                if "glassnet_numpy" in med and "glassnet" in med:
                    entry["accelerator_speedup"] = med["glassnet_numpy"] / med["glassnet"]
                if "jax" in med and "glassnet" in med:
                    entry["ratio_jax"] = med["glassnet"] / med["jax"]
                entry_run["workloads"][workload] = entry
                out(f"  {workload}: " + ", ".join(
                    f"{LABELS[fw]} {m:.3f}" for fw, m in med.items()) + f" {unit} (median)")
            if "roofline" in only:
                roof = gemm_roofline()
                if interleaved:  # measured between the MLP runs: use it for the fractions
                    epoch = statistics.median(interleaved)
                    roof.update(interleaved_seconds_per_epoch=interleaved,
                                roofline_seconds_per_epoch=epoch,
                                gflops_per_second=roof["flops_per_epoch"] / epoch / 1e9)
                mlp = entry_run["workloads"].get("mlp")
                if mlp:
                    roof["fraction"] = {fw: roof["roofline_seconds_per_epoch"] / s
                                        for fw, s in mlp["median"].items()}
                entry_run["roofline"] = roof
            if "gemm" in only:
                gemm = _sibling("gemm")
                options = dict(samples=2, min_time=0.005, peak_size=1024) if quick else {}
                options.update(gemm_options or {})
                out("")
                entry_run["gemm"] = gemm.gemm_report(selected or gemm.WORKLOADS, threads=count,
                                                     out=lambda line: out("  " + line),
                                                     **options)
    first = report["by_threads"][str(primary)]
    report["workloads"] = first["workloads"]
    if "roofline" in first:
        report["roofline"] = first["roofline"]
    if "import" in only:
        report["import_seconds"] = {}
        for fw in [fw for fw in frameworks if fw != "glassnet_numpy"]:
            median, runs = import_seconds(fw, import_runs)
            report["import_seconds"][fw] = {"median": median, "runs": runs}
    if "rss" in only:
        rss_batches = n_batches or (SPECS["mlp"][2] if quick else SPECS["mlp"][1])
        report["rss_mib"] = rss_all(frameworks, rss_batches, data, primary)
    if "compile" in only:
        report["compile"] = compile_times(selected or ["mlp"], primary)
    if glassnet_info is not None:
        report["accelerator"] = {**glassnet_info["accelerator"],
                                 "compile_report": glassnet_info["compile_report"]}
    else:
        report["accelerator"] = accelerator_info(run_done=True)
        report["accelerator"]["compile_report"] = {
            name: {"first_call_seconds": s, "cache_hits": hits}
            for name, (s, hits) in kernels.compile_report().items()}
    report["targets"] = evaluate_targets(report)
    report["load_average_end"] = os.getloadavg()
    report["run_seconds"] = time.perf_counter() - started
    print_report(report, out)
    path = Path(results_dir) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    report["json_path"] = str(path)
    out(f"wrote {path}")
    return report


def print_report(report, out=print):
    frameworks = report["frameworks"]
    numpy_col = "glassnet_numpy" in frameworks
    rows = [(t, name, e) for t, run_ in report.get("by_threads", {}).items()
            for name, e in run_["workloads"].items()]
    if rows:
        out("")
        head = f"{'workload':<9}{'thr':>4} {'unit':<15}{'glassnet':>10}"
        if numpy_col:
            head += f"{'(NumPy)':>10}"
        head += f"{'PyTorch':>10}{'ratio':>8}"
        if numpy_col:
            head += f"{'(NumPy)':>9}"
        head += f"{'target':>8}{'JAX':>9}{'vs JAX':>8}   min-max (" + " / ".join(
            LABELS[fw] for fw in frameworks) + ")"
        out(head)
        for threads, name, e in rows:
            med, secs = e["median"], e["seconds"]
            spread = " / ".join(f"{min(v):.3f}-{max(v):.3f}" for v in secs.values())
            line = f"{name:<9}{threads:>4} {e['unit']:<15}{_fmt(med.get('glassnet')):>10}"
            if numpy_col:
                line += f"{_fmt(med.get('glassnet_numpy')):>10}"
            line += f"{_fmt(med.get('torch')):>10}{_fmt(e.get('ratio'), '{:.2f}x'):>8}"
            if numpy_col:
                line += f"{_fmt(e.get('ratio_numpy'), '{:.2f}x'):>9}"
            line += (f"{_fmt(e.get('target_ratio'), '<={:.1f}x'):>8}{_fmt(med.get('jax')):>9}"
                     f"{_fmt(e.get('ratio_jax'), '{:.2f}x'):>8}   {spread}")
            out(line)
        timed = {name: e["batches_timed"] for _, name, e in rows}
        out(f"(medians; each run timed {', '.join(f'{n}: {b} batches' for n, b in timed.items())}"
            ", scaled to the unit; ratio = glassnet / PyTorch"
            + ("; (NumPy) = gn.config.accelerator='numpy'" if numpy_col else "") + ")")
    for threads, run_ in report.get("by_threads", {}).items():
        roof = run_.get("roofline")
        if not roof:
            continue
        out("")
        where = ("median of the measurements between the MLP runs"
                 if "interleaved_seconds_per_epoch" in roof else "measured once")
        out(f"MLP GEMM roofline at {threads} thread(s): {roof['flops_per_epoch'] / 1e9:.1f} GFLOP "
            f"per epoch at {roof['gflops_per_second']:.1f} GFLOP/s (NumPy float32, these shapes; "
            f"{where}) = {roof['roofline_seconds_per_epoch']:.3f} s/epoch")
        for fw, fraction in roof.get("fraction", {}).items():
            out(f"  {LABELS[fw]}: {fraction:.0%} of the roofline"
                + (f" (target >= {ROOFLINE_TARGET:.0%})" if fw.startswith("glassnet") else ""))
    imports = report.get("import_seconds")
    if imports:
        out("")
        out("import time (fresh interpreter, median): " + ", ".join(
            f"{fw} {v['median']:.3f} s" for fw, v in imports.items())
            + f" (target: glassnet <= {IMPORT_TARGET} s)")
    mem = report.get("rss_mib")
    if mem:
        out("")
        source = next(iter(mem.values()))["source"]
        out(f"peak RSS of one MLP epoch at {report['threads']} thread(s) (own subprocess; peak "
            f"RSS ({source}) after model build + training minus peak RSS after imports + data "
            f"load):")
        for fw, v in mem.items():
            extra = ("" if v.get("accelerator_import_mib") is None else
                     f"; import numba +{v['accelerator_import_mib']:.1f} MiB, in the baseline")
            out(f"  {LABELS[fw]}: +{v['delta_mib']:.1f} MiB (baseline peak "
                f"{v['baseline_mib']:.1f} MiB, current "
                f"{_fmt(v['baseline_current_mib'], '{:.1f}')} MiB; peak after "
                f"{v['peak_mib']:.1f} MiB; {v['batches']} batches{extra})")
    print_accelerator(report, out)
    print_targets(report.get("targets", []), out)
    out("")
    out(f"load average at end: {' '.join(f'{v:.2f}' for v in report['load_average_end'])}; "
        f"run took {report.get('run_seconds', 0):.0f} s")


def print_accelerator(report, out=print):
    acc = report.get("accelerator") or {}
    out("")
    if not acc.get("numba"):
        out("accelerator: none (numba not installed): every glassnet figure is the NumPy path")
        return
    out(f"accelerator: numba {acc['numba']}, threading layer {acc.get('threading_layer')}, "
        f"{acc.get('num_threads')} thread(s) now (set to each --threads count; numba's maximum "
        f"{acc.get('numba_max_threads')}); gn.config.accelerator={acc['config']!r}")
    kernels_used = acc.get("compile_report") or {}
    if kernels_used:
        out("  compile report (first call of each kernel in this process: compile or cache "
            "load + one run; cache hits):")
        for name, v in sorted(kernels_used.items()):
            out(f"    {name:<40}{v['first_call_seconds']:>8.3f} s  hits {v['cache_hits']}")
    else:
        out("  no kernel ran")
    comp = report.get("compile")
    if comp:
        cold, warm = comp["cold"], comp["warm"]
        out(f"  first-call cost, fresh processes sharing a new numba cache: empty cache "
            f"{cold['kernel_seconds_total']:.2f} s over {len(cold['kernels'])} kernels "
            f"({cold['cache_hits_total']} cache hits), filled cache "
            f"{warm['kernel_seconds_total']:.2f} s ({warm['cache_hits_total']} hits)")
        out("    one-batch fit per workload, in order (a kernel compiles in the first workload "
            "that uses it): empty cache / filled cache / second batch")
        for w in cold["first_batch_seconds"]:
            out(f"    {w:<8}{cold['first_batch_seconds'][w]:>8.2f} s{'':>4}"
                f"{warm['first_batch_seconds'][w]:>8.2f} s{'':>4}"
                f"{warm['second_batch_seconds'][w]:>8.3f} s")


def print_targets(rows, out=print):
    if not rows:
        return
    out("")
    out("targets (glassnet as installed; NumPy path where it ran as its own column):")

    def cell(value, met, target):
        if value is None:
            return "-"
        fmt = ("{:.0%}" if "roofline" in target else "{:.1f}" if "MiB" in target
               else "{:.3f}" if "import" in target else "{:.2f}x")
        return f"{fmt.format(value)} {'met' if met else 'MISSED'}"

    for r in rows:
        threads = "" if r["threads"] is None else f" [{r['threads']} thr]"
        line = f"  {r['target'] + threads:<52}{cell(r['value'], r['met'], r['target']):>16}"
        if r["numpy_value"] is not None:
            line += f"   NumPy path {cell(r['numpy_value'], r['numpy_met'], r['target'])}"
        out(line)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="time a fraction of each unit and scale it (3 repetitions)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 5, quick 3)")
    parser.add_argument("--only", default=",".join(WORKLOADS + EXTRAS),
                        help="comma-separated subset of " + ",".join(WORKLOADS + EXTRAS))
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--threads", default=",".join(map(str, DEFAULT_THREADS)),
                        help="comma-separated thread counts for every framework (default "
                             f"{','.join(map(str, DEFAULT_THREADS))}; the first is the primary)")
    parser.add_argument("--batches", type=int, default=None,
                        help="batches per timed run (overrides the unit; smoke runs)")
    parser.add_argument("--name", default="run", help="results file benchmarks/results/NAME.json")
    parser.add_argument("--keep-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE")
    parser.add_argument("--retain-memory", action=argparse.BooleanOptionalAction, default=True,
                        help="gn.config.retain_memory for glassnet's fit (default: on, as in "
                             "glassnet)")
    parser.add_argument("--in-process", action="store_true",
                        help="run every framework in this process (PyTorch beside glassnet) "
                             "instead of each in its own worker process")
    parser.add_argument("--_rss", help=argparse.SUPPRESS)
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    parser.add_argument("--_cifar", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--_compile", help=argparse.SUPPRESS)
    parser.add_argument("--_batches", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        threads = _parse_threads(args.threads)
    except ValueError as error:
        parser.error(f"--threads: {error}")
    if args._rss:
        print(json.dumps(rss_child(args._rss, args._batches, args._data, threads[0])))
        return None
    if args._worker:
        serve_worker(args._worker, args._cifar, args.retain_memory)
        return None
    if args._compile:
        print(json.dumps(compile_child(args._compile.split(","), threads[0])))
        return None
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = sorted(set(only) - set(WORKLOADS + EXTRAS))
    if unknown:
        parser.error(f"--only: unknown {unknown}; choose from {', '.join(WORKLOADS + EXTRAS)}")
    reps = args.reps if args.reps is not None else (3 if args.quick else 5)
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    return run(only=only, reps=reps, quick=args.quick, frameworks=frameworks, name=args.name,
               n_batches=args.batches, threads=threads, retain_memory=args.retain_memory,
               in_process=args.in_process)


if __name__ == "__main__":
    main()
