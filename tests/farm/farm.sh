#!/usr/bin/env bash
# multirank farm end to end: every line exactly once at 1-4 ranks; failures with their exit codes
# and exit 1; grouped and tagged output; --retries with --logs; --fail-fast; --timeout (SIGTERM,
# then SIGKILL) leaving no process; barriers in order; a slow stdin streamed; --per-rank 2; the
# tasks' environment, descriptors and process group; MPI programs as tasks; --output in the study
# schema; the status file's integrity (an edited record, a torn last line, a second farm on it);
# an empty list; and a table of bad invocations (exit 2, one line, nothing started or written).
set -u
here=$(cd "$(dirname "$0")" && pwd)
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$MULTIRANK_SOURCE_DIR/tests/reliability/lib.sh"
M=$MULTIRANK_BIN
check=$here/status_check.py
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
export RUN_TIMEOUT=60
# mpirun's SIGCONT/SIGTERM/SIGKILL round after a non-zero exit costs a second per run otherwise.
export OMPI_MCA_odls_base_sigkill_timeout=0
start=$SECONDS
tag="mrfarm$$"   # a marker in command lines, to find their processes

# py EXPR : asserts a Python expression over s (status_check's JSON of $status).
py() { python3 -c "import json,sys; s=json.loads(sys.argv[1]); assert ($1), s" "$(python3 "$check" "$status")" 2>&1; }

# --- every line exactly once, at 1-4 ranks ------------------------------------------------------
{
  echo "# 200 tasks, each appending its id and rank to a file of its own"
  for i in $(seq 200); do
    echo "echo \$MULTIRANK_TASK:\$MULTIRANK_RANK >> once/\$MULTIRANK_TASK"
    [ $((i % 50)) -eq 0 ] && echo ""
  done
} >once.txt
expected_ids=$(python3 -c "
lines = open('once.txt').read().split('\n')
print(' '.join(str(i + 1) for i, l in enumerate(lines) if l.startswith('echo')))")
for n in 1 2 3 4; do
  rm -rf once; mkdir once
  status=once-$n.jsonl
  run_np "$n" farm once.txt --status "$status"
  expect "once at $n rank(s): exit 0, summary says 200 succeeded" \
    bash -c '[ "$1" -eq 0 ] && grep -q "^multirank farm: 200 tasks: 200 succeeded, 0 failed" <<<"$2"' _ "$rc" "$err"
  expect "once at $n rank(s): each line's file has exactly one line, none missing, ids are line numbers" \
    python3 - "$expected_ids" "$n" <<'PY'
import os, sys
ids, n = sys.argv[1].split(), int(sys.argv[2])
assert sorted(os.listdir("once"), key=int) == ids, sorted(os.listdir("once"))
ranks = set()
for i in ids:
    lines = open(f"once/{i}").read().splitlines()
    assert len(lines) == 1 and lines[0].split(":")[0] == i, (i, lines)
    ranks.add(int(lines[0].split(":")[1]))
assert ranks <= set(range(n)), ranks
assert n == 1 or len(ranks) >= 2, f"only rank(s) {ranks} ran tasks"
PY
  expect "once at $n rank(s): the status file has 200 verified records, one per line, exit 0" \
    py "len(s['records'])==200 and sorted(r['task'] for r in s['records'])==sorted(map(int,'$expected_ids'.split())) and all(r['exit_code']==0 and r['attempt']==1 and r['signal']==0 and not r['timed_out'] for r in s['records']) and s['header']['tasks']=='once.txt'"
  expect "once at $n rank(s): stdout carries only the tasks' output (none here)" [ -z "$out" ]
done

# --- failures, exit codes, the summary ----------------------------------------------------------
cat >fail.txt <<'EOF'
true
exit 3
kill -9 $$
echo fine
sh -c 'exit 255'
EOF
status=fail.jsonl
run_np 2 farm fail.txt --status "$status"
expect "failures: exit 1, the summary counts 2 succeeded and 3 failed, naming lines 2, 3, 5" \
  bash -c '[ "$1" -eq 1 ] && grep -q "5 tasks: 2 succeeded, 3 failed (first failing lines: 2, 3, 5)" <<<"$2"' _ "$rc" "$err"
expect "failures: recorded exit codes 0, 3, 137 (signal 9), 0, 255" \
  py "{r['task']:(r['exit_code'],r['signal']) for r in s['records']}=={1:(0,0),2:(3,0),3:(137,9),4:(0,0),5:(255,0)}"
expect "failures: 'fine' on stdout, once" [ "$out" = "fine" ]

# --- grouped and tagged output ------------------------------------------------------------------
for i in $(seq 12); do echo "echo a$i; sleep 0.0$((i % 4)); echo b$i; echo e$i >&2; sleep 0.01; echo f$i >&2"; done >group.txt
run_np 2 farm group.txt --per-rank 2
expect "grouped: each task's stdout lines come together (a then b), all 12 tasks" \
  python3 - "$out" <<'PY'
import sys
lines = sys.argv[1].splitlines()
assert len(lines) == 24, lines
for k in range(0, 24, 2):
    a, b = lines[k], lines[k + 1]
    assert a[0] == "a" and b == "b" + a[1:], (a, b)
PY
expect "grouped: each task's stderr lines come together too" \
  python3 - "$err" <<'PY'
import sys
lines = [l for l in sys.argv[1].splitlines() if l[:1] in "ef"]
assert len(lines) == 24, lines
for k in range(0, 24, 2):
    assert lines[k][0] == "e" and lines[k + 1] == "f" + lines[k][1:], lines[k:k + 2]
PY
run_np 2 farm group.txt --tag
expect "--tag: every line starts with its task id and a tab" \
  python3 - "$out" <<'PY'
import sys
lines = sys.argv[1].splitlines()
assert len(lines) == 24
for l in lines:
    tid, text = l.split("\t", 1)
    assert text[1:] == tid, l
PY

# --- --retries and --logs -----------------------------------------------------------------------
printf '%s\n' 'echo out$MULTIRANK_ATTEMPT; echo err$MULTIRANK_ATTEMPT >&2; [ $MULTIRANK_ATTEMPT -ge 3 ]' \
  'echo once' 'echo never >&2; exit 9' >retry.txt
status=retry.jsonl
run_np 2 farm retry.txt --retries 3 --logs logs --status "$status"
expect "--retries 3: task 1 succeeds at attempt 3, task 3 fails 4 times; exit 1" \
  bash -c '[ "$1" -eq 1 ] && grep -q "3 tasks: 2 succeeded, 1 failed (first failing lines: 3)" <<<"$2"' _ "$rc" "$err"
expect "--retries: every attempt recorded (1,2,3 of task 1; 1 of task 2; 1-4 of task 3)" \
  py "sorted((r['task'],r['attempt'],r['exit_code']) for r in s['records'])==[(1,1,1),(1,2,1),(1,3,0),(2,1,0),(3,1,9),(3,2,9),(3,3,9),(3,4,9)]"
expect "--logs: TASK.out/err hold the last attempt, TASK.out.N the earlier ones; nothing printed" \
  bash -c '[ "$(cat logs/1.out)" = out3 ] && [ "$(cat logs/1.out.1)" = out1 ] && [ "$(cat logs/1.err.2)" = err2 ] &&
           [ "$(cat logs/2.out)" = once ] && [ ! -e logs/2.out.1 ] && [ "$(cat logs/3.err.3)" = never ] &&
           [ -z "$1" ] && ! grep -q never <<<"$2"' _ "$out" "$err"

# --- --fail-fast --------------------------------------------------------------------------------
{ echo "sleep 0.3; exit 5"; for i in $(seq 100); do echo "sleep 0.1; echo x >> ff/\$MULTIRANK_TASK"; done; } >ff.txt
mkdir ff
run_np 2 farm ff.txt --fail-fast
ran=$(ls ff | wc -l)
expect "--fail-fast: exit 1, few of the 100 later tasks started ($ran), the summary counts the rest as not started" \
  bash -c '[ "$1" -eq 1 ] && [ "$2" -lt 12 ] && grep -Eq "101 tasks: [0-9]+ succeeded, 1 failed \(first failing lines: 1\), 0 skipped \(recorded before\), $((100 - $2)) not started" <<<"$3"' \
  _ "$rc" "$ran" "$err"

# --- --timeout: SIGTERM, then SIGKILL 5 s later; nothing left behind --------------------------------
long=60.0$$  # a unique duration finds the sleeps themselves, not only their shells
printf '%s\n' "sleep $long # $tag-t1" "trap '' TERM; sleep $long # $tag-t2" "echo quick" >timeout.txt
status=timeout.jsonl
t0=$(now_ms)
run_np 2 farm timeout.txt --timeout 1 --status "$status"
took=$(( $(now_ms) - t0 ))
expect "--timeout 1: the farm ends within 9 s ($took ms: 1 s, then 5 s for the one that ignores SIGTERM)" \
  bash -c '[ "$1" -eq 1 ] && [ "$2" -lt 9000 ]' _ "$rc" "$took"
expect "--timeout: recorded timed_out with exit 124; the signal that ended each (15, then 9); seconds ~1 and ~6" \
  py "(lambda d: d[1]['timed_out'] and d[1]['exit_code']==124 and d[1]['signal']==15 and 0.9<d[1]['seconds']<3 and d[2]['timed_out'] and d[2]['exit_code']==124 and d[2]['signal']==9 and 5.9<d[2]['seconds']<8 and not d[3]['timed_out'] and d[3]['exit_code']==0)({r['task']:r for r in s['records']})"
expect "progress: under mpirun a log line per 10% step (done, failed, running, tasks/s, ETA) on stderr" \
  grep -Eq "^multirank farm: 2/3 done \(66%\), [0-9]+ failed, 1 running, [0-9]+ tasks/s, ETA " <<<"$err"
expect "--timeout: no process of those tasks is left" bash -c '! pgrep -f "$1-t" >/dev/null && ! pgrep -f "sleep $2" >/dev/null' _ "$tag" "$long"

# --- barriers hold later tasks until earlier ones end ------------------------------------------------
{
  for i in $(seq 8); do echo "sleep 0.0$((i % 5)); echo A >> phases.log"; done
  echo "#MULTIRANK BARRIER"
  for i in $(seq 6); do echo "sleep 0.0$((i % 3)); echo B >> phases.log"; done
  echo "   #MULTIRANK BARRIER   "
  echo "echo C >> phases.log"
} >barrier.txt
for n in 1 3; do
  rm -f phases.log
  run_np "$n" farm barrier.txt --per-rank 2
  expect "barriers at $n rank(s): 8 A, then 6 B, then C" [ "$(tr -d '\n' <phases.log)" = "AAAAAAAABBBBBBC" ]
done

# --- a slow stdin is streamed: the first task ends before the input does -----------------------------
generate() {  # writes the rest of the list only once the first task has run
  echo "touch $work/first-ran"
  for _ in $(seq 150); do [ -e "$work/first-ran" ] && break; sleep 0.1; done
  if [ -e "$work/first-ran" ]; then echo "echo streamed"; else echo "echo not-streamed"; fi
}
out=$(generate | timeout -k 5 40 "$MPIEXEC" -n 2 $MPIEXEC_OVERSUBSCRIBE "$M" farm - 2>"$work/stdin.err"); rc=$?
err=$(cat "$work/stdin.err")
expect "stdin: the first line ran while the input was still open (the generator waited for it)" \
  bash -c '[ "$1" -eq 0 ] && [ "$2" = streamed ]' _ "$rc" "$out"

# --- --per-rank 2: four tasks at once on two ranks, slots 0 and 1 ------------------------------------
mkdir meet
for i in 1 2 3 4; do
  echo "echo \$MULTIRANK_RANK:\$MULTIRANK_SLOT > meet/\$MULTIRANK_TASK; for _ in \$(seq 200); do [ \$(ls meet | wc -l) -ge 4 ] && exit 0; sleep 0.05; done; exit 1"
done >meet.txt
run_np 2 farm meet.txt --per-rank 2
expect "--per-rank 2 on 2 ranks: all four tasks ran at the same time" [ "$rc" -eq 0 ]
expect "--per-rank 2: each rank used slots 0 and 1" [ "$(cat meet/* | sort | tr '\n' ' ')" = "0:0 0:1 1:0 1:1 " ]

# --- the tasks' environment, descriptors, stdin and process group ------------------------------------
printf '%s\n' 'env -0 > env.$MULTIRANK_RANK.$MULTIRANK_SIZE' >env.txt
env -0 >parent.env
run_np 2 farm env.txt
"$M" farm env.txt 2>/dev/null
expect "environment: under mpirun and alone, the tasks see the farm's environment minus the launcher's, plus MULTIRANK_*" \
  python3 - <<'PY'
def load(path):
    items = [e.split("=", 1) for e in open(path, "rb").read().decode().split("\0") if e]
    return {k: v for k, v in items if k != "_"}
parent = load("parent.env")
parent.pop("OMPI_MCA_rmaps_base_oversubscribe", None)  # mpirun --oversubscribe sets it too
import glob
for size in (2, 1):
    files = glob.glob(f"env.*.{size}")
    assert len(files) == 1, files
    rank = files[0].split(".")[1]
    env = load(files[0])
    farm = {k: env.pop(k) for k in list(env) if k.startswith("MULTIRANK_") and k not in parent}
    env.pop("OMPI_MCA_rmaps_base_oversubscribe", None)
    assert farm == {"MULTIRANK_TASK": "1", "MULTIRANK_RANK": rank, "MULTIRANK_SIZE": str(size), "MULTIRANK_SLOT": "0",
                    "MULTIRANK_ATTEMPT": "1"}, farm
    base = dict(parent)
    if size > 1:  # mpirun started by its full path puts its prefix first in these (the ranks' own)
        for k in ("PATH", "LD_LIBRARY_PATH"):
            if k in env:
                assert k not in parent or env[k] == parent[k] or env[k].endswith(":" + parent[k]), (k, env[k])
                env.pop(k)
                base.pop(k, None)
    extra = {k: env[k] for k in env if k not in base}
    missing = {k: base[k] for k in base if k not in env}
    changed = {k for k in env if k in base and env[k] != base[k]}
    assert not extra and not missing and not changed, (size, extra, missing, changed)
PY
# What a task starts with, seen from outside while it runs (its shell has exec'd sleep).
echo 'echo $$ > fdpid.$MULTIRANK_SIZE; exec sleep 3' >fds.txt
for n in 2 1; do
  if [ "$n" -eq 2 ]; then "$MPIEXEC" -n 2 $MPIEXEC_OVERSUBSCRIBE "$M" farm fds.txt >/dev/null 2>&1 & else "$M" farm fds.txt >/dev/null 2>&1 & fi
  job=$!
  wait_for 20 test -s "fdpid.$n"
  pid=$(cat "fdpid.$n")
  expect "descriptors ($n rank(s)): a task has only 0, 1 and 2 open, stdin is /dev/null, it leads its own process group" \
    bash -c '[ "$(ls "/proc/$1/fd" | sort -n | tr "\n" " ")" = "0 1 2 " ] && [ "$(readlink "/proc/$1/fd/0")" = /dev/null ] &&
             [ "$(ps -o pgid= -p "$1" | tr -d " ")" = "$1" ]' _ "$pid"
  wait "$job"
done
printf '%s\n' "$MPIEXEC -n 1 $M hello --json" "$M hello --json" >mpi.txt
run_np 2 farm mpi.txt
expect "MPI programs as tasks: mpirun inside a task and a singleton both run (no launcher variables leak)" \
  bash -c '[ "$1" -eq 0 ] && [ "$(grep -c "\"ranks\":1" <<<"$2")" -eq 2 ]' _ "$rc" "$out"

# --- --output: the attempts as task records of a study file --------------------------------------------
run_np 2 farm retry.txt --retries 1 --output farm.h5
expect "--output: a study run of app farm, one sample at p = 2, one task record per attempt (task ids = lines)" \
  /usr/bin/python3 - <<'PY'
import h5py, json
with h5py.File("farm.h5", "r") as f:
    assert f.attrs["format"] in (b"multirank-study", "multirank-study")
    runs = [k for k in f if k.startswith("run_")]
    assert runs == ["run_0001"], runs
    g = f["run_0001"]
    app = g.attrs["app"]
    assert (app.decode() if isinstance(app, bytes) else app) == "farm", app
    opts = g.attrs["options"]
    opts = json.loads(opts.decode() if isinstance(opts, bytes) else opts)
    assert opts["retries"] == 1 and opts["tasks"] == "retry.txt", opts
    samples = g["samples"][()]
    assert len(samples) == 1 and samples["p"][0] == 2 and samples["wall_seconds"][0] > 0, samples
    tasks = g["tasks"][()]
    assert sorted(tasks["task_id"].tolist()) == [1, 1, 2, 3, 3], tasks["task_id"]
    names = tasks.dtype.names
    if "attempt" in names and "exit_code" in names:
        got = sorted(zip(tasks["task_id"].tolist(), tasks["attempt"].tolist(), tasks["exit_code"].tolist()))
        assert got == [(1, 1, 1), (1, 2, 1), (2, 1, 0), (3, 1, 9), (3, 2, 9)], got
        print("attempt and exit_code are stored")
    else:
        print("note: this schema stores no attempt/exit_code/command yet (the schema revision of issue 15)")
PY

# --- the status file: integrity, torn tail, one farm at a time ------------------------------------------
for i in $(seq 10); do echo "echo \$MULTIRANK_TASK >> integrity.out"; done >integrity.txt
run_np 2 farm integrity.txt --status good.jsonl
cp good.jsonl edited.jsonl
python3 - <<'PY'
lines = open("edited.jsonl").read().splitlines(True)
lines[4] = lines[4].replace('"exit_code":0', '"exit_code":1')
open("edited.jsonl", "w").write("".join(lines))
PY
cp edited.jsonl edited.before
rm -f integrity.out
run_np 2 farm integrity.txt --status edited.jsonl --resume
expect "an edited record is refused: exit 2, one line naming line 5, nothing run, the file unchanged" \
  bash -c '[ "$1" -eq 2 ] && [ "$(grep -c "^multirank" <<<"$2")" -eq 1 ] && grep -q "edited.jsonl line 5 fails its checksum" <<<"$2" &&
           [ ! -e integrity.out ] && cmp -s edited.jsonl edited.before' _ "$rc" "$err"
head -c -40 good.jsonl >torn.jsonl
status=torn.jsonl
run_np 2 farm integrity.txt --status torn.jsonl --resume
expect "a torn last line is tolerated: exit 0, only its task runs again, the file is whole afterwards" \
  bash -c '[ "$1" -eq 0 ] && grep -q "10 tasks: 10 succeeded, 0 failed, 9 skipped" <<<"$2" && [ "$(wc -l <integrity.out)" -eq 1 ]' _ "$rc" "$err"
expect "the repaired status file verifies, 10 records" py "len(s['records'])==10"
for i in $(seq 30); do echo "sleep 0.20$$ # $tag-lock"; done >slow.txt
"$MPIEXEC" -n 2 $MPIEXEC_OVERSUBSCRIBE "$M" farm slow.txt --status busy.jsonl >/dev/null 2>&1 &
first=$!
wait_for 20 bash -c '[ "$(cat busy.jsonl 2>/dev/null | wc -l)" -ge 2 ]'
run_np 2 farm slow.txt --status busy.jsonl --resume
expect "a second farm on a status file in use is refused (exit 2, one line)" \
  bash -c '[ "$1" -eq 2 ] && [ "$(grep -c "^multirank" <<<"$2")" -eq 1 ] && grep -q "busy.jsonl is in use by another process" <<<"$2"' _ "$rc" "$err"
run_np 1 farm slow.txt --status busy.jsonl
expect "... and without --resume it already exists (exit 2)" bash -c '[ "$1" -eq 2 ] && grep -q "already exists" <<<"$2"' _ "$rc" "$err"
kill -TERM "$first"; wait "$first" 2>/dev/null
wait_for 5 bash -c '! pgrep -f "$1-lock" >/dev/null && ! pgrep -f "sleep 0.20$2" >/dev/null' _ "$tag" "$$"

# --- an empty list is not an error ------------------------------------------------------------------
printf '# nothing to do\n\n' >empty.txt
run_np 2 farm empty.txt --status empty.jsonl
expect "an empty list: exit 0, '0 tasks'" bash -c '[ "$1" -eq 0 ] && grep -qx "multirank farm: 0 tasks" <<<"$2"' _ "$rc" "$err"

# --- bad input: exit 2, one line, nothing started, nothing written ----------------------------------
mkdir bad && cd bad || exit 1
echo "touch STARTED" >tasks.txt
echo '{"not": "a farm"}' >foreign.jsonl
cp ../good.jsonl other-list.jsonl
cp ../edited.jsonl edited.jsonl
echo "some notes, not HDF5" >notes.h5
: >empty-status.jsonl
mkdir adir
echo file >afile
cases=$(cat <<'TABLE'
cannot read the task list missing.txt|farm missing.txt
the task list adir is a directory|farm adir
TASKS is required|farm
--per-rank must be between 1 and 4096, not 0|farm tasks.txt --per-rank 0
--timeout must be a positive number of seconds, not -1|farm tasks.txt --timeout -1
--timeout must be a positive number of seconds, not 0|farm tasks.txt --timeout 0
--retries must be 0 or more|farm tasks.txt --retries -2
--resume needs --status FILE|farm tasks.txt --resume
--retry-failed goes with --resume|farm tasks.txt --status s.jsonl --retry-failed
status file other-list.jsonl already exists|farm tasks.txt --status other-list.jsonl
already exists \(empty\)|farm tasks.txt --status empty-status.jsonl
foreign.jsonl line 1 has no checksum|farm tasks.txt --status foreign.jsonl --resume
other-list.jsonl belongs to the task list integrity.txt|farm tasks.txt --status other-list.jsonl --resume
edited.jsonl line 5 fails its checksum|farm tasks.txt --status edited.jsonl --resume
cannot write the status file /nonexistent/s.jsonl|farm tasks.txt --status /nonexistent/s.jsonl
status file adir is a directory|farm tasks.txt --status adir --resume
cannot write --logs /nonexistent/logs: folder /nonexistent does not exist|farm tasks.txt --logs /nonexistent/logs
--logs afile is not a folder|farm tasks.txt --logs afile
notes.h5|farm tasks.txt --output notes.h5 --append
--force and --append go with --output|farm tasks.txt --force
--progress: bogus not in|farm tasks.txt --progress bogus
TABLE
)
snapshot() { find . -printf '%p %s %T@\n' | sort; }
before=$(snapshot)
count=0
while IFS='|' read -r pattern args; do
  [ -n "$pattern" ] || continue
  count=$((count + 1))
  eval "set -- $args"
  for n in alone 2; do
    if [ "$n" = alone ]; then
      out=$(timeout -k 5 30 "$M" "$@" </dev/null 2>"$work/bad.err"); rc=$?; err=$(cat "$work/bad.err")
    else
      run_np "$n" "$@" </dev/null
    fi
    ours=$(grep '^multirank' <<<"$err")
    what="bad input [$args] ($n)"
    expect "$what: exit 2, one line of ours matching '$pattern', nothing on stdout" \
      bash -c '[ "$1" -eq 2 ] && [ "$(grep -c "" <<<"$2")" -eq 1 ] && grep -Eq -- "$3" <<<"$2" && [ -z "$4" ]' \
      _ "$rc" "$ours" "$pattern" "$out"
    now=$(snapshot)
    expect "$what: nothing started, nothing written" bash -c '[ "$1" = "$2" ] && [ ! -e STARTED ]' _ "$now" "$before"
    before=$now
  done
done <<<"$cases"
export MULTIRANK_PROGRESS=sideways
run_np 2 farm tasks.txt </dev/null
unset MULTIRANK_PROGRESS
expect "MULTIRANK_PROGRESS=sideways: exit 2, one line" \
  bash -c '[ "$1" -eq 2 ] && grep -q "MULTIRANK_PROGRESS must be auto, terminal, log or none" <<<"$2" && [ ! -e STARTED ]' _ "$rc" "$err"
expect "at least 20 bad invocations" [ "$count" -ge 20 ]
cd ..

echo "farm.sh: $((SECONDS - start)) s"
finish
