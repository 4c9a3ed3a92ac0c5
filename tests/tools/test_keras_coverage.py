"""tools/keras_coverage.py: the data file's structure, and docs/api.md's table is current."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "keras_coverage.py"


@pytest.fixture(scope="module")
def coverage():
    spec = importlib.util.spec_from_file_location("glassnet_keras_coverage", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_data_file_lists_keras_3_public_names(coverage):
    data = coverage.load_names()
    assert re.fullmatch(r"3\.\d+\.\d+", data["keras_version"])
    namespaces = data["namespaces"]
    for required in ("keras", "layers", "ops", "losses", "metrics", "optimizers", "callbacks",
                     "utils", "saving", "random", "backend", "activations", "initializers",
                     "regularizers", "models"):
        assert namespaces.get(required), required
    for namespace, names in namespaces.items():
        assert names == sorted(set(names)), namespace  # sorted, no duplicates
        assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n) for n in names), namespace
    assert {"Dense", "Conv2D", "LSTM"} <= set(namespaces["layers"])
    assert {"matmul", "softmax", "cast"} <= set(namespaces["ops"])


def test_statuses(coverage):
    import glassnet.keras as gk

    assert coverage.status("layers", "Dense", gk.layers) == "✓"
    assert coverage.status("layers", "NoSuchLayer", gk.layers) == "✗"
    assert coverage.status("metrics", "IoU", gk.metrics).startswith("differs: ")
    assert coverage.status("nowhere", "x", None) == "✗"
    for key, text in coverage.DIFFERS.items():
        assert text.startswith("differs: ") and "." in key


def test_docs_api_block_is_what_the_generator_makes(coverage):
    data = coverage.load_names()
    block = coverage.render(data)
    text = coverage.API_DOC.read_text(encoding="utf-8")
    assert coverage.current_block(text) == block, (
        "docs/api.md's Keras 3 coverage table is stale: run python tools/keras_coverage.py "
        "--write")
    total = sum(len(names) for names in data["namespaces"].values())
    assert block.count("| ✓ |") + block.count("| ✗ |") + block.count("| differs: ") == total
    assert coverage.replace_block(text, block) == text


def test_figures_and_check_mode(coverage, capsys):
    table = {"layers": [("Dense", "✓"), ("Foo", "✗"), ("Bar", "differs: x")]}
    assert coverage.figures(table) == {"layers": (2, 3)}
    assert coverage.main(["--check"]) == 0
    assert "keras.metrics" in capsys.readouterr().out
