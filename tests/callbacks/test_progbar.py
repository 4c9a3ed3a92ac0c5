"""Progbar and ProgbarLogger output formats."""

import io

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
