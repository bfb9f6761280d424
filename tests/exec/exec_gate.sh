#!/usr/bin/env bash
# The regression gate, `multirank report NEW.h5 --reference OLD.h5 [--tolerance T]`, both ways on
# studies of the tests' program at 1, 2 and 3 ranks (4 samples each), measured by the CPU time it
# reports (json:cpu_seconds: the machine is shared, and a wall time doubles when another test
# takes the core, while the CPU time of the work does not):
# a file against itself is "same" (exit 0); another run of the same binary is "same"; the build
# that does twice the work (same name, another folder, another SHA-256) is "slower" at every p
# (exit 1), and the reference against it "faster" (exit 0); 3 samples a side are "too few
# samples". The ratio and its interval are recomputed in Python (numpy, and the exact
# Mann-Whitney distribution by enumerating every ordering) from the samples in the files.
set -u
source "$(dirname "$0")/lib.sh"
start=$SECONDS

study() {  # study OUT PROGRAM REPS
  drive study --ranks 1,2,3 --reps "$3" --warmup 0 --output "$1" exec --launcher "$LAUNCH" --metric json:cpu_seconds \
    -- "$2" --work 60
  expect "study of $2 into $1 ($3 samples per p)" [ "$rc" -eq 0 ]
}
study ref.h5 "$W" 4
study again.h5 "$W" 4
study twice.h5 "$W2" 4
study few.h5 "$W" 3

drive report ref.h5 --reference ref.h5 --format json
expect "a file against itself: exit 0" [ "$rc" -eq 0 ]
expect "... every p is 'same' with a ratio of exactly 1" "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
assert [r["p"] for r in d["rows"]] == [1, 2, 3] and not d["slower"]
assert all(r["verdict"] == "same" and r["ratio"] == 1.0 and r["median_ratio"] == 1.0 for r in d["rows"]), d["rows"]
assert all(r["n_new"] == 4 and r["n_reference"] == 4 and abs(r["ci_coverage"] - 68 / 70) < 1e-12 for r in d["rows"])
' "$out"

drive report again.h5 --reference ref.h5 --tolerance 25%
expect "another run of the same binary: exit 0, 'same' at every p" \
  bash -c '[ "$1" -eq 0 ] && [ "$(grep -cE " same$" <<<"$2")" -eq 3 ] && grep -q "^verdict: 0 slower, 0 faster, 3 same" <<<"$2"' _ "$rc" "$out"

drive report twice.h5 --reference ref.h5 --tolerance 25% --format json
expect "the build doing twice the work: exit 1" [ "$rc" -eq 1 ]
echo "$out" >twice.json
expect "... 'slower' at every p, and the ratio and interval match a Python recomputation" "$PY" - twice.json twice.h5 ref.h5 <<'PY'
import itertools, json, sys
import h5py, numpy as np
d = json.load(open(sys.argv[1]))
assert d["slower"] and [r["p"] for r in d["rows"]] == [1, 2, 3], d
def values(path, p):
    s = h5py.File(path, "r")["run_0001/samples"][:]
    return np.log(s[s["p"] == p]["metric"])
def exact_cdf(m, n):  # P(U <= u) by enumerating every ordering of the m + n values
    count = np.zeros(m * n + 1)
    for xs in itertools.combinations(range(m + n), m):
        count[sum(x - i for i, x in enumerate(xs))] += 1
    return np.cumsum(count) / count.sum()
for r in d["rows"]:
    x, y = values(sys.argv[2], r["p"]), values(sys.argv[3], r["p"])
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    cdf = exact_cdf(len(x), len(y))
    k = 1
    while cdf[k] <= 0.025:
        k += 1
    assert np.isclose(r["ratio"], np.exp(np.median(diffs)), rtol=1e-12), r
    assert np.isclose(r["ci_low"], np.exp(diffs[k - 1]), rtol=1e-12) and np.isclose(r["ci_high"], np.exp(diffs[-k]), rtol=1e-12), r
    assert np.isclose(r["ci_coverage"], 1 - 2 * cdf[k - 1]), r
    assert r["verdict"] == "slower" and r["ci_low"] > 1.25, r
    assert 1.5 < r["ratio"] < 2.6, r   # twice the work
print("ok")
PY

drive report ref.h5 --reference twice.h5 --tolerance 25%
expect "the reference against the slower build: exit 0, 'faster' at every p" \
  bash -c '[ "$1" -eq 0 ] && [ "$(grep -cE " faster$" <<<"$2")" -eq 3 ]' _ "$rc" "$out"
drive report ref.h5 --reference twice.h5 --format markdown
expect "the gate in Markdown: one table, a row per p" \
  bash -c '[ "$1" -eq 0 ] && grep -q "^## exec_work — strong scaling, metric .json:cpu_seconds." <<<"$2" && [ "$(grep -c "^| [123] |" <<<"$2")" -eq 3 ]' _ "$rc" "$out"

drive report few.h5 --reference twice.h5
expect "3 samples a side: 'too few samples' at every p, exit 0" \
  bash -c '[ "$1" -eq 0 ] && [ "$(grep -cE " too few samples$" <<<"$2")" -eq 3 ]' _ "$rc" "$out"
drive report again.h5 few.h5 --reference ref.h5 --tolerance 25%
expect "files pooled on the new side: 7 samples of the same key against 4, 'same' (exit 0)" \
  bash -c '[ "$1" -eq 0 ] && grep -Eq "^ +1 +7 +4 .* same$" <<<"$2"' _ "$rc" "$out"

echo "exec_gate took $((SECONDS - start)) s"
finish
