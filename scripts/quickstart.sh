#!/usr/bin/env bash
# Quick start: install what is missing, build in ./build (Release), run the demo on local ranks.
# Usage: scripts/quickstart.sh            (RANKS=4 scripts/quickstart.sh for another rank count)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

install_missing_packages
configure_and_build build
allow_mpi_as_root
ranks=${RANKS:-$(nproc)}
say "demo: mpirun -n $ranks --oversubscribe build/bin/multirank hello"
mpirun -n "$ranks" --oversubscribe build/bin/multirank hello
