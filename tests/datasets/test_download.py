import hashlib
import inspect
import io
import math
import os
import tarfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from glassnet.datasets import download
from glassnet.datasets.download import DownloadError, data_home, get_file
from glassnet.errors import FileFormatError, GlassnetError, GlassnetTypeError, GlassnetValueError
from tests.datasets.local_server import FileServer, closed_port_url

CONTENT = bytes(range(256)) * 40  # 10240 bytes
SHA = hashlib.sha256(CONTENT).hexdigest()


def fetch(server, tmp_path, file_hash="sha256:" + SHA, **kwargs):
    kwargs.setdefault("cache_subdir", "sub")
    kwargs.setdefault("progress", False)
    return get_file("blob.bin", server.url + "/blob.bin", file_hash=file_hash,
                    cache_dir=tmp_path, **kwargs)


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
        path = get_file("blob.bin", server.url + "/blob.bin", file_hash=SHA, cache_subdir="x",
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
        path = fetch(server, tmp_path, resume=True)
        assert server.requests == [("/blob.bin", "bytes=4000-")]
        assert server.bytes_sent == len(CONTENT) - 4000
    assert path.read_bytes() == CONTENT


def test_restart_when_server_ignores_range(tmp_path):
    (tmp_path / "sub").mkdir()
    # a stale partial file whose bytes are wrong: only a full restart gives the right file
    (tmp_path / "sub" / "blob.bin.part").write_bytes(b"x" * 4000)
    with FileServer({"/blob.bin": CONTENT}, range_support=False) as server:
        path = fetch(server, tmp_path, resume=True)
        assert server.requests == [("/blob.bin", "bytes=4000-")]
        assert server.bytes_sent == len(CONTENT)
    assert path.read_bytes() == CONTENT


def test_complete_part_file_gets_416_and_restarts(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "blob.bin.part").write_bytes(b"y" * len(CONTENT))
    with FileServer({"/blob.bin": CONTENT}) as server:
        path = fetch(server, tmp_path, resume=True)
        assert [r[1] for r in server.requests] == [f"bytes={len(CONTENT)}-", None]
    assert path.read_bytes() == CONTENT


def test_truncated_transfer_keeps_part_and_resumes(tmp_path):
    with FileServer({"/blob.bin": CONTENT}, truncate_after=3000) as server:
        with pytest.raises(DownloadError, match="resume"):
            fetch(server, tmp_path, resume=True)
        part = tmp_path / "sub" / "blob.bin.part"
        assert part.read_bytes() == CONTENT[:3000]
        assert not (tmp_path / "sub" / "blob.bin").exists()
        server.truncate_after = None
        path = fetch(server, tmp_path, resume=True)
        assert server.requests[-1] == ("/blob.bin", "bytes=3000-")
    assert path.read_bytes() == CONTENT


def test_no_network_fails_fast_with_hint(tmp_path):
    url = closed_port_url()
    with pytest.raises(DownloadError) as info:
        get_file("blob.bin", url + "/blob.bin", file_hash=SHA, cache_subdir="sub",
                 cache_dir=tmp_path, timeout=2, progress=False, offline_hint="Put it there.")
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


# ----------------------------------------------------------------- hostile servers


class HostileServer:
    """127.0.0.1 server (a thread) whose ``reply(handler)`` writes the whole raw response.

    ``requests`` counts requests; ``stop`` is set when the test is done, so a server that
    would drip or stream forever returns promptly.
    """

    def __init__(self, reply):
        self.requests, self.stop = [], threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.requests.append(self.path)
                try:
                    reply(self, owner.stop)
                except OSError:  # the client hung up: what these tests want
                    pass
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/f.bin"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def drip_body(handler, stop):
    """Announce 1000 bytes, then send one every 0.1 s (for 6 s at most)."""
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _ in range(60):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        if stop.wait(0.1):
            return


def drip_headers(handler, stop):
    """A status line, then header bytes one every 0.1 s (for 6 s at most), never a body."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    for _ in range(60):
        handler.wfile.write(b"a")
        handler.wfile.flush()
        if stop.wait(0.1):
            return


def huge_length(handler, stop):
    handler.send_response(200)
    handler.send_header("Content-Length", str(10**12))
    handler.end_headers()
    handler.wfile.write(b"x" * 1000)


def endless_chunked(handler, stop):
    """Chunked transfer, no Content-Length, 64 KiB chunks until the client leaves."""
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"y" * 65536
    while not stop.is_set():
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def until_close(handler, stop):
    """HTTP/1.0 style: no Content-Length, the body ends when the connection closes."""
    handler.wfile.write(b"HTTP/1.0 200 OK\r\n\r\n")
    for _ in range(200):  # 200 x 64 KiB = 12.5 MiB at most
        handler.wfile.write(b"z" * 65536)


def get(server, tmp_path, **kwargs):
    kwargs.setdefault("progress", False)
    return get_file("f.bin", server.url, cache_subdir="sub", cache_dir=tmp_path, **kwargs)


def no_leftovers(tmp_path):
    return not (tmp_path / "sub").exists() or list((tmp_path / "sub").iterdir()) == []


@pytest.mark.parametrize("reply", [drip_body, drip_headers])
def test_slow_drip_is_stopped_at_the_deadline(tmp_path, reply):
    with HostileServer(reply) as server, pytest.raises(DownloadError, match="deadline=0.5"):
        get(server, tmp_path, timeout=5, deadline=0.5)
    assert len(server.requests) == 1
    assert no_leftovers(tmp_path)  # the .part is deleted


def test_deadline_with_resume_keeps_the_prefix(tmp_path):
    with HostileServer(drip_body) as server, pytest.raises(DownloadError, match="resume"):
        get(server, tmp_path, timeout=5, deadline=0.5, resume=True)
    part = tmp_path / "sub" / "f.bin.part"
    assert part.stat().st_size < 1000 and set(part.read_bytes()) <= {ord("x")}


def test_content_length_over_max_bytes_is_refused_before_reading(tmp_path):
    with HostileServer(huge_length) as server:
        with pytest.raises(DownloadError, match="Content-Length.*max_bytes=2147483648"):
            get(server, tmp_path)
        with pytest.raises(DownloadError, match="nothing was read"):
            get(server, tmp_path, max_bytes=999)
    assert no_leftovers(tmp_path)


@pytest.mark.parametrize("reply", [endless_chunked, until_close])
def test_body_without_length_is_stopped_past_max_bytes(tmp_path, reply):
    with HostileServer(reply) as server, pytest.raises(DownloadError, match="max_bytes=100000"):
        get(server, tmp_path, max_bytes=100_000, resume=True)  # never kept, even with resume
    assert no_leftovers(tmp_path)


def test_max_bytes_is_inclusive(tmp_path):
    with FileServer({"/blob.bin": CONTENT}) as server:
        assert fetch(server, tmp_path, max_bytes=len(CONTENT)).read_bytes() == CONTENT
        with pytest.raises(DownloadError, match="max_bytes"):
            fetch(server, tmp_path / "b", max_bytes=len(CONTENT) - 1)


def test_documented_default_limits():
    assert download.MAX_BYTES == 2 * 1024**3 and download.DEADLINE >= 600
    parameters = inspect.signature(get_file).parameters
    assert parameters["max_bytes"].default == download.MAX_BYTES
    doc = inspect.getdoc(get_file)
    assert "max_bytes" in doc and "deadline" in doc and "timeout" in doc


@pytest.mark.parametrize("file_hash, hash_algorithm", [
    ("sha256:" + "0" * 63, "auto"),          # too short
    ("sha256:" + "g" * 64, "auto"),          # not hex
    ("0" * 40, "auto"),                      # a bare digest of no known length
    ("crc32:1234abcd", "auto"),              # unknown algorithm
    ("sha1:" + "0" * 40, "auto"),
    ("md5:" + "0" * 32, "sha256"),           # conflicts with hash_algorithm
    ("0" * 64, "md5"),                       # wrong length for the named algorithm
    (SHA, "sha512"),                         # unknown hash_algorithm
    (b"0" * 64, "auto"),                     # not a string
    (12345, "auto"),
])
def test_malformed_hash_spec_is_refused_before_downloading(tmp_path, file_hash, hash_algorithm):
    with FileServer({"/blob.bin": CONTENT}) as server:
        with pytest.raises((GlassnetValueError, GlassnetTypeError),
                           match="get_file: (file_hash|hash_algorithm)"):
            if hash_algorithm == "auto":  # the plain Keras call (also valid on older glassnet)
                fetch(server, tmp_path, file_hash=file_hash)
            else:
                fetch(server, tmp_path, file_hash=file_hash, hash_algorithm=hash_algorithm)
        assert server.requests == []
    assert not (tmp_path / "sub").exists()  # no folder, no .part


def test_md5_hash_and_hash_algorithm_keras_spellings(tmp_path):
    md5 = hashlib.md5(CONTENT).hexdigest()
    with FileServer({"/blob.bin": CONTENT}) as server:
        path = get_file("blob.bin", server.url + "/blob.bin", md5_hash=md5, cache_dir=tmp_path,
                        progress=False)
        assert path.read_bytes() == CONTENT
        assert fetch(server, tmp_path / "b", file_hash=SHA.upper(),
                     hash_algorithm="sha256").read_bytes() == CONTENT


def test_wrong_hash_deletes_the_part_even_with_resume(tmp_path):
    with FileServer({"/blob.bin": CONTENT}) as server, pytest.raises(FileFormatError):
        fetch(server, tmp_path, file_hash="0" * 64, resume=True)
    assert list((tmp_path / "sub").iterdir()) == []


def test_truncated_transfer_removes_the_part_by_default(tmp_path):
    with FileServer({"/blob.bin": CONTENT}, truncate_after=3000) as server:
        with pytest.raises(DownloadError, match="3000 of 10240") as info:
            fetch(server, tmp_path)
    assert "resume" not in str(info.value)
    assert list((tmp_path / "sub").iterdir()) == []


def test_stale_part_is_discarded_without_resume(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "blob.bin.part").write_bytes(b"x" * 4000)
    with FileServer({"/blob.bin": CONTENT}) as server:
        assert fetch(server, tmp_path).read_bytes() == CONTENT
        assert server.requests == [("/blob.bin", None)]  # no Range: started from zero


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_interrupt_or_exception_mid_download_removes_the_part(tmp_path, monkeypatch, error):
    def fail(self, done):
        raise error("stop")

    monkeypatch.setattr(download._Progress, "update", fail)
    with FileServer({"/blob.bin": CONTENT}) as server, pytest.raises(error):
        fetch(server, tmp_path)
    assert list((tmp_path / "sub").iterdir()) == []


def test_interrupt_with_resume_keeps_the_part(tmp_path, monkeypatch):
    def fail(self, done):
        raise KeyboardInterrupt

    monkeypatch.setattr(download._Progress, "update", fail)
    with FileServer({"/blob.bin": CONTENT}) as server, pytest.raises(KeyboardInterrupt):
        fetch(server, tmp_path, resume=True)
    assert CONTENT.startswith((tmp_path / "sub" / "blob.bin.part").read_bytes())


# ----------------------------------------------------------------- names stay in the cache


@pytest.mark.parametrize("fname", ["../../x", "../x", "a/../../x", "/tmp/x", ".", "a/.."])
def test_traversal_fname_is_refused(tmp_path, fname):
    cache = tmp_path / "cache"
    with FileServer({"/blob.bin": CONTENT}) as server:
        with pytest.raises(GlassnetValueError, match="get_file: fname=.*outside the cache"):
            get_file(fname, server.url + "/blob.bin", file_hash=SHA, cache_subdir="sub",
                     cache_dir=cache, progress=False)
        assert server.requests == []
    assert not (tmp_path / "x").exists() and not cache.exists()


@pytest.mark.parametrize("cache_subdir", ["../out", "a/../../out"])
def test_cache_subdir_escaping_is_refused(tmp_path, cache_subdir):
    with FileServer({"/blob.bin": CONTENT}) as server:
        with pytest.raises(GlassnetValueError, match="get_file: cache_subdir="):
            get_file("blob.bin", server.url + "/blob.bin", cache_subdir=cache_subdir,
                     cache_dir=tmp_path / "cache", progress=False)
        assert server.requests == []
    assert not (tmp_path / "out").exists()


def test_absolute_cache_subdir_is_refused(tmp_path):
    with FileServer({"/blob.bin": CONTENT}) as server:
        for subdir in (str(tmp_path / "elsewhere"), str(tmp_path / "cache" / "inside")):
            with pytest.raises(GlassnetValueError, match="cache_subdir.*absolute"):
                get_file("blob.bin", server.url + "/blob.bin", cache_subdir=subdir,
                         cache_dir=tmp_path / "cache", progress=False)
        assert server.requests == []
    assert not (tmp_path / "elsewhere").exists()


def test_symlinks_out_of_the_cache_are_refused(tmp_path):
    cache, outside = tmp_path / "cache", tmp_path / "outside"
    cache.mkdir()
    outside.mkdir()
    (cache / "sub").symlink_to(outside)  # a sub-folder that points out
    (cache / "own").mkdir()
    (cache / "own" / "blob.bin").symlink_to(outside / "victim")  # a cached file that does
    (cache / "own" / "p.bin.part").symlink_to(outside / "victim2")  # a planted .part
    with FileServer({"/blob.bin": CONTENT}) as server:
        with pytest.raises(GlassnetValueError, match="cache_subdir='sub'"):
            get_file("blob.bin", server.url + "/blob.bin", cache_subdir="sub", cache_dir=cache,
                     progress=False)
        for name in ("blob.bin", "p.bin"):
            with pytest.raises(GlassnetValueError, match=f"fname='{name}'"):
                get_file(name, server.url + "/blob.bin", cache_subdir="own", cache_dir=cache,
                         progress=False)
        assert server.requests == []
    assert list(outside.iterdir()) == []


def test_symlinked_cache_root_and_nested_names_inside_are_fine(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with FileServer({"/blob.bin": CONTENT}) as server:
        path = get_file("d/blob.bin", server.url + "/blob.bin", file_hash=SHA, cache_subdir="s",
                        cache_dir=tmp_path / "link", progress=False)
    assert path == tmp_path / "link" / "s" / "d" / "blob.bin"
    assert (real / "s" / "d" / "blob.bin").read_bytes() == CONTENT


def test_fname_defaults_to_the_url_name(tmp_path):
    with FileServer({"/dir/blob.bin": CONTENT}) as server:
        path = get_file(origin=server.url + "/dir/blob.bin", cache_dir=tmp_path,
                        progress=False)
        assert path == tmp_path / "blob.bin"
        with pytest.raises(GlassnetValueError, match="no file name in origin"):
            get_file(origin=server.url + "/", cache_dir=tmp_path, progress=False)
        with pytest.raises(GlassnetValueError, match="origin"):
            get_file("x.bin", cache_dir=tmp_path, progress=False)


# ----------------------------------------------------------------- arguments and signature


def test_keras_signature_then_keyword_only_limits():
    parameters = inspect.signature(get_file).parameters
    keras = ["fname", "origin", "untar", "md5_hash", "file_hash", "cache_subdir",
             "hash_algorithm", "extract", "archive_format", "cache_dir", "force_download"]
    positional = [n for n, p in parameters.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == keras
    keyword_only = {n for n, p in parameters.items() if p.kind is p.KEYWORD_ONLY}
    assert {"timeout", "deadline", "max_bytes", "resume", "progress"} <= keyword_only


def test_a_hash_passed_as_third_positional_is_a_clear_type_error(tmp_path):
    with pytest.raises(GlassnetTypeError, match="untar must be True or False.*file_hash="):
        get_file("blob.bin", "http://127.0.0.1:9/blob.bin", SHA, cache_dir=tmp_path)


@pytest.mark.parametrize("kwargs, match", [
    ({"timeout": 0}, "timeout must be > 0"),
    ({"timeout": math.inf}, "timeout must be > 0, finite"),
    ({"timeout": "5"}, "timeout must be a number"),
    ({"deadline": -1}, "deadline must be > 0"),
    ({"deadline": math.nan}, "deadline must be > 0"),
    ({"max_bytes": 0}, "max_bytes must be > 0"),
    ({"max_bytes": 1.5}, "max_bytes must be an integer"),
    ({"max_bytes": True}, "max_bytes must be an integer"),
    ({"extract": "yes"}, "extract must be True or False"),
    ({"force_download": 1}, "force_download must be True or False"),
    ({"archive_format": "rar", "extract": True}, "archive_format"),
    ({"cache_subdir": 3}, "cache_subdir must be a str"),
    ({"cache_subdir": None}, "cache_subdir must be a str"),
])
def test_bad_arguments_are_refused_before_downloading(tmp_path, kwargs, match):
    with FileServer({"/blob.bin": CONTENT}) as server:
        with pytest.raises((GlassnetValueError, GlassnetTypeError), match=f"get_file: {match}"):
            fetch(server, tmp_path, **kwargs)
        assert server.requests == []


def test_infinite_deadline_means_no_limit(tmp_path):
    with FileServer({"/blob.bin": CONTENT}) as server:
        assert fetch(server, tmp_path, deadline=math.inf).read_bytes() == CONTENT


def test_force_download_fetches_again(tmp_path):
    with FileServer({"/blob.bin": CONTENT}) as server:
        fetch(server, tmp_path)
        fetch(server, tmp_path)
        fetch(server, tmp_path, force_download=True)
        assert len(server.requests) == 2


# ----------------------------------------------------------------- extract=True


def tar_bytes(entries):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, payload in entries:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def test_extract_tar_keras_layout(tmp_path):
    archive = tar_bytes([("flowers/a.txt", b"a"), ("flowers/b.txt", b"bb")])
    with FileServer({"/f.tar.gz": archive}) as server:
        out = get_file("flowers.tar.gz", server.url + "/f.tar.gz", extract=True,
                       file_hash=hashlib.sha256(archive).hexdigest(), cache_dir=tmp_path,
                       progress=False)
        assert out == tmp_path / "flowers_extracted"
        assert (out / "flowers" / "b.txt").read_bytes() == b"bb"
        assert (tmp_path / "flowers.tar.gz").read_bytes() == archive
        # untar=True (deprecated Keras spelling), fname without a dot: <fname>_archive
        out = get_file("fl", server.url + "/f.tar.gz", untar=True, cache_dir=tmp_path,
                       progress=False)
        assert out == tmp_path / "fl" and (out / "flowers" / "a.txt").read_bytes() == b"a"
        assert (tmp_path / "fl_archive").read_bytes() == archive


def test_extract_zip_through_get_file(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("z/x.txt", "zip")
    with FileServer({"/a.zip": buffer.getvalue()}) as server:
        out = get_file("a.zip", server.url + "/a.zip", extract=True, cache_dir=tmp_path,
                       progress=False)
    assert (out / "z" / "x.txt").read_text() == "zip"


def test_extract_refuses_traversal_members(tmp_path):
    archive = tar_bytes([("../../evil.txt", b"evil")])
    with FileServer({"/a.tar.gz": archive}) as server:
        with pytest.raises(GlassnetValueError, match="'../../evil.txt'.*outside"):
            get_file("a.tar.gz", server.url + "/a.tar.gz", extract=True, cache_subdir="s",
                     cache_dir=tmp_path / "cache", progress=False)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "cache" / "evil.txt").exists()


def test_extract_is_bounded_by_max_bytes(tmp_path):
    archive = tar_bytes([("zeros.bin", b"\0" * 50_000)])  # ~100 bytes compressed
    with FileServer({"/a.tar.gz": archive}) as server:
        with pytest.raises(FileFormatError, match="max_bytes=10000"):
            get_file("a.tar.gz", server.url + "/a.tar.gz", extract=True, cache_dir=tmp_path,
                     max_bytes=10_000, progress=False)
    assert not os.path.exists(tmp_path / "a_extracted" / "zeros.bin")


def test_deadline_timer_does_not_outlive_the_call(tmp_path):
    before = threading.active_count()
    with FileServer({"/blob.bin": CONTENT}) as server:
        fetch(server, tmp_path, deadline=30)
        for _ in range(100):  # the cancelled timer thread ends at once
            if threading.active_count() <= before + 1:
                break
            time.sleep(0.01)
    assert threading.active_count() <= before + 1
