"""Download, verify and cache dataset files; safe extraction of tar and zip members.

Files are cached under :func:`data_home`: ``~/.glassnet/datasets``, or the folder named by the
environment variable ``GLASSNET_DATA_HOME``. :func:`get_file` (also ``keras.utils.get_file``)

- refuses, before anything is fetched, a target that would land outside the cache folder
  (``fname='../../x'``, an absolute ``cache_subdir``, a symlink pointing out, an archive member
  named ``../x``), a malformed hash (wrong length, not hex, unknown algorithm) and bad limits;
- downloads to ``<file>.part`` and renames it into place only once complete and verified
  (an atomic ``os.replace``); the ``.part`` is deleted on every failure (network error, size
  limit, deadline, wrong hash, Ctrl-C), unless ``resume=True`` asks to keep a correct prefix
  for an HTTP ``Range`` request on the next call;
- stops a response larger than ``max_bytes`` (default :data:`MAX_BYTES`, 2 GiB): refused
  from its ``Content-Length`` before any byte is read, or stopped once a body without one
  grows past the limit (the limit also bounds what an archive extracts to);
- gives up when a connection or a single read waits longer than ``timeout`` (default
  :data:`TIMEOUT`) and when the whole transfer takes longer than ``deadline`` (default
  :data:`DEADLINE`): a server dripping one byte a second is cut off at the deadline;
- verifies a published hash: ``"sha256:<hex>"`` or ``"md5:<hex>"`` (a bare 64-digit hex
  string means sha256, a bare 32-digit one md5). A file with the wrong hash is deleted and
  :class:`~glassnet.errors.FileFormatError` is raised;
- fails fast without a network with a :class:`DownloadError` that says which files to put
  where to work offline, and draws a one-line progress bar on stderr.
"""

import hashlib
import math
import numbers
import os
import re
import sys
import threading
from pathlib import Path

from glassnet.datasets.archives import (  # noqa: F401  (read/extract_members: re-exported)
    archive_formats,
    extract_archive,
    extract_members,
    read_members,
)
from glassnet.errors import FileFormatError, GlassnetError, GlassnetTypeError, GlassnetValueError

#: Seconds to wait for a connection, and for each read, before giving up.
TIMEOUT = 10.0
#: Seconds a whole download may take (connection, headers and body) before it is stopped.
DEADLINE = 3600.0
#: Largest download (and largest total extracted size) accepted by default: 2 GiB.
MAX_BYTES = 2 * 1024**3
_CHUNK = 1 << 16
_DIGEST_LENGTHS = {"sha256": 64, "md5": 32}


class DownloadError(GlassnetError, OSError):
    """A dataset file could not be downloaded (no network, refused, HTTP error, truncated)."""


class _TooLarge(DownloadError):
    """The response is larger than ``max_bytes`` (its ``.part`` is never kept)."""


def data_home():
    """The dataset cache folder: ``$GLASSNET_DATA_HOME`` if set, else ``~/.glassnet/datasets``.

    Returns:
        A ``pathlib.Path`` (not created by this function).

    Example:
        >>> import os
        >>> from glassnet.datasets.download import data_home
        >>> str(data_home()) == os.environ.get(
        ...     "GLASSNET_DATA_HOME", os.path.expanduser("~/.glassnet/datasets"))
        True
    """
    env = os.environ.get("GLASSNET_DATA_HOME")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".glassnet" / "datasets"


def _parse_hash(file_hash, hash_algorithm="auto", owner="get_file"):
    """``(algorithm, lower-case hex digest)`` of a hash spec, or a glassnet error saying why."""
    if hash_algorithm not in ("auto", *_DIGEST_LENGTHS):
        raise GlassnetValueError(
            f"{owner}: hash_algorithm must be 'auto', 'sha256' or 'md5', got {hash_algorithm!r}"
        )
    if not isinstance(file_hash, str):
        raise GlassnetTypeError(
            f"{owner}: file_hash must be a string 'sha256:<64 hex digits>' or "
            f"'md5:<32 hex digits>', got {type(file_hash).__name__} {file_hash!r}"
        )
    algorithm, _, digest = file_hash.rpartition(":")
    digest = digest.strip().lower()
    if algorithm and hash_algorithm not in ("auto", algorithm):
        raise GlassnetValueError(
            f"{owner}: file_hash {file_hash!r} names {algorithm!r} but hash_algorithm is "
            f"{hash_algorithm!r}"
        )
    if not algorithm:
        by_length = {64: "sha256", 32: "md5"}.get(len(digest), "")
        algorithm = by_length if hash_algorithm == "auto" else hash_algorithm
    length = _DIGEST_LENGTHS.get(algorithm)
    if length is None or len(digest) != length or not re.fullmatch("[0-9a-f]*", digest):
        raise GlassnetValueError(
            f"{owner}: file_hash must be 'sha256:<64 hex digits>' or 'md5:<32 hex digits>' "
            f"(a bare digest is told by its length), got {file_hash!r}"
        )
    return algorithm, digest


def file_digest(path, algorithm="sha256"):
    """The hex digest of a file (``"sha256"`` or ``"md5"``), read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path, file_hash, hash_algorithm="auto"):
    """Whether the file at ``path`` has the given ``"sha256:..."``/``"md5:..."`` hash."""
    algorithm, expected = _parse_hash(file_hash, hash_algorithm, owner="verify_file")
    return file_digest(path, algorithm) == expected


class _Progress:
    """A one-line text progress bar on stderr: ``name [#####.....]  45%  1.2/2.6 MB``."""

    def __init__(self, name, total, enabled, width=30):
        self.name, self.total, self.enabled, self.width = name, total, enabled, width
        self.last = -1

    def update(self, done):
        if not self.enabled:
            return
        if self.total:
            percent = min(100, int(100 * done / self.total))
            if percent == self.last:
                return
            self.last = percent
            filled = self.width * percent // 100
            bar = "#" * filled + "." * (self.width - filled)
            text = f"{percent:3d}%  {done / 1e6:.1f}/{self.total / 1e6:.1f} MB"
            sys.stderr.write(f"\r{self.name} [{bar}] {text}")
        else:
            sys.stderr.write(f"\r{self.name} {done / 1e6:.1f} MB")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


class _Deadline:
    """Shuts the download's sockets when its total time is up, which ends any blocked read."""

    def __init__(self, seconds):
        self.seconds, self.expired = seconds, False
        self._sockets, self._lock = [], threading.Lock()
        self._timer = None
        if math.isfinite(seconds):
            self._timer = threading.Timer(seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()

    def watch(self, sock):
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def _expire(self):
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def cancel(self):
        if self._timer is not None:
            self._timer.cancel()


def _shut(sock):
    import socket

    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed
        pass


def _opener(deadline):
    """A urllib opener whose HTTP(S) connections report their sockets to ``deadline``."""
    import urllib.request

    def watched(http_class):
        def connect(self):
            http_class.connect(self)
            deadline.watch(self.sock)

        return type("Watched" + http_class.__name__, (http_class,), {"connect": connect})

    def do_open(self, http_class, req, **kwargs):
        return urllib.request.AbstractHTTPHandler.do_open(self, watched(http_class), req, **kwargs)

    handlers = [
        type("Watched" + base.__name__, (base,), {"do_open": do_open})
        for base in (urllib.request.HTTPHandler, urllib.request.HTTPSHandler)
    ]
    return urllib.request.build_opener(*handlers)


def _fetch(url, part, limits, progress, name):
    """Download ``url`` into ``part``, resuming from the bytes already there."""
    import http.client  # imported here: they cost ~50 ms, and most runs never download
    import urllib.error
    import urllib.request

    opener, timeout, max_bytes = limits
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "glassnet"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset:  # range not satisfiable: start again from zero
            part.unlink()
            return _fetch(url, part, limits, progress, name)
        raise
    with response:
        length = response.headers.get("Content-Length")
        length = int(length) if length is not None and length.isdigit() else None
        if offset and response.status == 206:
            content_range = response.headers.get("Content-Range", "")
            if not content_range.startswith(f"bytes {offset}-"):  # not the part we asked for
                part.unlink()
                response.close()
                return _fetch(url, part, limits, progress, name)
            mode, done = "ab", offset
        else:  # the server ignored Range (200): restart from zero
            mode, done = "wb", 0
        total = done + length if length is not None else None
        if total is not None and total > max_bytes:
            raise _TooLarge(
                f"get_file: {url} is {total} bytes (Content-Length), over max_bytes="
                f"{max_bytes}; nothing was read. Pass a larger max_bytes if that size is expected."
            )
        bar = _Progress(name, total, progress)
        try:
            with open(part, mode) as f:
                while True:
                    try:
                        chunk = response.read(min(_CHUNK, max_bytes + 1 - done))
                    except http.client.IncompleteRead as error:  # connection closed early
                        chunk = error.partial
                        f.write(chunk)
                        done += len(chunk)
                        break
                    if not chunk:
                        break
                    f.write(chunk)
                    done += len(chunk)
                    if done > max_bytes:
                        raise _TooLarge(
                            f"get_file: {url} sent more than max_bytes={max_bytes} bytes; the "
                            f"download was stopped. Pass a larger max_bytes if that size is "
                            f"expected."
                        )
                    bar.update(done)
        finally:
            bar.close()
    if total is not None and done < total:
        raise DownloadError(
            f"Download of {url} stopped after {done} of {total} bytes (connection closed)."
        )


def _check_number(name, value, minimum, integer=False, infinite=False):
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise GlassnetTypeError(
            f"get_file: {name} must be {'an integer' if integer else 'a number'} > {minimum}, "
            f"got {type(value).__name__} {value!r}"
        )
    if not (value > minimum and (infinite or math.isfinite(value))):
        allowed = f"> {minimum}" + (" (inf: no limit)" if infinite else ", finite")
        raise GlassnetValueError(f"get_file: {name} must be {allowed}, got {value!r}")
    return value


def _check_flags(**flags):
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise GlassnetTypeError(
                f"get_file: {name} must be True or False, got {type(value).__name__} {value!r}"
                + (" (the third positional argument is untar, as in Keras: pass the hash as "
                   "file_hash=...)" if name == "untar" and isinstance(value, str) else "")
            )


def _inside(path, root, argument, value, allow_root=False):
    """Raise unless ``path`` (symlinks resolved) is inside the resolved folder ``root``."""
    try:
        real = Path(os.path.realpath(path))
    except ValueError:  # an embedded NUL byte
        raise GlassnetValueError(f"get_file: {argument}={value!r} is not a valid name") from None
    if root in real.parents or (allow_root and real == root):
        return
    raise GlassnetValueError(
        f"get_file: {argument}={value!r} resolves to {real}, which is outside the cache "
        f"folder {root}; names must stay inside it (no '..', absolute paths or symlinks out)"
    )


def _paths(fname, origin, cache_subdir, cache_dir, extracting):
    """``(folder, download target, extraction folder or None)``, all checked to stay inside."""
    import urllib.parse

    if not isinstance(origin, str) or not origin:
        raise GlassnetValueError(f"get_file: origin must be the URL to download, got {origin!r}")
    for argument, value in (("fname", fname), ("cache_subdir", cache_subdir),
                            ("cache_dir", cache_dir)):
        if value is None and argument != "cache_subdir":
            continue
        if not isinstance(value, (str, os.PathLike)) or not isinstance(os.fspath(value), str):
            raise GlassnetTypeError(
                f"get_file: {argument} must be a str or path, got {type(value).__name__} "
                f"{value!r}"
            )
    if os.path.isabs(cache_subdir):
        raise GlassnetValueError(
            f"get_file: cache_subdir must be a folder relative to the cache folder, got the "
            f"absolute path {os.fspath(cache_subdir)!r}; pass cache_dir= to cache elsewhere"
        )
    root = Path(cache_dir).expanduser() if cache_dir is not None else data_home()
    real_root = Path(os.path.realpath(root))
    folder = root / cache_subdir
    _inside(folder, real_root, "cache_subdir", os.fspath(cache_subdir), allow_root=True)
    provided = fname is not None and os.fspath(fname) != ""
    name = os.fspath(fname) if provided else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise GlassnetValueError(
            f"get_file: no file name in origin={origin!r}; pass fname= to name the file"
        )
    extraction = None
    if extracting and provided and "." in name:
        target, extraction = folder / name, folder / f"{name[: name.find('.')]}_extracted"
    elif extracting:
        target, extraction = folder / f"{name}_archive", folder / name
    else:
        target = folder / name
    real_folder = Path(os.path.realpath(folder))
    for path in (target, target.with_name(target.name + ".part")) + (extraction,) * extracting:
        _inside(path, real_folder, "fname" if provided else "origin", name)
    return folder, target, extraction


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
    *,
    timeout=None,
    deadline=None,
    max_bytes=MAX_BYTES,
    resume=False,
    progress=True,
    offline_hint="",
):
    """Return the local path of a dataset file, downloading and verifying it if needed.

    Keras 3's ``keras.utils.get_file`` signature; the keyword-only arguments after
    ``force_download`` are glassnet's limits. Unlike Keras, every name must stay inside the
    cache folder (an absolute ``cache_subdir`` is refused), and the default ``cache_subdir``
    is ``""`` because :func:`data_home` already is the datasets folder.

    Args:
        fname: file name inside ``cache_dir / cache_subdir``; None: the last part of the
            URL. With ``extract``, the archive is extracted into ``<stem>_extracted`` (or
            into ``fname`` when it has no dot, the archive saved as ``<fname>_archive``).
        origin: the URL to download from.
        untar: deprecated Keras spelling of ``extract=True, archive_format="tar"``.
        md5_hash: deprecated Keras spelling of ``file_hash=..., hash_algorithm="md5"``.
        file_hash: ``"sha256:<hex>"`` or ``"md5:<hex>"`` (bare hex: by length); None skips
            the check (not recommended). Checked before anything is downloaded.
        cache_subdir: sub-folder of ``cache_dir`` (relative, inside it).
        hash_algorithm: ``"auto"``, ``"sha256"`` or ``"md5"``.
        extract: extract the downloaded tar/zip archive (safely: only files and folders,
            all inside the extraction folder, at most ``max_bytes`` in all) and return the
            extraction folder.
        archive_format: ``"auto"`` (tar then zip), ``"tar"``, ``"zip"``, a list of those,
            or None (no extraction).
        cache_dir: cache root; default :func:`data_home`.
        force_download: download again even if a cached file is there.
        timeout: seconds to wait for the connection and for each read; default
            :data:`TIMEOUT`.
        deadline: seconds the whole download may take; default :data:`DEADLINE`;
            ``math.inf`` for no limit.
        max_bytes: largest file (and total extracted size) accepted; default
            :data:`MAX_BYTES` (2 GiB).
        resume: keep the ``.part`` of a transfer cut short (connection closed, timeout,
            deadline, Ctrl-C) and continue it with an HTTP ``Range`` request next time;
            by default a ``.part`` is deleted on any failure and a stale one is discarded.
        progress: draw a progress bar on stderr.
        offline_hint: extra text for the error raised when the download fails (for example
            how to call ``load_data(path=...)`` with files fetched by hand).

    Returns:
        ``pathlib.Path`` of the verified file (with ``extract``: of the extraction folder).

    Raises:
        GlassnetValueError: a name resolving outside the cache folder, a malformed hash or
            limit (raised before anything is fetched), an archive member outside.
        GlassnetTypeError: an argument of the wrong type.
        DownloadError: the file could not be fetched (network down, HTTP error, truncated,
            over ``max_bytes``, past the ``deadline``).
        FileFormatError: the downloaded file does not have the expected hash (it is deleted),
            or the archive cannot be extracted.

    Example:
        >>> from glassnet.datasets.download import get_file
        >>> url = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
        >>> path = get_file(  # doctest: +SKIP
        ...     "t10k-labels-idx1-ubyte.gz", url + "t10k-labels-idx1-ubyte.gz",
        ...     file_hash="sha256:67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ...     cache_subdir="fashion-mnist")
    """
    import http.client
    import urllib.error

    _check_flags(untar=untar, extract=extract, force_download=force_download, resume=resume,
                 progress=progress)
    timeout = _check_number("timeout", TIMEOUT if timeout is None else timeout, 0)
    deadline = _check_number("deadline", DEADLINE if deadline is None else deadline, 0,
                             infinite=True)
    max_bytes = _check_number("max_bytes", max_bytes, 0, integer=True)
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    spec = None if file_hash is None else _parse_hash(file_hash, hash_algorithm)
    formats = archive_formats("tar" if untar else archive_format)
    folder, target, extraction = _paths(fname, origin, cache_subdir, cache_dir, extract or untar)
    if target.exists() and not force_download:
        if spec is None or file_digest(target, spec[0]) == spec[1]:
            return extract_archive(target, extraction, formats, max_bytes) if extraction else target
        sys.stderr.write(f"glassnet: cached {target} has the wrong hash; downloading again.\n")
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    if not resume:
        part.unlink(missing_ok=True)
    timer = _Deadline(deadline)
    try:
        limits = (_opener(timer), min(timeout, deadline), max_bytes)
        _fetch(origin, part, limits, progress, target.name)
        if timer.expired:  # the cut-off read looked like a normal end: never trust it
            raise DownloadError(f"Download of {origin} stopped at the deadline.")
        if spec is not None and file_digest(part, spec[0]) != spec[1]:
            raise FileFormatError(
                f"Downloaded {origin} has {spec[0]} {file_digest(part, spec[0])}, expected "
                f"{spec[1]}; the file was deleted. The server may have sent a different or "
                f"corrupted file."
            )
    except BaseException as error:
        if not resume or isinstance(error, (_TooLarge, FileFormatError)):
            part.unlink(missing_ok=True)
        kept = " The partial file is kept; call again to resume." if part.exists() else ""
        if timer.expired and not isinstance(error, FileFormatError):
            raise DownloadError(
                f"Download of {origin} took longer than deadline={deadline} s and was "
                f"stopped.{kept} {offline_hint}".strip()
            ) from error
        if isinstance(error, DownloadError):
            raise DownloadError(f"{error}{kept} {offline_hint}".strip()) from error
        if isinstance(error, (urllib.error.URLError, http.client.HTTPException, OSError)):
            reason = getattr(error, "reason", error)
            raise DownloadError(
                f"Could not download {origin} ({reason}). To work offline, download it "
                f"yourself and save it as {target}.{kept} {offline_hint}".strip()
            ) from error
        raise
    finally:
        timer.cancel()
    os.replace(part, target)
    return extract_archive(target, extraction, formats, max_bytes) if extraction else target
