#!/usr/bin/env bash
# multirank farm stopped and resumed: SIGTERM to mpirun (Ctrl-C, scancel) and to every rank at
# once mid-run: the ranks end with 128+n (mpirun reports 1), the status file holds only complete,
# verified records, no task process outlives the job; --resume then runs exactly what is missing
# (nothing twice except attempts in flight at the stop); --retry-failed runs only the failures;
# a lone farm stopped by SIGINT exits 130; a SIGKILLed rank leaves no task behind (background
# grandchildren included).
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$MULTIRANK_SOURCE_DIR/tests/reliability/lib.sh"
M=$MULTIRANK_BIN
check=$here/status_check.py
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
export RUN_TIMEOUT=60
start=$SECONDS
tag="mrstop$$"
# pgrep patterns that do not match the command line of the shell that runs pgrep: [-] matches "-".
t="mrstop$$[-]"
d="0[.]10$$"
host=$(host_pattern)

records() { [ -f "$1" ] && echo $(( $(cat "$1" | wc -l) - 1 )) || echo 0; }

# --- SIGTERM mid-run, then --resume ---------------------------------------------------------------
# Unique sleep durations find the sleeps themselves, not only their shells.
for i in $(seq 60); do echo "sleep 0.10$$; echo \$MULTIRANK_ATTEMPT >> out/\$MULTIRANK_TASK # $tag-a"; done >tasks.txt
for case in "MPIRUN 3 1" "RANKS 2 2"; do
  set -- $case; to=$1; n=$2; k=$3
  rm -rf out s.jsonl; mkdir out
  start_job "$n" "$work/job" "$M" farm tasks.txt --status s.jsonl --per-rank "$k"
  wait_for 30 bash -c '[ "$(cat s.jsonl 2>/dev/null | wc -l)" -ge 9 ]'
  if [ "$to" = RANKS ]; then  # as scancel does
    for r in $(seq 0 $((n - 1))); do kill -TERM "$(rank_pid "$job_pid" "$r")"; done
  else
    kill -TERM "$job_pid"
  fi
  wait_job 30
  err=$(cat "$work/job.err"); out=""
  first=$(records s.jsonl)
  what="SIGTERM to $to, $n rank(s) x $k"
  if [ "$to" = MPIRUN ]; then
    # Open MPI's mpirun reports 1 after the ranks' 128+15; MPICH's Hydra passes the abort's 143 on.
    launcher_rc=1; [ "$MULTIRANK_MPI_VENDOR" = openmpi ] || launcher_rc=143
    expect "$what: the launcher reports $launcher_rc after the ranks' 128+15, within 5 s ($took_ms ms)" \
      bash -c '[ "$1" -eq "$3" ] && [ "$2" -lt 5000 ]' _ "$rc" "$took_ms" "$launcher_rc"
  else
    # Only the ranks signalled (scancel's way): either launcher passes their 128+15 on.
    expect "$what: the launcher passes the ranks' 143 on, within 5 s (exit $rc, $took_ms ms)" \
      bash -c '[ "$1" -eq 143 ] && [ "$2" -lt 5000 ]' _ "$rc" "$took_ms"
  fi
  expect "$what: a rank says it was stopped by SIGTERM" grep -Eq "^multirank: rank [0-9]+ on $host: stopped by SIGTERM$" <<<"$err"
  expect "$what: the status file holds complete, verified records only ($first), and not all 60" \
    bash -c 'python3 "$1" s.jsonl >/dev/null && [ "$2" -ge 8 ] && [ "$2" -lt 60 ]' _ "$check" "$first"
  expect "$what: every recorded attempt succeeded (the stop's victims are not recorded as failures)" \
    python3 -c "import json,sys; s=json.loads(sys.argv[1]); assert all(r['exit_code']==0 for r in s['records']), s" \
    "$(python3 "$check" s.jsonl)"
  expect "$what: no task process outlives the job (1 s after)" wait_for 1 bash -c "! pgrep -f '${t}a|sleep $d' >/dev/null"
  python3 "$check" s.jsonl >first.json
  run_np "$n" farm tasks.txt --status s.jsonl --resume --per-rank "$k"
  expect "$what, resumed: exit 0, 60 succeeded, $first skipped" \
    bash -c '[ "$1" -eq 0 ] && grep -q "60 tasks: 60 succeeded, 0 failed, $2 skipped" <<<"$3"' _ "$rc" "$first" "$err"
  expect "$what, resumed: nothing missing; recorded tasks ran once; a task ran twice only if it was in flight at the stop (at most $((n * k)))" \
    python3 - "$n" "$k" <<'PY'
import json, os, sys
n, k = int(sys.argv[1]), int(sys.argv[2])
recorded = {r["task"] for r in json.load(open("first.json"))["records"]}
twice = []
for t in range(1, 61):
    runs = open(f"out/{t}").read().split() if os.path.exists(f"out/{t}") else []
    assert runs, f"task {t} never ran"
    if t in recorded:
        assert len(runs) == 1, (t, runs)
    elif len(runs) > 1:
        twice.append(t)
assert len(twice) <= n * k, twice
print(f"ran twice: {twice}")
PY
  expect "$what, resumed: the status file now has every task once, all attempt 1" \
    python3 -c "import json,sys; s=json.loads(sys.argv[1]); t=sorted(r['task'] for r in s['records']); assert t==list(range(1,61)) and all(r['attempt']==1 for r in s['records']), t" \
    "$(python3 "$check" s.jsonl)"
done

# --- --retry-failed runs only the failures ---------------------------------------------------------
for i in $(seq 12); do
  if [ $((i % 4)) -eq 0 ]; then echo "echo \$MULTIRANK_ATTEMPT >> rf/\$MULTIRANK_TASK; [ -e fixed ]"
  else echo "echo \$MULTIRANK_ATTEMPT >> rf/\$MULTIRANK_TASK"; fi
done >rf.txt
mkdir rf
run_np 2 farm rf.txt --status rf.jsonl
expect "retry-failed, first run: exit 1, tasks 4, 8, 12 failed" \
  bash -c '[ "$1" -eq 1 ] && grep -q "12 tasks: 9 succeeded, 3 failed (first failing lines: 4, 8, 12)" <<<"$2"' _ "$rc" "$err"
touch fixed
run_np 2 farm rf.txt --status rf.jsonl --resume
expect "--resume alone: recorded failures count as done (nothing runs, exit 1)" \
  bash -c '[ "$1" -eq 1 ] && grep -q "12 tasks: 9 succeeded, 3 failed (first failing lines: 4, 8, 12), 12 skipped (recorded before); 0 attempts run" <<<"$2"' _ "$rc" "$err"
run_np 2 farm rf.txt --status rf.jsonl --resume --retry-failed
expect "--retry-failed: exit 0, only the 3 failures ran again, as attempt 2" \
  bash -c '[ "$1" -eq 0 ] && grep -q "12 tasks: 12 succeeded, 0 failed, 9 skipped (recorded before); 3 attempts run" <<<"$2" &&
           [ "$(cat rf/4 rf/8 rf/12 | tr "\n" " ")" = "1 2 1 2 1 2 " ] && [ "$(cat rf/1 rf/5 | tr "\n" " ")" = "1 1 " ]' _ "$rc" "$err"
sed -i '5s/.*/echo edited >> rf\/5/' rf.txt
run_np 2 farm rf.txt --status rf.jsonl --resume
expect "--resume after editing line 5: only that line runs again" \
  bash -c '[ "$1" -eq 0 ] && grep -q "1 attempts run" <<<"$2" && [ "$(cat rf/5 | tr "\n" " ")" = "1 edited " ]' _ "$rc" "$err"

# --- a lone farm and SIGINT (Ctrl-C) -------------------------------------------------------------
for i in $(seq 20); do echo "sleep 0.20$$ # $tag-c"; done >alone.txt
"$M" farm alone.txt --status alone.jsonl >/dev/null 2>"$work/alone.err" &
job_pid=$!
wait_for 30 bash -c '[ "$(cat alone.jsonl 2>/dev/null | wc -l)" -ge 3 ]'
kill -INT "$job_pid"
wait_job 20
expect "SIGINT to a lone farm: exit 130, 'stopped by SIGINT', status verified, no task left" \
  bash -c '[ "$1" -eq 130 ] && grep -q "stopped by SIGINT" "$2" && python3 "$3" alone.jsonl >/dev/null' _ "$rc" "$work/alone.err" "$check"
expect "SIGINT: no task process left (1 s after)" wait_for 1 bash -c "! pgrep -f '${t}c|sleep 0[.]20$$' >/dev/null"

# --- a SIGKILLed rank takes its tasks along, background grandchildren included --------------------
for i in $(seq 8); do echo "sleep 60.0$$ & sleep 61.0$$ # $tag-k"; done >kill.txt
start_job 2 "$work/kill" "$M" farm kill.txt --per-rank 2
wait_for 30 bash -c "[ \$(pgrep -fc 'sleep 6[01][.]0$$') -ge 8 ]"
victim=$(rank_pid "$job_pid" 1)
kill -KILL "$victim"
wait_job 30
expect "rank 1 SIGKILLed: the job ends (exit $rc, $took_ms ms)" bash -c '[ "$1" -ne 0 ] && [ "$1" -ne 124 ]' _ "$rc"
expect "rank 1 SIGKILLed: no task of either rank is left, nor their background sleeps (2 s after)" \
  wait_for 2 bash -c "! pgrep -f '${t}k|sleep 6[01][.]0$$' >/dev/null"
expect "rank 1 SIGKILLed: no task spawner is left" bash -c '! pgrep -f "multirank-farm-spawner $1 " >/dev/null' _ "$victim"

echo "stops.sh: $((SECONDS - start)) s"
finish
