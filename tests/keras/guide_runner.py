"""Run the Keras 3 developer guides against ``glassnet.keras``, statement by statement.

The guides (unmodified third-party copies, Apache License 2.0) live in the ``shared`` folder
beside the repository root: ``<repo>/../shared/keras_guides`` (for a git worktree, the main
checkout's root). Nothing of them is copied into the project; this module only reads and runs
them.

For each guide, exactly the rewrites that ``keras3_reference.json`` lists for it are applied to
the source (``line N: A -> B``: the text ``A`` on line ``N`` becomes ``B``; the MNIST loading
call becomes ``__kc_mnist__()``, the bundled copy sliced to 6,000 training and 1,000 test
samples). The guide is split into its top-level statements with :mod:`ast`, and each statement
runs on its own in one namespace, in a fresh temporary working directory, in a child process
whose ``import keras`` is the shim package ``tests/keras/shim/keras`` (that is,
``glassnet.keras``), with matplotlib in Agg mode and a time limit per guide. An error is recorded
(first line -> ``"Type: message"``) and the run continues with the next statement.

The result per guide is which of the statements Keras 3 completed
(``statements_completed_by_keras_3_first_lines``) glassnet completes too, and the errors of the
others.

Usage (for engineers)::

    python tests/keras/guide_runner.py                  # the table and every failing statement
    python tests/keras/guide_runner.py --guide functional_api.py
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SHIM = HERE / "shim"
REFERENCE_NAME = "keras3_reference.json"
DEFAULT_TIME_LIMIT_S = 300.0  # a guard against a hang; the guides take seconds each
MNIST_TRAIN, MNIST_TEST = 6000, 1000
_REWRITE = re.compile(r"^line (\d+): (.+?) -> (.+)$")
_ERROR_CHARS = 300


def main_checkout_root(repo: Path = REPO) -> Path:
    """The repository root, or for a git worktree the main checkout's root.

    A worktree's ``.git`` is a file ``gitdir: <main>/.git/worktrees/<name>``; the guides sit
    beside the main checkout.
    """
    git = repo / ".git"
    if git.is_file():
        text = git.read_text(encoding="utf-8").strip()
        if text.startswith("gitdir:"):
            gitdir = Path(text.split(":", 1)[1].strip())
            for parent in gitdir.parents:
                if parent.name == ".git":
                    return parent.parent
    return repo


def guides_dir(repo: Path = REPO) -> Path | None:
    """``<repo>/../shared/keras_guides`` (the main checkout's sibling), or None if absent."""
    for root in (repo, main_checkout_root(repo)):
        candidate = root.parent / "shared" / "keras_guides"
        if (candidate / REFERENCE_NAME).is_file():
            return candidate
    return None


def load_reference(folder: Path) -> dict:
    """The parsed ``keras3_reference.json``."""
    return json.loads((folder / REFERENCE_NAME).read_text(encoding="utf-8"))


def apply_rewrites(source: str, rewrites: list[str]) -> str:
    """Apply the reference's ``"line N: A -> B"`` rewrites; line numbers stay the same.

    ``mnist.load_data() -> __kc_mnist__(...)`` replaces the whole ``...mnist.load_data()``
    call on that line by ``__kc_mnist__()``; any other rewrite replaces the text ``A`` on line
    ``N`` by ``B``, where ``epochs=3 -> 2`` means ``epochs=2`` (only the value is named on the
    right). A rewrite whose text is not on its line raises ``ValueError`` (the guide
    and the reference disagree).
    """
    lines = source.splitlines(keepends=True)
    for rewrite in rewrites:
        match = _REWRITE.match(rewrite.strip())
        if match is None:
            raise ValueError(f"rewrite {rewrite!r}: expected 'line N: A -> B'")
        index, old, new = int(match.group(1)) - 1, match.group(2), match.group(3)
        line = lines[index]
        if new.startswith("__kc_mnist__"):
            pattern = re.compile(r"[\w.]*" + re.escape(old))
            replaced, count = pattern.subn("__kc_mnist__()", line, count=1)
        else:
            if "=" in old and "=" not in new:
                new = old.split("=", 1)[0] + "=" + new
            pattern = re.compile(r"(?<![\w.])" + re.escape(old) + r"(?![\w.])")
            replaced, count = pattern.subn(new, line, count=1)
        if count != 1:
            raise ValueError(f"rewrite {rewrite!r}: {old!r} is not on line {index + 1}: {line!r}")
        lines[index] = replaced
    return "".join(lines)


def split_statements(source: str, filename: str) -> list[tuple[int, ast.Module]]:
    """``(first line, one-statement module)`` for every top-level statement of ``source``."""
    tree = ast.parse(source, filename=filename)
    return [(node.lineno, ast.Module(body=[node], type_ignores=[])) for node in tree.body]


def _kc_mnist():
    import glassnet as gn

    (x_train, y_train), (x_test, y_test) = gn.datasets.mnist.load_data()
    train = (x_train[:MNIST_TRAIN], y_train[:MNIST_TRAIN])
    return train, (x_test[:MNIST_TEST], y_test[:MNIST_TEST])


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".replace("\n", " ")
    return text[:_ERROR_CHARS]


def run_guide_here(path: Path, rewrites: list[str], record) -> None:
    """Run one guide in this process, calling ``record(lineno, error_or_None)`` per statement.

    Meant for the child process (it changes ``sys.path``, the working directory and global
    state); :func:`run_guide` starts it.
    """
    import numpy as np

    import glassnet as gn

    np.random.seed(0)  # the guides draw from NumPy's global generator: the same draws each run
    gn.manual_seed(0)
    source = apply_rewrites(path.read_text(encoding="utf-8"), rewrites)
    namespace = {"__name__": "__main__", "__file__": str(path), "__kc_mnist__": _kc_mnist}
    for lineno, module in split_statements(source, str(path)):
        start = time.perf_counter()
        try:
            code = compile(module, str(path), "exec")
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, namespace)
        except BaseException as error:  # noqa: BLE001 - a guide statement may raise anything
            if isinstance(error, KeyboardInterrupt):
                raise
            record(lineno, _describe(error), time.perf_counter() - start)
        else:
            record(lineno, None, time.perf_counter() - start)


def _child(guide: Path, rewrites_json: str, out: Path) -> None:
    sys.path.insert(0, str(SHIM))
    sys.path.insert(1, str(REPO))
    os.environ["MPLBACKEND"] = "Agg"
    with contextlib.suppress(ImportError):
        import matplotlib

        matplotlib.use("Agg")
    rewrites = json.loads(rewrites_json)
    with open(out, "a", encoding="utf-8") as handle:

        def record(lineno, error, seconds=0.0):
            row = {"lineno": lineno, "error": error, "seconds": round(seconds, 3)}
            handle.write(json.dumps(row) + "\n")
            handle.flush()

        try:
            run_guide_here(guide, rewrites, record)
        except BaseException:  # noqa: BLE001 - report a crash of the runner itself
            record(0, "runner: " + traceback.format_exc(limit=3)[-_ERROR_CHARS:])


@dataclass
class GuideResult:
    """What glassnet did with one guide."""

    guide: str
    keras_completed: list[int]
    errors: dict[int, str] = field(default_factory=dict)
    completed: list[int] = field(default_factory=list)
    seconds: float = 0.0
    timed_out: bool = False
    crash: str | None = None
    statement_seconds: dict[int, float] = field(default_factory=dict)

    @property
    def passing(self) -> list[int]:
        """Keras-completed statements (first lines) that glassnet completes too."""
        done = set(self.completed)
        return [line for line in self.keras_completed if line in done]

    @property
    def failing(self) -> dict[int, str]:
        """Keras-completed statements glassnet does not complete, with the error."""
        done = set(self.completed)
        return {
            line: self.errors.get(line, "not reached (time limit)")
            for line in self.keras_completed
            if line not in done
        }


def run_guide(name: str, folder: Path, reference: dict, time_limit_s: float = DEFAULT_TIME_LIMIT_S):
    """Run guide ``name`` in a child process and return its :class:`GuideResult`."""
    entry = reference[name]
    result = GuideResult(name, list(entry["statements_completed_by_keras_3_first_lines"]))
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join([str(SHIM), str(REPO)]))
    env.pop("PYTHONSTARTUP", None)
    with tempfile.TemporaryDirectory(prefix="glassnet_guide_") as workdir:
        out = Path(workdir) / "_results.jsonl"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            str(folder / name),
            json.dumps(entry.get("rewrites", [])),
            str(out),
        ]
        start = time.perf_counter()
        try:
            subprocess.run(
                command,
                cwd=workdir,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=time_limit_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            result.timed_out = True
        result.seconds = time.perf_counter() - start
        lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    for line in lines:
        row = json.loads(line)
        result.statement_seconds[row["lineno"]] = row.get("seconds", 0.0)
        if row["lineno"] == 0:
            result.crash = row["error"]
        elif row["error"] is None:
            result.completed.append(row["lineno"])
        else:
            result.errors[row["lineno"]] = row["error"]
    return result


def run_all(names=None, time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> dict[str, GuideResult]:
    """Run the named guides (all in the reference by default); ``{}`` if the guides are absent."""
    folder = guides_dir()
    if folder is None:
        return {}
    reference = load_reference(folder)
    return {name: run_guide(name, folder, reference, time_limit_s) for name in names or reference}


def table(results: dict[str, GuideResult]) -> str:
    """A plain-text table: per guide, Keras 3's count, glassnet's count, seconds."""
    rows = [f"{'guide':<50} {'keras 3':>8} {'glassnet':>9} {'seconds':>8}"]
    for name, result in results.items():
        flag = "  (time limit)" if result.timed_out else ""
        rows.append(
            f"{name:<50} {len(result.keras_completed):>8} {len(result.passing):>9} "
            f"{result.seconds:>8.1f}{flag}"
        )
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guide", action="append", help="run only this guide (repeatable)")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S)
    parser.add_argument("--slowest", type=int, default=0, metavar="N",
                        help="also print the N slowest statements of each guide")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        guide, rewrites_json, out = args.child
        _child(Path(guide), rewrites_json, Path(out))
        return 0
    if guides_dir() is None:
        print("the Keras guides folder <repo>/../shared/keras_guides is absent", file=sys.stderr)
        return 1
    results = run_all(args.guide, args.time_limit)
    print(table(results))
    for name, result in results.items():
        if result.crash:
            print(f"{name}: the runner crashed: {result.crash}")
        for lineno, error in result.failing.items():
            print(f"{name}:{lineno}: {error}")
        slowest = sorted(result.statement_seconds.items(), key=lambda kv: -kv[1])
        for lineno, seconds in slowest[: args.slowest]:
            print(f"{name}:{lineno}: {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
