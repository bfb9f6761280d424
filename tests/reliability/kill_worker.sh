#!/usr/bin/env bash
# SIGKILL one worker rank in the middle of a pool map (factorial --list, journaled so that the
# map is known to be under way) at 2, 3 and 4 ranks: the job ends within 10 s, non-zero; rank 0's
# own line says multirank stopped it (the stop handler ran, so its journal is sealed: every line
# complete), and mpirun names the killed rank and the host. mpirun's line alone would prove
# nothing of multirank: any program killed under mpirun gets it.
set -u
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
host=$(host_pattern)
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
  if [ "$MULTIRANK_MPI_VENDOR" = openmpi ]; then
    # mpirun's line comes with any program; multirank's own (mpirun sends the others SIGTERM)
    # and a sealed journal are what this program must add. Hydra SIGKILLs the others at once.
    expect "$n ranks: multirank's own line says rank 0 was stopped" \
      grep -Eq "^multirank: rank 0 on $host: stopped by SIGTERM$" <<<"$err"
    expect "$n ranks: the journal is sealed (every line complete, its checksum right)" journal_sealed "$journal"
  fi
  expect "$n ranks: the list did not complete" [ "$(journal_tasks "$journal")" -lt 400 ]
  expect "$n ranks: no rank outlives the job (1 s after)" wait_for 1 bash -c "! pgrep -f -- '--journa[l] $journal' >/dev/null"
  # What the journal kept is trusted and the rest runs again, on either launcher (Hydra leaves
  # at most a torn last line, which the resume drops).
  run_np "$n" factorial --list "$list" --journal "$journal" --resume
  sealed=no; journal_sealed "$journal" 2>/dev/null && sealed=yes
  expect "$n ranks: --resume finishes the list (exit 0, every task journaled once, checksums right)" \
    bash -c '[ "$1" -eq 0 ] && [ "$2" -eq 400 ] && [ "$3" = yes ]' _ "$rc" "$(journal_tasks "$journal")" "$sealed"
done
finish
