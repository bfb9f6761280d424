#!/usr/bin/env bash
# A table of bad invocations across every subcommand, each at 1 and at 3 ranks. Each must exit
# with its code (2 usage, 1 runtime), print exactly one line of our own on stderr (starting with
# "multirank") that names the problem, print nothing on stdout, show no stack trace or abort, end
# within the timeout, and leave the work directory exactly as it was (no partial output, no
# temporary file, no journal touched).
set -u
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
work=$(mktemp -d); trap 'chmod -R u+rwX "$work"; rm -rf "$work"' EXIT
cd "$work" || exit 1
export RUN_TIMEOUT=30
# When a rank exits non-zero, Open MPI kills the rest with SIGCONT, SIGTERM and SIGKILL a second
# apart (odls_base_sigkill_timeout), even when they have all exited already: 2 s per usage error.
# Nothing here needs the grace period (no journal to flush), so the table runs without it.
export OMPI_MCA_odls_base_sigkill_timeout=0

# h5py comes from Debian's python3-h5py: use the interpreter that has it.
PY=""
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c "import h5py" 2>/dev/null; then PY=$candidate; break; fi
done

# --- inputs ---------------------------------------------------------------------------------
printf 'hello world\nhello again\n' >text.txt
: >empty.txt
printf 'a\0b\377\376 binary\n' >binary.bin
mkdir dir
mkfifo fifo
printf 'word\tcount\n' >existing.tsv
echo "some notes, not HDF5" >notes.txt
timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" rangesum --n 1000 --output real.h5 >/dev/null 2>&1
expect "a real study file is written for the report cases" [ -s real.h5 ]
cp real.h5 existing.h5
head -c $(( $(stat -c %s real.h5) / 2 )) real.h5 >truncated.h5
if [ -n "$PY" ]; then
  "$PY" - <<'PY'
import shutil, h5py, numpy as np
shutil.copy("real.h5", "wrong_version.h5")
with h5py.File("wrong_version.h5", "r+") as f:
    f.attrs.modify("schema_version", np.int32(99))
with h5py.File("foreign.h5", "w") as f:
    f["data"] = np.arange(10)
    f.attrs["creator"] = "not multirank"
PY
fi
expect "h5py made the wrong-version and foreign HDF5 files" bash -c '[ -s wrong_version.h5 ] && [ -s foreign.h5 ]'
timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" factorial --list 5,6 --journal jf.jsonl >/dev/null 2>&1
expect "a journal of another run is made" [ -s jf.jsonl ]
rm -f -- .*.tmp-* *.tmp.* 2>/dev/null
if [ "$(id -u)" -ne 0 ]; then printf 'secret\n' >unreadable.txt; chmod 000 unreadable.txt; fi

# --- the table: expected exit | pattern the line must match (grep -E, no '|') | arguments ------
cases=$(cat <<'TABLE'
2|unknown subcommand 'frobnicate'|frobnicate
2|not expected.*--bogus|rangesum --n 10 --bogus
2|--n|rangesum --n
2|--n must be at least 1|rangesum --n 0
2|--n must be at least 1|rangesum --n -5
2|--n.*abc is not a whole number|rangesum --n abc
2|--n.*9223372036854775808 is out of range|rangesum --n 9223372036854775808
2|--n.*out of range|rangesum --n 99999999999999999999999
2|--lo \+ --n must stay below 2\^63|rangesum --n 10 --lo 9223372036854775800
2|pattern.*nosuch|rangesum --n 10 --pattern nosuch
2|--chunks|rangesum --n 10 --pattern pool --chunks -1
2|--n must be in \[1, 4294967295\], got 0|factorial --n 0
2|--n.*-3 is negative|factorial --n -3
2|--n.*out of range|factorial --n 18446744073709551616
2|--n must be in \[1, 4294967295\]|factorial --n 4294967296
2|--list|factorial --list ''
2|--list.*x is not a whole number|factorial --list 5,x
2|give --n N or --list|factorial
2|--n.*excludes --list|factorial --n 5 --list 3
2|--resume needs --journal|factorial --list 5 --resume
2|unknown schedule 'fastest'|imbalance --schedule fastest
2|bad task size 'abc'|imbalance --tasks 1:abc:1
2|--scale must be a positive number|imbalance --scale 0
2|--width must be in|imbalance --width 3
2|--journal works with the pool schedules|imbalance --schedule static --journal new.jsonl
2|rank count 99 is outside \[1, [13]\]|study --ranks 1,99 --output out.h5 rangesum --n 10
2|rank count 1 is listed twice|study --ranks 1,1 --output out.h5 rangesum --n 10
2|rank count 0 is outside|study --ranks 0 --output out.h5 rangesum --n 10
2|--output.*required|study --ranks 1 rangesum --n 10
2|at least one repetition, not 0|study --ranks 1 --reps 0 --output out.h5 rangesum --n 10
2|--n must be at least 1|study --ranks 1 --output out.h5 rangesum --n 0
2|missing.txt: no such file|wordcount missing.txt
2|/proc/self/mem: cannot read|wordcount /proc/self/mem
2|binary data.*binary.bin|wordcount binary.bin
2|dir: is a directory|wordcount dir
2|fifo: not a regular file|wordcount fifo
2|no directory nodir|wordcount text.txt --output nodir/out.tsv
2|existing.tsv exists: add --force|wordcount text.txt --output existing.tsv
2|--output dir: is a directory|wordcount text.txt --output dir --force
2|--block-kib must be in|wordcount text.txt --block-kib 0
2|unknown word rule 'letters'|wordcount text.txt --words letters
2|files.*required|wordcount
2|existing.h5 already exists; pass --force|rangesum --n 10 --output existing.h5
2|directory nodir does not exist|rangesum --n 10 --output nodir/x.h5
2|--force and --append go with --output|rangesum --n 10 --force
2|--force and --append exclude each other|rangesum --n 10 --output new.h5 --force --append
2|refusing to overwrite notes.txt: not an HDF5 file|rangesum --n 10 --output notes.txt --force
2|cannot write study file /proc/x.h5: cannot create a file in /proc|rangesum --n 10 --output /proc/x.h5
2|truncated.h5: a truncated or damaged HDF5 file|report truncated.h5
2|foreign.h5: an HDF5 file but not a multirank study file|report foreign.h5
2|wrong_version.h5: schema_version 99 is not supported|report wrong_version.h5
2|notes.txt: not an HDF5 file|report notes.txt
2|missing.h5: no such file|report missing.h5
2|dir: not a regular file|report dir
2|--format|report --format xml real.h5
2|journal jf.jsonl belongs to another .factorial. run: list is \[5,6\] there, \[5,7\] here|factorial --list 5,7 --journal jf.jsonl --resume
2|journal jf.jsonl belongs to a .factorial. run, not to .imbalance.|imbalance --journal jf.jsonl --resume
2|journal jf.jsonl belongs to a .factorial. run, not to .rangesum.|rangesum --n 100 --pattern pool --journal jf.jsonl --resume
2|journal jf.jsonl belongs to a .factorial. run, not to .study.|study --ranks 1 --output out.h5 --journal jf.jsonl --resume rangesum --n 10
2|journal jf.jsonl already exists: add --resume|factorial --list 5,6 --journal jf.jsonl
2|journal missing.jsonl does not exist|factorial --list 5,6 --journal missing.jsonl --resume
2|notes.txt is not a multirank journal|factorial --list 5,6 --journal notes.txt --resume
2|journal empty.txt is empty|factorial --list 5,6 --journal empty.txt --resume
2|journal dir is a directory|factorial --list 5,6 --journal dir --resume
2|cannot write journal nodir/j.jsonl: folder nodir does not exist|factorial --list 5,6 --journal nodir/j.jsonl
2|--journal works with --pattern pool|rangesum --n 10 --journal new.jsonl
2|--mode must be local, lock or atomic|counter --mode shared
2|--increments must be a positive integer|counter --increments 0
TABLE
)
if [ "$(id -u)" -ne 0 ]; then cases+=$'\n'"2|unreadable.txt: cannot (open|read)|wordcount unreadable.txt"; fi

snapshot() { find . -printf '%p %s %T@\n' | sort; }
before=$(snapshot)
count=0
while IFS='|' read -r code pattern args; do
  [ -n "$code" ] || continue
  count=$((count + 1))
  eval "set -- $args"
  for n in 1 3; do
    run_np "$n" "$@" </dev/null  # mpirun would read the table from stdin
    ours=$(grep '^multirank' <<<"$err")
    what="[$args] at $n rank(s)"
    expect "$what: exit $code" [ "$rc" -eq "$code" ]
    expect "$what: one line of ours naming the problem" \
      bash -c '[ "$(grep -c "" <<<"$1")" -eq 1 ] && grep -Eq -- "$2" <<<"$1"' _ "$ours" "$pattern"
    expect "$what: nothing on stdout" [ -z "$out" ]
    expect "$what: no stack trace, abort or crash" \
      bash -c '! grep -Eq "terminate called|[Ss]tack trace|[Bb]acktrace|Aborted \(core|Segmentation fault|MPI_ABORT was invoked|\*\*\* Process received" <<<"$1"' _ "$err"
    now=$(snapshot)
    expect "$what: the work directory is unchanged" [ "$now" = "$before" ]
    if [ "$now" != "$before" ]; then diff <(echo "$before") <(echo "$now") | head -5; before=$now; fi
  done
done <<<"$cases"
echo "$count bad invocations checked"
expect "at least 25 bad invocations" [ "$count" -ge 25 ]

# Controls: an empty input is valid (zero words), and the same invocations work when corrected.
for n in 1 3; do
  run_np "$n" wordcount empty.txt --json
  expect "an empty file is zero words at $n rank(s)" \
    python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['total_words']==0 and d['distinct_words']==0, d" "$out"
  run_np "$n" wordcount text.txt --output existing.tsv --force
  expect "--force replaces an existing TSV at $n rank(s)" grep -qx "hello	2" existing.tsv
done
finish
