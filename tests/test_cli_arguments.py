"""Every flag of the ``glassnet`` command is checked up front: one line, exit code 2.

Issue 20: on today's main ``train --seed 4294967296`` printed NumPy's traceback and
``train --out /proc/1/x`` (or a file as --out, an unknown optimizer, a NaN learning rate, a
missing --data) failed with exit code 1 after reading the data; ``studio --port 70000``
raised OverflowError.
"""

import pytest

from glassnet import cli

#: Appended to every ``train`` command line: were a flag accepted, the run stays tiny.
SMALL = ["--quick", "--train-samples", "40", "--val-samples", "20", "--verbose", "0",
         "--no-plots"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a train run that got through would write runs/ here


def _usage_error(argv, capsys):
    if argv[0] == "train":
        argv = [*argv, *SMALL]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize(("argv", "message"), [
    (["train", "--seed", "4294967296"], r"--seed must be an integer in \[0, 4294967295\], "
                                        r"received 4294967296"),
    (["train", "--seed", "-1"], r"--seed must be an integer in \[0, 4294967295\]"),
    (["train", "--out", "/proc/1/x"], r"--out '/proc/1/x': cannot write in '/proc/1'"),
    (["train", "--out", ""], r"--out must name a folder"),
    (["train", "--learning-rate", "nan"], r"--learning-rate must be a finite number >= 0, "
                                          r"received nan"),
    (["train", "--learning-rate", "-0.1"], r"--learning-rate must be a finite number >= 0"),
    (["train", "--optimizer", "foo"], r"--optimizer: Unknown optimizer 'foo'"),
    (["train", "--data", "/no/such/mnist.npz"], r"--data '/no/such/mnist.npz': no such file"),
    (["train", "--epochs", "0"], r"--epochs must be at least 1"),
    (["studio", "--port", "70000"], r"--port must be an integer in \[0, 65535\], received "
                                    r"70000"),
    (["studio", "--port", "-5"], r"--port must be an integer in \[0, 65535\]"),
    (["studio", "--host", " "], r"--host must name an address"),
])
def test_bad_flags_are_usage_errors(argv, message, capsys):
    import re

    line = _usage_error(argv, capsys)
    assert re.search(message, line), line
    assert line.startswith(f"glassnet {argv[0]}: error: ")


def test_out_that_is_a_file(tmp_path, capsys):
    taken = tmp_path / "file.txt"
    taken.write_text("x")
    assert "is a file; expected a folder" in _usage_error(
        ["train", "--out", str(taken)], capsys)
    assert "is a file; expected a folder" in _usage_error(
        ["inspect", str(taken), "--out", str(taken)], capsys)
    assert "cannot write in" in _usage_error(
        ["train", "--out", "/proc/1/deeper/still"], capsys)


def test_file_outputs_of_export_and_convert(tmp_path, capsys):
    model = tmp_path / "m.glassnet"
    model.write_text("not read: the flags fail first")
    assert "must name a file" in _usage_error(
        ["export", str(model), "--format", "onnx", "--out", str(tmp_path)], capsys)
    assert "cannot write in '/proc/1'" in _usage_error(
        ["export", str(model), "--format", "onnx", "--out", "/proc/1/x.onnx"], capsys)
    keras = tmp_path / "k.keras"
    keras.write_text("x")
    assert "OUT '/proc/1/x.glassnet': cannot write" in _usage_error(
        ["convert", str(keras), "/proc/1/x.glassnet"], capsys)


def test_a_missing_data_path_for_evaluate(tmp_path, capsys):
    assert "--data-path '/no/such': no such file" in _usage_error(
        ["evaluate", str(tmp_path), "--data-path", "/no/such"], capsys)


def test_nothing_is_written_when_a_flag_is_refused(tmp_path, capsys):
    _usage_error(["train", "--seed", "4294967296", "--out", "run"], capsys)
    assert list(tmp_path.iterdir()) == []
