#!/usr/bin/env bash
# Rank 1 throws while the other ranks are finishing: every job must end, non-zero, with the
# message, however the abort and the others' exit interleave. Two jobs at a time, for load.
# Usage: abort_while_finishing.sh PROGRAM [ROUNDS]
set -u
exe=$1
rounds=${2:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for round in $(seq 1 "$rounds"); do
  for job in 1 2; do
    (timeout -k 2 8 "${MPIEXEC:-mpirun}" -n 3 $MPIEXEC_OVERSUBSCRIBE "$exe" late >"$work/$job.out" 2>&1
     echo $? >"$work/$job.rc") &
  done
  wait
  for job in 1 2; do
    rc=$(cat "$work/$job.rc")
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
      echo "FAIL: round $round, job $job did not end (rc=$rc)"; fail=1
    elif [ "$rc" -eq 0 ]; then
      echo "FAIL: round $round, job $job exited 0"; fail=1
    elif ! grep -q "multirank: rank 1 on .*: deliberate failure on rank one" "$work/$job.out"; then
      echo "FAIL: round $round, job $job: message missing"; cat "$work/$job.out"; fail=1
    fi
  done
done
[ "$fail" -eq 0 ] && echo "PASS: $rounds rounds of two jobs"
exit $fail
