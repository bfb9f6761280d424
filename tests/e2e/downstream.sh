#!/usr/bin/env bash
# A project outside this tree finds the installed package with find_package(multirank) and runs.
set -u
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$MULTIRANK_BINARY_DIR" --prefix "$work/prefix" >"$work/install.log" 2>&1
rc=$?; expect "cmake --install succeeds" [ "$rc" -eq 0 ]
cmake -S "$MULTIRANK_SOURCE_DIR/tests/downstream" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" 2>&1
rc=$?; expect "the downstream project configures against the installed package" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -20 "$work/configure.log"
cmake --build "$work/build" -j2 >"$work/build.log" 2>&1
rc=$?; expect "the downstream project builds" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -30 "$work/build.log"
out=$(timeout -k 5 60 "$MPIEXEC" -n 3 --oversubscribe "$work/build/downstream_ring" 2>&1); rc=$?
expect "the downstream program runs on 3 ranks" [ "$rc" -eq 0 ]
expect "it passed a token around the ring" grep -q "token after ring: 3" <<<"$out"
finish
