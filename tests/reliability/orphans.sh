#!/usr/bin/env bash
# Item 3 of issue 18: ranks notice their launcher's death. A journaled factorial --list runs on
# 3 ranks and the launcher is SIGKILLed mid-list (a node's daemon or mpirun gone). Within 0.6 s
# every rank has exited, and the journal grows after the kill by less than half a second's worth
# of tasks (its last batch, at most 200 ms old); the ranks used to go on computing and journaling
# for a second or more (hundreds more tasks, at 3 ranks on 2 cores). The journal then stops growing,
# and an immediate --resume either is refused because the journal is in use (its lock is held
# while a writer lives) or goes ahead; the resume then finishes the list with every task
# journaled once and right.
set -u
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
work=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1
count=3000
list=$(factorial_list "$count" 100000)
digits=$(python3 -c 'import math, sys; getattr(sys, "set_int_max_str_digits", print)(0); print(len(str(math.factorial(100000))))' | tail -1)

start_job 3 run "$MULTIRANK_BIN" factorial --list "$list" --journal j.jsonl
wait_for 30 journal_has_tasks j.jsonl 50
t0=$(now_ms); n0=$(journal_tasks j.jsonl)
# A second writer while the first lives: refused, not raced (the journal is locked while open).
RUN_TIMEOUT=20 run_np 1 factorial --list "$list" --journal j.jsonl --resume
expect "a second writer of a journal in use is refused at once (exit 2, one line)" \
  bash -c '[ "$1" -eq 2 ] && grep -q "^multirank factorial: error: journal j.jsonl is in use by another process" <<<"$2"' _ "$rc" "$err"
sleep 0.3
pids=$(launcher_rank_pids "$job_pid")
expect "three ranks found under the launcher ($(echo $pids))" [ "$(wc -w <<<"$pids")" -eq 3 ]
kill -KILL "$job_pid"
killed=$(now_ms); at_kill=$(journal_tasks j.jsonl)
per_second=$(( (at_kill - n0) * 1000 / (killed - t0) ))
wait "$job_pid" 2>/dev/null
all_gone() { local p; for p in $pids; do rank_gone "$p" || return 1; done; }
wait_for 5 all_gone; gone_ms=$(( $(now_ms) - killed ))
after=$(journal_tasks j.jsonl)
echo "ranks gone ${gone_ms} ms after the kill; $at_kill task(s) journaled then, $after after ($per_second tasks/s before)"
expect "every rank exits within 0.6 s of the launcher's death" [ "$gone_ms" -lt 600 ]
expect "the journal gained less than half a second's tasks after the kill" [ $(( (after - at_kill) * 2 )) -lt "$per_second" ]
sleep 0.3
size=$(stat -c %s j.jsonl)
sleep 1
expect "the journal stops growing once the ranks are gone" [ "$(stat -c %s j.jsonl)" -eq "$size" ]

# Resume at once: refused while a writer still holds the journal, never raced.
refusals=0
for attempt in $(seq 1 40); do
  run_np 3 factorial --list "$list" --journal j.jsonl --resume --json
  [ "$rc" -eq 0 ] && break
  expect "a refused resume says the journal is in use (exit 2)" \
    bash -c '[ "$1" -eq 2 ] && grep -q "journal j.jsonl is in use by another process" <<<"$2"' _ "$rc" "$err"
  refusals=$((refusals + 1))
  sleep 0.25
done
echo "resume after $refusals refusal(s): exit $rc"
expect "the resume finishes the list" [ "$rc" -eq 0 ]
expect "the journal holds every task once, each with n!'s digits" python3 - j.jsonl "$count" "$digits" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["MULTIRANK_SOURCE_DIR"], "tests", "support"))
from durable_log import verified  # every line's checksum holds, the resumed ones' too
path, count, digits = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lines = open(path).read().splitlines()
verified(lines[0])
tasks = [verified(l) for l in lines[1:]]
seen = [t["task"] for t in tasks]
assert sorted(seen) == list(range(count)), (len(seen), len(set(seen)))
assert all(t["result"]["digits"] == digits for t in tasks)
PY
finish
