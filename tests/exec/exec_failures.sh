#!/usr/bin/env bash
# `multirank study ... exec` when things go wrong: a failing program, a failing --expect, a metric
# the first output lacks, a timeout (nothing left running), a stop signal; and a table of bad
# input, each refused with one line and exit 2 before anything is written. The study file is
# left as it was in every case.
set -u
source "$(dirname "$0")/lib.sh"
start=$SECONDS

# A study file to append to, whose bytes must not change.
drive study --ranks 1 --reps 1 --warmup 0 --output keep.h5 exec --launcher "$LAUNCH" -- "$W" --work 1
expect "the study file to keep is written" [ "$rc" -eq 0 ]
cp keep.h5 keep.before

# A program that fails at 2 ranks: exit 1, one line naming p, the repetition and the exit code,
# then the first 5 of its 7 stderr lines; the journal keeps what was measured.
drive study --journal fail.jsonl --ranks 1,2 --reps 2 --warmup 0 --output keep.h5 exec --launcher "$LAUNCH" \
  -- "$W" --fail-at 2
expect "a failing program stops the study with exit 1" [ "$rc" -eq 1 ]
expect "one line names p, the repetition and the exit code" \
  bash -c 'grep -Eq "^multirank study exec: error: p = 2, rep 0: .*exec_work failed with exit code 3$" <<<"$1" && [ "$(grep -c "^multirank" <<<"$1")" -eq 1 ]' _ "$err"
expect "then exactly 5 lines of the program's stderr" \
  bash -c '[ "$(grep -c "^  exec_work: failing on purpose at 2 ranks (line [1-5])$" <<<"$1")" -eq 5 ] && ! grep -q "line 6" <<<"$1"' _ "$err"
expect "the study file is left as it was" cmp -s keep.h5 keep.before
expect "the journal kept the two samples at p = 1" [ "$(wc -l <fail.jsonl)" -eq 3 ]

drive study --ranks 1,2 --reps 1 --warmup 0 --output keep.h5 exec --launcher "$LAUNCH" --expect '^work done on 1 ranks$' -- "$W"
expect "a sample whose output lacks --expect fails (exit 1) at p = 2" \
  bash -c '[ "$1" -eq 1 ] && grep -Eq "^multirank study exec: error: p = 2, rep 0: the output of .*exec_work does not match --expect .* \(exit code 0\)$" <<<"$2"' _ "$rc" "$err"
expect "the study file is still as it was" cmp -s keep.h5 keep.before

drive study --journal none.jsonl --ranks 1,2 --reps 2 --output keep.h5 exec --launcher "$LAUNCH" --metric json:seconds -- "$W" --no-json
expect "a metric that the first sample's output does not have is a usage error (exit 2, one line)" \
  bash -c '[ "$1" -eq 2 ] && grep -q "^multirank study exec: error: --metric json:seconds matches nothing in the first sample.s output (p = 1, warm-up 1): no JSON object" <<<"$2"' _ "$rc" "$err"
expect "... and nothing was written, not even the journal" bash -c 'cmp -s keep.h5 keep.before && [ ! -e none.jsonl ]'

t0=$SECONDS
drive study --ranks 1,2 --reps 1 --warmup 0 --output keep.h5 exec --launcher "$LAUNCH" --timeout 1 -- "$W" --sleep 60
expect "a sample over --timeout fails (exit 1) within seconds" \
  bash -c '[ "$1" -eq 1 ] && [ "$2" -lt 15 ] && grep -Eq "^multirank study exec: error: p = 1, rep 0: .*exec_work timed out after 1 s and was killed" <<<"$3"' _ "$rc" "$((SECONDS - t0))" "$err"
sleep 0.5
expect "no process of the timed-out sample is left" bash -c '! pgrep -f "exec_wor[k] --sleep 60" >/dev/null'

# SIGTERM to the driver (scancel, Ctrl-C): the running launch ends, the journal is flushed,
# exit 128 + 15, nothing left running, the study file untouched.
timeout -k 5 60 "$MULTIRANK_BIN" study --journal stop.jsonl --ranks 1,2 --reps 2 --warmup 0 --output keep.h5 \
  exec --launcher "$LAUNCH" -- "$W" --sleep 30 >stop.out 2>stop.err &
driver=$!
for _ in $(seq 50); do pgrep -f "exec_work --sleep 30" >/dev/null && break; sleep 0.1; done
sleep 0.5
kill -TERM "$driver"
wait "$driver"; rc=$?
err=$(cat stop.err)
expect "SIGTERM ends the driver with 143 and one line" \
  bash -c '[ "$1" -eq 143 ] && grep -q "^multirank on .*: stopped by SIGTERM$" <<<"$2"' _ "$rc" "$err"
sleep 0.5
expect "... the launched program is gone, and the files are as they were" \
  bash -c '! pgrep -f "exec_wor[k] --sleep 30" >/dev/null && cmp -s keep.h5 keep.before && [ "$(wc -l <stop.jsonl)" -eq 1 ]'

# Bad input: one line, exit 2, nothing written (no study file, no journal).
printf 'not a program\n' >plain.txt
printf 'just text\n' >notes.h5
mkdir -p ro
while IFS='|' read -r why envs args; do
  [ -z "$why" ] && continue
  rm -f new.h5 new.jsonl
  # shellcheck disable=SC2086
  eval "set -- $args"
  errfile=$(mktemp)
  out=$(env $envs timeout -k 5 60 "$MULTIRANK_BIN" "$@" 2>"$errfile"); rc=$?
  err=$(cat "$errfile"); rm -f "$errfile"
  expect "bad input ($why): exit 2 with one line naming it" \
    bash -c '[ "$1" -eq 2 ] && [ "$(grep -c . <<<"$2")" -eq 1 ] && grep -q "^multirank" <<<"$2" && grep -q -- "$3" <<<"$2"' _ "$rc" "$err" "$why"
  expect "bad input ($why): nothing written" bash -c '[ ! -e new.h5 ] && [ ! -e new.jsonl ] && [ -z "$1" ]' _ "$out"
done <<EOF
is not found on PATH|X=1|study --ranks 1 --reps 1 --output new.h5 exec -- no-such-program-here
No such file or directory|X=1|study --ranks 1 --reps 1 --output new.h5 exec -- ./no-such-program
is not executable|X=1|study --ranks 1 --reps 1 --output new.h5 exec -- ./plain.txt
is not a regular file|X=1|study --ranks 1 --reps 1 --output new.h5 exec -- ./ro
has no {p}|X=1|study --ranks 1 --reps 1 --output new.h5 exec --launcher 'mpirun -n 2' -- "$W"
is not found (--launcher|X=1|study --ranks 1 --reps 1 --output new.h5 exec --launcher 'no-such-launcher -n {p}' -- "$W"
outside quotes|X=1|study --ranks 1 --reps 1 --output new.h5 exec --launcher 'mpirun -n {p} | tee' -- "$W"
more than this allocation's 2 tasks|SLURM_JOB_ID=99 SLURM_NTASKS=2|study --ranks 1,3 --reps 1 --output new.h5 exec -- "$W"
is wall, json:KEY or regex:PATTERN|X=1|study --ranks 1 --reps 1 --output new.h5 exec --metric yaml:seconds -- "$W"
needs a capture group|X=1|study --ranks 1 --reps 1 --output new.h5 exec --metric 'regex:elapsed' -- "$W"
not a valid POSIX extended regular expression|X=1|study --ranks 1 --reps 1 --output new.h5 exec --expect '([0-9' -- "$W"
must be a positive number of seconds|X=1|study --ranks 1 --reps 1 --output new.h5 exec --timeout -5 -- "$W"
must be a positive number of seconds|X=1|study --ranks 1 --reps 1 --output new.h5 exec --timeout 0 -- "$W"
at least 1|X=1|study --ranks 0,1 --reps 1 --output new.h5 exec -- "$W"
listed twice|X=1|study --ranks 1,1 --reps 1 --output new.h5 exec -- "$W"
at least one repetition|X=1|study --ranks 1 --reps 0 --output new.h5 exec -- "$W"
needs --journal|X=1|study --resume --ranks 1 --reps 1 --output new.h5 exec -- "$W"
does not exist|X=1|study --ranks 1 --reps 1 --output missing-dir/new.h5 exec -- "$W"
not an HDF5 file|X=1|study --ranks 1 --reps 1 --output notes.h5 exec -- "$W"
strong or weak|X=1|study --ranks 1 --reps 1 --mode medium --output new.h5 exec -- "$W"
command is required|X=1|study --ranks 1 --reps 1 --output new.h5 exec --
EOF
expect "refused input left notes.h5 as it was" grep -qx "just text" notes.h5

# The regression gate's bad input.
timeout -k 5 60 "$MPIEXEC" -n 1 "$MAKE_STUDY_FILE" builtin.h5 >/dev/null 2>&1
for case in "builtin.h5:no run of keep.h5 has a counterpart" "missing.h5:no such file" "notes.h5:not an HDF5 file"; do
  ref=${case%%:*}; why=${case#*:}
  drive report keep.h5 --reference "$ref"
  expect "report --reference $ref: exit 2, one line ('$why'), no table" \
    bash -c '[ "$1" -eq 2 ] && [ "$(grep -c . <<<"$2")" -eq 1 ] && grep -q "$3" <<<"$2" && [ -z "$4" ]' _ "$rc" "$err" "$why" "$out"
done
for tol in ten 5 -3%; do
  drive report keep.h5 --reference keep.h5 --tolerance "$tol"
  expect "report --tolerance $tol: exit 2 with one line" bash -c '[ "$1" -eq 2 ] && [ "$(grep -c . <<<"$2")" -eq 1 ] && grep -q tolerance <<<"$2"' _ "$rc" "$err"
done

echo "exec_failures took $((SECONDS - start)) s"
finish
