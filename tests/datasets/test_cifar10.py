import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from glassnet.datasets import cifar10
from glassnet.datasets.download import DownloadError
from glassnet.errors import FileFormatError
from tests.datasets.local_server import FileServer, closed_port_url

BATCHES = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
           "data_batch_5.bin", "test_batch.bin"]


def pixel(i, row, col, channel):
    """The value stored for record i at (row, col, channel): easy to recompute."""
    return (7 * i + 3 * row + 5 * col + 101 * channel) % 256


def record(i, label):
    """One binary record: label byte, then R, G, B planes of 32x32 (channel-major)."""
    planes = bytes(pixel(i, r, c, ch) for ch in range(3) for r in range(32) for c in range(32))
    return bytes([label]) + planes


def expected_arrays(ids):
    r, c, ch = np.meshgrid(np.arange(32), np.arange(32), np.arange(3), indexing="ij")
    x = np.stack([pixel(i, r, c, ch) for i in ids]).astype(np.uint8)
    y = np.array([[i % 10] for i in ids], dtype=np.uint8)
    return x, y


TRAIN_IDS = list(range(10))      # 2 records in each of the 5 training batches
TEST_IDS = [100, 101, 102]


def batch_bytes():
    blobs = {}
    for b in range(5):
        blobs[BATCHES[b]] = b"".join(record(i, i % 10) for i in TRAIN_IDS[2 * b: 2 * b + 2])
    blobs["test_batch.bin"] = b"".join(record(i, i % 10) for i in TEST_IDS)
    return blobs


def make_archive(extra=()):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        entries = [(f"cifar-10-batches-bin/{n}", d) for n, d in batch_bytes().items()]
        entries.append(("cifar-10-batches-bin/batches.meta.txt", b"airplane\n"))
        for name, data in [*entries, *extra]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def check(result):
    (x, y), (xt, yt) = result
    ex, ey = expected_arrays(TRAIN_IDS)
    etx, ety = expected_arrays(TEST_IDS)
    assert x.shape == (10, 32, 32, 3) and x.dtype == np.uint8 and x.flags.c_contiguous
    assert y.shape == (10, 1) and y.dtype == np.uint8
    assert xt.shape == (3, 32, 32, 3) and yt.shape == (3, 1)
    np.testing.assert_array_equal(x, ex)
    np.testing.assert_array_equal(y, ey)
    np.testing.assert_array_equal(xt, etx)
    np.testing.assert_array_equal(yt, ety)


@pytest.fixture
def served(tmp_path, monkeypatch):
    archive = make_archive()
    monkeypatch.setenv("GLASSNET_DATA_HOME", str(tmp_path / "home"))
    with FileServer({"/c/cifar-10-binary.tar.gz": archive}) as server:
        monkeypatch.setattr(cifar10, "URL", server.url + "/c/cifar-10-binary.tar.gz")
        monkeypatch.setattr(cifar10, "FILE_HASH",
                            "sha256:" + hashlib.sha256(archive).hexdigest())
        yield server, archive


def test_real_constants_are_the_published_ones():
    assert cifar10.URL == "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    assert cifar10.FILE_HASH == (
        "sha256:c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd")


def test_parse_one_record_by_hand():
    rec = bytes([3]) + bytes([10] * 1024 + [20] * 1024 + [30] * 1024)
    x, y = cifar10.parse_records(rec, "hand")
    assert y.tolist() == [[3]]
    assert x[0, 5, 7].tolist() == [10, 20, 30]  # channels last: R, G, B


def test_download_extract_and_cache(served, tmp_path):
    server, _ = served
    check(cifar10.load_data())
    extracted = tmp_path / "home" / "cifar-10" / "cifar-10-batches-bin"
    assert sorted(p.name for p in extracted.iterdir()) == sorted(BATCHES)  # no meta, no extras
    check(cifar10.load_data())  # from the extracted cache: no new request
    assert len(server.requests) == 1


def test_wrong_hash_is_rejected(served, tmp_path, monkeypatch):
    monkeypatch.setattr(cifar10, "FILE_HASH", "sha256:" + "cd" * 32)
    with pytest.raises(FileFormatError, match="cdcd"):
        cifar10.load_data()
    assert not (tmp_path / "home" / "cifar-10" / "cifar-10-binary.tar.gz").exists()


def test_local_path_forms(tmp_path):
    archive = tmp_path / "cifar-10-binary.tar.gz"
    archive.write_bytes(make_archive())
    check(cifar10.load_data(path=archive))
    folder = tmp_path / "x" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    for name, data in batch_bytes().items():
        (folder / name).write_bytes(data)
    check(cifar10.load_data(path=folder))
    check(cifar10.load_data(path=folder.parent))


def test_hostile_members_are_never_written(tmp_path, monkeypatch):
    evil = [("../evil.txt", b"x"), ("/tmp/glassnet_abs_evil.txt", b"x"),
            ("cifar-10-batches-bin/../../evil2.txt", b"x")]
    archive = make_archive(extra=evil)
    monkeypatch.setenv("GLASSNET_DATA_HOME", str(tmp_path / "home"))
    with FileServer({"/a.tar.gz": archive}) as server:
        monkeypatch.setattr(cifar10, "URL", server.url + "/a.tar.gz")
        monkeypatch.setattr(cifar10, "FILE_HASH", hashlib.sha256(archive).hexdigest())
        check(cifar10.load_data())
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "evil2.txt").exists()
    assert not (tmp_path / "home" / "evil2.txt").exists()
    names = {p.name for p in tmp_path.rglob("*")}
    assert "evil.txt" not in names and "evil2.txt" not in names
    assert "glassnet_abs_evil.txt" not in names
    assert not Path("/tmp/glassnet_abs_evil.txt").exists()


def test_symlink_member_is_refused(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-bin/data_batch_1.bin")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    (tmp_path / "a.tar.gz").write_bytes(buffer.getvalue())
    with pytest.raises(FileFormatError, match="regular file"):
        cifar10.load_data(path=tmp_path / "a.tar.gz")


def test_malformed_records(tmp_path):
    with pytest.raises(FileFormatError, match="3073"):
        cifar10.parse_records(bytes(3073 + 5), "odd")
    with pytest.raises(FileFormatError, match="3073"):
        cifar10.parse_records(b"", "empty")
    with pytest.raises(FileFormatError, match="record 1 has label 12"):
        cifar10.parse_records(record(0, 1) + record(1, 12), "labels")


def test_missing_files_in_folder(tmp_path):
    (tmp_path / "data_batch_1.bin").write_bytes(record(0, 0))
    with pytest.raises(FileNotFoundError, match="test_batch.bin"):
        cifar10.load_data(path=tmp_path)
    with pytest.raises(FileNotFoundError):
        cifar10.load_data(path=tmp_path / "absent.tar.gz")


def test_offline_fails_fast_with_instructions(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(cifar10, "URL", closed_port_url() + "/cifar-10-binary.tar.gz")
    with pytest.raises(DownloadError) as info:
        cifar10.load_data()
    message = str(info.value)
    target = str(tmp_path / "cifar-10" / "cifar-10-binary.tar.gz")
    assert target in message
    assert "load_data(path=" in message
    # the advice is given once: one "save it as <target>", one "yourself", one URL mention
    assert message.count(target) == 1, message
    assert message.count("yourself") <= 1, message
    assert message.count(cifar10.URL) == 1, message
