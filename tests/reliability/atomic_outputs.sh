#!/usr/bin/env bash
# Outputs appear atomically: no half-written file ever sits under the final name.
#  - HDF5 study files (study::write_run): rank 0 is SIGKILLed, or one rank fails, at each stage of
#    the write, creating, replacing and appending: the final name is absent or byte-identical to
#    the file before, and still reads as a study file; a failure also leaves no temporary file.
#  - wordcount's TSV: a watcher samples the final name during a run (it must only ever show the
#    complete file), and rank 0 is SIGKILLed while its temporary file is being written (the final
#    name must not appear).
# Usage: atomic_outputs.sh reliability_atomic_write
set -u
writer=$1
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

write() {  # write N ARGS... : runs the writer on N ranks; sets $rc, $err
  timeout -k 5 60 "$MPIEXEC" -n "$1" $MPIEXEC_OVERSUBSCRIBE "$writer" "${@:2}" >/dev/null 2>"$work/w.err"; rc=$?
  err=$(cat "$work/w.err")
}
temps() { find . -maxdepth 1 -name "*tmp*" | wc -l; }
reads_as_study() { timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" report "$1" >/dev/null 2>&1; }

write 2 base.h5 create none none base
expect "a complete study file is written" bash -c "[ $rc -eq 0 ] && [ -s base.h5 ]"
expect "it reads as a study file" reads_as_study base.h5
expect "no temporary file is left after a good write" [ "$(temps)" -eq 0 ]

for stage in datasets tasks closed; do
  write 2 "new_$stage.h5" create "$stage" kill
  expect "kill at '$stage' while creating: the job fails" [ "$rc" -ne 0 ]
  expect "kill at '$stage' while creating: nothing under the final name" [ ! -e "new_$stage.h5" ]
  for mode in replace append; do
    cp base.h5 "$mode-$stage.h5"
    write 3 "$mode-$stage.h5" "$mode" "$stage" kill
    expect "kill at '$stage' while ${mode%e}ing: the job fails" [ "$rc" -ne 0 ]
    expect "kill at '$stage' while ${mode%e}ing: the old file is intact" cmp -s base.h5 "$mode-$stage.h5"
  done
done
expect "after the kills the old files still read as study files" reads_as_study append-closed.h5
# A killed writer leaves its (hidden) temporary file: never under a final name.
expect "leftover temporary files are hidden names beside their target" \
  bash -c '! find . -maxdepth 1 -name "*tmp*" ! -name ".*.h5.tmp-*" | grep -q .'
find . -maxdepth 1 -name "*tmp*" -delete

# A failure on every rank (a full disk) or on one rank, at any stage. Once every writer has closed
# the file ('closed') the ranks agree on it: exit 3 with the message. Before that the other ranks
# may be inside HDF5's collective calls, which cannot be made to agree, so the failing rank
# removes the temporary file, names the file and the failure in one line and aborts the job
# (it used to hang there).
for failure in "opened throw-all" "datasets throw-all" "closed throw-all" "opened throw-one" "group throw-one" \
               "datasets throw-one" "tasks throw-one" "closed throw-one"; do
  set -- $failure; stage=$1; how=$2
  start=$(now_ms)
  write 3 "fail_$stage$how.h5" create "$stage" "$how"
  took=$(( $(now_ms) - start ))
  if [ "$stage" = closed ]; then
    expect "$how at '$stage' while creating: exit 3 with the message" \
      bash -c '[ "$1" -eq 3 ] && grep -q "injected failure at $2" <<<"$3"' _ "$rc" "$stage" "$err"
  else
    expect "$how at '$stage' while creating: the job ends (exit $rc, $took ms) with one line naming the file" \
      bash -c '[ "$1" -ne 0 ] && [ "$1" -ne 124 ] && [ "$4" -lt 15000 ] &&
               grep -Eq "^multirank: rank [0-9]+ on .*: cannot write fail_$2$5.h5: injected failure at $2 \(the temporary file was removed\)$" <<<"$3"' \
      _ "$rc" "$stage" "$err" "$took" "$how"
  fi
  expect "$how at '$stage' while creating: nothing under the final name, no temporary file" \
    bash -c "[ ! -e fail_$stage$how.h5 ] && [ $(temps) -eq 0 ]"
  cp base.h5 "append_fail_$stage$how.h5"
  write 2 "append_fail_$stage$how.h5" append "$stage" "$how"
  expect "$how at '$stage' while appending: the job fails, the old file is intact, no temporary file" \
    bash -c "[ $rc -ne 0 ] && [ $rc -ne 124 ] && cmp -s base.h5 append_fail_$stage$how.h5 && [ $(temps) -eq 0 ]"
done
write 2 base.h5 append none none second
expect "a good append adds a run" bash -c "[ $rc -eq 0 ] && ! cmp -s base.h5 append-closed.h5"
expect "the appended file reads as a study file with two runs" \
  bash -c 'timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" report base.h5 --format json | grep -q "second" &&
           [ "$(h5dump -n base.h5 | grep -cE "group +/run_[0-9]{4}$")" -eq 2 ]'

# --- wordcount TSV ----------------------------------------------------------------------------
python3 - <<'PY'
import random
rng = random.Random(7)
words = [f"w{i:07d}" for i in range(500000)]
rng.shuffle(words)
with open("words.txt", "w") as f:
    for i in range(0, len(words), 20):
        f.write(" ".join(words[i:i + 20]) + "\n")
PY
out=$(python3 - "$MULTIRANK_BIN" "$MULTIRANK_SOURCE_DIR/tests/support" <<'PY'
import glob, os, signal, subprocess, sys, time
binary = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import launcher

def rank0(launcher_pid):
    return launcher.rank_pids(launcher_pid).get(0)

def run(target, kill_in_write):
    p = subprocess.Popen(launcher.command(2, binary, ["wordcount", "words.txt", "--output", target]),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sizes, saw_temp, killed = set(), False, False
    while p.poll() is None:
        try:
            sizes.add(os.stat(target).st_size)
        except FileNotFoundError:
            pass
        if glob.glob(target + ".tmp.*"):
            saw_temp = True
            if kill_in_write and not killed:
                pid = rank0(p.pid)
                if pid:
                    os.kill(pid, signal.SIGKILL)
                    killed = True
        time.sleep(0.0005)
    return p.wait(), sizes, saw_temp, killed

rc, sizes, saw_temp, _ = run("counts.tsv", False)
final = os.stat("counts.tsv").st_size
lines = sum(1 for _ in open("counts.tsv"))
print(f"watch: exit={rc} final={final} lines={lines} sizes_seen={sorted(sizes)} temp_seen={saw_temp}")
print("WATCH_OK" if rc == 0 and lines == 500000 and sizes == {final} and not glob.glob("counts.tsv.tmp.*") else "WATCH_BAD")
for attempt in range(3):
    rc, sizes, saw_temp, killed = run(f"killed{attempt}.tsv", True)
    print(f"kill: exit={rc} temp_seen={saw_temp} killed={killed} final_exists={os.path.exists(f'killed{attempt}.tsv')}")
    if killed:
        print("KILL_OK" if rc != 0 and not os.path.exists(f"killed{attempt}.tsv") else "KILL_BAD")
        break
else:
    print("KILL_NOT_CAUGHT")
PY
)
echo "$out"
expect "the TSV's final name only ever holds the complete file, no temporary file left" grep -q WATCH_OK <<<"$out"
expect "rank 0 killed while writing the TSV: the final name never appears" grep -q KILL_OK <<<"$out"
finish
