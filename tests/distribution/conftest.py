"""Helpers for the distributed tests: launch a small script under ``mpiexec -n N``.

A test writes a short Python script and runs it on N ranks with :func:`run_mpi` (also the
``run_mpi`` fixture). The launch is skipped only where the ``[mpi]`` extra (mpi4py and an MPI
with ``mpiexec``) is not installed; with ``GLASSNET_REQUIRE_MPI=1`` (CI) that is a failure.

The ranks share few cores (4 ranks on 2 cores here), so the environment asks MPICH to yield
instead of busy-polling and every rank to use one BLAS thread.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# Oversubscribed MPICH (more ranks than cores) must not busy-wait: a spinning rank steals the
# core its peer needs to reach the collective. ch4 progress throttling sleeps (usleep) after a
# few empty polls; the yield counts make the shared-memory (posix) and ch3 loops yield early.
MPI_ENV = {
    "MPIR_CVAR_CH4_PROGRESS_THROTTLE": "1",
    "MPIR_CVAR_CH4_PROGRESS_THROTTLE_NO_PROGRESS_COUNT": "16",
    "MPIR_CVAR_POSIX_POLL_FREQUENCY": "16",
    "MPIR_CVAR_POLLS_BEFORE_YIELD": "16",
    "MPIR_CVAR_ENABLE_HEAVY_YIELD": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def mpiexec_path():
    """The ``mpiexec`` next to this Python (the mpich wheel installs it there), else on PATH."""
    local = Path(sys.executable).parent / "mpiexec"
    if local.exists():
        return str(local)
    from shutil import which

    return which("mpiexec")


def _missing_mpi():
    """Why MPI tests cannot run here (a reason string), or None when they can."""
    if importlib.util.find_spec("mpi4py") is None:
        return 'mpi4py is not installed (pip install "glassnet[mpi]")'
    if mpiexec_path() is None:
        return 'no mpiexec found (pip install "glassnet[mpi]" installs the mpich wheel)'
    return None


def require_mpi():
    """Skip the calling test when MPI is missing; fail instead under GLASSNET_REQUIRE_MPI=1."""
    reason = _missing_mpi()
    if reason is None:
        return
    if os.environ.get("GLASSNET_REQUIRE_MPI") == "1":
        pytest.fail(f"GLASSNET_REQUIRE_MPI=1 but {reason}")
    pytest.skip(reason)


def run_mpi(n, script_text, timeout=120, args=(), env=None, tmp_dir=None):
    """Run ``script_text`` as a Python script on ``n`` ranks under mpiexec.

    Args:
        n: number of ranks (``mpiexec -n n``).
        script_text: the script's source; dedented, written to a temporary file.
        timeout: seconds before the whole launch is killed (the test then fails, not hangs).
        args: extra command-line arguments for the script.
        env: extra environment variables (override the defaults above).
        tmp_dir: folder for the script (and the working directory); a fresh one if None.

    Returns:
        The ``subprocess.CompletedProcess`` (text ``stdout``/``stderr``, ``returncode``).
        On timeout, a CompletedProcess with ``returncode`` None and what was captured.
    """
    require_mpi()
    import tempfile

    folder = Path(tmp_dir) if tmp_dir is not None else Path(tempfile.mkdtemp(prefix="gn_mpi_"))
    script = folder / "mpi_script.py"
    script.write_text(textwrap.dedent(script_text))
    full_env = dict(os.environ)
    full_env.update(MPI_ENV)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    full_env.pop("GLASSNET_REQUIRE_MPI", None)
    if env:
        full_env.update(env)
    cmd = [mpiexec_path(), "-n", str(n), sys.executable, str(script), *map(str, args)]
    proc = subprocess.Popen(cmd, cwd=str(folder), env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    except subprocess.TimeoutExpired:
        import signal

        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return subprocess.CompletedProcess(cmd, None, out, err)


@pytest.fixture(name="run_mpi")
def run_mpi_fixture(tmp_path):
    """The :func:`run_mpi` launcher, writing its scripts under the test's ``tmp_path``."""
    def launch(n, script_text, timeout=120, args=(), env=None):
        return run_mpi(n, script_text, timeout=timeout, args=args, env=env, tmp_dir=tmp_path)

    return launch
