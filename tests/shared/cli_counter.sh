#!/usr/bin/env bash
# `multirank counter` and `multirank bench shared` end to end: exact totals with the lock and with
# atomics, local copies that never add up, ops/s printed, and usage errors exiting 2 on every rank.
set -u
# shellcheck source=../e2e/lib.sh
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"

field() { jq -r "$1" <<<"$out"; }

for np in 1 3 4; do
  for mode in lock atomic; do
    run_np "$np" counter --increments 20000 --mode "$mode" --json
    expect "$mode on $np rank(s) exits 0" test "$rc" -eq 0
    expect "$mode on $np rank(s): total is exactly P*N" test "$(field .total)" = "$((np * 20000))"
    expect "$mode on $np rank(s): reports exact" test "$(field .exact)" = "true"
    expect "$mode on $np rank(s): ops/s is positive" jq -e '.ops_per_s > 0' <<<"$out"
  done
  run_np "$np" counter --increments 20000 --mode local --json
  expect "local on $np rank(s) exits 0" test "$rc" -eq 0
  expect "local on $np rank(s): rank 0's total is only its own" test "$(field .total)" = "20000"
  expect "local on $np rank(s): every rank counted its own N" \
    test "$(field '[.counts[] | select(. == 20000)] | length')" = "$np"
done

run_np 2 counter --increments 5000 --mode local
expect "local text says the other ranks' increments never reach rank 0" \
  grep -q "only its own copy; 5000 increments by the other ranks never reach it" <<<"$out"
run_np 2 counter --increments 5000 --mode lock
expect "lock text shows the exact total and a rate" \
  bash -c 'grep -q "total on rank 0: 10000 (expected 10000: exact)" <<<"$1" && grep -q "increments/s" <<<"$1"' _ "$out"

for bad in "--increments 0" "--increments -3" "--mode shared" "--increments 9223372036854775807"; do
  # shellcheck disable=SC2086
  run_np 3 counter $bad
  expect "counter $bad exits 2" test "$rc" -eq 2
  expect "counter $bad prints one error line" test "$(grep -c 'error' <<<"$err")" -eq 1
done

run_np 2 bench shared --json --ops 2000 --lock-ops 500 --reps 1
expect "bench shared exits 0" test "$rc" -eq 0
expect "bench shared prints its three figures" test "$(jq -s 'map(.bench) | join(",")' <<<"$out")" = \
  '"shared_fetch_add,shared_fetch_add_same_window,shared_lock_increment"'
expect "bench shared rates are positive" jq -s -e 'all(.ours > 0 and .baseline > 0)' <<<"$out"
run_np 2 bench shared --ops 0
expect "bench shared --ops 0 exits 2" test "$rc" -eq 2

finish
