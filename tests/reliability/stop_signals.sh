#!/usr/bin/env bash
# SIGTERM and SIGINT to mpirun (what scancel and Ctrl-C do) while a journaled factorial --list
# runs: the job exits non-zero within 5 s with "stopped by" on rank 0, and the journal holds only
# complete lines, each a finished task with its right result; sent to every rank at once (as
# scancel does), no task is journaled after the stop. Then the flush is made slow (300 ms) on
# rank 0 while the other ranks abort at once: Open MPI relays their abort to rank 0 as a second
# SIGTERM, which must not cut the flush short.
# Usage: stop_signals.sh reliability_fault
#
# Open MPI (4.1) forwards SIGTERM/SIGINT to the ranks as SIGTERM and sends SIGKILL
# odls_base_sigkill_timeout (1 s) later: a flush must finish within that second.
set -u
fault=$1
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
host=$(host_pattern)
list=$(factorial_list 400 100000)
digits=$(python3 -c 'import math, sys; getattr(sys, "set_int_max_str_digits", print)(0); print(len(str(math.factorial(100000))))' | tail -1)

# TERM/INT go to mpirun; RANKS sends SIGTERM to every rank at once, as Slurm's scancel does.
for case in "TERM 3" "INT 3" "TERM 2" "INT 4" "RANKS 3"; do
  set -- $case; sig=$1; n=$2
  journal=$work/$sig$n.jsonl
  start_job "$n" "$work/$sig$n" "$MULTIRANK_BIN" factorial --list "$list" --journal "$journal"
  wait_for 30 journal_has_tasks "$journal" 2
  if [ "$sig" = RANKS ]; then
    for r in $(seq 0 $((n - 1))); do kill -TERM "$(rank_pid "$job_pid" "$r")"; done
    sig=TERM
  else
    kill -"$sig" "$job_pid"
  fi
  wait_job 30
  if [ "$case" = "RANKS $n" ]; then
    # Unstopped, the pool would finish the 400 tasks within the 5 s the job is given.
    expect "SIGTERM to the ranks: dispatching stopped (the list was not finished)" \
      [ "$(journal_tasks "$journal")" -lt 400 ]
  fi
  err=$(cat "$work/$sig$n.err"); out=$(cat "$work/$sig$n.out")
  echo "$case: exit $rc after ${took_ms} ms, $(journal_tasks "$journal") task(s) journaled"
  expect "SIG$sig, $n ranks: non-zero exit, no hang" bash -c "[ $rc -ne 0 ] && [ $rc -ne 124 ]"
  expect "SIG$sig, $n ranks: ends within 5 s" [ "$took_ms" -lt 5000 ]
  expect "SIG$sig, $n ranks: rank 0 says it was stopped (after its flush)" \
    grep -Eq "^multirank: rank 0 on $host: stopped by SIG(TERM|INT)$" <<<"$err"
  expect "SIG$sig, $n ranks: the journal holds only complete lines of finished tasks" \
    python3 - "$journal" "$digits" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["MULTIRANK_SOURCE_DIR"], "tests", "support"))
from durable_log import verified  # each line carries the CRC-32 of its text without the crc32 member
path, digits = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
assert data.endswith(b"\n"), "the last line is torn"
lines = data.decode().splitlines()
head = verified(lines[0])
assert head["multirank_journal"] == 2 and head["command"] == "factorial", head
seen = set()
for line in lines[1:]:
    entry = verified(line)
    assert entry["result"]["digits"] == digits and entry["key"] == {"n": 100000}, entry
    assert 0 <= entry["task"] < 400 and entry["task"] not in seen, entry
    seen.add(entry["task"])
assert 2 <= len(seen) < 400, len(seen)
PY
  expect "SIG$sig, $n ranks: the job did not finish the list" [ "$(journal_tasks "$journal")" -lt 400 ]
done

# A slow flush (300 ms) on rank 0 survives the other ranks' aborts: with SIGTERM sent to every
# rank at once (scancel), ranks 1.. have nothing to flush and abort at once, and Open MPI relays
# that to rank 0 as a second SIGTERM in the middle of its flush.
for case in "RANKS 3" "RANKS 2" "MPIRUN 3"; do
  set -- $case; to=$1; n=$2
  flag=$work/flushed$to$n
  start_job "$n" "$work/slow$to$n" "$fault" slow-flush "$flag" 300
  wait_for 30 bash -c "[ \$(grep -c ready '$work/slow$to$n.out') -eq $n ]"
  sleep 0.2
  if [ "$to" = RANKS ]; then
    for r in $(seq 0 $((n - 1))); do kill -TERM "$(rank_pid "$job_pid" "$r")"; done
  else
    kill -TERM "$job_pid"
  fi
  wait_job 30
  err=$(cat "$work/slow$to$n.err"); out=$(cat "$work/slow$to$n.out")
  echo "slow flush, SIGTERM to $to, $n ranks: exit $rc after ${took_ms} ms"
  expect "slow flush, $to, $n ranks: non-zero exit within 5 s" bash -c "[ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $took_ms -lt 5000 ]"
  expect "slow flush, $to, $n ranks: the 300 ms flush on rank 0 completed" grep -qx flushed "$flag"
  expect "slow flush, $to, $n ranks: rank 0 says it was stopped" grep -Eq "^multirank: rank 0 on $host: stopped by SIGTERM$" <<<"$err"
done
finish
