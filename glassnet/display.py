"""Notebook display: detect a Jupyter kernel and build escaped HTML tables.

glassnet's tables (``gn.explain``/``gn.trace``, ``model.summary()``, ``History``,
``layer.inspect()``) define ``_repr_html_``, the hook Jupyter calls to show an object as HTML;
they build it with :func:`html_table`, which escapes every cell (``html.escape``), so a layer
named ``<b>`` shows as ``<b>`` and never as markup.

:func:`in_notebook` tells whether the code runs in a Jupyter kernel (ipykernel's
``ZMQInteractiveShell``, also Colab's subclass of it). It looks at ``sys.modules`` only: it never
imports IPython, so a plain script pays nothing and needs nothing installed.

Example:
    >>> from glassnet.display import html_table, in_notebook
    >>> print(html_table(["name"], [["<w>"]]))
    <table class="glassnet">
    <thead><tr><th style="text-align:left">name</th></tr></thead>
    <tbody>
    <tr><td style="text-align:left">&lt;w&gt;</td></tr>
    </tbody>
    </table>
    >>> in_notebook()
    False
"""

import html
import sys

#: The IPython shell class of a Jupyter kernel (ipykernel).
NOTEBOOK_SHELL = "ZMQInteractiveShell"


def notebook_shell():
    """The running IPython shell when it is a Jupyter kernel's, else None (never imports)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return None
    try:
        shell = get_ipython()
    except Exception:  # a half-imported or unusual IPython: not a notebook we can use
        return None
    if shell is None:
        return None
    if any(cls.__name__ == NOTEBOOK_SHELL for cls in type(shell).__mro__):
        return shell
    return None


def in_notebook():
    """True inside a Jupyter kernel (the output goes to a notebook), False elsewhere."""
    return notebook_shell() is not None


def escape(value):
    """``html.escape(str(value))``; None becomes an empty string."""
    return "" if value is None else html.escape(str(value))


def html_table(headers, rows, caption=None, align=None, footer=None):
    """An HTML ``<table>`` whose every header, cell, caption and footer text is escaped.

    Args:
        headers: the column titles.
        rows: lists of cells (anything ``str`` can print; None is an empty cell).
        caption: text above the table, or None.
        align: one of ``'left'``/``'right'`` per column (default: all left).
        footer: lines of text under the table (each escaped), or None.

    Returns:
        The HTML text.
    """
    align = list(align) if align is not None else ["left"] * len(headers)

    def cells(tag, values):
        return "".join(
            f'<{tag} style="text-align:{side}">{escape(value)}</{tag}>'
            for value, side in zip(values, align, strict=False)
        )

    lines = ['<table class="glassnet">']
    if caption is not None:
        lines.append(f"<caption>{escape(caption)}</caption>")
    lines.append(f"<thead><tr>{cells('th', headers)}</tr></thead>")
    lines.append("<tbody>")
    lines += [f"<tr>{cells('td', row)}</tr>" for row in rows]
    lines.append("</tbody>")
    if footer:
        text = "<br>".join(escape(line) for line in footer)
        lines.append(f'<tfoot><tr><td colspan="{len(headers)}">{text}</td></tr></tfoot>')
    lines.append("</table>")
    return "\n".join(lines)


def display(obj):
    """Show ``obj`` with IPython's rich display (HTML where it has ``_repr_html_``).

    Returns:
        True when it was displayed, False when IPython is not running (nothing shown).
    """
    if notebook_shell() is None:
        return False
    from IPython.display import display as ipython_display  # only in a running kernel

    ipython_display(obj)
    return True
