"""GEMM efficiency: the matrix products glassnet's workloads run, in its layouts, vs the peak.

For every matrix product one training step of a benchmark workload runs (``benchmarks/run.py``:
``mlp``, ``lenet``, ``lstm``, ``gru``, ``cifar``), this measures the float32 rate NumPy's BLAS
reaches

* with the operand layouts glassnet passes (``N``: a C-contiguous (rows, cols) array; ``T``: the
  transposed view of a C-contiguous array, which BLAS reads as a transposed operand without a
  copy; ``T+1``: the same from an array with one extra column, a column slice), and
* with the best of the four layouts of the same product (A and B each ``N`` or ``T``), the
  output always a new C-contiguous array as glassnet's ``a @ b``,

against the machine's measured peak: a large square sgemm (2048^3, ``--peak-size``) at the same
thread count. For the per-timestep products of the recurrent layers it also measures the same
FLOPs as one GEMM (all steps stacked): the rate batching would reach, an upper bound, since the
recurrence makes each step wait for the previous one.

rate = 2 m k n / seconds per call (min over ``--samples`` samples of >= ``--min-time`` s each;
the layouts alternate within every sample, so that they see the same machine state).

Shapes and layouts mirror the code (as of issue #18), derived from the workloads' geometry:

* Dense (``glassnet/ops/dense.py``): forward ``x @ W`` (N, N); backward ``g @ W.T`` (N, T) and
  ``x.T @ g`` (T, N); the first layer gets no input gradient (its input is data).
* Conv2D (``glassnet/ops/conv.py``): the lowering (``'banded'`` or ``'im2col'``, and for im2col
  whether the columns are kernel-major) is read from a real ``Conv2DFunction`` forward on one
  image, so it follows ``choose_lowering`` and ``band_tile``. Banded (tiles of T output
  columns): ``rows @ band`` with rows (N*OH*OW/T, kh*tin*C) and band (kh*tin*C, T*filters),
  ``rows.T @ g``, ``g @ band.T``. im2col, pixel-major: ``cols @ W2``, ``g.T @ cols``, and
  col2im's ``kh`` GEMMs ``W[a] @ gt``; kernel-major: ``W2.T @ cols``, ``cols @ g``, the same
  col2im GEMMs.
* LSTM / GRU (``glassnet/ops/recurrent.py``): one input GEMM ``[X 1] @ [W; b]`` for all steps,
  per step ``h @ U`` forward and ``dz @ U^T`` backward (LSTM: ``U^T`` copied contiguous once;
  GRU: the transposed view), and the weight gradients after the loop (LSTM: one
  ``[X 1 H]^T @ dZ``; GRU: ``X^T @ dZx`` (X a column slice of [X 1]) and ``H^T @ dZh``).

Bias gradients (GEMVs ``ones @ g``) and the element-wise work are not GEMMs and not listed.

Usage:
    python benchmarks/gemm.py [--threads 2] [--only mlp,lenet,lstm,gru,cifar] [--quick]
        [--json benchmarks/results/gemm.json]
"""

import argparse
import contextlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

WORKLOADS = ("mlp", "lenet", "lstm", "gru", "cifar")
LAYOUTS = (("N", "N"), ("N", "T"), ("T", "N"), ("T", "T"))


@dataclass
class Product:
    """One matrix product C (m, n) = A (m, k) @ B (k, n) of a training step."""

    workload: str
    name: str
    m: int
    k: int
    n: int
    a: str = "N"  # glassnet's layout of A: 'N', 'T' or 'T+1' (see the module docstring)
    b: str = "N"
    calls: int = 1  # per training step
    per_step: bool = False  # one call per timestep of a recurrence (could be stacked)

    @property
    def flops(self):
        return 2 * self.m * self.k * self.n


# ------------------------------------------------------------------------ the products
def dense_products(workload, batch, sizes, first_has_input_grad=False, prefix="dense"):
    """Forward, weight-gradient and input-gradient GEMMs of a stack of Dense layers."""
    out = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        tag = f"{prefix}{i + 1} {fan_in}->{fan_out}"
        out.append(Product(workload, f"{tag} fwd x@W", batch, fan_in, fan_out, "N", "N"))
        out.append(Product(workload, f"{tag} dW x.T@g", fan_in, batch, fan_out, "T", "N"))
        if i > 0 or first_has_input_grad:
            out.append(Product(workload, f"{tag} dX g@W.T", batch, fan_out, fan_in, "N", "T"))
    return out


def conv_form(h, w, cin, cout, kh, kw, padding):
    """(lowering, k_major, (OH, OW), band rows shape) of glassnet's Conv2DFunction for this
    layer, read from a forward on one image (band rows shape: (OW/T, kh*tin*C) per image row,
    None for im2col)."""
    from glassnet.ops.conv import Conv2DFunction

    op = Conv2DFunction(padding=padding)
    with _no_grad():
        op(np.zeros((1, h, w, cin), np.float32), np.zeros((kh, kw, cin, cout), np.float32))
    oh, ow = op.pads[2]
    band = None
    if op.lowering == "banded":
        band = (op.rows.shape[0] // oh, op.rows.shape[1], op.band.shape[1])
    return op.lowering, bool(getattr(op, "k_major", False)), (oh, ow), band


@contextlib.contextmanager
def _no_grad():
    import glassnet as gn

    with gn.no_grad():
        yield


def conv_products(workload, batch, h, w, cin, cout, k, padding, first, tag):
    """The GEMMs of one k x k stride-1 Conv2D layer's forward and backward (see docstring)."""
    lowering, k_major, (oh, ow), band = conv_form(h, w, cin, cout, k, k, padding)
    tag = f"{tag} {lowering}{' k-major' if k_major else ''}"
    out = []
    if lowering == "banded":
        tiles, kdim, ncols = band
        rows = batch * oh * tiles
        out.append(Product(workload, f"{tag} fwd rows@band", rows, kdim, ncols, "N", "N"))
        out.append(Product(workload, f"{tag} dB rows.T@g", kdim, rows, ncols, "T", "N"))
        if not first:
            out.append(Product(workload, f"{tag} dX g@band.T", rows, ncols, kdim, "N", "T"))
        return out
    pixels, kdim = batch * oh * ow, k * k * cin
    if k_major:
        out.append(Product(workload, f"{tag} fwd W2.T@cols", cout, kdim, pixels, "T", "N"))
        out.append(Product(workload, f"{tag} dW cols@g", kdim, pixels, cout, "N", "N"))
    else:
        out.append(Product(workload, f"{tag} fwd cols@W2", pixels, kdim, cout, "N", "N"))
        out.append(Product(workload, f"{tag} dW g.T@cols", cout, pixels, kdim, "T", "N"))
    if not first:
        out.append(Product(workload, f"{tag} dX W[a]@gt (col2im)", k * cin, cout, pixels, "N",
                           "N", calls=k))
    return out


def recurrent_products(workload, cell, batch=128, steps=28, features=28, units=128):
    """The GEMMs of an LSTM or GRU layer over ``steps`` timesteps (input: data, no dX)."""
    gates = 4 if cell == "lstm" else 3
    k, rows = gates * units, steps * batch
    out = [Product(workload, f"{cell} input [X 1]@[W;b]", rows, features + 1, k, "N", "N"),
           Product(workload, f"{cell} step fwd h@U", batch, units, k, "N", "N", calls=steps,
                   per_step=True)]
    if cell == "lstm":
        out.append(Product(workload, "lstm step bwd dz@Ut (contiguous)", batch, k, units, "N",
                           "N", calls=steps, per_step=True))
        out.append(Product(workload, "lstm grads [X 1 H].T@dZ", features + 1 + units, rows, k,
                           "T", "N"))
    else:
        out.append(Product(workload, "gru step bwd e@U.T", batch, k, units, "N", "T",
                           calls=steps, per_step=True))
        out.append(Product(workload, "gru dW X.T@dZx (X sliced)", features, rows, k, "T+1", "N"))
        out.append(Product(workload, "gru dU H.T@dZh", units, rows, k, "T", "N"))
    return out + dense_products(workload, batch, (units, 10), first_has_input_grad=True)


def workload_products(workload):
    """Every GEMM of one training step of ``workload`` (batch sizes as in run.py)."""
    if workload == "mlp":
        return dense_products("mlp", 200, (784, 784, 784, 10))
    if workload == "lenet":
        return (conv_products("lenet", 128, 28, 28, 1, 6, 5, "same", True, "conv1 5x5x1->6")
                + conv_products("lenet", 128, 14, 14, 6, 16, 5, "valid", False,
                                "conv2 5x5x6->16")
                + dense_products("lenet", 128, (400, 120, 84, 10), first_has_input_grad=True))
    if workload in ("lstm", "gru"):
        return recurrent_products(workload, workload)
    if workload == "cifar":
        return (conv_products("cifar", 64, 32, 32, 3, 32, 3, "valid", True, "conv1 3x3x3->32")
                + conv_products("cifar", 64, 15, 15, 32, 64, 3, "valid", False,
                                "conv2 3x3x32->64")
                + conv_products("cifar", 64, 6, 6, 64, 64, 3, "valid", False, "conv3 3x3x64->64")
                + dense_products("cifar", 64, (1024, 64, 10), first_has_input_grad=True))
    raise ValueError(f"unknown workload {workload!r}; choose from {', '.join(WORKLOADS)}")


# ------------------------------------------------------------------------ timing
def operand(rows, cols, layout, rng):
    """A float32 (rows, cols) operand in ``layout`` ('N', 'T' or 'T+1')."""
    if layout == "N":
        return rng.standard_normal((rows, cols), dtype=np.float32)
    pad = 1 if layout == "T+1" else 0
    return rng.standard_normal((cols, rows + pad), dtype=np.float32)[:, :rows].T


def _calls_per_sample(fn, min_time):
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, int(min_time / once))


def time_alternating(fns, samples=5, min_time=0.01):
    """Min seconds per call of each function, the functions alternating within each sample."""
    counts = {name: _calls_per_sample(fn, min_time) for name, fn in fns.items()}
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(samples):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(counts[name]):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / counts[name])
    return best


def peak_gflops(size=2048, samples=3):
    """GFLOP/s of a (size, size) @ (size, size) float32 product, the best of ``samples``."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    seconds = time_alternating({"peak": lambda: a @ b}, samples=samples, min_time=0.0)["peak"]
    return 2 * size ** 3 / seconds / 1e9


def measure_product(p, samples=5, min_time=0.01, seed=0):
    """Rates (GFLOP/s) of ``p`` in glassnet's layout, in each plain layout, and stacked."""
    rng = np.random.default_rng(seed)
    pairs = {a + b: (a, b) for a, b in LAYOUTS}
    mine = p.a + p.b
    if mine not in pairs:  # a layout of its own (a sliced operand): measured too
        pairs[mine] = (p.a, p.b)
    operands = {key: (operand(p.m, p.k, a, rng), operand(p.k, p.n, b, rng))
                for key, (a, b) in pairs.items()}
    fns = {key: (lambda a=a, b=b: a @ b) for key, (a, b) in operands.items()}
    if p.per_step and p.calls > 1:  # the same FLOPs as one GEMM, all steps stacked
        a_all, b_all = operand(p.m * p.calls, p.k, "N", rng), operand(p.k, p.n, "N", rng)
        fns["stacked"] = lambda: a_all @ b_all
    seconds = time_alternating(fns, samples, min_time)
    rates = {key: p.flops / s / 1e9 for key, s in seconds.items() if key != "stacked"}
    if "stacked" in seconds:
        rates["stacked"] = p.flops * p.calls / seconds["stacked"] / 1e9
    plain = {key: rates[key] for key in (a + b for a, b in LAYOUTS)}
    best = max(plain, key=plain.get)
    return {
        **asdict(p), "layout": f"{p.a},{p.b}", "flops": p.flops,
        "gflops": rates[mine], "gflops_by_layout": plain, "best_layout": best,
        "best_gflops": plain[best], "stacked_gflops": rates.get("stacked"),
        "ms_per_step": p.calls * seconds[mine] * 1e3,
    }


@contextlib.contextmanager
def blas_threads(threads):
    """Limit NumPy's BLAS to ``threads`` (threadpoolctl), or leave it when not installed."""
    if threads is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(threads, user_api="blas"):
        yield


def gemm_report(workloads=WORKLOADS, threads=None, samples=5, min_time=0.01, peak_size=2048,
                out=print):
    """Measure every product of ``workloads``; returns a dict (also printed with ``out``)."""
    with blas_threads(threads):
        peak = peak_gflops(peak_size)
        rows = [measure_product(p, samples, min_time)
                for w in workloads for p in workload_products(w)]
        peak = max(peak, peak_gflops(peak_size))  # once before and once after the products
    for row in rows:
        row["fraction_of_peak"] = row["gflops"] / peak
        row["best_fraction_of_peak"] = row["best_gflops"] / peak
    summary = {}
    for w in workloads:
        mine = [r for r in rows if r["workload"] == w]
        flops = sum(r["flops"] * r["calls"] for r in mine)
        seconds = sum(r["ms_per_step"] for r in mine) / 1e3
        best = sum(r["flops"] * r["calls"] / r["best_gflops"] / 1e9 for r in mine)
        summary[w] = {"gflop_per_step": flops / 1e9, "ms_per_step": seconds * 1e3,
                      "gflops": flops / seconds / 1e9, "best_layout_ms_per_step": best * 1e3,
                      "peak_ms_per_step": flops / peak / 1e6,
                      "fraction_of_peak": flops / seconds / 1e9 / peak}
    report = {"threads": threads, "peak_size": peak_size, "peak_gflops": peak,
              "samples": samples, "min_time": min_time, "products": rows, "summary": summary}
    print_gemm_report(report, out)
    return report


def print_gemm_report(report, out=print):
    peak = report["peak_gflops"]
    n = report["peak_size"]
    out(f"GEMM efficiency, float32, {report['threads'] or 'default'} BLAS thread(s): peak "
        f"{peak:.1f} GFLOP/s ({n}x{n} @ {n}x{n}); min of {report['samples']} samples")
    out(f"{'product':<44}{'m x k x n':>16}{'calls':>6}{'layout':>7}{'GFLOP/s':>9}{'% pk':>6}"
        f"{'best':>9}{'(lay)':>6}{'stacked':>9}{'ms/step':>9}")
    for w, s in report["summary"].items():
        out(f"[{w}]")
        for r in (r for r in report["products"] if r["workload"] == w):
            shape = f"{r['m']}x{r['k']}x{r['n']}"
            stacked = "-" if r["stacked_gflops"] is None else f"{r['stacked_gflops']:.1f}"
            out(f"  {r['name'][:42]:<42}{shape:>16}{r['calls']:>6}{r['layout']:>7}"
                f"{r['gflops']:>9.1f}{r['fraction_of_peak']:>6.0%}{r['best_gflops']:>9.1f}"
                f"{r['best_layout']:>6}{stacked:>9}{r['ms_per_step']:>9.2f}")
        out(f"  total: {s['gflop_per_step']:.3f} GFLOP/step in {s['ms_per_step']:.2f} ms = "
            f"{s['gflops']:.1f} GFLOP/s ({s['fraction_of_peak']:.0%} of peak); best layouts "
            f"{s['best_layout_ms_per_step']:.2f} ms, at peak {s['peak_ms_per_step']:.2f} ms")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads (default 2)")
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.01, help="seconds per sample")
    parser.add_argument("--peak-size", type=int, default=2048)
    parser.add_argument("--quick", action="store_true", help="2 samples, 1024^3 peak")
    parser.add_argument("--json", default="benchmarks/results/gemm.json", help="'' for none")
    args = parser.parse_args(argv)
    if args.quick:
        args.samples, args.peak_size, args.min_time = 2, 1024, 0.005
    workloads = [w.strip() for w in args.only.split(",") if w.strip()]
    report = gemm_report(workloads, args.threads, args.samples, args.min_time, args.peak_size)
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
        print(f"wrote {path}")
    return report


__all__ = ["Product", "workload_products", "gemm_report", "peak_gflops", "measure_product"]

if __name__ == "__main__":
    main()
