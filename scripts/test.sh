#!/usr/bin/env bash
# Install what is missing, build, and run every test through ctest, on each MPI platform.
# Usage: scripts/test.sh [--mpi openmpi|mpich] [--sanitize] [extra ctest arguments, e.g. -L mpi or -R pipe]
#   --mpi M     one platform only (default: both, Open MPI in ./build, then MPICH in ./build-mpich)
#   --sanitize  AddressSanitizer + UndefinedBehaviorSanitizer, in ./build-asan (./build-mpich-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

platforms=(openmpi mpich)
sanitize=0
while [ $# -gt 0 ]; do
  case "$1" in
    --mpi) [ $# -ge 2 ] || { echo "scripts/test.sh: --mpi needs openmpi or mpich" >&2; exit 2; }
           build_dir_for "$2" >/dev/null || exit 2
           platforms=("$2"); shift 2 ;;
    --sanitize) sanitize=1; shift ;;
    *) break ;;
  esac
done

install_missing_packages
allow_mpi_as_root

# test_platform MPI [ctest arguments...]: configures, builds and tests that MPI's build.
test_platform() {
  local mpi=$1; shift
  local dir; dir=$(build_dir_for "$mpi")
  local args=(-DMULTIRANK_MPI="$mpi")
  if [ "$sanitize" -eq 1 ]; then
    dir="$dir-asan"
    args+=(-DMULTIRANK_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  fi
  configure_and_build "$dir" "${args[@]}" || return 1
  say "testing $mpi ($(mpiexec_of "$dir")): ctest --test-dir $dir --output-on-failure -j $(nproc) $*"
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" "$@"
}

failed=()
for mpi in "${platforms[@]}"; do
  test_platform "$mpi" "$@" || failed+=("$mpi")
done
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED on: ${failed[*]}"
  exit 1
fi
say "all tests passed on: ${platforms[*]}"
