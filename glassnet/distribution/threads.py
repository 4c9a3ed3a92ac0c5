"""Ranks x BLAS threads against the cores: the warning an oversubscribed machine gets.

Each rank runs NumPy, whose OpenBLAS starts one thread per core unless told otherwise, and an
idle OpenBLAS thread spins for a while after each product. Two ranks with two threads each on
a 2-core machine then take the cores from each other: the seed MLP trained 5x slower
(185 against 37 ms per step) than with ``OPENBLAS_NUM_THREADS=1``. ``MpiCommunicator`` warns on
rank 0 when the ranks on one machine times their BLAS threads exceed its usable CPUs.
"""

import os

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def usable_cpus():
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def blas_threads(environ=None):
    """Threads NumPy's BLAS uses: threadpoolctl's reading when it is installed, else OpenBLAS's
    own rule (the first of OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS, OMP_NUM_THREADS that is a
    positive integer, else one per usable CPU)."""
    if environ is None:
        try:
            from threadpoolctl import threadpool_info
        except ImportError:
            pass
        else:
            counts = [pool["num_threads"] for pool in threadpool_info()
                      if pool.get("user_api") == "blas"]
            if counts:
                return max(counts)
        environ = os.environ
    for name in THREAD_VARIABLES:
        value = environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return usable_cpus()


def oversubscription_warning(local_ranks, threads, cpus):
    """The warning text when ``local_ranks * threads > cpus``, else None."""
    if local_ranks * threads <= cpus:
        return None
    fit = max(1, cpus // local_ranks)
    return (f"distribution: {local_ranks} ranks on this machine with {threads} BLAS threads "
            f"each need {local_ranks * threads} CPUs, but {cpus} are usable; the ranks' BLAS "
            f"threads will take the cores from each other (training can be several times "
            f"slower). Start with OPENBLAS_NUM_THREADS={fit} (ranks x threads <= CPUs), e.g. "
            f"OPENBLAS_NUM_THREADS={fit} mpiexec -n {local_ranks} python -m glassnet train")
