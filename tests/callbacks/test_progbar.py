"""Progbar and ProgbarLogger output formats."""

import io
import re
import sys

from glassnet.callbacks import Progbar
from glassnet.callbacks.progbar import format_duration, format_per_unit, format_value


def test_number_and_time_formats():
    assert format_value(0.30119) == "0.3012"
    assert format_value(0.0001234) == "1.2340e-04"
    assert format_duration(3.2) == "3s" and format_duration(65) == "1:05"
    assert format_duration(3725) == "1:02:05"
    assert format_per_unit(0.006) == "6ms/step" and format_per_unit(2.0) == "2s/step"
    assert format_per_unit(0.00035) == "350us/step"


def test_plain_output_prints_the_final_line_only_for_short_runs():
    out = io.StringIO()
    bar = Progbar(4, file=out, dynamic=False)
    for step in range(1, 4):
        bar.update(step, {"loss": 1.0 / step})
    bar.update(4, {"loss": 0.25, "accuracy": 0.5})
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and "\r" not in out.getvalue()
    assert lines[0].startswith("4/4 ") and lines[0].endswith("- loss: 0.2500 - accuracy: 0.5000")


def test_dynamic_output_redraws_in_place():
    out = io.StringIO()
    bar = Progbar(3, file=out, dynamic=True, interval=0.0)
    bar.update(1, {"loss": 1.0})
    bar.update(3, {"loss": 0.5})
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "1/3" in text and "3/3" in text


def test_verbose_two_prints_one_summary_line():
    out = io.StringIO()
    bar = Progbar(5, file=out, verbose=2)
    bar.update(2, {"loss": 1.0})
    bar.update(5, {"loss": 0.5})
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("5/5 - ") and "- loss: 0.5000" in lines[0]


def _notebook_stdout(monkeypatch, shell="ZMQInteractiveShell"):
    """A faked Jupyter kernel (ipykernel's shell class name) whose stdout is not a TTY."""
    from tests.test_display import fake_ipython

    fake_ipython(monkeypatch, shell)
    out = io.StringIO()  # like ipykernel's OutStream: isatty() is False
    monkeypatch.setattr(sys, "stdout", out)
    return out


def _as_a_notebook_shows(text):
    """What Jupyter displays: a carriage return not followed by a newline erases the line."""
    return re.sub(r"[^\n]*\r(?!\n)", "", text)


def test_in_a_notebook_the_bar_redraws_one_line_without_ansi(monkeypatch):
    out = _notebook_stdout(monkeypatch)
    bar = Progbar(50, interval=0.0)
    assert bar.dynamic and bar.notebook
    for step in range(1, 51):
        bar.update(step, {"loss": 1.0 / step})
    text = out.getvalue()
    assert text.count("\r") == 50 and text.count("\n") == 1 and text.endswith("\n")
    assert "\x1b" not in text  # no terminal escape codes in a notebook
    shown = _as_a_notebook_shows(text).splitlines()
    assert len(shown) == 1 and shown[0].startswith("50/50 ━━━━━━━━━━━━━━━━━━━━ ")
    assert shown[0].endswith("- loss: 0.0200")
    first = text.split("\r")[1]
    assert first.startswith(" 1/50 ─") or first.startswith(" 1/50 ━")


def test_a_terminal_ipython_or_an_explicit_file_is_not_a_notebook(monkeypatch):
    _notebook_stdout(monkeypatch, "TerminalInteractiveShell")
    assert not Progbar(3).dynamic
    _notebook_stdout(monkeypatch)
    bar = Progbar(3, file=io.StringIO())  # a file of the user's: plain lines
    assert not bar.dynamic and not bar.notebook
    assert not Progbar(3, dynamic=False).dynamic


def test_fit_in_a_notebook_shows_one_line_per_epoch_with_verbose_auto(monkeypatch):
    from tests.callbacks.helpers import tiny_data, tiny_model

    out = _notebook_stdout(monkeypatch)
    x, y = tiny_data(n=64)
    tiny_model(0.01).fit(x, y, epochs=2, batch_size=4)  # verbose="auto" -> 1, as in Keras
    text = out.getvalue()
    assert text.count("\r") >= 2 and "\x1b" not in text
    shown = _as_a_notebook_shows(text).splitlines()
    assert [line.split(" ")[0] for line in shown] == ["Epoch", "16/16", "Epoch", "16/16"]
    assert shown[0] == "Epoch 1/2" and all("- loss: " in line for line in shown[1::2])


def test_verbose_auto_is_one_in_a_notebook_as_in_keras(monkeypatch):
    from glassnet.training.loop import resolve_verbose

    _notebook_stdout(monkeypatch)
    assert resolve_verbose("auto", "fit") == 1
