"""glassnet.atomic: a writer killed with SIGKILL mid-save leaves nothing a later save trips on."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from glassnet.atomic import atomic_write, remove_stale_temporaries

ROOT = Path(__file__).resolve().parents[1]

# A child that saves a large model in a loop, forever: it is killed while writing.
SAVER = textwrap.dedent("""
    import sys
    import glassnet as gn
    model = gn.Sequential([gn.layers.Dense(1500, input_shape=(1500,)), gn.layers.Dense(1500)])
    model.build((None, 1500))
    print("ready", flush=True)
    while True:
        model.save(sys.argv[1])
""")


def _temporaries(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".part"))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_repeated_sigkill_during_save_leaves_no_stray_temporary(tmp_path):
    target = tmp_path / "model.glassnet"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    left_behind = 0
    for _ in range(4):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(target)], env=environment,
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        # Kill it once a temporary exists (it is writing), or after 5 s at the latest.
        deadline = time.monotonic() + 5
        while not _temporaries(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.001)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        left_behind += len(_temporaries(tmp_path))
    assert left_behind > 0, "no kill hit a save in progress: the test did not test anything"
    import glassnet as gn

    model = gn.Sequential([gn.layers.Dense(2, input_shape=(3,))])
    model.save(target)  # the next save of the same target cleans up after the killed writers
    assert _temporaries(tmp_path) == []
    assert gn.models.load_model(target).count_params() == 8


def test_temporaries_of_other_targets_and_of_live_writers_are_kept(tmp_path):
    target = tmp_path / "a.glassnet"
    live = tmp_path / f".a.glassnet.{os.getpid()}.tmp-x.part"  # this very process: alive
    other = tmp_path / ".b.glassnet.1.tmp-x.part"  # another target
    dead_pid = _a_dead_pid()
    dead = tmp_path / f".a.glassnet.{dead_pid}.tmp-x.part"
    for path in (live, other, dead):
        path.write_bytes(b"partial")
    assert remove_stale_temporaries(target) == [dead.name]
    assert live.exists() and other.exists() and not dead.exists()


def test_a_failed_write_removes_its_temporary_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "w.bin"
    atomic_write(target, lambda stream: stream.write(b"old"))

    def broken(stream):
        stream.write(np.zeros(10, np.uint8).tobytes())
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert _temporaries(tmp_path) == []


def _a_dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
