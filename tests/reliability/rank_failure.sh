#!/usr/bin/env bash
# A worker rank fails while rank 0 runs a pool map: a thread that throws (std::terminate), an
# exception out of main's body, a crash (SIGSEGV). The job ends within 10 s, non-zero, with a
# message naming the rank and the host. Usage: rank_failure.sh reliability_fault
set -u
fault=$1
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
host=$(host_pattern)

check() {  # check N MODE RANK PATTERN
  local n=$1 mode=$2 victim=$3 pattern=$4
  start_job "$n" "$work/$mode$n" "$fault" "$mode" "$victim"
  wait_job 30
  local err; err=$(cat "$work/$mode$n.err")
  out=$(cat "$work/$mode$n.out")
  echo "$mode on rank $victim of $n: exit $rc after ${took_ms} ms"
  expect "$mode, $n ranks: the job ends (no hang)" [ "$rc" -ne 124 ]
  expect "$mode, $n ranks: non-zero exit" [ "$rc" -ne 0 ]
  # The fault comes 0.4 s after the start; mpirun's start-up is counted too.
  expect "$mode, $n ranks: ends within 10 s" [ "$took_ms" -lt 10000 ]
  expect "$mode, $n ranks: the map never finished" bash -c '! grep -q "map finished" <<<"$1"' _ "$out"
  if [ "$pattern" = "signal 11" ]; then
    expect "$mode, $n ranks: the launcher reports rank $victim's crash and the host" \
      launcher_names_death "$victim" 11 "$out$err"
  else
    expect "$mode, $n ranks: the message names rank $victim and the host" grep -Eq "$pattern" <<<"$err"
  fi
}

check 3 thread-throws 2 "^multirank: rank 2 on $host: worker thread failed on rank 2$"
check 4 thread-throws 1 "^multirank: rank 1 on $host: worker thread failed on rank 1$"
check 2 main-throws 1 "^multirank: rank 1 on $host: main failed on rank 1$"
check 4 main-throws 3 "^multirank: rank 3 on $host: main failed on rank 3$"
if [ "$MULTIRANK_MPI_VENDOR" = openmpi ]; then
  # The ranks mpirun stops after a failure say which rank failed first and why (its notice).
  expect "thread-throws, 3 ranks: rank 0 says rank 2 failed first, and why" \
    grep -Eq "^multirank: rank 0 on $host: stopped by SIGTERM after rank 2 on $host failed first: worker thread failed on rank 2$" "$work/thread-throws3.err"
  expect "main-throws, 2 ranks: rank 0 says rank 1 failed first, and why" \
    grep -Eq "^multirank: rank 0 on $host: stopped by SIGTERM after rank 1 on $host failed first: main failed on rank 1$" "$work/main-throws2.err"
fi
check 3 segv 1 "signal 11"
if [ "$MULTIRANK_MPI_VENDOR" = openmpi ]; then
  # A crash leaves no message of its own: the launcher names the rank, and rank 0's own line must
  # say that multirank stopped it (the launcher's line alone comes with any program). Hydra
  # SIGKILLs the other ranks, so there is no such line on MPICH.
  expect "segv, 3 ranks: multirank's own line says rank 0 was stopped" \
    grep -Eq "^multirank: rank 0 on $host: stopped by SIGTERM$" "$work/segv3.err"
fi
finish
