"""The MPI launcher for the Python test scripts, whichever MPI the build uses (see launcher.sh)."""
import os
import subprocess

MPIEXEC = os.environ.get("MPIEXEC", "mpirun")
VENDOR = os.environ.get("MULTIRANK_MPI_VENDOR") or (
    "openmpi" if "Open MPI" in subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True).stdout
    else "mpich")
OVERSUBSCRIBE = os.environ.get("MPIEXEC_OVERSUBSCRIBE", "--oversubscribe" if VENDOR == "openmpi" else "")
RANK_VARIABLES = (b"OMPI_COMM_WORLD_RANK=", b"PMI_RANK=")


def command(ranks, program, args=()):
    """The argv that runs PROGRAM ARGS on RANKS local ranks, oversubscribed if need be."""
    return [MPIEXEC, "-n", str(ranks)] + ([OVERSUBSCRIBE] if OVERSUBSCRIBE else []) + [program] + list(args)


def _children(pid):
    try:
        return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []


def rank_pids(launcher_pid):
    """Rank -> pid of the ranks that the launcher started on this host (its descendants)."""
    out, queue = {}, _children(launcher_pid)
    while queue:
        pid = queue.pop(0)
        try:
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
        except OSError:
            continue
        rank = next((v.split(b"=", 1)[1] for v in env if v.startswith(RANK_VARIABLES)), None)
        if rank is not None:
            out[int(rank)] = pid
        else:
            queue += _children(pid)
    return out
