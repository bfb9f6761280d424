#!/usr/bin/env bash
# Node sweep: one `multirank study` job per node count, then a report job that waits for all of them
# (--dependency=afterok) and leaves tables and plots next to the HDF5 files. Run it on a login node;
# it only submits. Each job writes SWEEP_DIR/nodes-N.h5; `multirank report` pools the runs (same app,
# mode and options) into one scaling table over the total rank counts, with speedup and efficiency.
#
# Usage:   jobs/sweep-nodes.sh
#          NODES="1 2 4 8" TASKS_PER_NODE=32 APP_ARGS="--n 20000000000 --kernel heavy" jobs/sweep-nodes.sh
#          MODE=weak SBATCH_ARGS="-p compute -A myproject -t 00:20:00" jobs/sweep-nodes.sh
#          PROGRAM=$PWD/solver PROGRAM_ARGS="--grid 8192" NODES="1 2 4" jobs/sweep-nodes.sh   # your own program
#          DRY_RUN=1 jobs/sweep-nodes.sh          # print the sbatch commands, submit nothing
#
# Environment (defaults in brackets):
#   NODES           node counts to measure, space-separated ["1 2 4"]
#   TASKS_PER_NODE  ranks per node [4]
#   MODE            strong or weak [strong]
#   RANKS           rank counts measured inside each job [all of that job's tasks]
#   SWEEP_DIR       folder for nodes-N.h5 and the report [results/sweep-APP-MODE-YYYYmmdd-HHMMSS]
#   SBATCH_ARGS     more sbatch options for every job (partition, account, time limit, ...)
#   SBATCH          the sbatch command [sbatch]
#   APP, APP_ARGS, REPS, STUDY_ARGS, LAUNCHER, MULTIRANK_BIN, SRUN_ARGS, MPIRUN_ARGS, ...: passed
#                   to every job, see jobs/strong-scaling.sbatch and jobs/common.sh
#   PROGRAM, PROGRAM_ARGS, EXEC_ARGS: study your own program instead of an app (give PROGRAM an
#                   absolute path: the jobs start in the submit directory, but may run elsewhere)
#   DRY_RUN=1       print the commands; job ids are shown as job-nodes-N placeholders
# Logs go to logs/ under the current directory (created here), one per job: logs/<name>-<id>.out.
# Read the result with: cat SWEEP_DIR/report.txt (or report.md, report.json; plots in SWEEP_DIR/plots).

set -euo pipefail
MULTIRANK_JOBS_DIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=jobs/common.sh
source "$MULTIRANK_JOBS_DIR/common.sh"

NODES=${NODES:-1 2 4}
TASKS_PER_NODE=${TASKS_PER_NODE:-4}
MODE=${MODE:-strong}
APP=${APP:-rangesum}
STUDIED=$APP
[ -n "${PROGRAM:-}" ] && STUDIED=$(basename "$PROGRAM")
SWEEP_DIR=${SWEEP_DIR:-results/sweep-${STUDIED}-${MODE}-$(date +%Y%m%d-%H%M%S)}
SBATCH=${SBATCH:-sbatch}
case "$MODE" in
  strong | weak) ;;
  *) echo "error: MODE is strong or weak, not '$MODE'" >&2; exit 2 ;;
esac
read -r -a sbatch_args <<<"${SBATCH_ARGS:-}"
read -r -a node_counts <<<"$NODES"
[ "${#node_counts[@]}" -gt 0 ] || { echo "error: NODES is empty" >&2; exit 2; }
for n in "${node_counts[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "error: NODES holds '$n', not a node count" >&2; exit 2; }
done
[[ $TASKS_PER_NODE =~ ^[1-9][0-9]*$ ]] || { echo "error: TASKS_PER_NODE is '$TASKS_PER_NODE'" >&2; exit 2; }
mr_init
export MULTIRANK_JOBS_DIR MULTIRANK_BIN APP
if [ -n "${PROGRAM:-}" ]; then export PROGRAM PROGRAM_ARGS="${PROGRAM_ARGS:-}" EXEC_ARGS="${EXEC_ARGS:-}"; fi

# sbatch_id COMMAND... : submits (or prints) and sets $job_id. Variables are given through `env`,
# not --export=VAR=..., because --export splits values at commas (RANKS=1,2,4, --list 5,200).
sbatch_id() {
  local placeholder=$1; shift
  if mr_dry_run; then
    mr_run "$@"
    job_id="job-$placeholder"
  else
    echo "+ $(mr_quote "$@")"
    job_id=$("$@")
    job_id=${job_id%%;*}
    [[ $job_id =~ ^[0-9]+$ ]] || { echo "error: sbatch answered '$job_id'" >&2; exit 1; }
  fi
}

mr_dry_run || mkdir -p logs "$SWEEP_DIR"
ids=()
files=()
for n in "${node_counts[@]}"; do
  tasks=$((n * TASKS_PER_NODE))
  sbatch_id "nodes-$n" env OUTPUT="$SWEEP_DIR/nodes-$n.h5" RANKS="${RANKS:-$tasks}" REPORT=0 \
    "$SBATCH" --parsable --export=ALL -J "multirank-sweep-n$n" -o "logs/%x-%j.out" \
    -N "$n" -n "$tasks" --ntasks-per-node="$TASKS_PER_NODE" "${sbatch_args[@]}" \
    "$MULTIRANK_JOBS_DIR/$MODE-scaling.sbatch"
  ids+=("$job_id")
  files+=("$SWEEP_DIR/nodes-$n.h5")
  echo "nodes $n ($tasks tasks): job $job_id"
done
dependency="afterok$(printf ':%s' "${ids[@]}")"
sbatch_id report env REPORT_FILES="${files[*]}" REPORT_DIR="$SWEEP_DIR" \
  "$SBATCH" --parsable --export=ALL -J multirank-sweep-report -o "logs/%x-%j.out" -N 1 -n 1 \
  --dependency="$dependency" --kill-on-invalid-dep=yes "${sbatch_args[@]}" \
  "$MULTIRANK_JOBS_DIR/report.sbatch"
echo "report: job $job_id (after ${ids[*]})"
echo "results: $SWEEP_DIR (report.txt, report.md, report.json, plots/)"
if ! mr_dry_run; then
  printf '%s\n' "${ids[@]}" "$job_id" >"$SWEEP_DIR/jobs.txt"
fi
