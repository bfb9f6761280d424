#!/usr/bin/env bash
# Item 8 of issue 18: a study journal knows whether its run was written. Resuming a complete,
# written journal does nothing ("nothing to do", exit 0, the file unchanged); it used to append
# the same run again, and report then pooled both copies (n = 6 instead of 3, an interval
# claiming 95%). A complete journal whose run was not written (the write failed, or was cut
# short) writes it on resume. Two groups with one run identity, in one file or across files,
# count once in report (with a note), in its tables and in the regression gate; the same for
# `study ... exec`.
set -u
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
runs_in() { h5dump -n "$1" 2>/dev/null | grep -cE "group +/run_[0-9]{4}$"; }
# n_per_p FILE... : the sample counts report shows for each p of the first table, e.g. "3 3".
n_per_p() {
  timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" report "$@" --format json 2>/dev/null |
    python3 -c 'import json, sys; t = json.load(sys.stdin)["tables"][0]; print(" ".join(str(r["n"]) for r in t["rows"]))'
}

app=(rangesum --n 100000 --ranks 1,2 --reps 3 --output s.h5)
run_np 2 study --journal j.jsonl "${app[@]}"
expect "a journaled study writes its run" bash -c '[ "$1" -eq 0 ] && [ "$2" -eq 1 ]' _ "$rc" "$(runs_in s.h5)"
cp s.h5 before.h5
run_np 2 study --journal j.jsonl --resume "${app[@]}"
expect "resuming the complete, written journal: nothing to do, exit 0" \
  bash -c '[ "$1" -eq 0 ] && grep -q "^nothing to do: journal j.jsonl is complete and its run was written to s.h5 as run_0001" <<<"$2"' _ "$rc" "$out"
expect "... and the study file is unchanged" cmp -s before.h5 s.h5
expect "report counts 3 samples per p" [ "$(n_per_p s.h5)" = "3 3" ]

# Complete but not written: the journal lost its last record (the write was cut short).
head -n -1 j.jsonl >k.jsonl
run_np 2 study --journal k.jsonl --resume "${app[@]}"
expect "a complete journal whose run was not written writes it on resume" \
  bash -c '[ "$1" -eq 0 ] && [ "$2" -eq 2 ] && tail -n 1 k.jsonl | grep -q "\"written\":\"run_0002\""' _ "$rc" "$(runs_in s.h5)"
timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" report s.h5 >rep.txt 2>rep.err
expect "report counts the run written twice once, and says so" \
  bash -c '[ "$1" = "3 3" ] && grep -q "note: s.h5:run_0002 repeats s.h5:run_0001 (run id [0-9a-f]\{32\}): counted once" rep.err' _ "$(n_per_p s.h5)"
expect "... across files too" [ "$(n_per_p before.h5 s.h5)" = "3 3" ]
run_np 1 report s.h5 --reference before.h5 --format json
expect "the gate compares one copy with one copy" python3 -c '
import json, sys
rows = json.loads(sys.argv[1])["rows"]
assert rows and all(r["n_new"] == 3 and r["n_reference"] == 3 for r in rows), rows' "$out"

# study exec: the same journal record.
exec_study=(study --journal e.jsonl --ranks 1 --reps 2 --warmup 0 --output e.h5 exec --launcher 'env P={p}' -- /bin/true)
timeout -k 5 60 "$MULTIRANK_BIN" "${exec_study[@]}" >/dev/null 2>&1
out=$(timeout -k 5 60 "$MULTIRANK_BIN" "${exec_study[@]:0:3}" --resume "${exec_study[@]:3}" 2>&1); rc=$?
expect "study exec: resuming a written journal does nothing" \
  bash -c '[ "$1" -eq 0 ] && grep -q "^nothing to do" <<<"$2" && [ "$3" -eq 1 ]' _ "$rc" "$out" "$(runs_in e.h5)"
finish
