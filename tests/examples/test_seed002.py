"""Seed 002's worked examples, run as scripts: the seed's numbers at its printed precision."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def linear(tmp_path_factory):
    return _load("seed002_backprop_linear").main(
        ["--quick", "--out", str(tmp_path_factory.mktemp("linear"))]
    )


@pytest.fixture(scope="module")
def nonlinear(tmp_path_factory):
    return _load("seed002_backprop_nonlinear").main(
        ["--quick", "--out", str(tmp_path_factory.mktemp("nonlinear"))]
    )


@pytest.fixture(scope="module")
def descent(tmp_path_factory):
    return _load("seed002_gradient_descent").main(
        ["--quick", "--out", str(tmp_path_factory.mktemp("descent"))]
    )


# ----------------------------------------------------------------------- linear
def test_linear_forward_values_and_partial_derivatives(linear):
    assert (linear["x"], linear["y"], linear["z"]) == (18.0, 9.0, 162.0)
    assert (linear["dz_dw"], linear["dz_db"]) == (18.0, 63.0)


def test_linear_graph_table_shows_every_gradient(linear):
    rows = {r["node"]: r for r in linear["graph"].rows()}
    expected = {"w": ("3", "18"), "b": ("4", "63"), "x": ("18", "9"), "y": ("9", "18"),
                "z": ("162", "1")}
    for name, (value, grad) in expected.items():
        assert (rows[name]["value"], rows[name]["grad"]) == (value, grad)
    out = linear["out"]
    assert "| z | Mul | x, y | 162 | 1 |" in (out / "graph.md").read_text(encoding="utf-8")
    assert "digraph" in (out / "graph.dot").read_text(encoding="utf-8")


def test_change_w_only(linear):
    rows = linear["solves"]["w"]
    # delta w = 12 / 18 = 0.6667, w = 2.3333, x = 16.6667, z = 150.0003 in the seed (it rounds
    # delta w to 0.6667; exactly, one step gives 150 since z is linear in w)
    assert rows[1]["w"] == pytest.approx(2.3333, abs=5e-5)
    assert rows[1]["x"] == pytest.approx(16.6667, abs=5e-5)
    assert rows[1]["z"] == pytest.approx(150.0003, abs=5e-4)
    assert abs(rows[-1]["z"] - 150) < 1e-4 and len(rows) == 2
    assert all(r["b"] == 4.0 for r in rows)


def test_change_b_only(linear):
    rows = linear["solves"]["b"]
    # delta b = 12 / 63 = 0.1905, b = 3.8095, x = 17.4285, y = 8.619
    assert 4.0 - rows[1]["b"] == pytest.approx(0.1905, abs=5e-5)
    assert rows[1]["b"] == pytest.approx(3.8095, abs=5e-5)
    assert rows[1]["x"] == pytest.approx(17.4285, abs=1e-4)
    assert rows[1]["y"] == pytest.approx(8.619, abs=5e-4)
    # the seed's 150.2162 is 17.4285 * 8.619 from the rounded b; exactly z = 150.217687
    assert rows[1]["z"] == pytest.approx(150.2162, abs=2e-3)
    assert rows[1]["z"] == pytest.approx(150.217687, abs=1e-6)
    assert rows[1]["dz/db"] == pytest.approx(3 * rows[1]["y"] + 2 * rows[1]["x"])  # recomputed
    assert abs(rows[-1]["z"] - 150) < 1e-4 and abs(rows[-2]["z"] - 150) >= 1e-4
    assert all(r["w"] == 3.0 for r in rows)


def test_change_both_splits_delta_z_half_and_half(linear):
    rows = linear["solves"]["both"]
    # delta b = (12/2)/63 = 0.095, delta w = (12/2)/18 = 0.333, w = 2.667, b = 3.905,
    # x = 17.049, y = 8.81, z = 150.2 (the seed's rounding)
    assert 3.0 - rows[1]["w"] == pytest.approx(0.333, abs=5e-4)
    assert 4.0 - rows[1]["b"] == pytest.approx(0.095, abs=5e-4)
    assert rows[1]["w"] == pytest.approx(2.667, abs=5e-4)
    assert rows[1]["b"] == pytest.approx(3.905, abs=5e-4)
    assert rows[1]["x"] == pytest.approx(17.049, abs=2e-3)
    assert rows[1]["y"] == pytest.approx(8.81, abs=5e-3)
    assert rows[1]["z"] == pytest.approx(150.2, abs=0.05)
    # derivatives recomputed at the new point: dz/dw = 2y, dz/db = 3y + 2x
    assert rows[1]["dz/dw"] == pytest.approx(2 * rows[1]["y"])
    assert rows[1]["dz/db"] == pytest.approx(3 * rows[1]["y"] + 2 * rows[1]["x"])
    assert abs(rows[-1]["z"] - 150) < 1e-4
    assert (linear["out"] / "solve_both.csv").exists()


# ----------------------------------------------------------------------- non-linear
# table 2-2 of the seed, iterations 1-5 (x5 = 9.656: the seed's 9.665 is a typo)
TABLE_2_2 = {
    "x": [2, 4.243, 7.344, 9.295, 9.656],
    "a": [4, 18.005, 53.934, 86.404, 93.233],
    "b": [1.386, 2.891, 3.988, 4.459, 4.535],
    "c": [1.177, 1.700, 1.997, 2.112, 2.130],  # seed: 2.129 (2.12958, truncated)
    "delta_c": [-0.953, -0.430, -0.133, -0.018],
    "delta_b": [-2.243, -1.462, -0.531, -0.078],
    "delta_a": [-8.973, -26.314, -28.662, -6.699],  # seed: -26.317 and -6.698
    "delta_x": [-2.243, -3.101, -1.951, -0.360],
}


def test_table_2_2(nonlinear):
    columns = nonlinear["columns"]
    assert len(columns) == 5
    for key, values in TABLE_2_2.items():
        got = [round(c[key], 3) for c in columns if key in c]
        assert got == pytest.approx(values, abs=1e-9), key
    assert "delta_c" not in columns[-1]  # converged: no backward pass in iteration 5
    assert abs(nonlinear["c"] - 2.13) < 0.001


def test_table_2_2_against_the_seed_where_it_rounds_differently(nonlinear):
    columns = nonlinear["columns"]
    assert columns[4]["c"] == pytest.approx(2.129, abs=1e-3)
    assert columns[1]["delta_a"] == pytest.approx(-26.317, abs=5e-3)
    assert columns[3]["delta_a"] == pytest.approx(-6.698, abs=1e-3)
    assert columns[4]["x"] ** 2 == pytest.approx(93.233, abs=5e-4)  # so x5 is 9.656
    assert 9.665**2 == pytest.approx(93.41, abs=0.01)  # not 93.233: the seed's x5 is a typo


def test_table_2_2_files(nonlinear):
    text = (nonlinear["out"] / "table_2_2.md").read_text(encoding="utf-8")
    assert "| x = x - delta_x | 2.000 | 4.243 | 7.344 | 9.295 | 9.656 |" in text
    csv_text = (nonlinear["out"] / "table_2_2.csv").read_text(encoding="utf-8")
    assert "a = x^2,4.000,18.005,53.934,86.404,93.233" in csv_text


# ----------------------------------------------------------------------- gradient descent
def test_single_variable_descent(descent):
    rows = descent["single"]
    assert [round(r[1], 6) for r in rows] == [1.2, 0.48, 0.192, 0.0768]
    assert rows[-1][2] < 0.01 <= rows[-2][2]


def test_table_2_3(descent):
    rows = descent["double"]
    assert [round(v, 6) for v in rows[0][1:]] == [3, 1, 9.708073]
    assert [round(v, 6) for v in rows[1][1:]] == [2.4, 0.909070, 6.382415]
    assert [round(v, 6) for v in rows[15][1:]] == [0.105553, 0.063481, 0.015166]
    assert [round(v, 6) for v in rows[16][1:]] == [0.084442, 0.050819, 0.009711]
    # it stops after exactly 16 updates: row k is the state after k updates
    assert len(rows) == 17 and rows[-1][0] == 16
    assert rows[-1][3] < 0.01 <= rows[-2][3]
    text = (descent["out"] / "table_2_3.md").read_text(encoding="utf-8")
    assert "| 16 | 0.084442 | 0.050819 | 0.009711 |" in text


def test_learning_rates(descent):
    paths = {eta: [r[1] for r in rows] for eta, rows in descent["learning_rates"].items()}
    # 1.0: jumps between 1.2 and -1.2 forever, J never decreases
    assert paths[1.0] == pytest.approx([1.2 * (-1) ** n for n in range(11)])
    # 0.8: zig-zag (sign flips every step) while |x| shrinks
    xs = paths[0.8]
    assert all(a * b < 0 and abs(b) < abs(a) for a, b in zip(xs, xs[1:], strict=False))
    # 0.4: from one side, essentially at the minimum after 4 steps
    assert all(x > 0 for x in paths[0.4]) and paths[0.4][4] ** 2 < 1e-5
    # 0.1: from one side, slowly: after 10 steps J is still above 0.01
    assert all(x > 0 for x in paths[0.1]) and paths[0.1][10] ** 2 > 0.01
    assert paths[0.1][10] == pytest.approx(1.2 * 0.8**10)


def test_gradient_descent_figure_when_matplotlib_is_installed(tmp_path):
    pytest.importorskip("matplotlib")
    result = _load("seed002_gradient_descent").main(["--out", str(tmp_path)])
    assert result["figure"] is not None and result["figure"].stat().st_size > 1000


def test_gradient_descent_figure_has_axis_labels_on_every_panel():
    pytest.importorskip("matplotlib")
    module = _load("seed002_gradient_descent")
    single = module.descend(module.square, [1.2], 0.3, stop_below=0.01)
    double = module.descend(module.square_plus_sin_square, [3.0, 1.0], 0.1, stop_below=0.01)
    paths = {eta: module.descend(module.square, [1.2], eta, steps=10)
             for eta in module.LEARNING_RATES}
    fig = module.descent_figure(single, double, paths)
    assert len(fig.axes) == 6
    for ax in fig.axes[:5]:
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "J(x) = x²")
    assert (fig.axes[5].get_xlabel(), fig.axes[5].get_ylabel()) == ("x", "y")
    assert all(ax.get_title() for ax in fig.axes)
