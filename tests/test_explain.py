"""gn.trace / gn.explain: the seed-002 table (values and gradients of every node)."""

import csv
import io

import numpy as np
import pytest

import glassnet as gn
from glassnet.explain import Trace, explain, trace
from glassnet.tensor import _op_hooks

# seed 002: z = x * y, x = 2w + 3b, y = 2b + 1 at w = 3, b = 4
EXPECTED = {"w": ("3", "18"), "b": ("4", "63"), "x": ("18", "9"), "y": ("9", "18"),
            "z": ("162", "1")}


def _seed_example():
    w = gn.tensor(3.0, requires_grad=True, name="w")
    b = gn.tensor(4.0, requires_grad=True, name="b")
    with trace() as t:
        x = 2 * w + 3 * b
        y = 2 * b + 1
        z = x * y
    t.label(x=x, y=y, z=z)
    z.backward()
    return t


def _by_node(rows):
    return {row["node"]: row for row in rows}


def test_rows_hold_values_and_gradients_of_every_node():
    rows = _by_node(_seed_example().rows())
    for name, (value, grad) in EXPECTED.items():
        assert (rows[name]["value"], rows[name]["grad"]) == (value, grad)
    assert rows["w"]["op"] == rows["b"]["op"] == "leaf"
    assert rows["z"]["op"] == "Mul" and rows["z"]["inputs"] == "x, y"
    assert rows["x"]["op"] == "Add"
    assert len(rows) == 8  # w, b, x, y, z and the three unnamed products 2w, 3b, 2b


def test_text_table():
    text = str(_seed_example())
    lines = text.splitlines()
    assert lines[0].split() == ["node", "op", "inputs", "value", "grad"]
    z_line = next(line for line in lines if line.startswith("z "))
    assert z_line.split() == ["z", "Mul", "x,", "y", "162", "1"]
    w_line = next(line for line in lines if line.startswith("w "))
    assert w_line.split() == ["w", "leaf", "3", "18"]


def test_markdown_table():
    md = _seed_example().to_markdown()
    lines = md.splitlines()
    assert lines[0] == "| node | op | inputs | value | grad |"
    assert lines[1] == "|---|---|---|---|---|"
    cells = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[1:-1]]
             for line in lines[2:]}
    for name, (value, grad) in EXPECTED.items():
        assert cells[name][3:] == [value, grad]
    assert cells["b"] == ["b", "leaf", "", "4", "63"]


def test_csv_text_and_file(tmp_path):
    t = _seed_example()
    rows = list(csv.DictReader(io.StringIO(t.to_csv())))
    by_node = {r["node"]: r for r in rows}
    for name, (value, grad) in EXPECTED.items():
        assert (by_node[name]["value"], by_node[name]["grad"]) == (value, grad)
    assert by_node["y"]["inputs"].endswith(", 1")  # the constant shown inline
    path = tmp_path / "table.csv"
    t.to_csv(path)
    assert path.read_text(encoding="utf-8") == t.to_csv()


def test_dot_has_a_node_per_tensor_and_edges_through_ops():
    dot = _seed_example().to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    labels = {}
    for line in dot.splitlines():
        if "shape=ellipse" in line:
            node_id = line.split()[0]
            labels[line.split('label="')[1].split("\\n")[0]] = node_id
    assert set(EXPECTED) <= set(labels)
    assert 'label="z\\nvalue 162\\ngrad 1"' in dot
    assert 'label="b\\nvalue 4\\ngrad 63"' in dot
    edges = [line.strip().rstrip(";") for line in dot.splitlines() if "->" in line]
    into_op = {e.split(" -> ")[0]: e.split(" -> ")[1] for e in edges}
    # x and y feed the same Mul, which produces z
    op = into_op[labels["x"]]
    assert into_op[labels["y"]] == op
    assert f"{op} -> {labels['z']}" in edges
    assert sum(1 for e in edges if e.startswith(labels["b"] + " ")) == 2  # b is used twice
    assert dot.count("shape=box") == 6  # six ops: 3 Mul, 2 Add, 1 Mul


def test_trace_ignores_ops_run_by_backward_and_unhooks_on_exit():
    t = _seed_example()
    assert len(t.records) == 6
    assert not _op_hooks
    with pytest.raises(RuntimeError), trace():
        raise RuntimeError("boom")
    assert not _op_hooks


def test_backward_after_the_block_and_default_names():
    a = gn.tensor([1.0, 2.0], requires_grad=True)
    with trace() as t:
        loss = (a * a).sum()
    loss.backward()
    rows = t.rows()
    assert [r["node"] for r in rows] == ["leaf1", "mul1", "sum1"]
    assert rows[0]["grad"] == "[2., 4.]"
    assert rows[1]["grad"] == "[1., 1.]"  # intermediate gradient retained
    assert rows[2]["value"] == "5"


def test_label_accepts_locals_and_keeps_given_names():
    w = gn.tensor(1.0, requires_grad=True, name="weight")
    with trace() as t:
        h = w * 2
    t.label(locals())
    assert [r["node"] for r in t.rows()] == ["weight", "h"]


def test_values_are_snapshots_taken_when_computed():
    w = gn.tensor(1.0, requires_grad=True, name="w")
    with trace() as t:
        y = w * 5
    w.data[...] = 100.0  # e.g. an optimizer step after the trace
    assert _by_node(t.rows())["w"]["value"] == "1"
    assert y.item() == 5.0


def test_explain_walks_an_existing_graph_without_touching_grads():
    w = gn.tensor(3.0, requires_grad=True, name="w")
    b = gn.tensor(4.0, requires_grad=True, name="b")
    x = 2 * w + 3 * b
    y = 2 * b + 1
    z = x * y
    x.name, y.name, z.name = "x", "y", "z"
    t = explain(z)
    assert isinstance(t, Trace)
    rows = _by_node(t.rows())
    for name, (value, grad) in EXPECTED.items():
        assert (rows[name]["value"], rows[name]["grad"]) == (value, grad)
    assert w.grad is None and x.grad is None and not x._retain_grad
    assert len(t.records) == 6
    plain = _by_node(explain(z, backward=False).rows())
    assert plain["w"]["grad"] == ""


def test_explain_of_a_vector_output_uses_the_gradient_of_its_sum():
    x = gn.tensor(np.array([1.0, 2.0]), requires_grad=True, name="x")
    rows = _by_node(explain(gn.exp(x)).rows())
    assert rows["x"]["grad"] == "[2.7183, 7.3891]"


def test_trace_records_ops_on_constants_too():
    with trace() as t:
        a = gn.tensor(np.ones((2, 2)), name="A")
        _ = a @ a
    rows = t.rows()
    assert rows[0]["op"] == "const" and rows[0]["node"] == "A"
    assert rows[1]["op"] == "MatMul" and rows[1]["value"] == "[[2., 2.], [2., 2.]]"
    assert rows[1]["grad"] == ""


def test_html_table_for_jupyter_holds_every_value_and_gradient():
    from tests.test_display import table_cells

    caption, headers, rows, _ = table_cells(_seed_example()._repr_html_())
    assert headers == ["node", "op", "inputs", "value", "grad"]
    by_node = {row[0]: row for row in rows}
    for name, (value, grad) in EXPECTED.items():  # seed 002's values, computed by hand
        assert (by_node[name][3], by_node[name][4]) == (value, grad)
    assert by_node["z"][1:3] == ["Mul", "x, y"] and len(rows) == 8
    assert caption == "Trace of 6 ops"


def test_html_table_escapes_tensor_names():
    from tests.test_display import table_cells

    a = gn.tensor(2.0, requires_grad=True, name="<a&b>")
    html_text = explain(a * a)._repr_html_()
    assert "<a&b>" not in html_text and "&lt;a&amp;b&gt;" in html_text
    rows = table_cells(html_text)[2]
    assert rows[0] == ["<a&b>", "leaf", "", "2", "4"]  # d(a*a)/da = 2a = 4
    assert rows[1][2] == "<a&b>, <a&b>"
