# Helpers for the reliability scripts: start a job in the background, find a rank's process,
# wait for progress, time the end. Sourced after tests/e2e/lib.sh (run_np, expect, finish).

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# start_job N LOGPREFIX ARGS... : starts `mpirun -n N ARGS` in the background (stdout and stderr
# to LOGPREFIX.out/.err); sets $job_pid (mpirun's pid).
start_job() {
  local n=$1 log=$2; shift 2
  "$MPIEXEC" -n "$n" --oversubscribe "$@" >"$log.out" 2>"$log.err" &
  job_pid=$!
}

# rank_pid MPIRUN_PID RANK : the pid of that rank's process (a child of mpirun on this host),
# found by the OMPI_COMM_WORLD_RANK in its environment; empty if there is none yet.
rank_pid() {
  local parent=$1 rank=$2 child
  for child in $(pgrep -P "$parent"); do
    if tr '\0' '\n' <"/proc/$child/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank"; then
      echo "$child"
      return
    fi
  done
}

# wait_for SECONDS COMMAND... : polls COMMAND every 50 ms until it succeeds; fails after SECONDS.
wait_for() {
  local deadline=$(( $(now_ms) + $1 * 1000 )); shift
  until "$@"; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# journal_tasks FILE : how many task lines (not the header) the journal holds.
journal_tasks() { [ -f "$1" ] && echo $(( $(grep -c '' "$1") - 1 )) || echo 0; }
journal_has_tasks() { [ "$(journal_tasks "$1")" -ge "$2" ]; }

# wait_job SECONDS : waits for $job_pid for at most SECONDS; sets $rc (124: still running, killed)
# and $took_ms (from the call).
wait_job() {
  local limit=$1 start; start=$(now_ms)
  local deadline=$(( start + limit * 1000 ))
  while kill -0 "$job_pid" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
  if kill -0 "$job_pid" 2>/dev/null; then
    pkill -KILL -P "$job_pid" 2>/dev/null  # the ranks first, while they are still mpirun's children
    kill -KILL "$job_pid" 2>/dev/null
    wait "$job_pid" 2>/dev/null
    rc=124
  else
    wait "$job_pid"; rc=$?
  fi
  took_ms=$(( $(now_ms) - start ))
}

# The host name as Open MPI and multirank print it.
host_pattern() { echo "($(hostname)|$(hostname -s))"; }

# A --list of COUNT copies of N for factorial.
factorial_list() { python3 -c "import sys; print(','.join([sys.argv[2]] * int(sys.argv[1])))" "$1" "$2"; }
