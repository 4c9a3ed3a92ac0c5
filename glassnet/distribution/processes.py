"""Finding this machine's ranks again, to stop them when the job aborts (Linux's ``/proc``).

``MpiCommunicator.abort`` SIGKILLs the ranks on its own machine before ``MPI_Abort``: MPICH's
launcher (hydra) sometimes left a rank sleeping in Python running after another had aborted.
A process is identified by its pid *and* its start time, so a recycled pid is never hit.
"""

import os


def _start_time(pid):
    """Field 22 of ``/proc/<pid>/stat`` (start time in clock ticks since boot), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            stat = file.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()     # after "pid (command) "
    return int(fields[19])


def process_identity():
    """This process as abort() can find it again: pid, start time and the machine's identity
    (host name, boot id, pid namespace); None where there is no ``/proc`` (not Linux)."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as file:
            boot = file.read().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None
    import socket

    pid = os.getpid()
    return {"pid": pid, "start": _start_time(pid),
            "machine": f"{socket.gethostname()}/{boot}/{namespace}"}


def stop_processes(peers):
    """SIGKILL each peer still running (same pid *and* start time: never a recycled pid)."""
    import signal

    for peer in peers:
        if peer["start"] is not None and _start_time(peer["pid"]) == peer["start"]:
            try:
                os.kill(peer["pid"], signal.SIGKILL)
            except OSError:
                pass                                  # already gone
