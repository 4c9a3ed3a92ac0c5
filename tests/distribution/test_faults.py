"""Faults under mpiexec: a rank that raises, is killed or hangs stops the job within the timeout.

Found on MPICH 5 (hydra): a rank killed by a signal makes hydra end the job by itself; a rank
that raises (and so exits through MPI_Finalize) or hangs in Python would leave the others
waiting forever. ``guard`` turns the exception into a rank-tagged message and an abort, and the
communicator's timeout aborts the ranks left waiting. Every launch here is bounded by a
subprocess timeout, so a regression fails instead of hanging.
"""

import re

import pytest

from glassnet.distribution.communicator import Communicator

# A loop of collectives, as training does; FAULT (an argument) picks what rank 1 does at step 3.
COLLECTIVE_LOOP = r"""
import os, sys, time
import numpy as np
from glassnet.distribution.communicator import guard, join_world

fault, timeout = sys.argv[1], float(sys.argv[2])
comm = join_world(timeout=timeout)
print("started", comm.rank, flush=True)
with guard(comm, "the test loop"):
    for step in range(6):
        if comm.rank == 1 and step == 3:
            if fault == "raise":
                raise RuntimeError("injected failure at step 3")
            if fault == "kill":
                os.kill(os.getpid(), 9)
            if fault == "hang":
                time.sleep(600)
        comm.allreduce_sum(np.ones(1000))           # blocking, under the watchdog thread
        if comm.rank == 1 and step == 3 and fault == "hang_later":
            time.sleep(600)
        comm.barrier()                              # non-blocking, polled
print("finished", comm.rank)
"""

# The same faults inside model.fit under DataParallel (the contract's API).
FIT_SCRIPT = r"""
import os, sys, time
import numpy as np
import glassnet as gn
from glassnet import distribution, layers

fault, timeout = sys.argv[1], float(sys.argv[2])
distribution.initialize()
distribution.set_distribution(distribution.DataParallel(timeout=timeout))
rank = distribution.process_index()


class Fault(gn.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        if rank == 1 and batch == 2:
            if fault == "raise":
                raise RuntimeError("injected failure in fit")
            if fault == "kill":
                os.kill(os.getpid(), 9)
            if fault == "hang":
                time.sleep(600)


gn.manual_seed(0)
x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
y = x.sum(axis=1, keepdims=True)
model = gn.models.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
                              layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
print("started", rank, flush=True)
model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[Fault()])
print("finished", rank)
"""

TIMEOUT = 2        # the communicator's timeout in these tests (seconds)
BOUND = 60         # the launch is killed after this; the job must end well before


def _check_stopped(result, n):
    # every rank got as far as the loop (so the fault, not a setup error, stopped the job)
    assert result.stdout.count("started") == n, result.stdout + result.stderr
    assert result.returncode is not None, "mpiexec did not stop: " + result.stderr[-2000:]
    assert result.returncode != 0, result.stdout + result.stderr
    assert "finished" not in result.stdout          # nobody went on as if nothing happened


@pytest.mark.parametrize("n", [2, 4])
def test_a_rank_that_raises_aborts_every_rank(run_mpi, n):
    result = run_mpi(n, COLLECTIVE_LOOP, timeout=BOUND, args=("raise", 120))
    _check_stopped(result, n)
    # not the 120 s timeout: guard aborted at once, naming the rank and the error
    assert re.search(rf"glassnet rank 1/{n}: the test loop failed: RuntimeError: injected "
                     r"failure at step 3", result.stderr), result.stderr
    assert "Traceback" in result.stderr


def test_a_killed_rank_stops_the_others(run_mpi):
    result = run_mpi(2, COLLECTIVE_LOOP, timeout=BOUND, args=("kill", TIMEOUT))
    _check_stopped(result, 2)


@pytest.mark.parametrize("fault, waiting_in", [("hang", "allreduce_sum"),
                                               ("hang_later", "barrier")])
def test_a_hanging_rank_makes_the_others_time_out(run_mpi, fault, waiting_in):
    result = run_mpi(2, COLLECTIVE_LOOP, timeout=BOUND, args=(fault, TIMEOUT))
    _check_stopped(result, 2)
    assert re.search(rf"glassnet rank 0/2: {waiting_in}.* did not complete within {TIMEOUT} s",
                     result.stderr), result.stderr


def test_an_unguarded_exception_is_caught_by_the_timeout(run_mpi):
    script = COLLECTIVE_LOOP.replace('with guard(comm, "the test loop"):', "if True:")
    result = run_mpi(2, script, timeout=BOUND, args=("raise", TIMEOUT))
    _check_stopped(result, 2)
    assert "injected failure at step 3" in result.stderr
    assert "glassnet rank 0/2:" in result.stderr and "did not complete" in result.stderr


def _fit_available():
    try:
        from glassnet import distribution
    except ImportError:
        return False
    return hasattr(distribution, "DataParallel")


needs_fit = pytest.mark.skipif(not _fit_available(),
                               reason="glassnet.distribution.DataParallel not available yet")


@needs_fit
@pytest.mark.parametrize("fault", ["raise", "kill", "hang"])
def test_faults_inside_fit_stop_every_rank(run_mpi, fault):
    result = run_mpi(2, FIT_SCRIPT, timeout=BOUND, args=(fault, TIMEOUT))
    _check_stopped(result, 2)
    if fault == "raise":
        assert re.search(r"glassnet rank 1/2: .*RuntimeError: injected failure in fit",
                         result.stderr), result.stderr
    if fault == "hang":
        assert "did not complete within" in result.stderr, result.stderr


def test_single_process_timeout_attribute_is_settable():
    comm = Communicator()
    comm.timeout = 2.5
    assert comm.timeout == 2.5
