"""Safe extraction from tar and zip archives: nothing is ever written outside the destination.

- :func:`read_members` / :func:`extract_members`: chosen regular files of a tar archive, by
  name and expected size, written under names chosen here (never taken from the archive);
- :func:`extract_archive`: a whole tar or zip archive (``get_file(extract=True)``): folders and
  regular files only (links and special files are skipped with a warning), every member's
  path checked, symlinks already on disk resolved, to lie inside the destination (else
  :class:`~glassnet.errors.GlassnetValueError`), and at most ``max_bytes`` written in all,
  counted while decompressing (a zip's declared sizes are not trusted).

Each file is written to ``<name>.part`` and renamed into place (atomic); a ``.part`` is
deleted when its member fails.
"""

import os
import shutil
import warnings
import zlib
from pathlib import Path

from glassnet.errors import FileFormatError, GlassnetValueError

_CHUNK = 1 << 16


def archive_formats(archive_format):
    """The list of formats to try for Keras's ``archive_format`` argument (validated).

    Args:
        archive_format: ``"auto"`` (tar then zip), ``"tar"``, ``"zip"``, a list of those,
            or None (none: nothing is extracted).

    Returns:
        A list of ``"tar"``/``"zip"``.

    Raises:
        GlassnetValueError: anything else.
    """
    if archive_format is None:
        return []
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else formats
    if not isinstance(formats, (list, tuple)) or any(f not in ("tar", "zip") for f in formats):
        raise GlassnetValueError(
            f"get_file: archive_format must be 'auto', 'tar', 'zip', a list of those or None, "
            f"got {archive_format!r}"
        )
    return list(formats)


def extract_archive(archive, destination, formats, max_bytes):
    """Extract a tar or zip archive into ``destination``: only files and folders, inside it.

    Args:
        archive: path of the archive.
        destination: folder to extract into (created if missing).
        formats: list from :func:`archive_formats`; the first that matches is used.
        max_bytes: most bytes written in all.

    Returns:
        ``destination`` (a warning says so when no format matched).

    Raises:
        GlassnetValueError: a member resolves outside ``destination``.
        FileFormatError: the archive is unreadable or extracts to more than ``max_bytes``.
    """
    import tarfile
    import zipfile

    destination = Path(destination)
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(archive):

            def from_tar(tar):
                entries = (
                    (m.name, "dir" if m.isdir() else "file" if m.isreg() else "other",
                     lambda m=m: tar.extractfile(m))
                    for m in tar
                )
                _write_members(archive, destination, max_bytes, entries)

            _with_tar(archive, from_tar)
            return destination
        if kind == "zip" and zipfile.is_zipfile(archive):
            try:
                with zipfile.ZipFile(archive) as zf:
                    entries = ((i.filename, "dir" if i.is_dir() else "file",
                                lambda i=i: zf.open(i)) for i in zf.infolist())
                    _write_members(archive, destination, max_bytes, entries)
            except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                message = f"{archive}: not a readable zip archive ({error})."
                raise FileFormatError(message) from error
            return destination
    warnings.warn(f"get_file: could not extract {archive} as any of {formats}.", stacklevel=3)
    return destination


def _write_members(archive, destination, max_bytes, entries):
    """Write ``(name, kind, open)`` entries under ``destination``; links etc. are skipped."""
    destination.mkdir(parents=True, exist_ok=True)
    root, written = Path(os.path.realpath(destination)), 0
    for name, kind, open_member in entries:
        out = destination / name
        real = Path(os.path.realpath(out))
        if kind == "dir" and real == root:
            continue
        if root not in real.parents:
            raise GlassnetValueError(
                f"get_file: archive {archive} has a member named {name!r}, which resolves to "
                f"{real}, outside the extraction folder {root}; nothing outside it is written"
            )
        if kind == "other":
            warnings.warn(f"get_file: skipped {name!r} in {archive}: links and special files "
                          f"are never extracted.", stacklevel=5)
            continue
        if kind == "dir":
            out.mkdir(parents=True, exist_ok=True)
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".part")
        if root not in Path(os.path.realpath(part)).parents:  # a planted symlink
            raise GlassnetValueError(
                f"get_file: {part} is a link out of the extraction folder {root}; remove it"
            )
        try:
            with open_member() as source, open(part, "wb") as f:
                for chunk in iter(lambda: source.read(_CHUNK), b""):
                    written += len(chunk)
                    if written > max_bytes:
                        raise FileFormatError(
                            f"{archive}: extracts to more than max_bytes={max_bytes} bytes; "
                            f"extraction stopped. Pass a larger max_bytes if that is expected."
                        )
                    f.write(chunk)
            os.replace(part, out)
        except BaseException:
            part.unlink(missing_ok=True)
            raise


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
