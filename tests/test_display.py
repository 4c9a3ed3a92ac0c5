"""glassnet.display: notebook detection (with a faked IPython shell) and escaped HTML tables.

``table_cells`` parses a table back with the standard library's HTML parser; the ``_repr_html_``
tests of the trace, the summary, History and ``inspect()`` use it to read their tables.
"""

import sys
import types
from html.parser import HTMLParser

import pytest

from glassnet import display


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.caption, self.headers, self.rows, self.footer = None, [], [], []
        self._where, self._text, self._row = None, None, []

    def handle_starttag(self, tag, attrs):
        if tag in ("th", "td", "caption"):
            self._text = []
        if tag == "tfoot":
            self._where = "tfoot"
        if tag == "tr" and self._where != "tfoot":
            self._row = []
        if tag == "br" and self._text is not None:
            self._text.append("\n")

    def handle_endtag(self, tag):
        text = "".join(self._text or [])
        if tag == "caption":
            self.caption = text
        elif tag == "th":
            self.headers.append(text)
        elif tag == "td" and self._where == "tfoot":
            self.footer = text.split("\n")
        elif tag == "td":
            self._row.append(text)
        elif tag == "tr" and self._where != "tfoot" and self._row:  # the header row has no td
            self.rows.append(self._row)
        if tag in ("th", "td", "caption"):
            self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def table_cells(html_text):
    """(caption, headers, rows, footer lines) of the first table, text unescaped."""
    parser = _Cells()
    parser.feed(html_text)
    return parser.caption, parser.headers, parser.rows, parser.footer


def fake_ipython(monkeypatch, shell_class_name):
    """Put a fake ``IPython`` module whose ``get_ipython()`` returns a ``shell_class_name``."""
    shell_class = type(shell_class_name, (), {})
    module = types.ModuleType("IPython")
    module.get_ipython = lambda: shell_class()
    monkeypatch.setitem(sys.modules, "IPython", module)
    return module


def test_html_table_escapes_every_text():
    text = display.html_table(["a<b", "c&d"], [["<script>", None]], caption='"q"',
                              footer=["x>y"])
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "a&lt;b" in text and "c&amp;d" in text and "x&gt;y" in text
    assert "&quot;q&quot;" in text
    assert table_cells(text) == ('"q"', ["a<b", "c&d"], [["<script>", ""]], ["x>y"])


def test_no_notebook_without_ipython(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert not display.in_notebook() and display.notebook_shell() is None
    assert display.display(object()) is False


def test_a_jupyter_kernel_is_a_notebook_and_a_terminal_ipython_is_not(monkeypatch):
    fake_ipython(monkeypatch, "ZMQInteractiveShell")
    assert display.in_notebook()
    fake_ipython(monkeypatch, "TerminalInteractiveShell")
    assert not display.in_notebook()
    module = fake_ipython(monkeypatch, "ZMQInteractiveShell")
    colab = type("Shell", (type(module.get_ipython()),), {})  # Colab subclasses the kernel's
    module.get_ipython = lambda: colab()
    assert display.in_notebook()
    module.get_ipython = lambda: None  # IPython imported, no shell running
    assert not display.in_notebook()


def test_detection_never_imports_ipython(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    display.in_notebook()
    assert "IPython" not in sys.modules


def test_display_hands_the_object_to_ipython_in_a_notebook(monkeypatch):
    pytest.importorskip("IPython")
    shown = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", shown.append)
    module = fake_ipython(monkeypatch, "ZMQInteractiveShell")
    module.display = IPython.display  # the real submodule stays importable
    monkeypatch.setitem(sys.modules, "IPython.display", IPython.display)
    thing = object()
    assert display.display(thing) is True and shown == [thing]
