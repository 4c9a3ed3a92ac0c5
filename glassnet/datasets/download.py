"""Download, verify and cache dataset files; safe extraction of tar members.

Files are cached under :func:`data_home`: ``~/.glassnet/datasets``, or the folder named by the
environment variable ``GLASSNET_DATA_HOME``. A download

- goes to ``<file>.part`` first and is renamed into place only once complete and verified
  (an atomic ``os.replace``), so a cache never holds a half-written file under its real name;
- resumes an existing ``.part`` with an HTTP ``Range`` request (and restarts from zero when the
  server answers with the whole file instead);
- is verified against a published hash: ``"sha256:<hex>"`` or ``"md5:<hex>"`` (a bare 64-digit
  hex string means sha256, a bare 32-digit one md5). A file with the wrong hash is deleted and
  :class:`~glassnet.errors.FileFormatError` is raised;
- fails fast without a network (connect timeout :data:`TIMEOUT` seconds) with a
  :class:`DownloadError` that says which files to put where to work offline;
- draws a one-line progress bar on stderr.
"""

import hashlib
import os
import shutil
import sys
import zlib
from pathlib import Path

from glassnet.errors import FileFormatError, GlassnetError, GlassnetValueError

#: Seconds to wait for a connection (and for each read) before giving up.
TIMEOUT = 10.0
_CHUNK = 1 << 16


class DownloadError(GlassnetError, OSError):
    """A dataset file could not be downloaded (no network, refused, HTTP error, truncated)."""


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


def _parse_hash(file_hash):
    algorithm, _, digest = file_hash.rpartition(":")
    digest = digest.strip().lower()
    if not algorithm:
        algorithm = {64: "sha256", 32: "md5"}.get(len(digest), "")
    if algorithm not in ("sha256", "md5"):
        raise GlassnetValueError(
            f"file_hash: expected 'sha256:<64 hex digits>' or 'md5:<32 hex digits>', "
            f"got {file_hash!r}"
        )
    return algorithm, digest


def file_digest(path, algorithm="sha256"):
    """The hex digest of a file (``"sha256"`` or ``"md5"``), read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path, file_hash):
    """Whether the file at ``path`` has the given ``"sha256:..."``/``"md5:..."`` hash."""
    algorithm, expected = _parse_hash(file_hash)
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


def _fetch(url, part, timeout, progress, name):
    """Download ``url`` into ``part``, resuming from the bytes already there."""
    import http.client  # imported here: they cost ~50 ms, and most runs never download
    import urllib.error
    import urllib.request

    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "glassnet"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset:  # range not satisfiable: start again from zero
            part.unlink()
            return _fetch(url, part, timeout, progress, name)
        raise
    with response:
        length = response.headers.get("Content-Length")
        length = int(length) if length is not None and length.isdigit() else None
        if offset and response.status == 206:
            content_range = response.headers.get("Content-Range", "")
            if not content_range.startswith(f"bytes {offset}-"):  # not the part we asked for
                part.unlink()
                response.close()
                return _fetch(url, part, timeout, progress, name)
            mode, done = "ab", offset
        else:  # the server ignored Range (200): restart from zero
            mode, done = "wb", 0
        total = done + length if length is not None else None
        bar = _Progress(name, total, progress)
        try:
            with open(part, mode) as f:
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except http.client.IncompleteRead as error:  # connection closed early
                        chunk = error.partial
                        f.write(chunk)
                        done += len(chunk)
                        break
                    if not chunk:
                        break
                    f.write(chunk)
                    done += len(chunk)
                    bar.update(done)
        finally:
            bar.close()
    if total is not None and done < total:
        raise DownloadError(
            f"Download of {url} stopped after {done} of {total} bytes (connection closed). "
            f"The partial file {part} is kept; call again to resume."
        )


def get_file(
    fname,
    origin,
    file_hash=None,
    cache_subdir="",
    cache_dir=None,
    timeout=None,
    progress=True,
    offline_hint="",
):
    """Return the local path of a dataset file, downloading and verifying it if needed.

    Args:
        fname: file name inside the cache folder.
        origin: the URL to download from.
        file_hash: ``"sha256:<hex>"`` or ``"md5:<hex>"`` (bare hex: by length); None skips the
            check (not recommended).
        cache_subdir: sub-folder of ``cache_dir``.
        cache_dir: cache root; default :func:`data_home`.
        timeout: connect/read timeout in seconds; default :data:`TIMEOUT`.
        progress: draw a progress bar on stderr.
        offline_hint: extra text for the error raised when the download fails (for example
            how to call ``load_data(path=...)`` with files fetched by hand).

    Returns:
        ``pathlib.Path`` of the verified file.

    Raises:
        DownloadError: the file could not be fetched (network down, HTTP error, truncated).
        FileFormatError: the downloaded file does not have the expected hash (it is deleted).

    Example:
        >>> from glassnet.datasets.download import get_file
        >>> url = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
        >>> path = get_file(  # doctest: +SKIP
        ...     "t10k-labels-idx1-ubyte.gz", url + "t10k-labels-idx1-ubyte.gz",
        ...     "sha256:67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ...     cache_subdir="fashion-mnist")
    """
    import http.client
    import urllib.error

    folder = Path(cache_dir) if cache_dir is not None else data_home()
    folder = folder.expanduser() / cache_subdir
    target = folder / fname
    if target.exists():
        if file_hash is None or verify_file(target, file_hash):
            return target
        sys.stderr.write(f"glassnet: cached {target} has the wrong hash; downloading again.\n")
        target.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        _fetch(origin, part, TIMEOUT if timeout is None else timeout, progress, fname)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        if isinstance(error, DownloadError):
            raise DownloadError(f"{error} {offline_hint}".strip()) from error
        reason = getattr(error, "reason", error)
        raise DownloadError(
            f"Could not download {origin} ({reason}). To work offline, download it yourself "
            f"and save it as {target}. {offline_hint}".strip()
        ) from error
    if file_hash is not None:
        algorithm, expected = _parse_hash(file_hash)
        found = file_digest(part, algorithm)
        if found != expected:
            part.unlink()
            raise FileFormatError(
                f"Downloaded {origin} has {algorithm} {found}, expected {expected}; the file "
                f"was deleted. The server may have sent a different or corrupted file."
            )
    os.replace(part, target)
    return target


def _checked_members(tar, archive, members):
    """Yield ``(name, file object)`` for each wanted regular-file member, after checking it."""
    for name, size in members.items():
        try:
            info = tar.getmember(name)
        except KeyError:
            raise FileFormatError(
                f"{archive}: expected member {name!r} is missing from the archive."
            ) from None
        if not info.isreg():
            raise FileFormatError(
                f"{archive}: member {name!r} is not a regular file (links and special files "
                f"are never extracted)."
            )
        if size is not None and info.size != size:
            raise FileFormatError(
                f"{archive}: member {name!r} has {info.size} bytes, expected {size}."
            )
        yield name, tar.extractfile(info)


def _with_tar(archive, action):
    import tarfile

    try:
        with tarfile.open(archive, "r:*") as tar:
            return action(tar)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise FileFormatError(f"{archive}: not a readable tar archive ({error}).") from error


def read_members(archive, members):
    """Read chosen regular files of a tar archive (optionally gzipped) into memory.

    Nothing is written to disk. Links, devices and members not listed are ignored.

    Args:
        archive: path of the ``.tar`` / ``.tar.gz``.
        members: dict ``{member name: expected size in bytes or None}``.

    Returns:
        dict ``{member name: bytes}``.

    Raises:
        FileFormatError: the archive is unreadable, or a member is missing, not a regular file
            or of the wrong size.
    """

    def action(tar):
        out = {}
        for name, source in _checked_members(tar, archive, members):
            with source:
                out[name] = source.read()
        return out

    return _with_tar(archive, action)


def extract_members(archive, members, destination):
    """Safely extract chosen regular files from a tar archive (optionally gzipped).

    Only the listed member names are written, each to ``destination / basename(name)``, a path
    chosen here and never taken from the archive; links, devices, folders and any other member
    are never written, so absolute paths, ``..`` or symlink tricks in the archive cannot touch
    anything outside ``destination``. Each file is written to ``.part`` and renamed (atomic).

    Args:
        archive: path of the ``.tar`` / ``.tar.gz``.
        members: dict ``{member name inside the archive: expected size in bytes or None}``.
        destination: folder to write into (created if missing).

    Returns:
        dict ``{member name: pathlib.Path written}``.

    Raises:
        FileFormatError: the archive is unreadable, or a member is missing, not a regular file
            or of the wrong size.
    """
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)

    def action(tar):
        written = {}
        for name, source in _checked_members(tar, archive, members):
            out = destination / Path(name).name
            part = out.with_name(out.name + ".part")
            with source, open(part, "wb") as f:
                shutil.copyfileobj(source, f, 1 << 20)
            os.replace(part, out)
            written[name] = out
        return written

    return _with_tar(archive, action)
