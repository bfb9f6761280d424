#!/usr/bin/env bash
# SIGKILL one worker rank in the middle of a pool map (factorial --list, journaled so that the
# map is known to be under way) at 2, 3 and 4 ranks: the job ends within 10 s, non-zero, and
# mpirun names the rank and the host.
set -u
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
list=$(factorial_list 400 100000)

for n in 2 3 4; do
  victim=$((n - 1))
  journal=$work/j$n.jsonl
  start_job "$n" "$work/kill$n" "$MULTIRANK_BIN" factorial --list "$list" --journal "$journal"
  wait_for 30 journal_has_tasks "$journal" 1
  expect "$n ranks: the map is under way (tasks in the journal)" journal_has_tasks "$journal" 1
  pid=$(rank_pid "$job_pid" "$victim")
  expect "$n ranks: rank $victim's process is found" [ -n "$pid" ]
  [ -n "$pid" ] && kill -KILL "$pid"
  wait_job 30
  err=$(cat "$work/kill$n.err"); out=$(cat "$work/kill$n.out")
  echo "$n ranks: killed rank $victim (pid $pid): exit $rc after ${took_ms} ms"
  expect "$n ranks: the job ends (no hang)" [ "$rc" -ne 124 ]
  expect "$n ranks: non-zero exit" [ "$rc" -ne 0 ]
  expect "$n ranks: ends within 10 s of the kill" [ "$took_ms" -lt 10000 ]
  expect "$n ranks: the launcher reports the killed rank and the host" \
    launcher_names_death "$victim" 9 "$out$err"
  expect "$n ranks: the list did not complete" [ "$(journal_tasks "$journal")" -lt 400 ]
  expect "$n ranks: no rank outlives the job (1 s after)" wait_for 1 bash -c "! pgrep -f -- '--journa[l] $journal' >/dev/null"
done
finish
