"""Safe extraction (glassnet.datasets.archives): chosen tar members, whole tar/zip archives."""

import io
import os
import tarfile
import zipfile

import pytest

from glassnet.datasets import download
from glassnet.datasets.archives import (
    archive_formats,
    extract_archive,
    extract_members,
    read_members,
)
from glassnet.errors import FileFormatError, GlassnetValueError

# ----------------------------------------------------------------- chosen tar members


def make_tar(path, entries):
    """entries: list of (name, bytes) for files, or (name, ("symlink"|"hardlink", target))."""
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in entries:
            info = tarfile.TarInfo(name)
            if isinstance(payload, tuple):
                info.type = tarfile.SYMTYPE if payload[0] == "symlink" else tarfile.LNKTYPE
                info.linkname = payload[1]
                tar.addfile(info)
            else:
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))


def test_extract_only_expected_members(tmp_path):
    archive = tmp_path / "a.tar.gz"
    make_tar(archive, [("d/good.bin", b"good"), ("../evil.txt", b"evil"),
                       ("/tmp/abs_evil.txt", b"evil"), ("d/other.txt", b"other")])
    out = tmp_path / "out"
    written = extract_members(archive, {"d/good.bin": 4}, out)
    assert written == {"d/good.bin": out / "good.bin"}
    assert (out / "good.bin").read_bytes() == b"good"
    assert sorted(p.name for p in out.iterdir()) == ["good.bin"]
    assert not (tmp_path / "evil.txt").exists()


def test_extract_rejects_links(tmp_path):
    archive = tmp_path / "a.tar.gz"
    make_tar(archive, [("d/good.bin", ("symlink", "/etc/passwd")),
                       ("d/hard.bin", ("hardlink", "../../x"))])
    for name in ("d/good.bin", "d/hard.bin"):
        with pytest.raises(FileFormatError, match="not a regular file"):
            extract_members(archive, {name: None}, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_extract_missing_or_wrong_size_member(tmp_path):
    archive = tmp_path / "a.tar.gz"
    make_tar(archive, [("d/good.bin", b"good")])
    with pytest.raises(FileFormatError, match="missing"):
        extract_members(archive, {"d/absent.bin": None}, tmp_path / "out")
    with pytest.raises(FileFormatError, match="5"):
        extract_members(archive, {"d/good.bin": 5}, tmp_path / "out")
    assert read_members(archive, {"d/good.bin": 4}) == {"d/good.bin": b"good"}


def test_extract_from_garbage_raises_file_format_error(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(b"\x1f\x8b" + bytes(range(200)))
    with pytest.raises(FileFormatError, match="tar"):
        extract_members(archive, {"x": None}, tmp_path / "out")


def test_download_module_reexports_the_member_helpers():
    assert download.extract_members is extract_members
    assert download.read_members is read_members


# ----------------------------------------------------------------- whole archives


def make_zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in entries:
            zf.writestr(name, payload)


def test_extract_tar_files_and_folders(tmp_path):
    archive = tmp_path / "a.tar.gz"
    make_tar(archive, [("top.txt", b"top"), ("d/e/deep.bin", b"deep")])
    out = extract_archive(archive, tmp_path / "out", ["tar", "zip"], 1000)
    assert out == tmp_path / "out"
    assert (out / "top.txt").read_bytes() == b"top"
    assert (out / "d" / "e" / "deep.bin").read_bytes() == b"deep"
    assert not list(out.rglob("*.part"))


def test_extract_zip(tmp_path):
    archive = tmp_path / "a.zip"
    make_zip(archive, [("d/", b""), ("d/x.txt", b"x" * 10)])
    out = extract_archive(archive, tmp_path / "out", archive_formats("auto"), 1000)
    assert (out / "d" / "x.txt").read_bytes() == b"x" * 10


@pytest.mark.parametrize("name", ["../evil.txt", "d/../../evil.txt", "/tmp/abs_evil.txt"])
@pytest.mark.parametrize("maker", [make_tar, make_zip])
def test_member_outside_the_destination_is_refused(tmp_path, name, maker):
    archive = tmp_path / ("a.tar.gz" if maker is make_tar else "a.zip")
    maker(archive, [(name, b"evil")])
    if maker is make_zip and name.startswith("/"):
        pytest.skip("zipfile itself strips the leading '/' when writing")
    with pytest.raises(GlassnetValueError, match="outside the extraction folder"):
        extract_archive(archive, tmp_path / "out", ["tar", "zip"], 1000)
    assert not (tmp_path / "evil.txt").exists() and not os.path.exists("/tmp/abs_evil.txt")


def test_existing_symlink_out_of_the_destination_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "link").symlink_to(outside)
    archive = tmp_path / "a.tar.gz"
    make_tar(archive, [("link/x.txt", b"evil")])
    with pytest.raises(GlassnetValueError, match="outside the extraction folder"):
        extract_archive(archive, tmp_path / "out", ["tar"], 1000)
    assert list(outside.iterdir()) == []


def test_links_and_special_members_are_skipped_with_a_warning(tmp_path):
    archive = tmp_path / "a.tar.gz"
    make_tar(archive, [("ok.txt", b"ok"), ("s", ("symlink", "/etc/passwd")),
                       ("h", ("hardlink", "../../x"))])
    with pytest.warns(UserWarning, match="never extracted"):
        out = extract_archive(archive, tmp_path / "out", ["tar"], 1000)
    assert sorted(p.name for p in out.iterdir()) == ["ok.txt"]


@pytest.mark.parametrize("maker", [make_tar, make_zip])
def test_total_extracted_size_is_limited(tmp_path, maker):
    archive = tmp_path / "bomb"
    maker(archive, [("a.bin", b"\0" * 6000), ("b.bin", b"\0" * 6000)])  # compresses to ~100 B
    with pytest.raises(FileFormatError, match="max_bytes=10000"):
        extract_archive(archive, tmp_path / "out", ["tar", "zip"], 10_000)
    assert not list((tmp_path / "out").glob("*.part"))
    assert (tmp_path / "out" / "a.bin").stat().st_size == 6000  # b.bin never completed


def test_no_matching_format_warns_and_writes_nothing(tmp_path):
    archive = tmp_path / "plain.txt"
    archive.write_bytes(b"not an archive")
    with pytest.warns(UserWarning, match="could not extract"):
        extract_archive(archive, tmp_path / "out", ["tar", "zip"], 1000)
    assert not (tmp_path / "out").exists()


def test_garbage_zip_is_file_format_error(tmp_path):
    archive = tmp_path / "a.zip"
    make_zip(archive, [("x.txt", b"x" * 1000)])
    data = bytearray(archive.read_bytes())
    data[40:60] = b"\xff" * 20  # inside the compressed member
    archive.write_bytes(bytes(data))
    with pytest.raises(FileFormatError):
        extract_archive(archive, tmp_path / "out", ["zip"], 10_000)


@pytest.mark.parametrize("value, expected", [
    ("auto", ["tar", "zip"]), ("tar", ["tar"]), (["zip"], ["zip"]), (None, [])])
def test_archive_formats(value, expected):
    assert archive_formats(value) == expected


@pytest.mark.parametrize("value", ["rar", ["tar", "7z"], 3])
def test_archive_formats_refuses_unknown(value):
    with pytest.raises(GlassnetValueError, match="archive_format"):
        archive_formats(value)
