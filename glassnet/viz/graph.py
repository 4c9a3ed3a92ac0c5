"""The computation graph: Graphviz dot text rendered by the ``dot`` program when available."""

import io
import os
import shutil
import subprocess
import warnings

from glassnet.viz._base import new_figure


def render_dot(dot_text, fmt="png", timeout=30):
    """Run Graphviz ``dot -T<fmt>`` on ``dot_text``.

    Args:
        dot_text: the graph in the dot language.
        fmt: an output format of ``dot`` (``'png'``, ``'svg'``, ``'pdf'``...).
        timeout: seconds before giving up.

    Returns:
        The rendered bytes, or None with a reason: ``(bytes_or_None, reason_or_None)``.
    """
    program = shutil.which("dot")
    if program is None:
        return None, "Graphviz 'dot' was not found on PATH (install Graphviz to render graphs)"
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return None, f"Graphviz 'dot' failed: {err}"
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip()
        return None, f"Graphviz 'dot' failed (exit {done.returncode}): {message}"
    return done.stdout, None


def plot_graph(dot_text, path=None, timeout=30):
    """Draw a computation graph given as Graphviz dot text (e.g. ``trace.to_dot()``).

    With Graphviz's ``dot`` on PATH the graph is rendered by it: ``path`` (``.png``, ``.svg``,
    ``.pdf``) is written by ``dot`` itself and the returned Figure shows the PNG rendering.
    Without it (or if it fails) nothing is lost: the dot text is written next to ``path`` as
    ``<name>.dot`` (render it later with ``dot -Tpng graph.dot -o graph.png`` or an online
    viewer), a :class:`UserWarning` says so, and the returned Figure shows that message.

    Args:
        dot_text: dot source, or an object with a ``to_dot()`` method (a glassnet trace).
        path: optional output file; a ``.dot`` path just writes the text.
        timeout: seconds allowed for ``dot``.

    Returns:
        A matplotlib Figure: the rendered graph as an image, or the message why it is not.

    Example:
        >>> fig = plot_graph("digraph { x -> y }")  # doctest: +SKIP
    """
    if hasattr(dot_text, "to_dot"):
        dot_text = dot_text.to_dot()
    path = None if path is None else os.fspath(path)
    if path is not None and os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    if path is not None and path.lower().endswith(".dot"):
        _write_text(path, dot_text)
        return _message_figure(f"dot text written to {path}")
    image, reason = render_dot(dot_text, "png", timeout)
    if path is not None:
        extension = os.path.splitext(path)[1].lower().lstrip(".") or "png"
        output = image
        if image is not None and extension != "png":
            output, reason = render_dot(dot_text, extension, timeout)
        if output is not None:
            with open(path, "wb") as f:
                f.write(output)
        else:
            dot_path = os.path.splitext(path)[0] + ".dot"
            _write_text(dot_path, dot_text)
            reason += f"; the dot text was written to {dot_path}"
    if reason:
        warnings.warn(reason, UserWarning, stacklevel=2)
    if image is None:
        return _message_figure(reason)
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(image), format="png")
    height, width = pixels.shape[:2]
    fig, (ax,) = new_figure(1, panel_size=(max(width / 100, 2.0), max(height / 100, 1.0)))
    ax.imshow(pixels)
    ax.set_axis_off()
    return fig


def _write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _message_figure(message):
    fig, (ax,) = new_figure(1, panel_size=(7.0, 1.2))
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize="small")
    ax.set_axis_off()
    return fig
