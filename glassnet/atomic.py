"""Atomic file writes that leave nothing behind, even when the writer is killed.

A file is written to a temporary sibling, flushed to disk and renamed over its target, so a
reader sees the old file or the new one, never half of one. The temporary name says whose it is,
``.<target name>.<pid>.tmp-<random>.part``: a writer killed with SIGKILL cannot clean up, so the
next write of the same target removes the temporaries of that target whose process is gone.

Example:
    >>> import os, tempfile
    >>> from glassnet.atomic import atomic_write
    >>> folder = tempfile.mkdtemp()
    >>> target = os.path.join(folder, "model.glassnet")
    >>> atomic_write(target, lambda stream: stream.write(b"data"))
    >>> os.listdir(folder)
    ['model.glassnet']
"""

import os
import re
import tempfile


def _process_alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # another user's live process, or we cannot tell
        return True
    return True


def remove_stale_temporaries(path):
    """Remove the temporaries of ``path`` left by writers that no longer run.

    Returns:
        The list of removed file names.
    """
    folder = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(r"\." + re.escape(os.path.basename(path)) + r"\.(\d+)\.tmp-.*\.part\Z")
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = pattern.match(name)
        if match is None or _process_alive(int(match.group(1))):
            continue
        try:
            os.remove(os.path.join(folder, name))
            removed.append(name)
        except OSError:  # removed meanwhile, or not ours to remove
            pass
    return removed


def atomic_write(path, write):
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it to ``path``.

    Stale temporaries of the same target (from a killed writer) are removed first; the
    temporary is removed if ``write`` fails.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(path)
    prefix = f".{os.path.basename(path)}.{os.getpid()}.tmp-"
    handle, temp = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise
