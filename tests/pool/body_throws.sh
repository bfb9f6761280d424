#!/usr/bin/env bash
# A throwing pool body never hangs: uncaught, the job ends with the message; caught, every rank
# leaves the pool and exits 0. Usage: body_throws.sh PROGRAM
set -u
prog=$1
mpiexec=${MPIEXEC:-mpirun}
fail() { echo "FAIL: $*"; exit 1; }

start=$(date +%s)
out=$(timeout -k 5 30 "$mpiexec" -n 3 $MPIEXEC_OVERSUBSCRIBE "$prog" abort 2>&1); rc=$?
took=$(( $(date +%s) - start ))
echo "$out"
[ "$rc" -ne 0 ] || fail "an uncaught body exception must fail the job"
[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || fail "the job hung (rc=$rc)"
[ "$took" -le 10 ] || fail "the job took ${took}s to end"
grep -q "the body failed on purpose" <<<"$out" || fail "the message is missing"

out=$(timeout -k 5 30 "$mpiexec" -n 3 $MPIEXEC_OVERSUBSCRIBE "$prog" catch 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 0 ] || fail "with the exception caught, the job must exit 0 (rc=$rc)"
grep -q "rank 0 caught: the body failed on purpose" <<<"$out" || fail "rank 0 did not see the exception"
for r in 0 1 2; do grep -q "rank $r left the pool" <<<"$out" || fail "rank $r did not leave the pool"; done
echo "PASS"
