"""The backprop stepper against the seeds' printed numbers (seed 002 table 2-2 and its linear
example) and seed 001's delta formulas computed here with NumPy."""

import json

import numpy as np
import pytest

from glassnet.errors import GlassnetValueError
from glassnet.studio import stepper

# Seed 002's table 2-2 as printed (rows x, a, b, c, y, Δc, Δb, Δa, Δx; iterations 1..5).
SEED_TABLE_2_2 = {
    "x": ["2", "4.243", "7.344", "9.295", "9.665"],
    "a": ["4", "18.005", "53.934", "86.404", "93.233"],
    "b": ["1.386", "2.891", "3.988", "4.459", "4.535"],
    "c": ["1.177", "1.700", "1.997", "2.112", "2.129"],
    "y": ["2.13"] * 4,  # the seed leaves the label blank in the last (stopping) column
    "delta_c": ["-0.953", "-0.430", "-0.133", "-0.018"],
    "delta_b": ["-2.243", "-1.462", "-0.531", "-0.078"],
    "delta_a": ["-8.973", "-26.317", "-28.662", "-6.698"],
    "delta_x": ["-2.243", "-3.101", "-1.951", "-0.360"],
}
# docs/seed_errata.md 002-4 and 002-5: the seed's typo and rounding slips, and the exact values.
ERRATA = {("x", 5): "9.656", ("c", 5): "2.130", ("delta_a", 2): "-26.314",
          ("delta_a", 4): "-6.699"}


def _cells(example):
    cells = {}
    for step in example["steps"]:
        for cell in step["cells"]:
            key = (cell["row"], cell["column"])
            assert key not in cells, f"cell {key} filled twice"
            cells[key] = cell["value"]
    return cells


def _consumers(example):
    consumers = {node["id"]: [] for node in example["nodes"]}
    for node in example["nodes"]:
        for source in node["inputs"]:
            consumers[source].append(node["id"])
    return consumers


def _check_order(steps, consumers, key=lambda step: None):
    """Within each group (an iteration, or the whole example): forward before backward before
    update, and a node's backward step only after the backward steps of all its consumers."""
    seen_forward, seen_backward, phase_rank = {}, {}, {"forward": 0, "backward": 1, "update": 2}
    last_rank = {}
    for step in steps:
        group = key(step)
        rank = phase_rank[step["phase"]]
        assert rank >= last_rank.get(group, 0) or rank == 0, step
        last_rank[group] = rank
        node = step["node"]
        if step["phase"] == "forward":
            seen_forward.setdefault(group, set()).add(node)
        elif step["phase"] == "backward":
            assert node in seen_forward.get(group, set()), step
            done = seen_backward.setdefault(group, set())
            for consumer in consumers[node]:
                if any(s["node"] == consumer and s["phase"] == "backward" for s in steps):
                    assert consumer in done, (node, consumer)
            done.add(node)


def test_catalog_and_unknown_name():
    assert list(stepper.EXAMPLES) == ["seed002_linear", "seed002_chain", "seed001_net"]
    for entry in stepper.catalog():
        assert set(entry["title"]) == {"en", "zh"} and entry["title"]["zh"]
    with pytest.raises(GlassnetValueError, match="seed002_chain"):
        stepper.example("nope")


@pytest.mark.parametrize("name", list(stepper.EXAMPLES))
def test_every_example_is_json_and_bilingual(name):
    example = stepper.example(name)
    assert json.loads(json.dumps(example)) == example
    assert example["name"] == name
    for text in [example["title"], example["description"], *example["update"]["lines"],
                 *(step["text"] for step in example["steps"]),
                 *(row["label"] for row in example["table"]["rows"])]:
        assert set(text) == {"en", "zh"} and text["en"] and text["zh"]
    assert [step["index"] for step in example["steps"]] == list(range(len(example["steps"])))
    ids = {node["id"] for node in example["nodes"]}
    rows = {row["id"] for row in example["table"]["rows"]}
    columns = set(example["table"]["columns"])
    for step in example["steps"]:
        assert step["phase"] in ("forward", "backward", "update")
        assert step["node"] in ids
        for cell in step["cells"]:
            assert cell["row"] in rows and cell["column"] in columns
    _cells(example)  # no cell filled twice


def test_chain_reproduces_table_2_2():
    example = stepper.example("seed002_chain")
    table = example["table"]
    assert table["layout"] == "table_2_2"
    assert [row["id"] for row in table["rows"]] == list(SEED_TABLE_2_2)
    assert table["columns"] == [1, 2, 3, 4, 5]
    cells = _cells(example)
    expected = {}
    for row, printed in SEED_TABLE_2_2.items():
        for column, value in enumerate(printed, start=1):
            expected[(row, column)] = ERRATA.get((row, column), f"{float(value):.3f}")
    assert cells == expected  # exactly the seed's table: no missing and no extra cell
    assert example["update"]["formula"] == "x ← x − Δx"
    assert len(example["update"]["lines"]) == 4


def test_chain_step_order():
    example = stepper.example("seed002_chain")
    phases = [(s["phase"], s["node"]) for s in example["steps"]]
    iteration = [("forward", "a"), ("forward", "b"), ("forward", "c"), ("forward", "y"),
                 ("backward", "c"), ("backward", "b"), ("backward", "a"), ("backward", "x"),
                 ("update", "x")]
    last = [("forward", "a"), ("forward", "b"), ("forward", "c"), ("forward", "y")]
    assert phases == [("forward", "x")] + iteration * 4 + last
    # the update of iteration k writes x of iteration k + 1, after k's backward steps
    for step in example["steps"]:
        if step["phase"] == "update":
            (cell,) = step["cells"]
            assert cell["row"] == "x"
    # every backward step's grad is autodiff's dc/dnode: Δ = Δc / grad (seed: Δb = Δc·2√b)
    first = [s for s in example["steps"] if s["phase"] == "backward"][:4]
    b = np.log(4.0)
    np.testing.assert_allclose(first[1]["grad"], 1 / (2 * np.sqrt(b)))
    np.testing.assert_allclose(first[1]["value"], first[0]["value"] * 2 * np.sqrt(b))


def test_linear_matches_seed_002():
    example = stepper.example("seed002_linear")
    assert example["table"]["layout"] == "trace"
    assert example["table"]["columns"] == ["op", "inputs", "value", "grad"]
    values = {s["node"]: s["value"] for s in example["steps"] if s["phase"] == "forward"}
    grads = {s["node"]: s["grad"] for s in example["steps"] if s["phase"] == "backward"}
    # the seed: x = 18, y = 9, z = 162; dz/dx = y = 9, dz/dy = x = 18, dz/dw = 18, dz/db = 63
    assert (values["w"], values["b"], values["x"], values["y"], values["z"]) == (
        3, 4, 18, 9, 162)
    assert (grads["x"], grads["y"], grads["w"], grads["b"], grads["z"]) == (9, 18, 18, 63, 1)
    cells = _cells(example)
    rows = [row["id"] for row in example["table"]["rows"]]
    assert set(cells) == {(r, c) for r in rows for c in example["table"]["columns"]}
    assert cells[("z", "value")] == "162.000" and cells[("b", "grad")] == "63.000"
    assert cells[("x", "op")] == "Add" and cells[("z", "inputs")] == "x, y"
    forward = [s["node"] for s in example["steps"] if s["phase"] == "forward"]
    backward = [s["node"] for s in example["steps"] if s["phase"] == "backward"]
    assert sorted(forward) == sorted(backward) == sorted(rows)
    _check_order(example["steps"], _consumers(example))
    update = example["update"]
    assert update["learning_rate"] == 0.01
    texts = [line["en"] for line in update["lines"]]
    assert "w ← w − η·∂z/∂w = 3 − 0.01 × 18 = 2.82" in texts
    assert "b ← b − η·∂z/∂b = 4 − 0.01 × 63 = 3.37" in texts
    new_z = (2 * 2.82 + 3 * 3.37) * (2 * 3.37 + 1)
    assert any(f"{new_z:.6g}" in t for t in texts)
    assert any("2.3333" in t for t in texts)  # the seed's own step: w = 3 - 12/18


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_net_matches_seed_001_formulas():
    example = stepper.example("seed001_net")
    w1 = np.array([[0.15, 0.25, -0.30], [0.20, -0.35, 0.40]])
    b1 = np.array([0.35, 0.35, -0.10])
    w2 = np.array([[0.40, 0.50], [0.45, -0.55], [0.60, 0.65]])
    b2 = np.array([0.60, 0.60])
    x, t, eta = np.array([0.05, 0.10]), np.array([0.01, 0.99]), 0.5
    z1 = x @ w1 + b1
    a = _sigmoid(z1)
    z2 = a @ w2 + b2
    y = _sigmoid(z2)
    seed_out = y * (1 - y) * (t - y)                  # seed 001: δ = y(1 - y)(t - y)
    seed_hidden = a * (1 - a) * (w2 @ seed_out)       # δ = a(1 - a) Σ w δ
    loss = 0.5 * ((t - y) ** 2).sum()
    cells = _cells(example)
    for i, name in enumerate(["h1", "h2", "h3"]):
        assert cells[(name, "z")] == f"{z1[i]:.6f}"
        assert cells[(name, "output")] == f"{a[i]:.6f}"
        assert cells[(name, "delta")] == f"{-seed_hidden[i]:.6f}"  # glassnet's δ = dL/dz
    for k, name in enumerate(["y1", "y2"]):
        assert cells[(name, "z")] == f"{z2[k]:.6f}"
        assert cells[(name, "output")] == f"{y[k]:.6f}"
        assert cells[(name, "delta")] == f"{-seed_out[k]:.6f}"
    assert cells[("loss", "output")] == f"{loss:.6f}"
    assert cells[("x1", "output")] == "0.050000" and ("x1", "delta") not in cells
    _check_order(example["steps"], _consumers(example))
    # the SGD step equals the seed's w <- w + η δ x
    new_w2 = w2 + eta * np.outer(a, seed_out)
    new_w1 = w1 + eta * np.outer(x, seed_hidden)
    lines = " ".join(line["en"] for line in example["update"]["lines"])
    assert f"w(h1→y1) ← 0.4 − 0.5 × {-seed_out[0] * a[0]:.6g} = {new_w2[0, 0]:.6g}" in lines
    assert f"= {new_w1[1, 2]:.6g}" in lines
    assert f"b(y2) ← 0.6 − 0.5 × ({-seed_out[1]:.6g}) = {b2[1] + eta * seed_out[1]:.6g}" in lines
    assert len(example["update"]["lines"]) == 6 + 3 + 6 + 2
    assert example["update"]["learning_rate"] == eta
