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
