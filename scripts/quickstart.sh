#!/usr/bin/env bash
# Quick start: install what is missing, build in ./build (Release, Open MPI), run the demo on local ranks.
# Usage: scripts/quickstart.sh   (RANKS=4 for another rank count, N=... for another problem size)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

install_missing_packages
configure_and_build build -DMULTIRANK_MPI=openmpi
allow_mpi_as_root
ranks=${RANKS:-$(nproc)}
n=${N:-100000000}
mpirun=$(mpiexec_of build)
say "demo: $mpirun -n $ranks --oversubscribe build/bin/multirank rangesum --n $n --kernel heavy --baseline"
"$mpirun" -n "$ranks" --oversubscribe build/bin/multirank rangesum --n "$n" --kernel heavy --baseline
