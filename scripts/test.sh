#!/usr/bin/env bash
# Install what is missing, build, and run every test through ctest.
# Usage: scripts/test.sh [--sanitize] [extra ctest arguments, e.g. -L mpi or -R pipe]
#   --sanitize  builds in ./build-asan with AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

build_dir=build
cmake_args=()
if [ "${1:-}" = "--sanitize" ]; then
  shift
  build_dir=build-asan
  cmake_args+=(-DMULTIRANK_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi

install_missing_packages
configure_and_build "$build_dir" "${cmake_args[@]}"
allow_mpi_as_root
say "testing: ctest --test-dir $build_dir --output-on-failure -j $(nproc) $*"
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" "$@"
