#!/usr/bin/env bash
# Install what is missing, build, and run the tests through ctest, on each platform:
#   gcc    ./build with GCC (the default compiler): every test
#   clang  ./build-clang with Clang (Debian's clang, libstdc++): the unit and MPI tests
# Usage: scripts/test.sh [--sanitize] [extra ctest arguments, e.g. -L mpi or -R pipe]
#   --sanitize  only ./build-asan (GCC) with AddressSanitizer + UndefinedBehaviorSanitizer
#   MULTIRANK_TEST_PLATFORMS="gcc" (say) runs a subset; extra ctest arguments go to every platform.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

ctest_args=("$@")
platforms=(${MULTIRANK_TEST_PLATFORMS:-gcc clang})
if [ "${1:-}" = "--sanitize" ]; then
  ctest_args=("${@:2}")
  platforms=(asan)
fi

# run_ctest BUILD_DIR [ctest arguments...]
run_ctest() {
  local dir=$1; shift
  say "testing: ctest --test-dir $dir --output-on-failure -j $(nproc) $*"
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" "$@"
}

platform_gcc() {
  configure_and_build build && run_ctest build "${ctest_args[@]}"
}

platform_clang() {
  configure_and_build build-clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang &&
    run_ctest build-clang -L 'unit|mpi' "${ctest_args[@]}"
}

platform_asan() {
  configure_and_build build-asan -DMULTIRANK_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
    run_ctest build-asan "${ctest_args[@]}"
}

install_missing_packages || exit 1
allow_mpi_as_root
failed=()
for p in "${platforms[@]}"; do
  say "platform $p"
  "platform_$p" || failed+=("$p")
done
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED on: ${failed[*]}"
  exit 1
fi
say "passed on: ${platforms[*]}"
