# Helpers for the reliability scripts: start a job in the background, find a rank's process,
# wait for progress, time the end. Sourced after tests/e2e/lib.sh (run_np, expect, finish).

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# start_job N LOGPREFIX ARGS... : starts the launcher with N ranks of ARGS in the background
# (stdout and stderr to LOGPREFIX.out/.err); sets $job_pid (the launcher's pid).
start_job() {
  local n=$1 log=$2; shift 2
  # Not through mpi_run: a function in the background is a subshell, and $! must be the launcher.
  # shellcheck disable=SC2086
  "$MPIEXEC" -n "$n" $MPIEXEC_OVERSUBSCRIBE "$@" >"$log.out" 2>"$log.err" &
  job_pid=$!
}

# rank_pid LAUNCHER_PID RANK : the pid of that rank's process on this host; empty if none yet.
rank_pid() { launcher_rank_pid "$@"; }

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
# journal_sealed FILE : every line of the journal is complete and carries a checksum that holds
# (tests/support/durable_log.py), the last one ended by its newline.
journal_sealed() {
  python3 - "$1" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["MULTIRANK_SOURCE_DIR"], "tests", "support"))
from durable_log import verified
data = open(sys.argv[1], "rb").read()
assert data.endswith(b"\n"), "the last line is torn"
for line in data.decode().splitlines():
    verified(line)
PY
}

# wait_job SECONDS : waits for $job_pid for at most SECONDS; sets $rc (124: still running, killed)
# and $took_ms (from the call).
wait_job() {
  local limit=$1 start; start=$(now_ms)
  local deadline=$(( start + limit * 1000 ))
  while kill -0 "$job_pid" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
  if kill -0 "$job_pid" 2>/dev/null; then
    local r
    for r in $(launcher_rank_pids "$job_pid"); do kill -KILL "$r" 2>/dev/null; done  # the ranks first
    kill -KILL "$job_pid" 2>/dev/null
    wait "$job_pid" 2>/dev/null
    rc=124
  else
    wait "$job_pid"; rc=$?
  fi
  took_ms=$(( $(now_ms) - start ))
}

# launcher_names_death RANK SIGNAL TEXT : whether TEXT (the launcher's stdout and stderr) has the
# launcher's own report of a rank that a signal ended, naming the host. Open MPI's mpirun names
# the rank; MPICH's Hydra names only a pid and the host, and which of the processes it killed
# it reports first varies, so the signal and the host are what it can be held to.
launcher_names_death() {
  local rank=$1 signal=$2 text=$3 host; host=$(host_pattern)
  if [ "$MULTIRANK_MPI_VENDOR" = openmpi ]; then
    grep -Eq "process rank $rank with PID [0-9]+ on node $host exited on signal $signal" <<<"$text"
  else
    grep -Eq "PID [0-9]+ RUNNING AT $host" <<<"$text" && grep -q "(signal $signal)" <<<"$text"
  fi
}

# The host name as the launcher and multirank print it.
host_pattern() { echo "($(hostname)|$(hostname -s))"; }

# A --list of COUNT copies of N for factorial.
factorial_list() { python3 -c "import sys; print(','.join([sys.argv[2]] * int(sys.argv[1])))" "$1" "$2"; }

# in_private_mounts "$@" : re-runs the calling script inside its own mount namespace (unshare -m,
# private propagation), so every mount it makes disappears with it; exits 77 (skip) saying why
# when that is not possible (not root, no unshare). Call it first thing in the script.
in_private_mounts() {
  [ -n "${MULTIRANK_PRIVATE_MOUNTS:-}" ] && return 0
  if ! command -v unshare >/dev/null 2>&1; then echo "SKIP: unshare is not installed"; exit 77; fi
  if ! unshare -m --propagation private true 2>/dev/null; then
    echo "SKIP: cannot make a mount namespace (unshare -m needs root or CAP_SYS_ADMIN)"; exit 77
  fi
  MULTIRANK_PRIVATE_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
}

# mount_tmpfs DIR SIZE : a tmpfs of SIZE on DIR; exits 77 (skip) when it cannot be mounted.
mount_tmpfs() {
  mkdir -p "$1"
  mount -t tmpfs -o "size=$2" tmpfs "$1" 2>/dev/null || { echo "SKIP: cannot mount a tmpfs on $1"; exit 77; }
}

# mount_read_only DIR : DIR becomes a read-only bind mount of itself (root writes through chmod
# 555, not through a read-only mount); exits 77 (skip) when it cannot.
mount_read_only() {
  mount --bind "$1" "$1" 2>/dev/null && mount -o remount,bind,ro "$1" 2>/dev/null ||
    { echo "SKIP: cannot make a read-only bind mount of $1"; exit 77; }
}

# rank_gone PID : the process has exited (gone, or a zombie waiting to be reaped).
rank_gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# fill_up DIR : fills the filesystem of DIR until it is full (the filler file stays).
fill_up() { dd if=/dev/zero of="$1/.filler" bs=4k >/dev/null 2>&1; true; }
