#!/usr/bin/env bash
# Item 2 of issue 18: two jobs writing one study file at once both land. Two studies appending to
# the same existing file, two creating the same new one, and an app's --output --append next to
# a study, started together, four times over: the file then holds every run, under distinct
# names, each job naming the group it wrote, and no temporary or lock file is left. (Before the
# lock, one of two appends was lost in 8 of 10 tries, and both claimed run_0002.)
set -u
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

runs_in() { h5dump -n "$1" 2>/dev/null | grep -cE "group +/run_[0-9]{4}$"; }
# together LOG ARGS_A -- ARGS_B : two one-rank jobs started at once; waits for both.
together() {
  local log=$1; shift
  local a=() b=()
  while [ "$1" != -- ]; do a+=("$1"); shift; done; shift
  b=("$@")
  timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" "${a[@]}" >"$log.a" 2>&1 &
  local pa=$!
  timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" "${b[@]}" >"$log.b" 2>&1 &
  local pb=$!
  wait "$pa"; rca=$?
  wait "$pb"; rcb=$?
}
study=(study rangesum --n 400000 --ranks 1 --reps 3 --warmup 0)

for try in 1 2 3 4; do
  rm -f c.h5 n.h5 m.h5
  timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" "${study[@]}" --output c.h5 >/dev/null 2>&1
  together "$work/append$try" "${study[@]}" --output c.h5 -- "${study[@]}" --output c.h5
  groups=$(cat "$work/append$try.a" "$work/append$try.b" | grep -oE "run_[0-9]{4} written to c.h5" | sort -u | wc -l)
  expect "try $try: two studies appending at once: both exit 0" bash -c "[ $rca -eq 0 ] && [ $rcb -eq 0 ]"
  expect "try $try: the file holds the first run and both appended ones ($(runs_in c.h5) runs)" [ "$(runs_in c.h5)" -eq 3 ]
  expect "try $try: the two jobs name different groups" [ "$groups" -eq 2 ]

  together "$work/create$try" "${study[@]}" --output n.h5 -- "${study[@]}" --output n.h5
  expect "try $try: two studies creating the same new file: both runs land" \
    bash -c "[ $rca -eq 0 ] && [ $rcb -eq 0 ] && [ $(runs_in n.h5) -eq 2 ]"

  timeout -k 5 60 "$MPIEXEC" -n 1 "$MULTIRANK_BIN" "${study[@]}" --output m.h5 >/dev/null 2>&1
  together "$work/app$try" rangesum --n 4000000 --output m.h5 --append -- "${study[@]}" --output m.h5
  expect "try $try: an app's --output --append beside a study: both runs land" \
    bash -c "[ $rca -eq 0 ] && [ $rcb -eq 0 ] && [ $(runs_in m.h5) -eq 3 ]"
done
expect "no temporary or lock file is left" bash -c '! ls -a | grep -qE "tmp|\.lock$"'
finish
