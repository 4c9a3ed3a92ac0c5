"""Shared helpers for the example tests: load an example script by name, check PNG files."""

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(name, out, *extra):
    return load_example(name).main(["--quick", "--out", str(out), *extra])


def assert_pngs(out, names):
    """Every named figure exists in ``out`` and is a PNG (when matplotlib is installed)."""
    if not HAS_MATPLOTLIB:
        return
    for name in names:
        path = Path(out) / name
        assert path.is_file(), f"missing figure {path}"
        assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
