#!/usr/bin/env bash
# `multirank study ... exec -- PROGRAM` end to end with the tests' MPI program at 1, 2 and 3 ranks
# (oversubscribed through the launcher template): strong and weak ({p}), the wall, json and regex
# metrics, {rep}, what the study file keeps (h5py), appending to built-in runs and to a version-1
# file, journal and resume, report tables and plots, the launched commands' environment, the
# refusal under a multi-rank launcher, and the driver's own cost per launch (printed).
set -u
source "$(dirname "$0")/lib.sh"
start=$SECONDS

# Strong scaling, wall metric, one warm-up; {rep} names a file per repetition.
drive study --ranks 1,2,3 --reps 2 --warmup 1 --output s.h5 exec --launcher "$LAUNCH" \
  -- "$W" --work 30 --env "env-{rep}.txt"
expect "a strong study of the program at 1, 2, 3 ranks exits 0" [ "$rc" -eq 0 ]
expect "it prints the scaling table with the program's provenance" \
  bash -c 'grep -q "^exec_work, strong scaling, options {\"args\":\[\"--work\",\"30\",\"--env\",\"env-{rep}.txt\"\]}" <<<"$1" &&
           grep -q "^program: .*exec_work ([0-9]* bytes, sha256 [0-9a-f]\{64\})" <<<"$1" && grep -Eq "^ +3 " <<<"$1"' _ "$out"
expect "{rep} became 0 and 1 (the warm-up runs as 0)" bash -c '[ -s env-0.txt ] && [ -s env-1.txt ] && [ ! -e env-2.txt ]'
sha=$(sha256sum "$W" | cut -d" " -f1); size=$(stat -c %s "$W")
expect_h5 "s.h5: schema 2, the program's name, path, size and SHA-256, the argument template and launcher" s.h5 "
assert f.attrs['schema_version'] == 2
r = f['run_0001']
a = dict(r.attrs)
assert a['app'] == b'exec_work' and a['mode'] == b'strong' and a['metric'] == b'wall', a
assert a['program_path'] == b'$W' and a['program_size'] == $size and a['program_sha256'] == b'$sha', a
o = json.loads(a['options'])
assert o == {'args': ['--work', '30', '--env', 'env-{rep}.txt'], 'launcher': '$LAUNCH'}, o
assert list(a['ranks']) == [1, 2, 3] and a['reps'] == 2 and a['warmups'] == 1 and a['world_size'] == 1
s = r['samples'][:]
assert list(s['p']) == [1, 1, 2, 2, 3, 3] and list(s['rep']) == [0, 1] * 3
assert all(s['wall_seconds'] > 0) and np.array_equal(s['metric'], s['wall_seconds']) and not any(s['exit_code'])
assert all(np.isnan(s['rank_min_seconds']))
m = r['summary'][:]
assert list(m['p']) == [1, 2, 3] and list(m['n']) == [2, 2, 2]
assert np.isclose(m['median'][1], np.median(s['wall_seconds'][2:4]))
for p in (1, 2, 3):
    g = r['output/p_%04d' % p]
    text = bytes(g['stdout'][:]).decode()
    assert g.attrs['p'] == p and g.attrs['rep'] == 1 and g.attrs['stdout_bytes'] == len(text), dict(g.attrs)
    assert g['stdout'].dtype == np.uint8 and ('work done on %d ranks' % p) in text, text
assert r['tasks'].shape == (0,)
"

# The program's own time (json), appended as a second run; then a weak study with {p} in ARGS,
# measured by a regex. The kept output holds the very value each last repetition recorded.
drive study --ranks 1,2,3 --reps 2 --warmup 0 --output s.h5 exec --launcher "$LAUNCH" --metric json:seconds \
  -- "$W" --work 30
expect "a json:seconds study appends (exit 0)" [ "$rc" -eq 0 ]
drive study --ranks 1,2,3 --reps 2 --warmup 0 --mode weak --output s.h5 exec --launcher "$LAUNCH" \
  --metric 'regex:elapsed: ([0-9.]+) s' --expect '^work done on [0-9]+ ranks' -- "$W" --work '{p}0'
expect "a weak regex study with {p} in the arguments appends (exit 0)" [ "$rc" -eq 0 ]
expect_h5 "s.h5: the json and regex runs hold the program's own times, below the launches' wall times" s.h5 "
runs = sorted(k for k in f)
assert runs == ['run_0001', 'run_0002', 'run_0003'], runs
j, w = f['run_0002'], f['run_0003']
assert j.attrs['metric'] == b'json:seconds' and w.attrs['metric'] == b'regex:elapsed: ([0-9.]+) s'
assert w.attrs['mode'] == b'weak' and json.loads(w.attrs['options'])['args'] == ['--work', '{p}0']
for run, read in ((j, lambda t: json.loads(t.splitlines()[0])['seconds']),
                  (w, lambda t: float(t.split('elapsed: ')[1].split()[0]))):
    s = run['samples'][:]
    assert all(s['metric'] > 0) and all(s['metric'] < s['wall_seconds']), s
    for p in (1, 2, 3):
        text = bytes(run['output/p_%04d/stdout' % p][:]).decode()
        last = s[(s['p'] == p) & (s['rep'] == 1)]['metric'][0]
        assert abs(read(text) - last) < 1e-12, (p, text, last)
        if run is w:
            assert json.loads(text.splitlines()[0])['work'] == 10 * p, text   # {p}0 became 10, 20, 30
    assert np.isclose(run['summary']['median'][0], np.median(s['metric'][:2]))  # the summary is of the metric
"
out=$(timeout -k 5 60 "$MULTIRANK_BIN" report s.h5 --format json --plots plots 2>&1); rc=$?
expect "report over the three program runs exits 0 and draws plots" bash -c '[ "$1" -eq 0 ] && ls plots/exec_work_strong_speedup.png plots/exec_work_weak_efficiency.svg >/dev/null' _ "$rc"
expect "report keeps the wall, json and weak runs in three tables keyed on metric and arguments" "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
t = [(x["app"], x["mode"], x["metric"], json.dumps(x["options"])) for x in d["tables"]]
assert len(t) == 3 and len(set(t)) == 3, t
assert all(x["programs"] and len(x["rows"]) == 3 for x in d["tables"])
' "$out"

# Appending to a file of built-in app runs, and to a file of schema version 1.
timeout -k 5 60 "$MPIEXEC" -n 2 $MPIEXEC_OVERSUBSCRIBE "$MAKE_STUDY_FILE" mixed.h5 >/dev/null 2>&1
drive study --ranks 1,2 --reps 2 --warmup 0 --output mixed.h5 exec --launcher "$LAUNCH" -- "$W" --work 10
expect "a program's run appends to a file of built-in runs" [ "$rc" -eq 0 ]
out=$(timeout -k 5 60 "$MULTIRANK_BIN" report mixed.h5 2>&1); rc=$?
expect "report shows both kinds of run, and the built-in run's concurrency profile" \
  bash -c '[ "$1" -eq 0 ] && grep -q "^rangesum, strong scaling" <<<"$2" && grep -q "^exec_work, strong scaling" <<<"$2" && grep -q "^concurrency profile of mixed.h5:run_0001" <<<"$2"' _ "$rc" "$out"
cp "$V1_FIXTURE" old.h5
drive study --ranks 1,2 --reps 2 --warmup 0 --output old.h5 exec --launcher "$LAUNCH" -- "$W" --work 10
expect "a program's run appends to a version-1 file" [ "$rc" -eq 0 ]
expect_h5 "old.h5 is rewritten as version 2 with its two old runs intact" old.h5 "
assert f.attrs['schema_version'] == 2 and f.attrs['schema_upgraded_from'] == 1
assert sorted(f) == ['run_0001', 'run_0002', 'run_0003']
o = f['run_0001']
assert o.attrs['app'] == b'rangesum' and o.attrs['metric'] == b'wall' and len(o['samples']) == 15
assert list(o['tasks']['attempt']) == [1] * 6 and list(o['tasks']['command']) == [b''] * 6
assert np.allclose(o['samples']['metric'], o['samples']['wall_seconds'])
assert f['run_0003'].attrs['app'] == b'exec_work'
"

# Journal and resume: the resumed study runs only the missing repetitions.
drive study --journal j.jsonl --ranks 1,2 --reps 2 --warmup 0 --output j.h5 exec --launcher "$LAUNCH" -- "$W" --work 10
expect "a journaled study exits 0 with one journal line per sample, then the written run" \
  bash -c '[ "$1" -eq 0 ] && [ "$(wc -l <j.jsonl)" -eq 6 ] && tail -n 1 j.jsonl | grep -q "\"written\":"' _ "$rc"
head -n 3 j.jsonl >k.jsonl
drive study --journal k.jsonl --resume --ranks 1,2 --reps 2 --warmup 0 --output k.h5 exec --launcher "$LAUNCH" -- "$W" --work 10
expect "the resumed study adds only the two missing samples" \
  bash -c '[ "$1" -eq 0 ] && [ "$(wc -l <k.jsonl)" -eq 6 ] && cmp -s <(head -n 3 j.jsonl) <(head -n 3 k.jsonl)' _ "$rc"
expect_h5 "k.h5 holds the two journaled samples and the two new ones" k.h5 "
s = f['run_0001/samples'][:]
jl = [json.loads(l)['result'] for l in open('j.jsonl').read().splitlines()[1:3]]
assert list(s['p']) == [1, 1, 2, 2] and [float(x) for x in s['wall_seconds'][:2]] == [x['wall'] for x in jl], (s, jl)
"
drive study --journal k.jsonl --resume --ranks 1,2 --reps 2 --warmup 0 --output k.h5 exec --launcher "$LAUNCH" -- "$W" --work 11
expect "a journal of other arguments is refused (exit 2)" bash -c '[ "$1" -eq 2 ] && grep -q "belongs to another .study. run: options.args is \[\"--work\",\"10\"\] there, \[\"--work\",\"11\"\] here" <<<"$2"' _ "$rc" "$err"

# The launched commands' environment: the driver under `mpirun -n 1` inherits a rank's launcher
# variables; the command gets none of them, and keeps the user's own settings.
out=$(PMIX_MCA_gds=hash OMPI_MCA_btl_base_verbose=0 timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" study --ranks 2 --reps 1 --warmup 0 \
  --output env.h5 exec --launcher 'env MULTIRANK_TEST_P={p}' -- /usr/bin/env 2>&1); rc=$?
expect "the driver runs under mpirun -n 1 (exit 0)" [ "$rc" -eq 0 ]
expect_h5 "the command got no launcher variable and every setting of the user's" env.h5 "
env = dict(l.split('=', 1) for l in bytes(f['run_0001/output/p_0002/stdout'][:]).decode().splitlines() if '=' in l)
leaked = [k for k in env if k.startswith(('OMPI_COMM_WORLD', 'OMPI_MCA_orte', 'OMPI_MCA_ess', 'PMIX_RANK', 'PMIX_NAMESPACE',
                                          'PMIX_SERVER', 'OMPI_UNIVERSE', 'PMI_', 'HYDI_', 'MPI_LOCALRANKID'))]
assert not leaked, leaked
assert env['MULTIRANK_TEST_P'] == '2' and env['PMIX_MCA_gds'] == 'hash' and env['OMPI_MCA_btl_base_verbose'] == '0'
if os.environ['MULTIRANK_MPI_VENDOR'] == 'openmpi':  # ctest's own settings for Open MPI
    assert env['OMPI_ALLOW_RUN_AS_ROOT'] == '1' and env['OMPI_MCA_rmaps_base_oversubscribe'] == '1'
assert b'OMPI_MCA_btl_base_verbose=0' in list(f['run_0001'].attrs['environment'])
"
out=$(timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" study --ranks 2 --reps 1 --warmup 0 --output nested.h5 \
  exec --launcher "$LAUNCH" --metric json:seconds -- "$W" --work 5 2>&1); rc=$?
expect "under mpirun -n 1 the driver still launches an MPI program with mpirun (no orte_init failure)" \
  bash -c '[ "$1" -eq 0 ] && [ -s nested.h5 ]' _ "$rc"
run_np 2 study --ranks 1 --reps 1 --output refused.h5 exec -- "$W"
expect "under mpirun -n 2 the driver refuses with one line, exit 2, nothing written" \
  bash -c '[ "$1" -eq 2 ] && [ "$(grep -c "^multirank" <<<"$2")" -eq 1 ] && grep -q "runs alone, not as one of 2 ranks" <<<"$2" && [ ! -e refused.h5 ]' _ "$rc" "$err"

# The driver's own cost per launch beyond the launched command's wall time (target: under 5 ms),
# over 200 launches of /bin/true through `env` as the launcher.
drive study --ranks 1 --reps 200 --warmup 0 --json --output cost.h5 exec --launcher 'env P={p}' -- /bin/true
cost=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1])["driver"]; print("%.3f ms per launch (%d launches, %.3f s in launches, %.3f s in all)" % (d["overhead_ms_per_launch"], d["launches"], d["launch_seconds"], d["loop_seconds"]))' "$out" 2>&1)
echo "driver cost: $cost"
expect "the driver measured its own cost over 200 launches" grep -q "(200 launches" <<<"$cost"

echo "exec_study took $((SECONDS - start)) s"
finish
