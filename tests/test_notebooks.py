"""The tutorial notebooks (docs/notebooks/) match the Markdown tutorials and run in a kernel.

* Sync: the notebooks are what ``tools/make_notebooks.py`` makes from docs/tutorial*.md, and
  (read independently, with tests/test_docs.py's block extractor) their code cells are the
  tutorial's python blocks, in order, with the ``<!-- no-test -->`` ones tagged
  ``skip-execution`` (nbclient skips them, as test_docs skips the blocks).
* Execution: each notebook runs top to bottom in a real Jupyter kernel (nbclient, ipykernel's
  ``python3``, the working folder a temporary one, 120 s per cell), in under 60 s, without an
  error; known outputs appear: the seed-002 trace table (as text and as HTML), the summary and
  History HTML tables, and the progress bar redrawn in place.

Needs nbclient, nbformat and ipykernel (the ``dev`` extra; CI installs them).
"""

import importlib.util
import json
import os
import re
import time
from pathlib import Path

import pytest

from tests.test_display import table_cells
from tests.test_docs import _blocks_in

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = {"tutorial.md": "tutorial.ipynb", "tutorial.zh-CN.md": "tutorial.zh-CN.ipynb"}
MAX_SECONDS = 60


def _tool():
    spec = importlib.util.spec_from_file_location("make_notebooks",
                                                  ROOT / "tools" / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _notebook(name):
    return json.loads((ROOT / "docs" / "notebooks" / name).read_text(encoding="utf-8"))


def _source(cell):
    return "".join(cell["source"])


@pytest.mark.parametrize("markdown, name", TUTORIALS.items())
def test_notebook_is_up_to_date_with_the_markdown(markdown, name):
    tool = _tool()
    language = tool.SOURCES[markdown]
    text = (ROOT / "docs" / markdown).read_text(encoding="utf-8")
    expected = tool.render(text, language)
    current = (ROOT / "docs" / "notebooks" / name).read_text(encoding="utf-8")
    assert current == expected, f"docs/notebooks/{name} is stale: run tools/make_notebooks.py"


@pytest.mark.parametrize("markdown, name", TUTORIALS.items())
def test_code_cells_are_the_tutorial_blocks(markdown, name):
    blocks = _blocks_in((ROOT / "docs" / markdown).read_text(encoding="utf-8"))
    cells = [c for c in _notebook(name)["cells"] if c["cell_type"] == "code"]
    appendix = len(cells) - len(blocks)
    assert appendix == 4  # the notebook-only section "In a notebook"
    for (code, skipped), cell in zip(blocks, cells, strict=False):
        assert _source(cell) == code.rstrip("\n")
        assert ("skip-execution" in cell["metadata"].get("tags", [])) == skipped
        assert cell["outputs"] == [] and cell["execution_count"] is None


def test_the_tool_tags_no_test_blocks_and_its_check_mode_passes():
    tool = _tool()
    cells = tool.cells_of("Intro\n\n<!-- no-test -->\n```python\nlong()\n```\n\n## Next\n"
                          "```bash\n# not a heading\n```\n", "en")
    kinds = [(kind, skipped) for kind, _, skipped in cells]
    assert kinds[:3] == [("markdown", False), ("markdown", False), ("code", True)]
    assert cells[1][1] == "Intro" and cells[2][1] == "long()"
    assert cells[3][1].startswith("## In a notebook")  # the appendix, before the last heading
    assert cells[-1][1] == "## Next\n```bash\n# not a heading\n```"  # not split at "# not"
    assert tool.main(["--check"]) == 0


def test_notebooks_are_valid_nbformat():
    nbformat = pytest.importorskip("nbformat")
    for name in TUTORIALS.values():
        nbformat.validate(nbformat.reads(
            (ROOT / "docs" / "notebooks" / name).read_text(encoding="utf-8"), as_version=4))


def _outputs(cell, kind):
    return [o for o in cell.outputs if o["output_type"] in kind]


def _text(cell):
    return "".join(o.get("text", "") for o in _outputs(cell, ("stream",)))


def _html(cell):
    return [o["data"]["text/html"] for o in _outputs(cell, ("execute_result", "display_data"))
            if "text/html" in o.get("data", {})]


def _cell_with(nb, fragment):
    matches = [c for c in nb.cells if c.cell_type == "code" and fragment in _source(c)]
    assert matches, fragment
    return matches


@pytest.mark.parametrize("name", TUTORIALS.values())
def test_notebook_runs_in_a_kernel(name, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # the kernel imports this checkout's glassnet, headless
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + path if path else ""))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.reads((ROOT / "docs" / "notebooks" / name).read_text(encoding="utf-8"),
                        as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError naming the cell on any error
    seconds = time.perf_counter() - start
    assert seconds < MAX_SECONDS, f"{name} took {seconds:.0f} s"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in _outputs(c, ("error",))]
    assert not errors

    # section 1: z = 0.5 - 2 + 6 + 0.1 and sigmoid(4.6) = 0.990048...
    assert _text(_cell_with(nb, "y = F.sigmoid(z)")[0]).split() == ["4.6", "0.99"]
    # section 4: seed 002's table; dz/dw = 2y = 18, dz/db = 3y + 2x = 63 at w = 3, b = 4
    text_trace, html_trace = _cell_with(nb, "t.label(x=x, y=y, z=z)")
    rows = [line.split() for line in _text(text_trace).splitlines()]
    for expected in (["w", "leaf", "3", "18"], ["b", "leaf", "4", "63"],
                     ["x", "Add", "mul1,", "mul2", "18", "9"], ["z", "Mul", "x,", "y", "162", "1"]):
        assert expected in rows
    (html_text,) = _html(html_trace)
    by_node = {row[0]: row for row in table_cells(html_text)[2]}
    assert by_node["w"][3:] == ["3", "18"] and by_node["b"][3:] == ["4", "63"]
    assert by_node["z"] == ["z", "Mul", "x, y", "162", "1"]
    # the summary, shown as HTML: Dense(8) on 4 inputs and Dense(2) on 8
    (summary_html,) = _html(_cell_with(nb, "model.summary()")[-1])
    caption, _, rows, footer = table_cells(summary_html)
    assert caption == 'Model: "notebook_mlp"'
    assert [row[2] for row in rows] == [f"{4 * 8 + 8}", f"{8 * 2 + 2}"]
    assert footer[0] == f"Total params: {4 * 8 + 8 + 8 * 2 + 2} ({4 * 58:.2f} B)"
    # fit with the default verbose: one bar per epoch, redrawn in place, no ANSI codes
    fit = _cell_with(nb, "history = model.fit(x, y, epochs=3")[0]
    printed = _text(fit)
    assert "\r" in printed and "\x1b" not in printed
    # what Jupyter displays; a redrawn bar may end in spaces that blank a longer earlier draw
    shown = [line.rstrip() for line in re.sub(r"[^\n]*\r(?!\n)", "", printed).splitlines()]
    assert shown[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all(line.startswith("8/8 ") and "- loss: " in line for line in shown[1::2])
    caption, headers, rows, _ = table_cells(_html(fit)[0])
    assert caption == "History: 3 epochs" and sorted(headers) == ["accuracy", "epoch", "loss"]
    assert [row[0] for row in rows] == ["0", "1", "2"]
    losses = [row[headers.index("loss")] for row in rows]  # the same logs as the bars' ends
    assert losses == [line.rsplit("- loss: ", 1)[1] for line in shown[1::2]]
    # inspect(): the first layer saw the last batch of 16 rows of 4 features, 8 units
    (inspect_html,) = _html(_cell_with(nb, "model.layers[0].inspect()")[-1])
    entries = {row[0]: row for row in table_cells(inspect_html)[2]}
    assert entries["input"][1] == "(16, 4)" and entries["z"][1] == "(16, 8)"
    assert entries["grads['kernel']"][1] == "(4, 8)"
