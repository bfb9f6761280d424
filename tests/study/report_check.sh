#!/usr/bin/env bash
# `multirank report` over study files this test makes: the tables' numbers (pooled across an
# appended run), the concurrency profile, the Markdown form, the plots (PNG and SVG, non-empty),
# and one clear line with exit 2 for missing, foreign, truncated and wrong-version inputs.
set -u
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
MAKE_STUDY_FILE=$1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"

mk() { timeout -k 5 60 "$MPIEXEC" -n "$1" $MPIEXEC_OVERSUBSCRIBE "$MAKE_STUDY_FILE" "${@:2}" >/dev/null; }
mk 2 a.h5; expect "study file a.h5 (2 ranks)" [ $? -eq 0 ]
mk 3 a.h5 --append; expect "a run appended to a.h5 (3 ranks)" [ $? -eq 0 ]
mk 1 b.h5 --app factorial --mode weak --no-tasks; expect "study file b.h5 (weak)" [ $? -eq 0 ]

run_np 2 report a.h5 b.h5 --format json
expect "report --format json exits 0" [ "$rc" -eq 0 ]
expect "the JSON tables hold the pooled numbers" python3 -c '
import json, math, sys
d = json.loads(sys.argv[1])
assert d["files"] == ["a.h5", "b.h5"]
t = {(x["app"], x["mode"]): x for x in d["tables"]}
assert set(t) == {("rangesum", "strong"), ("factorial", "weak")}, t.keys()
s = t[("rangesum", "strong")]
assert s["runs"] == ["a.h5:run_0001", "a.h5:run_0002"]
rows = {r["p"]: r for r in s["rows"]}
assert sorted(rows) == [1, 2, 4]
# 10 samples per p (two runs of 5): T(p) = 2 + 8/p + 0.01 rep, each value twice.
assert all(r["n"] == 10 for r in rows.values())
assert math.isclose(rows[1]["median"], 10.02) and math.isclose(rows[4]["median"], 4.02)
# n = 10: the 95% interval is [x(2), x(9)] = [10.00, 10.04], coverage 1 - 22/1024.
assert math.isclose(rows[1]["ci_low"], 10.0) and math.isclose(rows[1]["ci_high"], 10.04)
assert math.isclose(rows[1]["ci_coverage"], 1 - 22 / 1024)
assert math.isclose(rows[2]["speedup"], 10.02 / 6.02) and math.isclose(rows[4]["efficiency"], 10.02 / 4.02 / 4)
assert rows[1]["karp_flatt"] is None
assert math.isclose(rows[4]["karp_flatt"], (4.02 / 10.02 - 0.25) / 0.75)
a = [1 - 1 / p for p in (2, 4)]; b = [rows[p]["median"] / 10.02 - 1 / p for p in (2, 4)]
assert math.isclose(s["serial_fraction"], sum(x * y for x, y in zip(a, b)) / sum(x * x for x in a))
w = t[("factorial", "weak")]
wr = {r["p"]: r for r in w["rows"]}
assert w["fit_law"] == "gustafson" and math.isclose(wr[4]["efficiency"], 10.02 / 17.52)
prof = {p["source"]: p for p in d["profiles"]}
assert set(prof) == {"a.h5:run_0001", "a.h5:run_0002"}
p2, p3 = prof["a.h5:run_0001"], prof["a.h5:run_0002"]
assert p2["tasks"] == 6 and p2["peak_parallelism"] == 2 and p2["overlapped"] is True
assert p3["tasks"] == 9 and p3["peak_parallelism"] == 3 and len(p3["ranks"]) == 3
assert math.isclose(p2["makespan"], 3.0) and math.isclose(p2["busy_seconds"], 5.4)
' "$out"

run_np 1 report a.h5
expect "report (table) exits 0" [ "$rc" -eq 0 ]
expect "the table shows p, medians, speedup, the fit and a timeline" \
  bash -c 'grep -Eq "^ +4 +4\.02 .* 2\.493 +0\.623 +0\.2016 +10$" <<<"$1" && grep -q "Amdahl least-squares fit" <<<"$1" && grep -q "peak 3 (tasks overlapped)" <<<"$1" && grep -q "^rank 2: " <<<"$1"' _ "$out"

run_np 1 report a.h5 b.h5 --format markdown --plots plots
expect "report --format markdown --plots exits 0 (err: $err)" [ "$rc" -eq 0 ]
expect "the Markdown has a table per app and mode" \
  bash -c 'grep -q "^## rangesum — strong scaling" <<<"$1" && grep -q "^## factorial — weak scaling" <<<"$1" && grep -q "^| 2 | 6.02 |" <<<"$1"' _ "$out"
for name in rangesum_strong_speedup rangesum_strong_efficiency rangesum_strong_gantt factorial_weak_speedup factorial_weak_efficiency; do
  expect "plots/$name.png is a non-empty PNG" bash -c '[ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d " \n")" = "89504e470d0a1a0a" ]' _ "plots/$name.png"
  expect "plots/$name.svg is an SVG document" python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert r.tag.endswith("svg") and len(list(r.iter())) > 20' "plots/$name.svg"
done
expect "no Gantt chart for the run without task records" [ ! -e plots/factorial_weak_gantt.png ]
expect "no temporary files are left among the plots" [ -z "$(ls -A plots | grep -v -E '^[a-z_]+\.(png|svg)$')" ]

# A farm's run (app "farm": task records with commands, attempts and exit codes, no samples):
# no scaling table, but its concurrency profile, timeline and Gantt chart.
mk 3 farm.h5 --app farm --no-samples; expect "a farm-like run (3 ranks, 9 tasks, no samples)" [ $? -eq 0 ]
run_np 1 report farm.h5 --plots farm-plots
expect "report of a farm run: its profile and timeline, no scaling table" \
  bash -c '[ "$1" -eq 0 ] && grep -q "^concurrency profile of farm.h5:run_0001 (farm, p = 3" <<<"$2" && grep -q "^tasks 9, makespan 3.100 s" <<<"$2" &&
           grep -q "^rank 2: " <<<"$2" && ! grep -q "scaling" <<<"$2"' _ "$rc" "$out"
expect "... and its Gantt chart" bash -c '[ -s farm-plots/farm_strong_gantt.png ] && [ -s farm-plots/farm_strong_gantt.svg ] && [ ! -e farm-plots/farm_strong_speedup.png ]'

# Refusals: one line, exit 2, before any output.
echo "just text" > notes.h5
head -c 3000 a.h5 > truncated.h5
for case in "missing.h5:no such file" "notes.h5:not an HDF5 file" "truncated.h5:truncated or damaged"; do
  file=${case%%:*}; why=${case#*:}
  run_np 2 report a.h5 "$file"
  expect "report of $file exits 2" [ "$rc" -eq 2 ]
  expect "report of $file says '$why' on one line" bash -c '[ "$(grep -c "^multirank" <<<"$1")" -eq 1 ] && grep -q "$2" <<<"$1" && grep -q "$3" <<<"$1"' _ "$err" "$file" "$why"
  expect "report of $file prints no table" [ -z "$out" ]
done
run_np 1 report a.h5 --format xml
expect "an unknown --format exits 2" [ "$rc" -eq 2 ]
finish
