"""Progbar: the Keras-style progress line ("469/469 ━━━━ 3s 6ms/step - loss: 0.3012").

On a terminal (TTY) the line is redrawn in place with ``'\\r'`` while it runs, showing the ETA;
in a Jupyter notebook too (as Keras does: the notebook turns ``'\\r'`` into an update of the same
output line, so a long epoch shows one moving bar, not a flood of lines; no ANSI styling there);
elsewhere (a log file, a pipe, CI) a plain line is printed every ``log_interval`` seconds and
at the end, so logs stay readable. ``verbose=2`` prints only the final line of each epoch.

Example:
    >>> import io
    >>> out = io.StringIO()
    >>> bar = Progbar(2, file=out)
    >>> bar.update(2, {"loss": 0.25}, finalize=True)
    >>> "2/2" in out.getvalue() and "loss: 0.2500" in out.getvalue()
    True
"""

import sys
import time

from glassnet.display import in_notebook


def format_value(value):
    """Keras's number format: 4 decimals, or scientific notation for tiny magnitudes."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{value:.4f}" if abs(value) > 1e-3 or value == 0 else f"{value:.4e}"


def format_duration(seconds):
    """'3s', '1:05' or '1:02:05'."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def format_per_unit(seconds, unit="step"):
    """Seconds per step as '2s/step', '6ms/step' or '350us/step'."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


class Progbar:
    """A progress bar for ``target`` steps with timing and running metric values.

    Args:
        target: total number of steps, or None when unknown.
        width: bar width in characters.
        verbose: 1 live bar (or periodic lines when not a TTY), 2 final line only, 0 silent.
        interval: minimum seconds between redraws on a TTY.
        unit_name: 'step' (training) or 'sample'.
        file: the stream (default ``sys.stdout`` at the time of each write).
        dynamic: force (True) or forbid (False) in-place redrawing; None detects a TTY, or a
            Jupyter notebook when the bar writes to ``sys.stdout``.
        log_interval: seconds between plain lines when not redrawing in place.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step", file=None, dynamic=None, log_interval=10.0):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self._file = file
        stream = self.file
        self.notebook = (self._file is None or self._file is sys.stdout) and in_notebook()
        self.dynamic = (
            dynamic if dynamic is not None
            else bool(getattr(stream, "isatty", lambda: False)()) or self.notebook
        )
        self.log_interval = log_interval
        encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            "━".encode(encoding)
            styled = self.dynamic and not self.notebook  # ANSI bold/dim on a terminal only
            self._full, self._empty = "━", "━" if styled else "─"
        except (LookupError, UnicodeEncodeError):
            self._full, self._empty = "=", "."
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._last_log = self.start
        self._last_width = 0
        self.values = {}
        self.finished = False

    @property
    def file(self):
        return self._file if self._file is not None else sys.stdout

    def _bar(self, current):
        if self.target is None:
            return f"{current}/Unknown"
        digits = len(str(self.target))
        filled = int(self.width * min(current, self.target) / self.target) if self.target else 0
        empty = self.width - filled
        if self.dynamic and self._full == self._empty == "━":
            bar = f"\x1b[1m{self._full * filled}\x1b[0m\x1b[2m{self._empty * empty}\x1b[0m"
        else:
            bar = self._full * filled + self._empty * empty
        return f"{current:>{digits}}/{self.target} {bar}"

    def _metrics(self):
        return "".join(f" - {name}: {format_value(value)}" for name, value in self.values.items())

    def update(self, current, values=None, finalize=None):
        """Report progress: ``current`` steps done; ``values`` name -> running value."""
        if values:
            self.values.update(dict(values))
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if self.verbose == 0 or self.finished:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        per_step = elapsed / current if current else 0.0
        if finalize:
            self.finished = True
        if self.verbose == 2:
            if finalize:
                total = self.target if self.target is not None else current
                per_unit = format_per_unit(per_step, self.unit_name)
                line = (f"{current}/{total} - {format_duration(elapsed)} - {per_unit}"
                        f"{self._metrics()}")
                self._write(line + "\n")
            return
        if finalize:
            timing = f"{format_duration(elapsed)} {format_per_unit(per_step, self.unit_name)}"
        else:
            if self.dynamic and now - self._last_draw < self.interval:
                return
            if not self.dynamic and now - self._last_log < self.log_interval:
                return
            remaining = (self.target - current) * per_step if self.target else elapsed
            timing = f"{format_duration(remaining)} {format_per_unit(per_step, self.unit_name)}"
        line = f"{self._bar(current)} {timing}{self._metrics()}"
        if self.dynamic:
            padding = " " * max(0, self._last_width - len(line))
            self._last_width = len(line)
            self._write("\r" + line + padding + ("\n" if finalize else ""))
        else:
            self._last_log = now
            self._write(line + "\n")
        self._last_draw = now

    def add(self, steps, values=None):
        self.update(getattr(self, "_current", 0) + steps, values)

    def _write(self, text):
        stream = self.file
        stream.write(text)
        stream.flush()
