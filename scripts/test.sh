#!/usr/bin/env bash
# Install what is missing, build, and run the tests through ctest, on each platform:
#   openmpi  ./build        GCC, Open MPI: every test
#   mpich    ./build-mpich  GCC, MPICH (Hydra's mpiexec): every test
#   clang    ./build-clang  Clang (Debian's clang, libstdc++), Open MPI: every target; the unit and MPI tests
# Usage: scripts/test.sh [--mpi openmpi|mpich] [--sanitize] [extra ctest arguments, e.g. -L mpi or -R pipe]
#   --mpi M     one MPI only (openmpi: the openmpi and clang platforms; mpich: the mpich one)
#   --sanitize  AddressSanitizer + UndefinedBehaviorSanitizer (GCC), in ./build-asan (./build-mpich-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

mpis=(openmpi mpich)
sanitize=0
while [ $# -gt 0 ]; do
  case "$1" in
    --mpi) [ $# -ge 2 ] || { echo "scripts/test.sh: --mpi needs openmpi or mpich" >&2; exit 2; }
           build_dir_for "$2" >/dev/null || exit 2
           mpis=("$2"); shift 2 ;;
    --sanitize) sanitize=1; shift ;;
    *) break ;;
  esac
done

platforms=()
for mpi in "${mpis[@]}"; do
  platforms+=("$mpi")
  [ "$mpi" = openmpi ] && [ "$sanitize" -eq 0 ] && platforms+=(clang)
done

install_missing_packages
allow_mpi_as_root

# test_platform PLATFORM [ctest arguments...]: configures, builds and tests that platform's build.
test_platform() {
  local platform=$1; shift
  local mpi=$platform dir labels=()
  local args=()
  if [ "$platform" = clang ]; then
    mpi=openmpi
    dir=build-clang
    args+=(-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang)
    labels=(-L 'unit|mpi')
  else
    dir=$(build_dir_for "$mpi")
  fi
  args+=(-DMULTIRANK_MPI="$mpi")
  if [ "$sanitize" -eq 1 ]; then
    dir="$dir-asan"
    args+=(-DMULTIRANK_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  fi
  configure_and_build "$dir" "${args[@]}" || return 1
  say "testing $platform ($(mpiexec_of "$dir")): ctest --test-dir $dir --output-on-failure -j $(nproc) ${labels[*]} $*"
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" "${labels[@]}" "$@"
}

failed=()
for platform in "${platforms[@]}"; do
  test_platform "$platform" "$@" || failed+=("$platform")
done
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED on: ${failed[*]}"
  exit 1
fi
say "all tests passed on: ${platforms[*]}"
