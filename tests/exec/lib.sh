# Helpers for the `multirank study ... exec` tests (sourced): the e2e helpers, the programs, and
# `drive ARGS...`, which runs the CLI alone (it is the driver: no mpirun around it).
# Arguments of the test scripts: EXEC_WORK EXEC_WORK_TWICE MAKE_STUDY_FILE V1_FIXTURE.
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
W=$1            # exec_work: rank 0 prints {"seconds": ...}, "elapsed: T s", "work done on P ranks"
W2=$2           # the same program built to do twice the work (bin/twice/exec_work)
MAKE_STUDY_FILE=$3
V1_FIXTURE=$4
PY=/usr/bin/python3  # Debian's, which has h5py and numpy
# The launcher of the MPI the tests are built with; Open MPI's needs --oversubscribe for three
# ranks on two cores.
LAUNCH="$MPIEXEC -n {p}"
if "$MPIEXEC" --version 2>&1 | grep -Eq "Open MPI|OpenRTE"; then LAUNCH="$LAUNCH --oversubscribe"; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# drive ARGS... : runs the CLI as the driver; sets $out, $err, $rc.
drive() {
  local errfile; errfile=$(mktemp)
  out=$(timeout -k 5 "${RUN_TIMEOUT:-120}" "$MULTIRANK_BIN" "$@" 2>"$errfile")
  rc=$?
  err=$(cat "$errfile"); rm -f "$errfile"
}

# expect_h5 DESCRIPTION FILE PYTHON : PYTHON runs with f = h5py.File(FILE) (and sys, json, np);
# the check passes when it raises nothing.
expect_h5() {
  local what=$1 file=$2 code=$3 result
  result=$("$PY" -c 'import os, sys, json, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
exec(sys.argv[2])
print("ok")' "$file" "$code" 2>&1 | tail -n 3)
  if [ "$result" = ok ]; then echo "ok   - $what"; else echo "FAIL - $what"; echo "  python: $result"; failures=$((failures + 1)); fi
}
