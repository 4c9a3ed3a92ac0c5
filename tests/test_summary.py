"""glassnet.summary: the summary as an object (text and HTML) and in a notebook.

Parameter counts are computed by hand: Dense(units) on n inputs has n * units + units.
"""

import io
from contextlib import redirect_stdout

import glassnet as gn
from glassnet import display, summary
from glassnet.layers import Concatenate, Dense, Input
from glassnet.models import Model, Sequential
from tests.test_display import table_cells


def _mlp(name="mlp", first="dense"):
    return Sequential([Dense(2, input_shape=(3,), name=first), Dense(4, name="head")], name=name)


def test_summary_table_rows_and_totals():
    table = summary.summary_table(_mlp())
    assert table.headers == ["Layer (type)", "Output Shape", "Param #"]
    assert table.rows == [["dense (Dense)", "(None, 2)", f"{3 * 2 + 2}"],
                          ["head (Dense)", "(None, 4)", f"{2 * 4 + 4}"]]
    total = 3 * 2 + 2 + 2 * 4 + 4
    assert table.totals == [("Total", total, 4 * total), ("Trainable", total, 4 * total),
                            ("Non-trainable", 0, 0)]
    assert str(table) == summary.summary_text(_mlp()) == _mlp().summary_text()


def test_html_summary_holds_the_values_and_escapes_names():
    html_text = summary.summary_table(_mlp(name='m<"1">', first="d<&>"))._repr_html_()
    assert "d<&>" not in html_text and "d&lt;&amp;&gt; (Dense)" in html_text
    assert 'm<"1">' not in html_text
    caption, headers, rows, footer = table_cells(html_text)
    assert caption == 'Model: "m<"1">"'
    assert headers == ["Layer (type)", "Output Shape", "Param #"]
    assert rows == [["d<&> (Dense)", "(None, 2)", "8"], ["head (Dense)", "(None, 4)", "12"]]
    assert footer == ["Total params: 20 (80.00 B)", "Trainable params: 20 (80.00 B)",
                      "Non-trainable params: 0 (0.00 B)"]


def test_html_summary_of_a_graph_has_the_connected_to_column():
    a, b = Input(shape=(4,), name="left"), Input(shape=(3,), name="<right>")
    merged = Concatenate(name="cat")([Dense(5, name="proj")(a), b])
    graph = Model([a, b], Dense(2, name="out")(merged))
    html_text = summary.summary_table(graph, show_trainable=True)._repr_html_()
    _, headers, rows, _ = table_cells(html_text)
    assert headers == ["Layer (type)", "Output Shape", "Param #", "Connected to", "Trainable"]
    connected = {row[0].split()[0]: row[3] for row in rows}
    assert connected["cat"] == "proj[0][0], <right>[0][0]"
    assert {row[0].split()[0]: row[2] for row in rows}["out"] == f"{(5 + 3) * 2 + 2}"
    assert "&lt;right&gt;[0][0]" in html_text


def test_print_summary_prints_text_outside_a_notebook(monkeypatch):
    monkeypatch.setattr(display, "in_notebook", lambda: False)
    out = io.StringIO()
    with redirect_stdout(out):
        assert summary.print_summary(_mlp()) is None
    assert out.getvalue().splitlines()[0] == 'Model: "mlp"'
    assert " Total params: 20 (80.00 B)" in out.getvalue()


def test_print_summary_displays_the_html_table_in_a_notebook(monkeypatch):
    shown = []
    monkeypatch.setattr(display, "display", lambda obj: shown.append(obj) or True)
    out = io.StringIO()
    with redirect_stdout(out):
        assert summary.print_summary(_mlp()) is None  # Keras: summary() returns None
    assert out.getvalue() == ""
    assert len(shown) == 1 and isinstance(shown[0], summary.SummaryTable)
    assert table_cells(shown[0]._repr_html_())[2][1] == ["head (Dense)", "(None, 4)", "12"]
    lines = []  # an explicit print_fn still gets the text, notebook or not
    summary.print_summary(_mlp(), print_fn=lines.append)
    assert lines[0] == 'Model: "mlp"' and len(shown) == 1


def test_model_summary_uses_the_notebook_display(monkeypatch):
    shown = []
    monkeypatch.setattr(display, "display", lambda obj: shown.append(obj) or True)
    out = io.StringIO()
    with redirect_stdout(out):
        assert _mlp().summary() is None
    assert out.getvalue() == "" and isinstance(shown[0], summary.SummaryTable)
    assert gn.Sequential([Dense(1, input_shape=(2,))]).summary(print_fn=lambda line: None) \
        is None
