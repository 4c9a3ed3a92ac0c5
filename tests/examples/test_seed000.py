"""Seed 000's examples, run in --quick mode: one neuron y = f(wx + b) and the sin(x) network."""

import math

import pytest

from tests.examples._helpers import assert_pngs, run_example


@pytest.fixture(scope="module")
def neuron(tmp_path_factory):
    return run_example("seed000_neuron", tmp_path_factory.mktemp("seed000_neuron"))


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def test_neuron_values_match_y_equals_f_of_wx_plus_b(neuron):
    rows = {r["x"]: r for r in neuron["neuron"]}
    # w = (0.5, -1, 2), b = 0.1: x = (1, 1, 1) gives z = 1.6; x = (1, 2, 0.5) gives z = -0.4
    one = rows[(1.0, 1.0, 1.0)]
    assert one["z"] == pytest.approx(1.6)
    assert one["sigmoid"] == pytest.approx(_sigmoid(1.6), abs=1e-12)  # 0.832018
    assert one["tanh"] == pytest.approx(math.tanh(1.6), abs=1e-12)
    assert one["relu"] == pytest.approx(1.6) and one["leaky_relu"] == pytest.approx(1.6)
    negative = rows[(1.0, 2.0, 0.5)]
    assert negative["z"] == pytest.approx(-0.4)
    assert negative["relu"] == 0.0
    assert negative["leaky_relu"] == pytest.approx(0.2 * -0.4)  # Keras's default alpha 0.2
    assert rows[(0.0, 0.0, 0.0)]["sigmoid"] == pytest.approx(_sigmoid(0.1))


def test_sin_network_loss_decreases(neuron):
    sin = neuron["sin"]
    steps = [step for step, _ in sin["losses"]]
    assert steps == [0, *range(100, 1001, 100)]  # 10 checkpoints of the 1,000 quick steps
    assert sorted(sin["fits"]) == steps[1:]
    assert sin["final_mse"] < sin["initial_mse"] / 10
    assert sin["final_mse"] < 0.2  # sin(x) has variance 0.5: the net explains most of it


def test_tables_and_figures_are_written(neuron):
    out = neuron["out"]
    assert "| (1.0, 1.0, 1.0) | 1.6000 | 0.8320 |" in (out / "neuron.md").read_text("utf-8")
    assert (out / "sin_fit.csv").read_text("utf-8").startswith("step,grid MSE")
    assert_pngs(out, ["activations.png", "neuron.png", "sin_fit.png", "sin_fit_panels.png",
                      "sin_loss.png"])
