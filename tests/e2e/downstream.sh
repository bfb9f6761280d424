#!/usr/bin/env bash
# Projects outside this tree use the installed package: one with the core only (it must find no
# HDF5, ICU or GMP, and its program must not load them), one with the study component.
set -u
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$MULTIRANK_BINARY_DIR" --prefix "$work/prefix" >"$work/install.log" 2>&1
rc=$?; expect "cmake --install succeeds" [ "$rc" -eq 0 ]
expect "the exercises' headers are not installed" \
  [ ! -e "$work/prefix/include/multirank/kernels" -a ! -e "$work/prefix/include/multirank/pipeline/words.hpp" \
    -a ! -e "$work/prefix/include/multirank/collective/gmp.hpp" -a ! -e "$work/prefix/include/exercises" ]
expect "no internal/ header is installed, nor included by an installed one" \
  bash -c "[ -z \"\$(find '$work/prefix/include/multirank' -path '*/internal*')\" ] && ! grep -rq 'multirank/[a-z]*/internal/' '$work/prefix/include/multirank'"
bad_includes=$(grep -rlE '#include <(hdf5|H5|unicode/|gmp|CLI/|nlohmann/)' "$work/prefix/include/multirank" \
                 --exclude-dir=study 2>/dev/null)
expect "no installed core header includes HDF5, ICU, GMP, CLI11 or nlohmann" [ -z "$bad_includes" ]
core_lib=$(ls "$work"/prefix/lib*/libmultirank.so* 2>/dev/null | head -n 1)
expect "the core library does not need HDF5, ICU or GMP" \
  bash -c "! readelf -d '$core_lib' | grep -E 'NEEDED.*(hdf5|icu|gmp)'"

# build_project NAME: configures and builds tests/downstream/NAME against the installed package.
build_project() {
  local name=$1
  cmake -S "$MULTIRANK_SOURCE_DIR/tests/downstream/$name" -B "$work/$name" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_BUILD_TYPE=Release >"$work/$name.configure.log" 2>&1
  rc=$?; expect "the $name project configures against the installed package" [ "$rc" -eq 0 ]
  [ "$rc" -eq 0 ] || tail -20 "$work/$name.configure.log"
  cmake --build "$work/$name" -j2 >"$work/$name.build.log" 2>&1
  rc=$?; expect "the $name project builds" [ "$rc" -eq 0 ]
  [ "$rc" -eq 0 ] || tail -30 "$work/$name.build.log"
}

build_project core
expect "the core project's configuration found no HDF5, ICU or GMP" \
  bash -c "! grep -iE '^(HDF5|ICU|GMP|pkgcfg_lib_(HDF5|ICU|GMP))' '$work/core/CMakeCache.txt'"
expect "the core program does not load HDF5, ICU or GMP" \
  bash -c "! readelf -d '$work/core/downstream_core' | grep -E 'NEEDED.*(hdf5|icu|gmp)'"
for n in 1 3; do
  out=$(timeout -k 5 60 "$MPIEXEC" -n "$n" $MPIEXEC_OVERSUBSCRIBE "$work/core/downstream_core" 2>&1); rc=$?
  expect "the core program runs on $n rank(s)" [ "$rc" -eq 0 ]
  expect "its token went around the ring of $n" grep -q "token after ring: $n" <<<"$out"
  expect "its queue delivered 1..100 once each" grep -q "queue sum: 5050" <<<"$out"
  expect "every rank visited the shared value" grep -q "visits: $n" <<<"$out"
  expect "its pool summed the cubes of 1..50" grep -q "sum of cubes: 1625625" <<<"$out"
done

build_project study
out=$(timeout -k 5 60 "$MPIEXEC" -n 2 $MPIEXEC_OVERSUBSCRIBE "$work/study/downstream_study" "$work/d.h5" 2>&1); rc=$?
expect "the study program runs on 2 ranks" [ "$rc" -eq 0 ]
expect "it wrote and read back its study file" grep -q "run_0001: 1 run(s), app downstream, 3 sample(s), p = 2" <<<"$out"
finish
