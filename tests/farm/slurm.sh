#!/usr/bin/env bash
# jobs/farm.sbatch under a real Slurm (the private one-node cluster of tests/slurm/cluster.sh):
# a farm job is cancelled with scancel mid-run (its status file keeps only complete, verified
# records and no task process outlives the job), then a second submission with RESUME=1 finishes
# exactly the missing tasks; a farm reading its list from the job's standard input (TASKS=-,
# sbatch --input) runs every line once under srun. Exit 77 (skipped) when not root or when Slurm
# or munge is not installed.
set -u
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
jobs="$MULTIRANK_SOURCE_DIR/jobs"
check=$here/status_check.py
# shellcheck source=tests/slurm/cluster.sh
source "$MULTIRANK_SOURCE_DIR/tests/slurm/cluster.sh"

cluster_test_begin 200
echo "cluster up in $((SECONDS - start)) s"
cd "$dir/work" || exit 1
mkdir -p logs out in
tag="mrslurm$$"
t="mrslurm$$[-]"   # a pgrep pattern that does not match its own shell's command line

submit() {  # submit VAR=value... -- sbatch options... : sets $job
  local vars=()
  while [ "$1" != "--" ]; do vars+=("$1"); shift; done
  shift
  job=$(env "${vars[@]}" sbatch --parsable --export=ALL -t 5 "$@") || { echo "FAIL - sbatch $*"; exit 1; }
  job=${job%%;*}
}
state_of() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
ended() { local s; s=$(state_of "$1"); [ -n "$s" ] && [ "$s" != PENDING ] && [ "$s" != RUNNING ] && [ "$s" != COMPLETING ]; }

# 1. A farm cancelled mid-run.
for i in $(seq 40); do echo "sleep 0.30$$; echo \$MULTIRANK_TASK:\$(hostname) >> out/\$MULTIRANK_TASK # $tag-a"; done >tasks.txt
submit TASKS=tasks.txt -- -n 2 "$jobs/farm.sbatch"; first=$job
_cluster_wait 60 bash -c '[ "$(cat tasks.status.jsonl 2>/dev/null | wc -l)" -ge 6 ]' ||
  { echo "FAIL - the farm job recorded nothing within 60 s"; squeue; cat logs/*; exit 1; }
scancel "$first"
_cluster_wait 30 ended "$first" || echo "FAIL - job $first still running 30 s after scancel"
cancelled=$(( $(wc -l <tasks.status.jsonl) - 1 ))
expect "scancel: job $first ended CANCELLED" [ "$(state_of "$first")" = CANCELLED ]
expect "scancel: the status file holds only complete, verified records ($cancelled), not all 40" \
  bash -c 'python3 "$1" tasks.status.jsonl >/dev/null && [ "$2" -ge 5 ] && [ "$2" -lt 40 ]' _ "$check" "$cancelled"
expect "scancel: every recorded attempt succeeded (the stop's victims are not recorded)" \
  python3 -c "import json,sys; s=json.loads(sys.argv[1]); assert all(r['exit_code']==0 for r in s['records'])" \
  "$(python3 "$check" tasks.status.jsonl)"
expect "scancel: no task process outlives the job" _cluster_wait 3 bash -c "! pgrep -f '${t}a|sleep 0[.]30$$' >/dev/null"
python3 "$check" tasks.status.jsonl >first.json

# 2. The same submission with RESUME=1 finishes the rest.
submit TASKS=tasks.txt RESUME=1 -- -n 2 "$jobs/farm.sbatch"; second=$job
_cluster_wait 90 ended "$second" || echo "FAIL - job $second did not end within 90 s"
log=$(cat "logs/multirank-farm-$second.out" 2>&1)
expect "resumed job $second COMPLETED, its log says 40 succeeded, $cancelled skipped" \
  bash -c '[ "$1" = COMPLETED ] && grep -q "40 tasks: 40 succeeded, 0 failed, $2 skipped" <<<"$3" &&
           grep -q -- "--resume" <<<"$3"' _ "$(state_of "$second")" "$cancelled" "$log"
expect "resumed: every task ran; those recorded before ran once; the status file has each task once" \
  python3 - "$check" <<'PY'
import json, os, subprocess, sys
recorded = {r["task"] for r in json.load(open("first.json"))["records"]}
s = json.loads(subprocess.run([sys.executable, sys.argv[1], "tasks.status.jsonl"], capture_output=True, check=True).stdout)
assert sorted(r["task"] for r in s["records"]) == list(range(1, 41)), s["records"]
for t in range(1, 41):
    runs = open(f"out/{t}").read().split()
    assert runs and (t not in recorded or len(runs) == 1), (t, runs)
PY

# 3. The list on the job's standard input (TASKS=-): srun --input=0 gives it to rank 0 only.
for i in $(seq 12); do echo "echo \$MULTIRANK_RANK >> in/\$MULTIRANK_TASK"; done >stdin.txt
submit TASKS=- STATUS=stdin.status.jsonl -- -n 3 --input=stdin.txt "$jobs/farm.sbatch"; third=$job
_cluster_wait 60 ended "$third" || echo "FAIL - job $third did not end within 60 s"
expect "TASKS=- job $third COMPLETED: every line once, over 3 ranks, srun got --input=0" \
  bash -c '[ "$1" = COMPLETED ] && [ "$(ls in | wc -l)" -eq 12 ] && [ "$(cat in/* | wc -l)" -eq 12 ] &&
           grep -q -- "--input=0" "logs/multirank-farm-$2.out" && grep -q "12 tasks: 12 succeeded" "logs/multirank-farm-$2.out"' \
  _ "$(state_of "$third")" "$third"
expect "TASKS=-: the status header names standard input" \
  python3 -c "import json,sys; s=json.loads(sys.argv[1]); assert s['header']['tasks']=='-' and len(s['records'])==12" \
  "$(python3 "$check" stdin.status.jsonl)"

echo "farm slurm test: $((SECONDS - start)) s"
finish
