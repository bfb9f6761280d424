#!/usr/bin/env bash
# Item 4 of issue 18: writing through a symlink writes the file it names. A study appended through
# a link to a study file in another folder: the link stays a link, its target gets the run (and
# keeps the one before), and the temporary file was made beside the target. The same for an
# app's --output --append, --force through a link, a link to a file not yet there (created at the
# link's target), a chain of two links, and wordcount's counts.
set -u
here=$(dirname "$0")
source "$MULTIRANK_SOURCE_DIR/tests/e2e/lib.sh"
source "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir data
runs_in() { h5dump -n "$1" 2>/dev/null | grep -cE "group +/run_[0-9]{4}$"; }
is_link_to() { [ -L "$1" ] && [ "$(readlink "$1")" = "$2" ]; }

run_np 2 study rangesum --n 1000 --ranks 1,2 --reps 2 --output data/s.h5
ln -s data/s.h5 s.h5
run_np 2 study rangesum --n 1000 --ranks 1,2 --reps 2 --output s.h5
expect "a study appended through a link exits 0" [ "$rc" -eq 0 ]
expect "the link is still a link to data/s.h5" is_link_to s.h5 data/s.h5
expect "the link's target holds both runs" [ "$(runs_in data/s.h5)" -eq 2 ]

run_np 2 rangesum --n 1000 --output s.h5 --append
expect "an app's --output --append through the link: the target holds three runs, the link stays" \
  bash -c '[ "$1" -eq 0 ] && [ -L s.h5 ] && [ "$2" -eq 3 ]' _ "$rc" "$(runs_in data/s.h5)"
run_np 1 rangesum --n 1000 --output s.h5 --force
expect "--force through the link replaces the target, the link stays" \
  bash -c '[ "$1" -eq 0 ] && [ -L s.h5 ] && [ "$2" -eq 1 ]' _ "$rc" "$(runs_in data/s.h5)"

ln -s ../data/new.h5 data/chain.h5; ln -s data/chain.h5 chain.h5  # a chain, relative to each link
run_np 2 study rangesum --n 1000 --ranks 1,2 --reps 2 --output chain.h5
expect "a study through a chain of links to a missing file creates the file at the end of the chain" \
  bash -c '[ "$1" -eq 0 ] && [ -L chain.h5 ] && [ -L data/chain.h5 ] && [ "$2" -eq 1 ]' _ "$rc" "$(runs_in data/new.h5)"

printf 'b a b\n' >words.txt
ln -s data/counts.tsv counts.tsv
run_np 2 wordcount words.txt --output counts.tsv --force
expect "wordcount --output through a link writes the target, the link stays" \
  bash -c '[ "$1" -eq 0 ] && [ -L counts.tsv ] && [ "$(cat data/counts.tsv)" = "$(printf "b\t2\na\t1")" ]' _ "$rc"
expect "no temporary or lock file is left anywhere" bash -c '! find . -name "*tmp*" -o -name "*.lock" | grep -q .'
finish
