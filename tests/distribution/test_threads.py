"""Ranks x BLAS threads against the cores (glassnet/distribution/threads.py)."""

import re

from glassnet.distribution.threads import blas_threads, oversubscription_warning, usable_cpus


def test_warning_only_when_ranks_times_threads_exceed_the_cpus():
    assert oversubscription_warning(2, 1, 2) is None
    assert oversubscription_warning(4, 4, 16) is None
    text = oversubscription_warning(2, 2, 2)
    assert "2 ranks on this machine with 2 BLAS threads each need 4 CPUs, but 2 are usable" in text
    assert "OPENBLAS_NUM_THREADS=1 mpiexec -n 2 python -m glassnet train" in text
    assert "OPENBLAS_NUM_THREADS=2 mpiexec -n 4" in oversubscription_warning(4, 8, 8)
    assert "OPENBLAS_NUM_THREADS=1 mpiexec -n 4" in oversubscription_warning(4, 1, 2)


def test_blas_threads_follows_openblas_rule_without_threadpoolctl():
    cpus = usable_cpus()
    assert cpus >= 1
    assert blas_threads({}) == cpus
    assert blas_threads({"OMP_NUM_THREADS": "3"}) == 3
    assert blas_threads({"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "3"}) == 2
    assert blas_threads({"OPENBLAS_NUM_THREADS": "0", "GOTO_NUM_THREADS": "5"}) == 5
    assert blas_threads({"OPENBLAS_NUM_THREADS": "many"}) == cpus


WARNS = """
import warnings
from glassnet import distribution
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    distribution.initialize()
hits = [w for w in caught if "BLAS threads" in str(w.message)]
print(f"RANK {distribution.process_index()} WARNINGS {len(hits)}")
if hits:
    print("TEXT", str(hits[0].message))
"""


def test_rank_zero_warns_an_oversubscribed_launch(run_mpi):
    threads = usable_cpus()  # 2 ranks x one thread per CPU: always more than the CPUs
    result = run_mpi(2, WARNS, timeout=90, env={"OPENBLAS_NUM_THREADS": str(threads),
                                                 "OMP_NUM_THREADS": str(threads)})
    assert result.returncode == 0, result.stdout + result.stderr
    counts = dict(re.findall(r"RANK (\d) WARNINGS (\d)", result.stdout))
    assert counts == {"0": "1", "1": "0"}, result.stdout
    assert f"with {threads} BLAS threads each need {2 * threads} CPUs" in result.stdout
    fits = run_mpi(2, WARNS, timeout=90)  # the fixture's one thread per rank
    assert fits.returncode == 0, fits.stdout + fits.stderr
    expected = "1" if 2 > usable_cpus() else "0"
    assert dict(re.findall(r"RANK (\d) WARNINGS (\d)", fits.stdout))["0"] == expected

