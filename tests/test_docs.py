"""The documentation must not drift from the code.

* Every ```python block of the tutorials, the API overview and the READMEs runs, in a fresh
  namespace, headless (matplotlib's Agg backend), in a temporary working folder. A block right
  after a ``<!-- no-test -->`` comment is skipped (long training, downloads).
* Every ``examples/NAME.py`` the documents mention exists.
* Every dotted name in backticks that starts with ``gn.``, ``glassnet.``, ``ka.`` (glassnet.keras)
  or ``F.`` (glassnet.functional) resolves to a real object.
* The READMEs' example tables list every ``examples/*.py``.
"""

import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [
    ROOT / "docs" / "tutorial.md",
    ROOT / "docs" / "tutorial.zh-CN.md",
    ROOT / "docs" / "api.md",
    ROOT / "docs" / "seed_errata.md",
    ROOT / "docs" / "seed_errata.zh-CN.md",
    ROOT / "docs" / "distributed.md",
    ROOT / "docs" / "distributed.zh-CN.md",
    ROOT / "README.md",
    ROOT / "README.zh-CN.md",
]
NO_TEST = "<!-- no-test -->"
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
EXAMPLE = re.compile(r"(?<![\w/])examples/([A-Za-z0-9_]+\.py)")
NAME = re.compile(r"`((?:gn|glassnet|ka|F)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
ALIASES = {"gn": "glassnet", "glassnet": "glassnet", "ka": "glassnet.keras",
           "F": "glassnet.functional"}


def _existing():
    return [path for path in DOCUMENTS if path.exists()]


def _blocks_in(text):
    """(code, skipped) for every python block of a Markdown text."""
    return [(match.group(1), text[: match.start()].rstrip().endswith(NO_TEST))
            for match in BLOCK.finditer(text)]


def _blocks():
    """(document, block number, code, skipped) for every python block."""
    found = []
    for path in _existing():
        for number, (code, skipped) in enumerate(_blocks_in(path.read_text("utf-8")), start=1):
            found.append((path, number, code, skipped))
    return found


BLOCKS = _blocks()


def test_block_extraction_honours_no_test():
    text = ("```python\nx = 1\n```\n\n<!-- no-test -->\n```python\nlong()\n```\n"
            "```bash\nls\n```\n")
    assert _blocks_in(text) == [("x = 1\n", False), ("long()\n", True)]


def test_documents_exist():
    for name in ("tutorial.md", "tutorial.zh-CN.md", "api.md", "seed_errata.md",
                 "seed_errata.zh-CN.md", "distributed.md", "distributed.zh-CN.md"):
        assert (ROOT / "docs" / name).exists(), name
    assert len(BLOCKS) >= 20


@pytest.mark.parametrize(
    "path, number, code, skipped",
    BLOCKS,
    ids=[f"{path.name}#{number}" for path, number, _, _ in BLOCKS],
)
def test_code_block_runs(path, number, code, skipped, tmp_path, monkeypatch):
    if skipped:
        pytest.skip("marked <!-- no-test -->")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        if "viz" in code:
            pytest.skip("matplotlib is not installed")
    import glassnet as gn

    gn.manual_seed(0)
    namespace = {"__name__": f"doc_block_{number}"}
    exec(compile(code, f"{path.name} block {number}", "exec"), namespace)


def test_mentioned_examples_exist():
    mentioned = set()
    for path in _existing():
        mentioned |= set(EXAMPLE.findall(path.read_text(encoding="utf-8")))
    assert mentioned, "the documents mention no example"
    missing = sorted(name for name in mentioned if not (ROOT / "examples" / name).exists())
    assert not missing, f"documents mention examples that do not exist: {missing}"


def _resolve(dotted):
    head, *rest = dotted.split(".")
    module_name = ALIASES[head]
    obj = importlib.import_module(module_name)
    for part in rest:
        if hasattr(obj, part):
            obj = getattr(obj, part)
        else:  # a submodule not yet imported as an attribute
            obj = importlib.import_module(f"{module_name}.{part}")
        if inspect.ismodule(obj):
            module_name = obj.__name__
    return obj


def test_mentioned_names_resolve():
    names = set()
    for path in _existing():
        names |= set(NAME.findall(path.read_text(encoding="utf-8")))
    assert len(names) > 30
    broken = []
    for dotted in sorted(names):
        try:
            _resolve(dotted)
        except (AttributeError, ImportError):
            broken.append(dotted)
    assert not broken, f"names in the documents that do not exist: {broken}"


def test_readmes_list_every_example():
    scripts = {p.name for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_")}
    for readme in (ROOT / "README.md", ROOT / "README.zh-CN.md"):
        if not readme.exists():
            continue
        listed = set(EXAMPLE.findall(readme.read_text(encoding="utf-8")))
        missing = sorted(scripts - listed)
        assert not missing, f"{readme.name} does not list these examples: {missing}"
