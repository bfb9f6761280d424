#!/usr/bin/env bash
# The jobs/ scripts against a real Slurm: starts munged, slurmctld and slurmd for this host (a private
# configuration in a scratch directory, see cluster.sh), waits for the node to be idle, submits
# run.sbatch (srun --mpi=pmix and mpirun), strong-scaling.sbatch twice (appending), weak-scaling.sbatch
# and sweep-nodes.sh (NODES=1, with its dependent report job) on small sizes, plus strong- and
# weak-scaling.sbatch with PROGRAM (a study of the tests' own MPI program, launched with srun by
# the driver in the batch script), waits for them with a bound, and checks the outcomes: every job COMPLETED, logs naming their job id with start and end,
# valid HDF5 study files carrying the job ids, report tables and plots. The daemons are stopped by
# pid on every exit. Exit 77 (skipped) when not root or when Slurm or munge is not installed.
set -u
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
jobs="$MULTIRANK_SOURCE_DIR/jobs"
h5summary="$MULTIRANK_SOURCE_DIR/tests/multihost/h5summary.py"
# shellcheck source=tests/slurm/cluster.sh
source "$here/cluster.sh"

cluster_test_begin 230
PY=/usr/bin/python3  # Debian's, with h5py
for tool in h5dump python3 gnuplot; do
  command -v "$tool" >/dev/null || { echo "FAIL - $tool is missing (scripts/test.sh installs it)"; exit 1; }
done
echo "cluster up in $((SECONDS - start)) s: node $(hostname -s), $(scontrol show node "$(hostname -s)" | grep -o 'CPUTot=[0-9]*')"
cd "$dir/work" || exit 1
mkdir -p logs

# Dry runs print the commands and submit nothing.
out=$(DRY_RUN=1 NODES="1 2 4" TASKS_PER_NODE=4 SWEEP_DIR=results/dry "$jobs/sweep-nodes.sh" 2>&1); rc=$?
expect "sweep-nodes.sh dry run: one sbatch per node count, then the report after all of them" \
  python3 - "$out" <<'PY'
import re, sys
lines = [l for l in sys.argv[1].splitlines() if l.startswith("+ ")]
assert len(lines) == 4, lines
for line, (n, t) in zip(lines, [(1, 4), (2, 8), (4, 16)]):
    assert f" -N {n} -n {t} --ntasks-per-node=4 " in line and line.endswith("strong-scaling.sbatch"), line
    assert f"OUTPUT=results/dry/nodes-{n}.h5" in line and f"RANKS={t}" in line, line
assert "--dependency=afterok:job-nodes-1:job-nodes-2:job-nodes-4" in lines[3], lines[3]
assert "--kill-on-invalid-dep=yes" in lines[3] and lines[3].endswith("report.sbatch"), lines[3]
assert "REPORT_FILES=results/dry/nodes-1.h5\\ results/dry/nodes-2.h5\\ results/dry/nodes-4.h5" in lines[3], lines[3]
PY
expect "sweep-nodes.sh dry run submitted nothing" bash -c '[ "$1" -eq 0 ] && [ -z "$(squeue -h)" ] && [ ! -e results ]' _ "$rc"
out=$(DRY_RUN=1 APP=factorial APP_ARGS="--list 5,200" NTASKS=6 bash "$jobs/run.sbatch" 2>&1)
expect "run.sbatch dry run: srun --mpi=pmix -n NTASKS with the app and its options" \
  grep -Eq '^\+ srun --mpi=pmix -n 6 .*multirank factorial --list 5,200 --output results/factorial-local.h5 --append$' <<<"$out"
out=$(DRY_RUN=1 LAUNCHER=mpirun MPIRUN_ARGS="--bind-to core" OUTPUT='' bash "$jobs/run.sbatch" 2>&1)
expect "run.sbatch dry run: LAUNCHER=mpirun, no output file" \
  grep -Eq '^\+ mpirun -n 4 --bind-to core .*multirank rangesum --n 1000000000 --kernel heavy$' <<<"$out"
out=$(DRY_RUN=1 NTASKS=6 bash "$jobs/strong-scaling.sbatch" 2>&1)
expect "strong-scaling.sbatch dry run: ranks 1,2,4,6 by default, then the report" \
  bash -c 'grep -Eq "study rangesum .* --ranks 1,2,4,6 --reps 5 --mode strong --output results/rangesum-strong.h5$" <<<"$1" &&
           grep -q "report results/rangesum-strong.h5 --plots results/rangesum-strong-report/plots > results/rangesum-strong-report/report.txt" <<<"$1"' _ "$out"
out=$(DRY_RUN=1 NTASKS=4 PROGRAM=/opt/solver PROGRAM_ARGS="--cells {p}000" EXEC_ARGS="--metric json:seconds" \
  bash "$jobs/weak-scaling.sbatch" 2>&1)
want='study --ranks 1,2,4 --reps 5 --mode weak --output results/solver-weak.h5 exec --launcher srun\ --mpi=pmix\ -n\ \{p\} --metric json:seconds -- /opt/solver --cells \{p\}000'
expect "weak-scaling.sbatch dry run with PROGRAM: the driver itself (no srun around it) launches with srun" \
  bash -c 'grep -qxF "+ $MULTIRANK_BIN $2" <<<"$1"' _ "$out" "$want"
out=$(LAUNCHER=ssh DRY_RUN=1 bash "$jobs/run.sbatch" 2>&1); rc=$?
expect "run.sbatch refuses an unknown LAUNCHER with one line, exit 2" \
  bash -c '[ "$2" -eq 2 ] && [ "$(wc -l <<<"$1")" -eq 1 ] && grep -q "LAUNCHER is srun or mpirun" <<<"$1"' _ "$out" "$rc"

# Real jobs, small sizes, a time limit on each.
submit() {  # submit VAR=value... -- sbatch options... : sets $job
  local vars=()
  while [ "$1" != "--" ]; do vars+=("$1"); shift; done
  shift
  job=$(env "${vars[@]}" sbatch --parsable --export=ALL -t 5 "$@") || { echo "FAIL - sbatch $*"; exit 1; }
  job=${job%%;*}
}
submit APP=rangesum APP_ARGS="--n 200003 --lo -7 --pattern pool --json" OUTPUT=results/run.h5 -- \
  -n 4 "$jobs/run.sbatch"; job_srun=$job
submit LAUNCHER=mpirun APP=factorial APP_ARGS="--list 5,200,1000,7 --check --json" OUTPUT=results/run-mpirun.h5 -- \
  -n 2 "$jobs/run.sbatch"; job_mpirun=$job
submit APP=rangesum APP_ARGS="--n 100000 --pattern scatter-gather" RANKS=1,2,4 REPS=2 OUTPUT=results/strong.h5 -- \
  -n 4 "$jobs/strong-scaling.sbatch"; job_strong1=$job
submit APP=rangesum APP_ARGS="--n 100000 --pattern scatter-gather" RANKS=1,2,4 REPS=2 OUTPUT=results/strong.h5 -- \
  -n 4 --dependency=afterany:"$job_strong1" "$jobs/strong-scaling.sbatch"; job_strong2=$job
submit APP=imbalance APP_ARGS="--tasks 1:20K:1,2:5K:0,3:40K:2,4:1K:0 --no-sequential" RANKS=1,2 REPS=1 \
  OUTPUT=results/weak.h5 -- -n 2 "$jobs/weak-scaling.sbatch"; job_weak=$job
exec_work="$MULTIRANK_BINARY_DIR/bin/exec_work"
submit PROGRAM="$exec_work" PROGRAM_ARGS="--work 20" EXEC_ARGS="--metric json:seconds --expect work.done" \
  RANKS=1,2,4 REPS=2 OUTPUT=results/program.h5 -- -n 4 "$jobs/strong-scaling.sbatch"; job_program=$job
submit PROGRAM="$exec_work" PROGRAM_ARGS="--work {p}0" RANKS=1,2 REPS=2 OUTPUT=results/program-weak.h5 -- \
  -n 2 "$jobs/weak-scaling.sbatch"; job_program_weak=$job
sweep_out=$(NODES=1 TASKS_PER_NODE=4 APP=rangesum APP_ARGS="--n 100000 --pattern pool" REPS=2 \
  SWEEP_DIR=results/sweep SBATCH_ARGS="-t 5" "$jobs/sweep-nodes.sh" 2>&1)
echo "$sweep_out"
mapfile -t sweep_jobs < <(cat results/sweep/jobs.txt 2>/dev/null)
expect "sweep-nodes.sh submitted the study and its report job" [ "${#sweep_jobs[@]}" -eq 2 ]
job_sweep=${sweep_jobs[0]:-0}; job_report=${sweep_jobs[1]:-0}
expect "sweep-nodes.sh: the report job depends on the study job (afterok)" \
  grep -q -- "--dependency=afterok:$job_sweep " <<<"$sweep_out"
# A sweep whose study fails (a usage error, exit 2): its report job must be cancelled, not left pending.
NODES=1 TASKS_PER_NODE=2 APP=rangesum APP_ARGS="--n 0 --pattern nonsense" SWEEP_DIR=results/bad \
  SBATCH_ARGS="-t 5" "$jobs/sweep-nodes.sh" >/dev/null 2>&1
mapfile -t bad_jobs < <(cat results/bad/jobs.txt 2>/dev/null)
expect "a second sweep (bound to fail) was submitted" [ "${#bad_jobs[@]}" -eq 2 ]
all_jobs="$job_srun $job_mpirun $job_strong1 $job_strong2 $job_weak $job_program $job_program_weak $job_sweep $job_report"

# Wait for the queue to drain, with a bound.
if ! _cluster_wait 150 bash -c '[ -z "$(squeue -h)" ]'; then
  echo "FAIL - jobs still queued after 150 s:"; squeue; failures=$((failures + 1))
fi
echo "jobs done $((SECONDS - start)) s after the start"
for j in $all_jobs; do
  info=$(scontrol show job "$j" 2>&1)
  name=$(sed -n 's/.*JobName=\([^ ]*\).*/\1/p' <<<"$info")
  out=$(cat "logs/$name-$j.out" 2>&1)
  expect "job $j ($name) COMPLETED with exit code 0" \
    bash -c 'grep -q "JobState=COMPLETED" <<<"$1" && grep -q "ExitCode=0:0" <<<"$1"' _ "$info"
  expect "job $j: logs/$name-$j.out names the job id, with start, end and exit status 0" \
    bash -c 'grep -q "^=== .*: job $2\$" <<<"$1" && grep -q "^SLURM_JOB_ID  *$2\$" <<<"$1" &&
             grep -q "^start: " <<<"$1" && grep -q "^=== end: .*(exit status 0, .*job $2)" <<<"$1"' _ "$out" "$j"
done

# h5check FILE PYTHON-EXPRESSION : h5summary's JSON of FILE is d.
h5check() {
  out=$(python3 "$h5summary" "$1" 2>&1) || return 1
  python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert ($2), d" "$out" 2>&1
}
host=$(hostname)

out=$(cat "logs/multirank-run-$job_srun.out")
expect "run.sbatch (srun): launched with srun --mpi=pmix -n 4, exact total" \
  bash -c 'grep -q "^+ srun --mpi=pmix -n 4 " <<<"$1" && grep -q "\"exact\":true" <<<"$1" &&
           grep -q "\"total\":\"$(python3 -c "print(sum(range(-7, -7 + 200003)))")\"" <<<"$1"' _ "$out"
expect "run.sbatch (srun): results/run.h5 is a study file of 4 ranks on $host, stamped with job $job_srun" \
  h5check results/run.h5 "d['format']=='multirank-study' and (lambda r: r['app']=='rangesum' and r['world_size']==4 and r['slurm_job_id']=='$job_srun' and r['hosts']==['$host'] and r['rank_hosts']==[0,0,0,0] and len(r['task_hosts'])>0)(d['runs']['run_0001'])"
out=$(cat "logs/multirank-run-$job_mpirun.out")
expect "run.sbatch (mpirun): launched with mpirun -n 2, every factorial exact" \
  bash -c 'grep -q "^+ mpirun -n 2 " <<<"$1" && grep -q "\"digits\":2568" <<<"$1" && ! grep -q "\"exact\":false" <<<"$1"' _ "$out"
expect "run.sbatch (mpirun): results/run-mpirun.h5 stamped with job $job_mpirun" \
  h5check results/run-mpirun.h5 "d['runs']['run_0001']['slurm_job_id']=='$job_mpirun' and d['runs']['run_0001']['world_size']==2"

expect "strong-scaling.sbatch twice: two runs appended to results/strong.h5, p = 1, 2, 4, 2 reps each" \
  h5check results/strong.h5 "sorted(d['runs'])==['run_0001','run_0002'] and [r['slurm_job_id'] for r in d['runs'].values()]==['$job_strong1','$job_strong2'] and all(r['mode']=='strong' and r['ranks']==[1,2,4] and r['samples']==6 and r['summary']==3 for r in d['runs'].values())"
expect "weak-scaling.sbatch: a weak run of imbalance at p = 1, 2" \
  h5check results/weak.h5 "(lambda r: r['mode']=='weak' and r['app']=='imbalance' and r['ranks']==[1,2] and r['samples']==2)(d['runs']['run_0001'])"
expect "sweep job: results/sweep/nodes-1.h5 holds one run of the job's 4 ranks" \
  h5check results/sweep/nodes-1.h5 "(lambda r: r['ranks']==[4] and r['slurm_job_id']=='$job_sweep' and r['samples']==2)(d['runs']['run_0001'])"

out=$(cat "logs/multirank-strong-$job_program.out")
expect "strong-scaling.sbatch with PROGRAM: the driver ran in the batch script, not under srun" \
  bash -c 'grep -Eq "^\+ [^ ]*multirank study --ranks 1,2,4 --reps 2 --mode strong --output results/program.h5 exec --launcher srun" <<<"$1" && ! grep -q "^+ srun .*multirank study" <<<"$1"' _ "$out"
expect "results/program.h5: exec_work at 1, 2, 4 ranks launched by srun --mpi=pmix, stamped with job $job_program" \
  h5check results/program.h5 "(lambda r: r['app']=='exec_work' and r['ranks']==[1,2,4] and r['samples']==6 and r['summary']==3 and r['slurm_job_id']=='$job_program' and r['world_size']==1)(d['runs']['run_0001'])"
expect "... srun started 4 ranks of the program, its own times are the metric, the launcher is recorded" "$PY" -c '
import json, sys, h5py
r = h5py.File(sys.argv[1], "r")["run_0001"]
assert r.attrs["metric"] == b"json:seconds" and json.loads(r.attrs["options"])["launcher"] == "srun --mpi=pmix -n {p}"
assert "work done on 4 ranks" in bytes(r["output/p_0004/stdout"][:]).decode()
s = r["samples"][:]
assert all(s["metric"] < s["wall_seconds"]) and not any(s["exit_code"])
' results/program.h5
expect "... and its report: a table for p = 1, 2, 4, the speedup and efficiency plots" \
  bash -c 'grep -q "^exec_work, strong scaling, metric json:seconds" results/program-report/report.txt &&
           test -s results/program-report/plots/exec_work_strong_speedup.png && test -s results/program-report/plots/exec_work_strong_efficiency.svg &&
           python3 -c "import json; t=json.load(open(\"results/program-report/report.json\"))[\"tables\"]; assert [r[\"p\"] for r in t[0][\"rows\"]]==[1,2,4]"'
expect "weak-scaling.sbatch with PROGRAM and {p}: a weak run, {p}0 became 10 and 20 units" "$PY" -c '
import json, sys, h5py
r = h5py.File(sys.argv[1], "r")["run_0001"]
assert r.attrs["mode"] == b"weak" and json.loads(r.attrs["options"])["args"] == ["--work", "{p}0"]
assert [json.loads(bytes(r["output/p_%04d/stdout" % p][:]).decode().splitlines()[0])["work"] for p in (1, 2)] == [10, 20]
' results/program-weak.h5

# report_check DIR APP MODE ROWS : report.txt/md/json and the plots of a report written by a job.
report_check() {
  local d=$1 app=$2 mode=$3 rows=$4 f
  for f in report.txt report.md report.json; do
    expect "$d/$f exists and is not empty" test -s "$d/$f"
  done
  expect "$d/report.txt: the $app $mode scaling table" \
    grep -q "^$app, $mode scaling" "$d/report.txt"
  expect "$d/report.md: a Markdown table" grep -q '^| *p *|' "$d/report.md"
  expect "$d/report.json: one table of $app ($mode) with rank counts $rows" \
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); t=r['tables']; assert len(t)==1 and t[0]['app']=='$app' and t[0]['mode']=='$mode' and [row['p'] for row in t[0]['rows']]==$rows, r" "$d/report.json"
  for f in speedup efficiency gantt; do
    expect "$d/plots/${app}_${mode}_$f.png and .svg are not empty" \
      bash -c 'test -s "$1.png" && test -s "$1.svg" && head -c 8 "$1.png" | grep -q PNG && grep -q "<svg" "$1.svg"' _ "$d/plots/${app}_${mode}_$f"
  done
}
report_check results/strong-report rangesum strong "[1,2,4]"
report_check results/weak-report imbalance weak "[1,2]"
report_check results/sweep rangesum strong "[4]"
expect "the sweep's report job started after its study job ended (afterok)" \
  python3 - "$(scontrol show job "$job_sweep")" "$(scontrol show job "$job_report")" <<'PY'
import re, sys
date = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)"
end = re.search(r"EndTime=" + date, sys.argv[1]).group(1)
begin = re.search(r"StartTime=" + date, sys.argv[2]).group(1)
assert begin >= end, (begin, end)
PY
info_bad=$(scontrol show job "${bad_jobs[0]:-0}" 2>&1; scontrol show job "${bad_jobs[1]:-0}" 2>&1)
expect "failed sweep: the study job FAILED (exit 2), its report job was CANCELLED, no report written" \
  python3 - "$info_bad" <<'PY'
import re, sys
states = re.findall(r"JobState=(\S+)", sys.argv[1])
codes = re.findall(r"ExitCode=(\S+)", sys.argv[1])
assert states == ["FAILED", "CANCELLED"] and codes[0] == "2:0", (states, codes)
PY
expect "failed sweep: no report files" bash -c '[ ! -e results/bad/report.txt ] && [ ! -e results/bad/plots ]'

echo "whole test: $((SECONDS - start)) s"
finish
