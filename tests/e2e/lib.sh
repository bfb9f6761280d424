# Helpers for the end-to-end scripts: run the CLI under mpirun, check outcomes, count failures.
: "${MULTIRANK_BIN:?set by ctest}"
: "${MULTIRANK_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck source=../support/launcher.sh
source "$MULTIRANK_SOURCE_DIR/tests/support/launcher.sh"
failures=0

# run_np N ARGS... : runs the CLI on N ranks; sets $out, $err, $rc.
run_np() {
  local n=$1; shift
  local errfile; errfile=$(mktemp)
  out=$(timeout -k 5 "${RUN_TIMEOUT:-60}" "$MPIEXEC" -n "$n" $MPIEXEC_OVERSUBSCRIBE "$MULTIRANK_BIN" "$@" 2>"$errfile")
  rc=$?
  err=$(cat "$errfile"); rm -f "$errfile"
}

expect() {  # expect DESCRIPTION CONDITION-COMMAND...
  local what=$1; shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; echo "  out: ${out:-}" | head -c 2000; echo "  err: ${err:-}" | head -c 2000; failures=$((failures + 1)); fi
}

finish() {
  if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
  echo "all checks passed"
}

# start_watchdog SECONDS : stops this test (SIGTERM to its shell, whose trap then cleans up) after
# SECONDS, before ctest's timeout would kill it outright; a trap runs once the current command
# ends, hence the margin. It dies with the test (--pdeathsig), so it can never signal a later
# process that reuses the pid. Sets $watchdog (its pid: kill it when the test ends).
start_watchdog() {
  setpriv --pdeathsig TERM bash -c 'exec >/dev/null 2>&1; sleep "$1" & s=$!
    trap "kill $s; exit 0" TERM; wait $s; kill -TERM "$2"' _ "$1" $$ &
  watchdog=$!
}
