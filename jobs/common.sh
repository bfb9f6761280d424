# Shared by the jobs/ scripts (sourced, never run): defaults, the launcher, the dry-run switch and the
# log header. Nothing here assumes a host name, an address or a user: the same code runs on a laptop
# (DRY_RUN=1), on a test cluster and on a production one.
#
# Variables read (all optional):
#   MULTIRANK_BIN  the multirank executable; default: `multirank` on PATH, else build/bin/multirank
#                  under the submit directory or next to jobs/
#   LAUNCHER       srun (default) or mpirun
#   SRUN_MPI       srun's --mpi plugin (default pmix; Debian's Open MPI does not work with pmi2)
#   SRUN_ARGS      extra srun options, e.g. "--cpu-bind=cores"
#   MPIRUN         the mpirun executable (default mpirun)
#   MPIRUN_ARGS    extra mpirun options, e.g. "--bind-to core" or "--oversubscribe"
#   NTASKS         ranks to launch (default: SLURM_NTASKS, else 4 outside Slurm)
#   DRY_RUN=1      print every command (prefixed with "+ ") instead of running it

set -euo pipefail

mr_dry_run() { [ "${DRY_RUN:-0}" = 1 ]; }

# The submit-time jobs/ directory, also when Slurm runs a spooled copy of the script.
mr_jobs_dir() {
  if [ -n "${MULTIRANK_JOBS_DIR:-}" ]; then
    echo "$MULTIRANK_JOBS_DIR"
  else
    dirname "$(readlink -f "${BASH_SOURCE[0]}")"
  fi
}

# mr_init : checks LAUNCHER and finds MULTIRANK_BIN; exits 2 with one line when either is wrong.
mr_init() {
  LAUNCHER=${LAUNCHER:-srun}
  case "$LAUNCHER" in
    srun | mpirun) ;;
    *) echo "error: LAUNCHER is srun or mpirun, not '${LAUNCHER}'" >&2; exit 2 ;;
  esac
  mr_resolve_bin
}

mr_resolve_bin() {
  if [ -n "${MULTIRANK_BIN:-}" ]; then
    return
  fi
  local candidate
  for candidate in "$(command -v multirank 2>/dev/null || true)" \
                   "${SLURM_SUBMIT_DIR:-$PWD}/build/bin/multirank" \
                   "$(mr_jobs_dir)/../build/bin/multirank"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      MULTIRANK_BIN=$(readlink -f "$candidate")
      return
    fi
  done
  if mr_dry_run; then
    MULTIRANK_BIN=multirank
    return
  fi
  echo "error: multirank not found: set MULTIRANK_BIN or put multirank on PATH" >&2
  exit 2
}

mr_ntasks() { echo "${NTASKS:-${SLURM_NTASKS:-4}}"; }

# mr_launch N : fills the array LAUNCH with the command that starts N ranks.
mr_launch() {
  local n=$1
  local extra=()
  case "$LAUNCHER" in
    srun)
      read -r -a extra <<<"${SRUN_ARGS:-}"
      LAUNCH=(srun "--mpi=${SRUN_MPI:-pmix}" -n "$n" "${extra[@]}")
      ;;
    mpirun)
      read -r -a extra <<<"${MPIRUN_ARGS:-}"
      LAUNCH=("${MPIRUN:-mpirun}" -n "$n" "${extra[@]}")
      ;;
  esac
}

# mr_quote ARG... : the arguments as a shell would need them, words left bare where that is safe.
mr_quote() {
  local arg sep=""
  for arg in "$@"; do
    if [[ $arg =~ ^[][A-Za-z0-9_./:=,@%+^-]+$ ]]; then
      printf '%s%s' "$sep" "$arg"
    else
      printf '%s%q' "$sep" "$arg"
    fi
    sep=" "
  done
}

# mr_run CMD... : prints the command, then runs it unless DRY_RUN=1.
mr_run() {
  echo "+ $(mr_quote "$@")"
  mr_dry_run || "$@"
}

# mr_run_to FILE CMD... : the same, with the command's standard output going to FILE.
mr_run_to() {
  local file=$1; shift
  echo "+ $(mr_quote "$@") > $(mr_quote "$file")"
  mr_dry_run || "$@" >"$file"
}

mr_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# mr_header NAME VAR... : the log header: the job's Slurm variables, the script's own settings, the
# start time; and an EXIT trap that writes the end time and the exit status.
mr_header() {
  local name=$1; shift
  local v dry=""
  if mr_dry_run; then dry=" (dry run)"; fi
  echo "=== ${name}: job ${SLURM_JOB_ID:-(not under Slurm)}${dry}"
  echo "start:       $(mr_now)"
  echo "host:        $(uname -n)"
  for v in SLURM_JOB_ID SLURM_JOB_NAME SLURM_JOB_PARTITION SLURM_JOB_NODELIST SLURM_JOB_NUM_NODES \
           SLURM_NTASKS SLURM_NTASKS_PER_NODE SLURM_TASKS_PER_NODE SLURM_CPUS_ON_NODE \
           SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID SLURM_SUBMIT_HOST SLURM_SUBMIT_DIR; do
    [ -n "${!v:-}" ] && printf '%-22s %s\n' "$v" "${!v}"
  done
  for v in MULTIRANK_BIN LAUNCHER "$@"; do
    printf '%-22s %s\n' "$v" "${!v:-}"
  done
  echo "==="
  MR_START_SECONDS=$SECONDS
  trap 'mr_footer $?' EXIT
}

mr_footer() {
  echo "=== end:     $(mr_now) (exit status $1, $((SECONDS - MR_START_SECONDS)) s, job ${SLURM_JOB_ID:-none})"
}

# mr_report DIR FILE.h5... : `multirank report` of the files into DIR: report.txt, report.md,
# report.json and plots/ (speedup, efficiency and Gantt charts, PNG and SVG). Runs on one process.
mr_report() {
  local dir=$1; shift
  mr_dry_run || mkdir -p "$dir"
  mr_run_to "$dir/report.txt" "$MULTIRANK_BIN" report "$@" --plots "$dir/plots"
  mr_run_to "$dir/report.md" "$MULTIRANK_BIN" report "$@" --format markdown
  mr_run_to "$dir/report.json" "$MULTIRANK_BIN" report "$@" --format json
}

# mr_default_ranks N : 1 2 4 ... up to N, and N itself: "1,2,4,6" for N = 6.
mr_default_ranks() {
  local n=$1 p=1 out=""
  while [ "$p" -lt "$n" ]; do
    out+="$p,"
    p=$((p * 2))
  done
  echo "${out}${n}"
}

# mr_exec_launcher : LAUNCH_TEMPLATE, the launcher `multirank study ... exec` starts PROGRAM with,
# from LAUNCHER: "srun --mpi=pmix -n {p} SRUN_ARGS" or "MPIRUN -n {p} MPIRUN_ARGS".
mr_exec_launcher() {
  case "$LAUNCHER" in
    srun) LAUNCH_TEMPLATE="srun --mpi=${SRUN_MPI:-pmix} -n {p}${SRUN_ARGS:+ $SRUN_ARGS}" ;;
    mpirun) LAUNCH_TEMPLATE="${MPIRUN:-mpirun} -n {p}${MPIRUN_ARGS:+ $MPIRUN_ARGS}" ;;
  esac
}

# mr_study MODE : the body of strong-scaling.sbatch and weak-scaling.sbatch: `multirank study` over
# rank counts inside this one allocation, appending a run to OUTPUT; then, unless REPORT=0, the
# report of OUTPUT (every run appended so far) into OUTPUT's name without .h5, plus "-report".
# With PROGRAM set it studies that program instead of an app (mr_study_program).
mr_study() {
  local mode=$1
  if [ -n "${PROGRAM:-}" ]; then
    mr_study_program "$mode"
    return
  fi
  APP=${APP:-rangesum}
  if [ "$mode" = weak ]; then
    APP_ARGS=${APP_ARGS:---n 200000000 --kernel heavy}
  else
    APP_ARGS=${APP_ARGS:---n 1000000000 --kernel heavy}
  fi
  NTASKS=$(mr_ntasks)
  RANKS=${RANKS:-$(mr_default_ranks "$NTASKS")}
  REPS=${REPS:-5}
  STUDY_ARGS=${STUDY_ARGS:-}
  OUTPUT=${OUTPUT:-results/${APP}-${mode}.h5}
  REPORT=${REPORT:-1}
  mr_init
  mr_header "multirank study (${mode} scaling)" APP APP_ARGS RANKS REPS STUDY_ARGS OUTPUT NTASKS REPORT

  local app_args study_args
  read -r -a app_args <<<"$APP_ARGS"
  read -r -a study_args <<<"$STUDY_ARGS"
  mr_dry_run || mkdir -p "$(dirname "$OUTPUT")"
  mr_launch "$NTASKS"
  # study's own options go before the app's name: an app may have options of the same name
  mr_run "${LAUNCH[@]}" "$MULTIRANK_BIN" study "${study_args[@]}" "$APP" "${app_args[@]}" \
    --ranks "$RANKS" --reps "$REPS" --mode "$mode" --output "$OUTPUT"
  if [ "$REPORT" = 1 ]; then
    mr_report "${OUTPUT%.h5}-report" "$OUTPUT"
  fi
}

# mr_study_program MODE : `multirank study ... exec -- PROGRAM PROGRAM_ARGS`. The driver runs here,
# in the batch script itself (not under srun: it never initialises MPI), and launches PROGRAM on
# p ranks of this allocation for every sample with LAUNCH_TEMPLATE. EXEC_ARGS holds exec's other
# options (--metric json:seconds, --expect REGEX, --timeout S); {p} in PROGRAM_ARGS becomes p.
mr_study_program() {
  local mode=$1
  PROGRAM_ARGS=${PROGRAM_ARGS:-}
  EXEC_ARGS=${EXEC_ARGS:-}
  NTASKS=$(mr_ntasks)
  RANKS=${RANKS:-$(mr_default_ranks "$NTASKS")}
  REPS=${REPS:-5}
  STUDY_ARGS=${STUDY_ARGS:-}
  OUTPUT=${OUTPUT:-results/$(basename "$PROGRAM")-${mode}.h5}
  REPORT=${REPORT:-1}
  mr_init
  mr_exec_launcher
  mr_header "multirank study exec (${mode} scaling)" PROGRAM PROGRAM_ARGS EXEC_ARGS LAUNCH_TEMPLATE RANKS REPS \
    STUDY_ARGS OUTPUT NTASKS REPORT

  local program_args exec_args study_args
  read -r -a program_args <<<"$PROGRAM_ARGS"
  read -r -a exec_args <<<"$EXEC_ARGS"
  read -r -a study_args <<<"$STUDY_ARGS"
  mr_dry_run || mkdir -p "$(dirname "$OUTPUT")"
  mr_run "$MULTIRANK_BIN" study "${study_args[@]}" --ranks "$RANKS" --reps "$REPS" --mode "$mode" --output "$OUTPUT" \
    exec --launcher "$LAUNCH_TEMPLATE" "${exec_args[@]}" -- "$PROGRAM" "${program_args[@]}"
  if [ "$REPORT" = 1 ]; then
    mr_report "${OUTPUT%.h5}-report" "$OUTPUT"
  fi
}
