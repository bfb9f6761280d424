#!/usr/bin/env bash
# An exception on rank 1 of 3 ends the whole job in under 10 s, non-zero, with that rank's message.
set -u
exe=$1
start=$(date +%s%N)
err=$(timeout -k 5 30 "${MPIEXEC:-mpirun}" -n 3 $MPIEXEC_OVERSUBSCRIBE "$exe" 2>&1 >/dev/null)
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "exit=$rc elapsed=${elapsed_ms}ms"
echo "$err" | head -5
fail=0
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || { echo "FAIL: expected a non-zero exit without timeout, got $rc"; fail=1; }
[ "$elapsed_ms" -lt 10000 ] || { echo "FAIL: took ${elapsed_ms}ms"; fail=1; }
echo "$err" | grep -q "multirank: rank 1 on .*: deliberate failure on rank one" || { echo "FAIL: message missing"; fail=1; }
exit $fail
