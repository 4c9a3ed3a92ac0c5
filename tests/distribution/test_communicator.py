"""The communicator: identities in one process, the collectives under mpiexec -n 2 and -n 4."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from glassnet.config import config
from glassnet.distribution import communicator as cm
from glassnet.distribution import processes
from glassnet.errors import GlassnetTypeError, GlassnetValueError

# --------------------------------------------------------------------------- one process


def test_single_process_collectives_are_identities():
    comm = cm.Communicator()
    assert (comm.rank, comm.size, comm.is_distributed) == (0, 1, False)
    a = np.arange(6.0)
    assert comm.allreduce_sum(a) is a and a.tolist() == [0, 1, 2, 3, 4, 5]
    assert comm.start_allreduce_sum(a).wait() is a
    parts = comm.allgather_arrays(np.ones((2, 3), dtype=np.float32))
    assert len(parts) == 1 and parts[0].shape == (2, 3) and parts[0].dtype == np.float32
    arrays = [np.zeros(2), np.ones((1, 2))]
    assert all(x is y for x, y in zip(comm.broadcast_arrays(arrays), arrays, strict=True))
    # objects make a JSON round trip even alone, so one process sees what N ranks see
    assert comm.broadcast_json({"a": (1, 2), "b": np.float32(0.5)}) == {"a": [1, 2], "b": 0.5}
    assert comm.allgather_json([1, "x"]) == [[1, "x"]]
    comm.barrier()


def test_single_process_checks_and_abort():
    comm = cm.Communicator()
    with pytest.raises(GlassnetValueError, match="C-contiguous"):
        comm.allreduce_sum(np.ones((3, 4))[:, ::2])
    with pytest.raises(GlassnetTypeError, match="float32 or float64"):
        comm.allreduce_sum(np.ones(3, dtype=np.complex64))
    with pytest.raises(GlassnetTypeError, match="numpy array"):
        comm.allreduce_sum([1.0, 2.0])
    with pytest.raises(GlassnetTypeError, match="JSON-able"):
        comm.broadcast_json({"f": object()})
    with pytest.raises(GlassnetValueError, match="root"):
        comm.broadcast_json(1, root=1)
    with pytest.raises(GlassnetValueError, match="timeout"):
        cm.Communicator(timeout=0)
    with pytest.raises(cm.DistributedError, match="stop here"):
        comm.abort("stop here")


def test_guard_in_one_process_lets_the_exception_through():
    with pytest.raises(KeyError):
        with cm.guard(cm.Communicator(), "a step"):
            raise KeyError("x")


def test_current_is_the_joined_communicator_else_a_single_one(monkeypatch):
    assert cm.current().size == 1 and type(cm.current()) is cm.Communicator
    joined = cm.Communicator(timeout=7)
    monkeypatch.setattr(config, "communicator", joined)
    assert cm.current() is joined


@pytest.mark.parametrize("env, expected", [
    ({}, False),
    ({"PMI_SIZE": "1", "PMI_RANK": "0"}, False),          # mpiexec -n 1: a single process
    ({"PMI_SIZE": "4", "PMI_RANK": "2"}, True),           # MPICH hydra
    ({"OMPI_COMM_WORLD_SIZE": "2"}, True),                # Open MPI
    ({"PMIX_RANK": "0", "SLURM_STEP_NUM_TASKS": "8"}, True),   # srun --mpi=pmix
    ({"SLURM_STEP_NUM_TASKS": "8"}, False),               # a batch script, no launcher
    ({"PMI_SIZE": "many"}, False),
])
def test_launched_by_mpi_reads_the_launcher_environment(monkeypatch, env, expected):
    for name in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMIX_SIZE",
                 "PMIX_RANK", "SLURM_STEP_NUM_TASKS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cm.launched_by_mpi() is expected


def test_join_world_without_mpi4py_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)      # makes "import mpi4py" fail
    monkeypatch.delitem(sys.modules, "mpi4py.MPI", raising=False)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[mpi\]"') as info:
        cm.join_world()
    assert isinstance(info.value, cm.MpiUnavailableError)


@pytest.mark.skipif(processes.process_identity() is None, reason="needs Linux's /proc")
def test_abort_stops_local_peers_by_pid_and_start_time():
    # abort() SIGKILLs the ranks on this machine itself before MPI_Abort (hydra once left a
    # sleeping rank running): only a process whose pid *and* start time still match
    me = processes.process_identity()
    assert me["pid"] == os.getpid() and me["start"] == processes._start_time(os.getpid())
    sleepers = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
                for _ in range(2)]
    try:
        peers = [{"pid": p.pid, "start": processes._start_time(p.pid), "machine": me["machine"]}
                 for p in sleepers]
        peers[1]["start"] += 1                   # as if the pid had been recycled
        processes.stop_processes(peers)
        assert sleepers[0].wait(timeout=10) == -9
        assert sleepers[1].poll() is None        # not the process that was recorded: spared
        processes.stop_processes([{"pid": sleepers[0].pid, "start": 1, "machine": ""}])  # gone: ok
    finally:
        for p in sleepers:
            p.kill()
            p.wait()


def test_import_glassnet_does_not_import_mpi4py():
    code = ("import sys, glassnet, glassnet.distribution.communicator; "
            "assert 'mpi4py' not in sys.modules, 'mpi4py imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --------------------------------------------------------------------------- under mpiexec

COLLECTIVES = r"""
import pickle
from mpi4py import MPI
def refuse(*args, **kwargs):
    raise AssertionError("pickle used")
pickle.dumps = pickle.loads = refuse          # nothing below may pickle (mpi4py's lowercase
MPI.pickle.__init__(refuse, refuse)           # methods would call these)

import numpy as np
from glassnet.distribution.communicator import join_world
from glassnet.errors import GlassnetValueError

comm = join_world(timeout=30)
r, n = comm.rank, comm.size
assert n == int(__import__("sys").argv[1])

# allreduce: in place on the caller's buffer; sum over ranks of (rank + 1) * base
for dtype in (np.float32, np.float64, np.int64):
    base = np.arange(1, 11, dtype=dtype).reshape(2, 5)
    a = base * (r + 1)
    out = comm.allreduce_sum(a)
    assert out is a
    assert np.array_equal(a, base * (n * (n + 1) // 2)), (dtype, a)
pending = comm.start_allreduce_sum(np.full(3, float(r)))
assert pending.wait().tolist() == [n * (n - 1) / 2] * 3

# allgather: uneven first dims (rank r has r rows; rank 0 none), rank order, dtype kept
mine = np.full((r, 3), r, dtype=np.float32)
parts = comm.allgather_arrays(mine)
assert [p.shape for p in parts] == [(k, 3) for k in range(n)]
assert all(p.dtype == np.float32 and (p == k).all() for k, p in enumerate(parts))
flags = comm.allgather_arrays(np.array([r % 2 == 0, True]))
assert [f.tolist() for f in flags] == [[k % 2 == 0, True] for k in range(n)]
try:
    comm.allgather_arrays(np.zeros((1, 2 + (r == 1))))
    raise AssertionError("mismatched trailing dims accepted")
except GlassnetValueError as error:           # every rank sees every header: all raise
    assert "rank 1" in str(error), error

# broadcast arrays in place (one of them not contiguous) from the last rank
w = np.full((2, 3), float(r))
strided = np.zeros((4, 4))[:, ::2]
strided[...] = r
got = comm.broadcast_arrays([w, strided], root=n - 1)
assert got[0] is w and (w == n - 1).all() and (strided == n - 1).all()
try:
    comm.broadcast_arrays([np.zeros(3 + (r == 0))])
    raise AssertionError("mismatched broadcast accepted")
except GlassnetValueError as error:
    assert "broadcast_arrays" in str(error)

# objects as JSON
obj = comm.broadcast_json({"rank": r, "lr": 0.1} if r == 0 else None)
assert obj == {"rank": 0, "lr": 0.1}
assert comm.allgather_json({"r": r, "s": "x" * r}) == [{"r": k, "s": "x" * k} for k in range(n)]
comm.barrier()
print(f"OK {r}/{n}")
"""


@pytest.mark.parametrize("n", [2, 4])
def test_collectives_under_mpiexec_without_pickle(run_mpi, n):
    result = run_mpi(n, COLLECTIVES, timeout=90, args=(n,))
    assert result.returncode == 0, result.stdout + result.stderr
    # ranks share stdout, so lines may interleave: look for the marks, not for whole lines
    assert sorted(re.findall(r"OK \d+/\d+", result.stdout)) == [f"OK {r}/{n}" for r in range(n)]
