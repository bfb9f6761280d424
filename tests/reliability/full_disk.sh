#!/usr/bin/env bash
# Item 1 of issue 18: a full disk ends the job within seconds, never hangs. On small tmpfs mounts
# (inside a private mount namespace), every writer meets "No space left on device": a new study
# file written collectively by 2 ranks, an append to an existing one on a nearly full filesystem,
# an app's --output, a journal, wordcount's counts and the serial writer of `study ... exec`.
# Each ends quickly and non-zero with one line naming the file and the OS error, and leaves no
# temporary file; the old file of an append is intact; ranks stopped by mpirun say which rank
# failed first (Hydra SIGKILLs them). A journal that a full disk left empty does not block the rerun.
set -u
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
in_private_mounts "$@"
work=$(mktemp -d); trap 'umount "$work"/* 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1
host=$(host_pattern)

# timed N LIMIT ARGS... : run_np with a limit; sets $took_ms too.
timed() {
  local n=$1 limit=$2; shift 2
  local start; start=$(now_ms)
  RUN_TIMEOUT=$limit run_np "$n" "$@"
  took_ms=$(( $(now_ms) - start ))
}
no_temp() { ! find "$1" -name "*tmp*" | grep -q .; }

# A new study file, two ranks writing it collectively.
mount_tmpfs full 64k
timed 2 30 study rangesum --n 2000000 --kernel heavy --ranks 1,2 --reps 2 --output full/new.h5
echo "new study file: exit $rc after $took_ms ms"
expect "new study file on a full disk: the job ends non-zero within 15 s (no hang)" \
  bash -c '[ "$1" -ne 0 ] && [ "$1" -ne 124 ] && [ "$2" -lt 15000 ]' _ "$rc" "$took_ms"
expect "new study file: one line names the file and the OS error" \
  grep -Eq "^multirank: rank [01] on $host: cannot write full/new.h5: .*No space left on device" <<<"$err"
if [ "$MULTIRANK_MPI_VENDOR" = openmpi ]; then  # Hydra SIGKILLs the other ranks: they say nothing
  expect "new study file: the rank stopped by the launcher says which rank failed first" \
    grep -Eq "^multirank: rank [01] on $host: stopped by SIGTERM after rank [01] on $host failed first: cannot write full/new.h5" <<<"$err"
fi
expect "new study file: no temporary file, nothing under the final name" bash -c '! [ -e full/new.h5 ] && ! ls -a full | grep -q tmp'

# Appending on a nearly full filesystem: the copy of the old file fits, the new run does not.
mount_tmpfs near 1m
timed 2 30 study rangesum --n 1000 --ranks 1,2 --reps 2 --output near/old.h5
expect "a study file is written on the roomy filesystem" [ "$rc" -eq 0 ]
cp near/old.h5 before.h5
# Leave room for the probe and the copy of the old file (whole pages), not for the new run.
size=$(stat -c %s near/old.h5)
leave=$(( (size + 4095) / 4096 * 4096 + 4096 ))
avail=$(df --output=avail -B1 near | tail -n 1)
dd if=/dev/zero of=near/.filler bs=4096 count=$(( (avail - leave) / 4096 )) 2>/dev/null
timed 2 30 study rangesum --n 1000 --ranks 1,2 --reps 2 --output near/old.h5
echo "append: exit $rc after $took_ms ms"
expect "append on a nearly full disk: ends non-zero within 15 s" \
  bash -c '[ "$1" -ne 0 ] && [ "$1" -ne 124 ] && [ "$2" -lt 15000 ]' _ "$rc" "$took_ms"
expect "append: one line names the file and the OS error" grep -Eq "near/old.h5: .*No space left on device" <<<"$err"
expect "append: the old file is intact, no temporary file" bash -c 'cmp -s before.h5 near/old.h5 && ! ls -a near | grep -q tmp'

# An app's --output, a journal, wordcount's counts: each on a filesystem just filled.
mount_tmpfs fill 1m
timed 2 30 rangesum --n 100000 --pattern pool --output fill/run.h5 --journal fill/j.jsonl
expect "journal and --output on a roomy disk first: exit 0" [ "$rc" -eq 0 ]
rm -f fill/run.h5 fill/j.jsonl
: >fill/j.jsonl  # what a full disk leaves of a journal: not even its header
# Room for the checks and the journal's header, not for its 400 records: it fills up mid-run.
fill_up fill
truncate -s -12K fill/.filler
timed 2 30 rangesum --n 100000 --pattern pool --chunks 400 --journal fill/j2.jsonl
echo "journal: exit $rc after $took_ms ms"
expect "journal on a full disk: ends non-zero within 15 s with the file and the OS error" \
  bash -c '[ "$1" -ne 0 ] && [ "$1" -ne 124 ] && [ "$2" -lt 15000 ] && grep -q "journal fill/j2.jsonl.*No space left on device" <<<"$3"' \
  _ "$rc" "$took_ms" "$err"
dd if=/dev/zero of=fill/.filler2 bs=4k >/dev/null 2>&1  # now quite full
timed 2 30 rangesum --n 100000 --output fill/run.h5
expect "--output on a full disk: exit non-zero at once, one line with the file and the OS error" \
  bash -c '[ "$1" -ne 0 ] && [ "$1" -ne 124 ] && [ "$2" -lt 15000 ] && grep -q "fill/run.h5.*No space left on device" <<<"$3"' \
  _ "$rc" "$took_ms" "$err"
printf 'one two three two\n' >words.txt
timed 2 30 wordcount words.txt --output fill/counts.tsv
expect "wordcount --output on a full disk: non-zero, one line with the file and the OS error" \
  bash -c '[ "$1" -ne 0 ] && [ "$1" -ne 124 ] && grep -q "fill/counts.tsv.*No space left on device" <<<"$2"' _ "$rc" "$err"
out=$(timeout -k 5 60 "$MULTIRANK_BIN" study --ranks 1 --reps 1 --warmup 0 --output fill/exec.h5 exec \
  --launcher 'env P={p}' -- /bin/true 2>&1); rc=$?; err=$out
expect "the serial writer (study exec) on a full disk: exit non-zero with the file and the OS error" \
  bash -c '[ "$1" -ne 0 ] && grep -q "fill/exec.h5.*No space left on device" <<<"$2"' _ "$rc" "$err"
expect "no temporary file is left on the full filesystem" no_temp fill
rm -f fill/.filler fill/.filler2 fill/j2.jsonl
timed 2 30 rangesum --n 100000 --pattern pool --journal fill/j.jsonl
expect "once there is room, the empty journal a full disk left does not block the rerun" \
  bash -c '[ "$1" -eq 0 ] && [ "$(wc -l <fill/j.jsonl)" -gt 1 ]' _ "$rc"
finish
