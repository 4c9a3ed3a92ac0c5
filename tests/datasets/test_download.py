import hashlib
import io
import tarfile

import pytest

from glassnet.datasets import download
from glassnet.datasets.download import DownloadError, data_home, extract_members, get_file
from glassnet.errors import FileFormatError, GlassnetError
from tests.datasets.local_server import FileServer, closed_port_url

CONTENT = bytes(range(256)) * 40  # 10240 bytes
SHA = hashlib.sha256(CONTENT).hexdigest()


def fetch(server, tmp_path, file_hash="sha256:" + SHA, **kwargs):
    return get_file("blob.bin", server.url + "/blob.bin", file_hash, cache_subdir="sub",
                    cache_dir=tmp_path, progress=kwargs.pop("progress", False), **kwargs)


def test_download_verifies_and_caches(tmp_path, capsys):
    with FileServer({"/blob.bin": CONTENT}) as server:
        path = fetch(server, tmp_path, progress=True)
        assert path == tmp_path / "sub" / "blob.bin"
        assert path.read_bytes() == CONTENT
        assert not (tmp_path / "sub" / "blob.bin.part").exists()
        assert "100%" in capsys.readouterr().err
        # a second call uses the cached, verified file: no new request
        assert fetch(server, tmp_path) == path
        assert len(server.requests) == 1


def test_data_home_env_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_DATA_HOME", str(tmp_path / "cache"))
    assert data_home() == tmp_path / "cache"
    monkeypatch.delenv("GLASSNET_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_home() == tmp_path / ".glassnet" / "datasets"


def test_default_cache_dir_is_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_DATA_HOME", str(tmp_path))
    with FileServer({"/blob.bin": CONTENT}) as server:
        path = get_file("blob.bin", server.url + "/blob.bin", SHA, cache_subdir="x",
                        progress=False)
    assert path == tmp_path / "x" / "blob.bin"


def test_md5_and_bare_hex_hashes(tmp_path):
    md5 = hashlib.md5(CONTENT).hexdigest()
    with FileServer({"/blob.bin": CONTENT}) as server:
        assert fetch(server, tmp_path / "a", file_hash="md5:" + md5).read_bytes() == CONTENT
        assert fetch(server, tmp_path / "b", file_hash=md5).read_bytes() == CONTENT
        assert fetch(server, tmp_path / "c", file_hash=SHA).read_bytes() == CONTENT
        with pytest.raises(ValueError, match="file_hash"):
            fetch(server, tmp_path / "d", file_hash="crc32:1234")


def test_wrong_hash_deletes_file_with_clear_error(tmp_path):
    wrong = "0" * 64
    with FileServer({"/blob.bin": CONTENT}) as server:
        with pytest.raises(FileFormatError) as info:
            fetch(server, tmp_path, file_hash="sha256:" + wrong)
    message = str(info.value)
    assert wrong in message and SHA in message and "deleted" in message
    assert list((tmp_path / "sub").iterdir()) == []


def test_cached_file_with_wrong_hash_is_downloaded_again(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "blob.bin").write_bytes(b"corrupted")
    with FileServer({"/blob.bin": CONTENT}) as server:
        path = fetch(server, tmp_path)
        assert len(server.requests) == 1
    assert path.read_bytes() == CONTENT


def test_resume_with_range(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "blob.bin.part").write_bytes(CONTENT[:4000])
    with FileServer({"/blob.bin": CONTENT}, range_support=True) as server:
        path = fetch(server, tmp_path)
        assert server.requests == [("/blob.bin", "bytes=4000-")]
        assert server.bytes_sent == len(CONTENT) - 4000
    assert path.read_bytes() == CONTENT


def test_restart_when_server_ignores_range(tmp_path):
    (tmp_path / "sub").mkdir()
    # a stale partial file whose bytes are wrong: only a full restart gives the right file
    (tmp_path / "sub" / "blob.bin.part").write_bytes(b"x" * 4000)
    with FileServer({"/blob.bin": CONTENT}, range_support=False) as server:
        path = fetch(server, tmp_path)
        assert server.requests == [("/blob.bin", "bytes=4000-")]
        assert server.bytes_sent == len(CONTENT)
    assert path.read_bytes() == CONTENT


def test_complete_part_file_gets_416_and_restarts(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "blob.bin.part").write_bytes(b"y" * len(CONTENT))
    with FileServer({"/blob.bin": CONTENT}) as server:
        path = fetch(server, tmp_path)
        assert [r[1] for r in server.requests] == [f"bytes={len(CONTENT)}-", None]
    assert path.read_bytes() == CONTENT


def test_truncated_transfer_keeps_part_and_resumes(tmp_path):
    with FileServer({"/blob.bin": CONTENT}, truncate_after=3000) as server:
        with pytest.raises(DownloadError, match="resume"):
            fetch(server, tmp_path)
        part = tmp_path / "sub" / "blob.bin.part"
        assert part.read_bytes() == CONTENT[:3000]
        assert not (tmp_path / "sub" / "blob.bin").exists()
        server.truncate_after = None
        path = fetch(server, tmp_path)
        assert server.requests[-1] == ("/blob.bin", "bytes=3000-")
    assert path.read_bytes() == CONTENT


def test_no_network_fails_fast_with_hint(tmp_path):
    url = closed_port_url()
    with pytest.raises(DownloadError) as info:
        get_file("blob.bin", url + "/blob.bin", SHA, cache_subdir="sub", cache_dir=tmp_path,
                 timeout=2, progress=False, offline_hint="Put it there.")
    message = str(info.value)
    assert url in message
    assert str(tmp_path / "sub" / "blob.bin") in message
    assert "Put it there." in message
    assert isinstance(info.value, GlassnetError) and isinstance(info.value, OSError)


def test_http_error_is_download_error(tmp_path):
    with FileServer({}) as server, pytest.raises(DownloadError, match="404|Not Found"):
        fetch(server, tmp_path)


def test_timeout_constant_is_short():
    assert 0 < download.TIMEOUT <= 30


# ----------------------------------------------------------------- safe tar extraction


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
    assert download.read_members(archive, {"d/good.bin": 4}) == {"d/good.bin": b"good"}


def test_extract_from_garbage_raises_file_format_error(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(b"\x1f\x8b" + bytes(range(200)))
    with pytest.raises(FileFormatError, match="tar"):
        extract_members(archive, {"x": None}, tmp_path / "out")
