#!/usr/bin/env bash
# multirank study end to end: a strong and a weak sweep appended to one HDF5 file, read back by
# h5py and by multirank report, and a journaled study resumed.
set -u
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3

run_np 3 study rangesum --n 200000 --pattern pool --ranks 1,2,3 --reps 2 --warmup 0 --output "$work/s.h5"
expect "study strong exits 0" [ "$rc" -eq 0 ]
expect "study prints a table per p" grep -q "Karp-Flatt" <<<"$out"
run_np 3 study imbalance --tasks 1:100K:0,2:300K:0,3:50K:0 --no-sequential --ranks 1,3 --reps 2 --mode weak --output "$work/s.h5"
expect "study weak appends" [ "$rc" -eq 0 ]
expect "the file holds both runs with the right samples" $py - "$work/s.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs["schema_version"] == 2
runs = sorted(k for k in f.keys() if k.startswith("run_"))
assert len(runs) == 2, runs
a, b = f[runs[0]], f[runs[1]]
sa = a["samples"][()]
assert sorted(set(int(p) for p in sa["p"])) == [1, 2, 3] and len(sa) == 6, sa
assert all(float(w) > 0 for w in sa["wall_seconds"])
sb = b["samples"][()]
assert sorted(set(int(p) for p in sb["p"])) == [1, 3] and len(sb) == 4
assert len(b["tasks"][()]) == 3, len(b["tasks"][()])    # weak scaling makes the 3 tasks larger
PY
out=$(timeout -k 5 60 "$MULTIRANK_BIN" report "$work/s.h5" --format json --plots "$work/plots" 2>&1); rc=$?
expect "report over the study exits 0" [ "$rc" -eq 0 ]
expect "report shows both tables" $py -c "import json,sys; d=json.loads(sys.argv[1]); assert len(d['tables'])==2, d.keys()" "$out"
expect "report drew PNG plots" bash -c "ls $work/plots/*.png >/dev/null 2>&1"

run_np 2 study --journal "$work/j.jsonl" rangesum --n 100000 --ranks 1,2 --reps 3 --output "$work/j.h5"
expect "journaled study exits 0" [ "$rc" -eq 0 ]
expect "the journal holds every repetition, then the run it was written as" \
  bash -c '[ "$(($(wc -l <"$1") - 2))" -eq 6 ] && tail -n 1 "$1" | grep -q "\"written\":\"run_0001\""' _ "$work/j.jsonl"
head -n 4 "$work/j.jsonl" >"$work/k.jsonl"
run_np 2 study --journal "$work/k.jsonl" --resume rangesum --n 100000 --ranks 1,2 --reps 3 --output "$work/k.h5"
expect "a resumed study completes the missing repetitions" [ "$rc" -eq 0 ]
expect "the resume added only the three missing repetitions" [ "$(($(wc -l <"$work/k.jsonl") - 2))" -eq 6 ]
expect "the resume kept the journaled lines" cmp -s <(head -n 4 "$work/j.jsonl") <(head -n 4 "$work/k.jsonl")
expect "the resumed file has all six samples" $py -c "import h5py,sys; f=h5py.File(sys.argv[1]); r=[k for k in f if k.startswith('run_')]; assert len(f[r[0]]['samples'][()])==6" "$work/k.h5"
run_np 2 study rangesum --n 100000 --ranks 1,2,3 --reps 1 --output "$work/x.h5"
expect "a --ranks list larger than the job exits 2" [ "$rc" -eq 2 ]
run_np 2 study rangesum --n 100000 --ranks 1,1 --reps 1 --output "$work/x.h5"
expect "duplicate --ranks exits 2" [ "$rc" -eq 2 ]
expect "nothing was written for refused studies" [ ! -e "$work/x.h5" ]
finish
