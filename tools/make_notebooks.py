"""Build docs/notebooks/tutorial*.ipynb from docs/tutorial*.md, so the two never drift apart.

The Markdown is the source: each ```python block becomes a code cell (in order, unchanged), the
prose between blocks becomes Markdown cells (split at headings), and relative links are
rewritten to work from docs/notebooks/. A block right after ``<!-- no-test -->`` (a long run, a
download) becomes a code cell tagged ``skip-execution``, which nbclient and the test suite skip,
as tests/test_docs.py skips the block. A notebook-only section, "In a notebook", goes before the
closing "Where next": the HTML tables (trace, summary, History, inspect) and the progress bar
that only a notebook shows.
The notebooks are written without outputs; tests/test_notebooks.py executes them.

Usage:
    python tools/make_notebooks.py           # write the notebooks
    python tools/make_notebooks.py --check   # exit 1 (naming the file) if one is out of date

Only the standard library is needed (the notebook format is JSON, nbformat 4.5).
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OUT = DOCS / "notebooks"
SOURCES = {"tutorial.md": "en", "tutorial.zh-CN.md": "zh"}
NO_TEST = "<!-- no-test -->"
SKIP_TAG = "skip-execution"
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|#|/)([^)\s]+)\)")

HEADER = {
    "en": ("*This notebook is generated from [docs/tutorial.md](../tutorial.md) by "
           "`tools/make_notebooks.py`: edit the Markdown, then run "
           "`python tools/make_notebooks.py`. Run the cells in order (Kernel → Restart & Run "
           "All); each code cell is also a complete program on its own.*"),
    "zh": ("*本 notebook 由 `tools/make_notebooks.py` 根据 [docs/tutorial.zh-CN.md]"
           "(../tutorial.zh-CN.md) 生成:请修改 Markdown,再运行 "
           "`python tools/make_notebooks.py`。请按顺序运行各单元(Kernel → Restart & Run "
           "All);每个代码单元本身也是一个完整的程序。*"),
}

TRACE_CELL = '''import glassnet as gn

w = gn.tensor(3.0, requires_grad=True, name="w")
b = gn.tensor(4.0, requires_grad=True, name="b")
with gn.trace() as t:
    x = 2 * w + 3 * b
    y = 2 * b + 1
    z = x * y
t.label(x=x, y=y, z=z)
z.backward()
t                                  # {comment}'''

MODEL_CELL = '''import numpy as np
import glassnet as gn

rng = np.random.default_rng(0)
x = rng.random((64, 4), dtype=np.float32)
y = (x.sum(axis=1) > 2).astype("int64")
model = gn.Sequential([gn.layers.Dense(8, activation="relu", input_shape=(4,)),
                       gn.layers.Dense(2, activation="softmax")], name="notebook_mlp")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()'''

FIT_CELL = '''history = model.fit(x, y, epochs=3, batch_size=8)   # {comment1}
history                                            # {comment2}'''

INSPECT_CELL = '''with gn.layers.recording(model):
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
model.layers[0].inspect()          # {comment}'''

APPENDIX = {
    "en": [
        ("markdown",
         "## In a notebook\n\n"
         "*(This section is only in the notebook.)* In Jupyter, glassnet's tables show as HTML "
         "when an object is the last expression of a cell: a trace (`gn.trace`, `gn.explain`), "
         "`model.summary()`, the `History` that `fit` returns and `layer.inspect()` (a dict, "
         "shown as each entry's shape and statistics). `print(...)` still gives the text."),
        ("code", TRACE_CELL.format(comment="an HTML table: value and grad of every node")),
        ("markdown",
         "`model.summary()` displays its table as HTML here (it still returns None, as in "
         "Keras); `fit` uses `verbose=\"auto\"`, which is 1 in a notebook as in Keras: the "
         "progress bar of each epoch updates one line in place."),
        ("code", MODEL_CELL),
        ("code", FIT_CELL.format(comment1="one progress line per epoch",
                                 comment2="the per-epoch table")),
        ("code", INSPECT_CELL.format(comment="shape, dtype, min, max, mean, std of each entry")),
    ],
    "zh": [
        ("markdown",
         "## 在 notebook 中\n\n"
         "*(本节只在 notebook 里。)* 在 Jupyter 中,对象作为单元的最后一个表达式时,"
         "glassnet 的表格以 HTML 显示:计算轨迹(`gn.trace`、`gn.explain`)、"
         "`model.summary()`、`fit` 返回的 `History`,以及 `layer.inspect()`"
         "(一个 dict,显示每一项的形状和统计量)。`print(...)` 仍然给出文本。"),
        ("code", TRACE_CELL.format(comment="HTML 表格:每个节点的值和梯度")),
        ("markdown",
         "在这里 `model.summary()` 以 HTML 显示表格(和 Keras 一样仍返回 None);`fit` 的 "
         "`verbose=\"auto\"` 在 notebook 中与 Keras 一样等于 1:每轮的进度条在同一行原地更新。"),
        ("code", MODEL_CELL),
        ("code", FIT_CELL.format(comment1="每轮一行进度", comment2="逐轮的表格")),
        ("code", INSPECT_CELL.format(comment="每一项的形状、dtype、最小、最大、均值、标准差")),
    ],
}


def _relink(text):
    """Relative link targets as seen from docs/notebooks/ (``api.md`` -> ``../api.md``)."""
    return LINK.sub(lambda m: f"](../{m.group(1)})", text)


def _prose_cells(text):
    """Markdown cells for the prose between two code blocks, one per heading."""
    text = text.strip("\n")
    if text.endswith(NO_TEST):
        text = text[: -len(NO_TEST)].rstrip("\n")
    parts, current, fenced = [], [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        heading = line.startswith("#") and not fenced
        if heading and current and any(s.strip() for s in current):
            parts.append("\n".join(current).strip("\n"))
            current = []
        current.append(line)
    if any(s.strip() for s in current):
        parts.append("\n".join(current).strip("\n"))
    return [("markdown", _relink(part)) for part in parts]


def cells_of(markdown, language):
    """(kind, source, skipped) for every cell of the notebook made from ``markdown``."""
    cells = [("markdown", HEADER[language], False)]
    position = 0
    for match in FENCE.finditer(markdown):
        before = markdown[position: match.start()]
        cells += [(kind, source, False) for kind, source in _prose_cells(before)]
        skipped = before.rstrip().endswith(NO_TEST)
        cells.append(("code", match.group(1).rstrip("\n"), skipped))
        position = match.end()
    tail = [(kind, source, False) for kind, source in _prose_cells(markdown[position:])]
    last = tail[-1:] if tail and tail[-1][1].startswith("## ") else []  # "Where next"
    appendix = [(kind, source, False) for kind, source in APPENDIX[language]]
    return cells + tail[: len(tail) - len(last)] + appendix + last


def _lines(source):
    """nbformat's multi-line string: a list of lines, each but the last ending in a newline."""
    lines = source.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def notebook(markdown, language):
    """The notebook (a dict in nbformat 4.5) made from a tutorial's Markdown."""
    cells = []
    for number, (kind, source, skipped) in enumerate(cells_of(markdown, language), start=1):
        cell = {"cell_type": kind, "id": f"cell-{number:03d}", "metadata": {},
                "source": _lines(source)}
        if skipped:
            cell["metadata"]["tags"] = [SKIP_TAG]
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                           "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def render(markdown, language):
    """The notebook file's text (stable: same Markdown, same bytes)."""
    return json.dumps(notebook(markdown, language), indent=1, ensure_ascii=False) + "\n"


def targets():
    """(markdown path, notebook path, language) for each tutorial."""
    return [(DOCS / name, OUT / (Path(name).stem + ".ipynb"), language)
            for name, language in SOURCES.items()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only check that the notebooks are up to date")
    args = parser.parse_args(argv)
    stale = []
    for source, target, language in targets():
        text = render(source.read_text(encoding="utf-8"), language)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(target.relative_to(ROOT))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        names = ", ".join(str(path) for path in stale)
        print(f"out of date: {names}; run python tools/make_notebooks.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
