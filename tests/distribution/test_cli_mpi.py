"""``mpiexec -n 2 python -m glassnet train``: data-parallel, quiet ranks, one run folder.

The same command (same seed, same global batch) in one process and on two ranks must end with
the same model: the run folder rank 0 writes holds weights, history and accuracy equal to the
one-process run's (float32 rounding of the summation order aside), and only one run folder and
one copy of the printed lines exist.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.distribution.conftest import MPI_ENV, REPO_ROOT

SCRIPT = """
import sys
from glassnet.cli import main
sys.exit(main(sys.argv[1:]))
"""
# MLP, 1,000 training images, 2 epochs of global batch 100 (20 Adam steps), shuffled
ARGS = ["train", "--train-samples", "1000", "--val-samples", "300", "--epochs", "2",
        "--batch-size", "100", "--seed", "3", "--verbose", "2", "--no-plots"]


def _one_process(folder):
    env = dict(__import__("os").environ)
    env.update(MPI_ENV)
    env["PYTHONPATH"] = str(REPO_ROOT)
    for name in ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "glassnet", *ARGS, "--out", str(folder)],
                          cwd=str(folder.parent), env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done


def _weights(folder):
    import glassnet as gn

    model = gn.models.load_model(str(folder / "model.glassnet"))
    return [np.asarray(w.numpy()) for w in model.weights]


def test_train_on_two_ranks_equals_one_process(run_mpi, tmp_path):
    single = tmp_path / "single"
    _one_process(single)
    done = run_mpi(2, SCRIPT, timeout=180, args=ARGS)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 1, runs  # rank 1 made no run folder of its own
    folder = runs[0]
    for name in ("model.glassnet", "history.csv", "history.json", "run.json", "summary.txt",
                 "confusion_matrix.csv"):
        assert (folder / name).exists(), name
    # printed once: rank 1 is quiet
    assert done.stdout.count("Run folder:") == 1, done.stdout
    assert done.stdout.count("Training --model mlp on 2 processes") == 1, done.stdout
    assert done.stdout.count("Epoch 2/2") == 1, done.stdout
    assert "epoch(s)" not in done.stdout and "2 epochs" in done.stdout
    run = json.loads((folder / "run.json").read_text())
    assert run["processes"] == 2
    one = json.loads((single / "history.json").read_text())
    two = json.loads((folder / "history.json").read_text())
    assert abs(one["final_val_accuracy"] - two["final_val_accuracy"]) <= 1e-5
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        np.testing.assert_allclose(two["history"][key], one["history"][key], rtol=1e-5,
                                   atol=1e-6, err_msg=key)
    assert (folder / "confusion_matrix.csv").read_text() == \
        (single / "confusion_matrix.csv").read_text()
    for w1, w2 in zip(_weights(single), _weights(folder), strict=True):
        np.testing.assert_allclose(w2, w1, rtol=1e-5, atol=1e-6)
    assert len(Path(folder / "history.csv").read_text().splitlines()) == 3  # header + 2 epochs
