"""The command line (glassnet.cli): --version, help, train, and the seed 003 example script.

The other subcommands have their own files: tests/test_cli_evaluate.py, test_cli_predict.py,
test_cli_inspect.py and test_cli_export.py (export and convert).
"""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import cli
from glassnet.io import load_model

ROOT = Path(__file__).resolve().parents[1]


def test_quick_train_writes_the_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "--quick", "--train-samples", "400", "--val-samples", "300",
                     "--out", str(out), "--verbose", "2"]) == 0
    printed = capsys.readouterr().out
    assert "Epoch" not in printed  # one epoch: no "Epoch 1/1" header, like Keras
    assert "val_accuracy" in printed and "Run folder" in printed
    files = set(os.listdir(out))
    assert {"model.glassnet", "history.csv", "history.json", "run.json", "summary.txt",
            "confusion_matrix.csv"} <= files
    with open(out / "history.csv", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(rows) == 2
    history = json.loads((out / "history.json").read_text())
    assert history["final_val_accuracy"] == pytest.approx(float(rows[1][3]))
    run = json.loads((out / "run.json").read_text())
    assert run["train_samples"] == 400 and run["validation_samples"] == 300
    matrix = np.loadtxt(out / "confusion_matrix.csv", delimiter=",")
    assert matrix.shape == (10, 10) and matrix.sum() == 300
    # the diagonal is the number of correct predictions: accuracy * samples
    assert np.trace(matrix) / 300 == pytest.approx(history["final_val_accuracy"], abs=1e-6)
    model = load_model(out / "model.glassnet")
    assert [layer.get_config()["units"] for layer in model.layers] == [784, 784, 10]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert {"learning_curves.png", "confusion_matrix.png"} <= files


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "train" in capsys.readouterr().out


def test_bad_arguments_are_rejected(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--model", "transformer"])
    with pytest.raises(SystemExit):
        cli.main(["train", "--batch-size", "0"])
    assert "invalid" in capsys.readouterr().err


@pytest.mark.parametrize("preset", ["cnn", "lstm"])
def test_cnn_and_lstm_presets_train_and_beat_chance(preset, tmp_path, capsys):
    out = tmp_path / preset
    assert cli.main(["train", "--model", preset, "--quick", "--train-samples", "600",
                     "--val-samples", "200", "--epochs", "2", "--out", str(out),
                     "--verbose", "0"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert history["final_val_accuracy"] > 0.2  # chance is 0.1; 600 images, 2 epochs


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "glassnet", "train", "--help"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0 and "--learning-rate" in result.stdout


def test_seed003_example_quick_run():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "seed003_mnist_mlp.py"), "--quick"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "val_accuracy" in result.stdout and "best val_accuracy" in result.stdout


# ============================================================================ --version
def test_version_in_process(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"glassnet {gn.__version__} (NumPy {np.__version__})"


def test_version_through_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "glassnet", "--version"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"glassnet {gn.__version__} (NumPy {np.__version__})"
    assert result.stderr == ""


def test_every_subcommand_has_help(capsys):
    for command in ("train", "evaluate", "predict", "inspect", "export", "convert", "studio"):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([command, "--help"])
        assert exit_info.value.code == 0
        assert f"usage: glassnet {command}" in capsys.readouterr().out


def test_unknown_subcommand_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["fly"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'fly'" in capsys.readouterr().err


# ============================================================================ train --quick
def test_quick_says_it_is_a_smoke_run(tmp_path, capsys):
    out = tmp_path / "smoke"
    assert cli.main(["train", "--quick", "--out", str(out), "--verbose", "0", "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "smoke run" in printed and "accuracy is not meaningful" in printed
    run = json.loads((out / "run.json").read_text())
    assert run["smoke_run"] is True
    assert run["train_samples"] == cli.QUICK_TRAIN and run["validation_samples"] == cli.QUICK_VAL
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    assert "not meaningful" in " ".join(capsys.readouterr().out.split())


def test_quick_with_its_own_subset_is_not_called_a_smoke_run(tmp_path, capsys):
    out = tmp_path / "own"
    assert cli.main(["train", "--quick", "--train-samples", "300", "--val-samples", "100",
                     "--out", str(out), "--verbose", "0", "--no-plots"]) == 0
    assert "smoke run" not in capsys.readouterr().out
    assert json.loads((out / "run.json").read_text())["smoke_run"] is False
