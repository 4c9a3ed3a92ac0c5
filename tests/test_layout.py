"""House rules that hold for the whole package: modules stay small enough to read."""

import ast
import pathlib

import glassnet

ROOT = pathlib.Path(glassnet.__file__).parent
MAX_LINES = 600


def test_no_module_is_over_600_lines_unless_its_docstring_says_why():
    """A longer module must say, in its docstring, why it is one concept ('one concept')."""
    too_long = {}
    for path in sorted(ROOT.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines <= MAX_LINES:
            continue
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if "one concept" not in " ".join(docstring.split()):
            too_long[str(path.relative_to(ROOT))] = lines
    assert not too_long, f"modules over {MAX_LINES} lines without a reason: {too_long}"


def test_the_rule_has_teeth():
    longest = max(len(p.read_text(encoding="utf-8").splitlines()) for p in ROOT.rglob("*.py"))
    assert 300 < longest < 800  # a walk that read nothing (or everything twice) would fail
