"""Per-op dispatch overhead of glassnet on tiny tensors, side by side with PyTorch when installed.

"no grad" means inputs that do not require gradients (no graph is recorded), for every
framework alike. On a 4x4 float32 tensor the arithmetic itself costs almost nothing, so these
timings measure what the framework adds around each op: wrapping arrays, recording the graph,
and (for the chain) walking it backward. Each case is run ``--repeat`` times for ``--number``
calls, alternating glassnet, NumPy and PyTorch within each repetition; the table shows the
median time per call in microseconds. Raw NumPy is shown as the floor.

Usage:
    python benchmarks/op_overhead.py [--quick] [--json benchmarks/results/op_overhead.json]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

import glassnet as gn

CHAIN_LENGTH = 10


def _time_us(fn, number):
    """Mean CPU time of one ``fn()`` call over ``number`` calls, in microseconds.

    CPU time of this process (``time.process_time``) rather than wall time, so that other load
    on the machine distorts the numbers less (everything here runs on one thread).
    """
    start = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - start) / number * 1e6


def _interleaved_medians(fns, number, repeat):
    """Median per-call time of each function; repetitions alternate between the functions,
    so that all of them see the same machine state."""
    for fn in fns.values():
        fn()  # warm up
    runs = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            runs[name].append(_time_us(fn, number))
    return {name: statistics.median(times) for name, times in runs.items()}


def _chain(x, w):
    """Ten ops: (x*w + x) -> tanh -> *w -> -x -> exp -> /2 -> @w -> sum."""
    y = x * w
    y = y + x
    y = y.tanh()
    y = y * w
    y = y - x
    y = y.exp()
    y = y / 2.0
    y = y @ w
    y = -y
    return y.sum()


def glassnet_cases():
    rng = np.random.default_rng(0)
    a = gn.tensor(rng.standard_normal((4, 4)).astype(np.float32))
    b = gn.tensor(rng.standard_normal((4, 4)).astype(np.float32))
    ga = gn.tensor(a.data, requires_grad=True)
    gb = gn.tensor(b.data, requires_grad=True)

    def forward_backward():
        ga.grad = gb.grad = None
        _chain(ga, gb).backward()

    return {
        "add 4x4 (no grad)": lambda: a + b,
        "mul 4x4 (no grad)": lambda: a * b,
        "matmul 4x4 (no grad)": lambda: a @ b,
        "add 4x4 (recording graph)": lambda: ga + gb,
        f"{CHAIN_LENGTH}-op chain forward": lambda: _chain(ga, gb),
        f"{CHAIN_LENGTH}-op chain forward+backward": forward_backward,
    }


def numpy_cases():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4)).astype(np.float32)
    b = rng.standard_normal((4, 4)).astype(np.float32)
    return {
        "add 4x4 (no grad)": lambda: a + b,
        "mul 4x4 (no grad)": lambda: a * b,
        "matmul 4x4 (no grad)": lambda: a @ b,
        f"{CHAIN_LENGTH}-op chain forward": lambda: _chain_numpy(a, b),
    }


def _chain_numpy(x, w):
    y = np.tanh(x * w + x) * w - x
    return (-(np.exp(y) / 2.0 @ w)).sum()


def torch_cases(torch):
    torch.manual_seed(0)
    a, b = torch.randn(4, 4), torch.randn(4, 4)
    ga, gb = a.clone().requires_grad_(True), b.clone().requires_grad_(True)

    def forward_backward():
        ga.grad = gb.grad = None
        _chain(ga, gb).backward()

    return {
        "add 4x4 (no grad)": lambda: a + b,
        "mul 4x4 (no grad)": lambda: a * b,
        "matmul 4x4 (no grad)": lambda: a @ b,
        "add 4x4 (recording graph)": lambda: ga + gb,
        f"{CHAIN_LENGTH}-op chain forward": lambda: _chain(ga, gb),
        f"{CHAIN_LENGTH}-op chain forward+backward": forward_backward,
    }


def run(number, repeat):
    """Time every case; returns {case: {"glassnet": us, "numpy": us|None, "torch": us|None}}."""
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    results = {}
    ours, floor = glassnet_cases(), numpy_cases()
    theirs = torch_cases(torch) if torch is not None else {}
    for name, fn in ours.items():
        fns = {"glassnet": fn}
        if name in floor:
            fns["numpy"] = floor[name]
        if name in theirs:
            fns["torch"] = theirs[name]
        medians = _interleaved_medians(fns, number, repeat)
        results[name] = {k: medians.get(k) for k in ("glassnet", "numpy", "torch")}
    return results, (torch.__version__ if torch is not None else None)


def format_table(results):
    def cell(value):
        return "-" if value is None else f"{value:.2f}"

    header = ["case", "numpy us", "glassnet us", "torch us", "glassnet/torch"]
    rows = []
    for name, r in results.items():
        ratio = r["glassnet"] / r["torch"] if r["torch"] else None
        rows.append(
            [name, cell(r["numpy"]), cell(r["glassnet"]), cell(r["torch"]),
             "-" if ratio is None else f"{ratio:.2f}x"]
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls (a rough number)")
    parser.add_argument("--number", type=int, default=2000, help="calls per repetition")
    parser.add_argument("--repeat", type=int, default=7, help="repetitions (median taken)")
    parser.add_argument(
        "--json", default=str(Path(__file__).parent / "results" / "op_overhead.json")
    )
    args = parser.parse_args(argv)
    number, repeat = (200, 3) if args.quick else (args.number, args.repeat)
    results, torch_version = run(number, repeat)
    print(f"CPU time per call on 4x4 float32 tensors (median of {repeat} x {number} calls)")
    print(format_table(results))
    if torch_version is None:
        print("(PyTorch is not installed: pip install 'glassnet[bench]' for the comparison)")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "unit": "microseconds of CPU time per call (median)",
        "number": number,
        "repeat": repeat,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": torch_version,
        "machine": platform.machine(),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "results": results,
    }
    out.write_text(json.dumps(payload, indent=2))
    print(f"wrote {out}")
    return results


if __name__ == "__main__":
    main()
