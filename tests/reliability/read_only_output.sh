#!/usr/bin/env bash
# Item 5 of issue 18: an output that cannot be written is found before any work. In a read-only
# folder (a read-only bind mount, in a private mount namespace: root writes through chmod 555),
# a study whose sweep takes seconds, an app's --output, a journal, wordcount's counts, report's
# plots, study exec's output and the farm's status file, logs and --output are each refused at once: exit 2, one line naming the output and
# the cause ("Read-only file system"), nothing measured. (The study used to run to the end and
# then name the temporary file's "cannot remove".)
set -u
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
in_private_mounts "$@"
work=$(mktemp -d); trap 'umount "$work/ro" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir ro
export OMPI_MCA_odls_base_sigkill_timeout=0  # refusals exit 2 at once: no grace period needed
run_np 1 rangesum --n 1000 --output ro/existing.h5
mount_read_only ro

refused() {  # refused WHAT PATTERN : exit 2 within 3 s, one line of ours matching PATTERN
  expect "$1: exit 2 at once ($took ms), one line naming it and the cause" \
    bash -c '[ "$1" -eq 2 ] && [ "$2" -lt 3000 ] && [ "$(grep -c "^multirank" <<<"$3")" -eq 1 ] &&
             grep -Eq "$4" <<<"$3"' _ "$rc" "$took" "$err" "$2"
}
timed() { local start; start=$(now_ms); run_np "$@"; took=$(( $(now_ms) - start )); }

# At least 4 s of work at 2 ranks on this machine before the write.
timed 2 study rangesum --n 60000000 --kernel heavy --ranks 1,2 --reps 3 --output ro/new.h5
refused "study to a read-only folder" "cannot write study file ro/new.h5: .*Read-only file system"
timed 2 study rangesum --n 60000000 --kernel heavy --ranks 1,2 --reps 3 --output ro/existing.h5
refused "study appending to a file in a read-only folder" "study file ro/existing.h5: .*Read-only file system"
timed 2 rangesum --n 1000 --output ro/run.h5
refused "an app's --output" "cannot write study file ro/run.h5: .*Read-only file system"
timed 2 rangesum --n 1000 --pattern pool --journal ro/j.jsonl
refused "a journal" "cannot write journal ro/j.jsonl: .*Read-only file system"
timed 2 study --journal ro/sj.jsonl rangesum --n 1000 --ranks 1 --output s.h5
refused "a study's journal" "cannot write journal ro/sj.jsonl: .*Read-only file system"
printf 'a b\n' >words.txt
timed 2 wordcount words.txt --output ro/counts.tsv
refused "wordcount's counts" "cannot write --output ro/counts.tsv: .*Read-only file system"
timed 1 report ro/existing.h5 --plots ro/plots
refused "report's plots" "ro/plots: .*Read-only file system"
start=$(now_ms)
err=$(timeout -k 5 30 "$MULTIRANK_BIN" study --ranks 1 --reps 1 --warmup 0 --output ro/exec.h5 exec \
  --launcher 'env P={p}' -- /bin/true 2>&1); rc=$?; took=$(( $(now_ms) - start ))
refused "study exec's output" "cannot write study file ro/exec.h5: .*Read-only file system"
printf 'true\n' >tasks.txt
timed 2 farm tasks.txt --status ro/tasks.status.jsonl
refused "the farm's status file" "cannot write the status file ro/tasks.status.jsonl: .*Read-only file system"
timed 2 farm tasks.txt --logs ro
refused "the farm's logs in a read-only folder" "cannot write --logs ro/1.out: .*Read-only file system"
timed 2 farm tasks.txt --logs ro/logs
refused "the farm's logs to be made in a read-only folder" "cannot write --logs ro/logs: .*Read-only file system"
timed 2 farm tasks.txt --output ro/farm.h5
refused "the farm's --output" "cannot write study file ro/farm.h5: .*Read-only file system"
expect "nothing was written anywhere" bash -c '[ "$(ls -A ro)" = existing.h5 ] && [ ! -e s.h5 ]'
finish
