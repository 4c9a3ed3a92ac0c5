"""The seeds' last gaps, run in --quick mode: seed 002's loss contour, seed 003's local
convergence (局部收敛) and layer-wise pre-training (预训练)."""

import csv
import json

import numpy as np
import pytest

from tests.examples._helpers import assert_pngs, load_example, run_example


@pytest.fixture(scope="module")
def contour(tmp_path_factory):
    out = tmp_path_factory.mktemp("contour")
    return run_example("seed002_loss_contour", out), out


def test_contour_centre_is_the_least_squares_minimum_not_zero(contour):
    result, out = contour
    module = load_example("seed002_loss_contour")
    x, y = module.make_data()
    slope, intercept = np.polyfit(x, y, 1)                 # independent least squares
    assert result["minimum"]["w"] == pytest.approx(slope, abs=1e-9)
    assert result["minimum"]["b"] == pytest.approx(intercept, abs=1e-9)
    j_min = 0.5 * np.mean((slope * x + intercept - y) ** 2)
    assert result["minimum"]["loss"] == pytest.approx(j_min, rel=1e-9)
    # the seed's "loss 0 at the centre" fails for noisy data: about noise_std^2 / 2 there
    assert result["minimum"]["loss"] == pytest.approx(0.5 * 0.5**2, rel=0.25)
    assert result["noise_free_minimum"]["loss"] < 1e-20
    saved = json.loads((out / "results.json").read_text("utf-8"))
    assert saved["minimum"] == pytest.approx(result["minimum"])


def test_contour_path_descends_to_the_minimum(contour):
    result, out = contour
    fast, slow = result["paths"]["0.7"], result["paths"]["0.1"]
    assert fast["distance_to_minimum"] < 1e-3
    assert slow["distance_to_minimum"] > 0.1                # slower: not there after 100 steps
    w_star, b_star = result["minimum"]["w"], result["minimum"]["b"]
    for points in result["path_points"].values():
        losses = [j for _, _, j in points]
        assert losses[0] > 10 * losses[-1]
        start = np.hypot(points[0][0] - w_star, points[0][1] - b_star)
        end = np.hypot(points[-1][0] - w_star, points[-1][1] - b_star)
        assert end < start / 2
    slow_losses = [j for _, _, j in result["path_points"][0.1]]
    assert np.all(np.diff(slow_losses) <= 1e-12)              # gentle steps: always down
    with open(out / "path.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 1 + 2 * 101
    assert_pngs(out, ["loss_contour.png"])


def test_local_convergence_depends_on_the_initial_weights(tmp_path):
    result = run_example("seed003_local_convergence", tmp_path)
    runs, losses = result["runs"], result["losses"]
    assert len(runs) == 5 * 4 and losses.shape == (2000, 20)
    converged = [i for i, r in enumerate(runs) if r["converged"]]
    stuck = [i for i, r in enumerate(runs) if not r["converged"]]
    assert converged and stuck                               # some succeed, some fail
    for i in converged:
        assert losses[-1, i] < 0.01 and losses[-1, i] < losses[0, i] / 10
    for i in stuck:
        # a plateau: far above the solution and (almost) flat for the last 500 steps
        assert losses[-1, i] > 0.1
        assert abs(losses[-500, i] - losses[-1, i]) < 5e-3
    by_scale = json.loads((tmp_path / "results.json").read_text("utf-8"))["by_scale"]
    assert sum(s["converged"] for s in by_scale.values()) == len(converged)
    assert "| s = 0.5 |" in (tmp_path / "convergence.md").read_text("utf-8")
    assert_pngs(tmp_path, ["loss_curves.png", "convergence_rate.png"])


def test_pretraining_strengthens_the_first_layers_gradient(tmp_path):
    result = run_example("seed003_pretraining", tmp_path)
    random_init = result["networks"]["random init"]
    pretrained = result["networks"]["pre-trained"]
    assert len(random_init["gradient_norms"]) == len(pretrained["gradient_norms"]) == 6
    # vanishing gradients at the random start: layer 1 gets a tiny part of the output's
    assert random_init["first_to_last"] < 1e-3
    # the pre-trained start passes a much larger gradient back to layer 1
    assert pretrained["gradient_norms"][0] > 2 * random_init["gradient_norms"][0]
    assert pretrained["first_to_last"] > 2 * random_init["first_to_last"]
    for r in (random_init, pretrained):
        assert all(0.0 <= a <= 1.0 for a in r["accuracy"])
    errors = result["reconstruction_errors"]
    assert len(errors) == 5 and all(np.isfinite(errors))
    saved = json.loads((tmp_path / "results.json").read_text("utf-8"))
    assert saved["networks"]["pre-trained"]["gradient_norms"] == pretrained["gradient_norms"]
    assert "| pre-trained |" in (tmp_path / "pretraining.md").read_text("utf-8")
    assert_pngs(tmp_path, ["gradient_norms.png", "accuracy.png"])
