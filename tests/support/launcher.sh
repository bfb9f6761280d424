# The MPI launcher for the test scripts, whichever MPI the build uses. Sourced.
#   MPIEXEC                 the launcher (ctest sets it: mpirun.openmpi's or mpiexec.mpich's path)
#   MPIEXEC_OVERSUBSCRIBE   its flag for more ranks than cores (Open MPI: --oversubscribe; Hydra
#                           oversubscribes without one)
#   MULTIRANK_MPI_VENDOR    openmpi or mpich
: "${MPIEXEC:=mpirun}"
if [ -z "${MULTIRANK_MPI_VENDOR:-}" ]; then
  if "$MPIEXEC" --version 2>/dev/null | grep -q "Open MPI\|OpenRTE"; then MULTIRANK_MPI_VENDOR=openmpi; else MULTIRANK_MPI_VENDOR=mpich; fi
fi
if [ -z "${MPIEXEC_OVERSUBSCRIBE+set}" ]; then
  if [ "$MULTIRANK_MPI_VENDOR" = openmpi ]; then MPIEXEC_OVERSUBSCRIBE=--oversubscribe; else MPIEXEC_OVERSUBSCRIBE=; fi
fi
export MPIEXEC MPIEXEC_OVERSUBSCRIBE MULTIRANK_MPI_VENDOR

# mpi_run N PROGRAM ARGS... : PROGRAM on N local ranks, oversubscribed if need be.
mpi_run() {
  local n=$1; shift
  # shellcheck disable=SC2086  # the flag is one word or none
  "$MPIEXEC" -n "$n" $MPIEXEC_OVERSUBSCRIBE "$@"
}

# launcher_rank_pid LAUNCHER_PID RANK : the pid of that rank's process on this host (a descendant
# of the launcher: Open MPI's mpirun starts ranks itself, Hydra through hydra_pmi_proxy), found by
# the rank the launcher put in its environment; empty if there is none yet.
launcher_rank_pid() {
  local parent=$1 rank=$2 pid queue=("$1")
  while [ ${#queue[@]} -gt 0 ]; do
    pid=${queue[0]}; queue=("${queue[@]:1}")
    if [ "$pid" != "$parent" ] &&
       tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxE "(OMPI_COMM_WORLD_RANK|PMI_RANK)=$rank"; then
      echo "$pid"
      return
    fi
    # shellcheck disable=SC2207
    queue+=($(pgrep -P "$pid"))
  done
}

# launcher_rank_pids LAUNCHER_PID : the pids of every rank on this host, one per line.
launcher_rank_pids() {
  local parent=$1 pid queue=("$1")
  while [ ${#queue[@]} -gt 0 ]; do
    pid=${queue[0]}; queue=("${queue[@]:1}")
    if [ "$pid" != "$parent" ] &&
       tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qE "^(OMPI_COMM_WORLD_RANK|PMI_RANK)="; then
      echo "$pid"
      continue
    fi
    # shellcheck disable=SC2207
    queue+=($(pgrep -P "$pid"))
  done
}
