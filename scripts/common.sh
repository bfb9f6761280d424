# Shared by the scripts: packages, Open MPI's root variables, configure and build.
# Sourced, not run.

# Every Debian package the project builds, tests or demos with.
MULTIRANK_PACKAGES=(
  build-essential cmake pkg-config git
  openmpi-bin libopenmpi-dev libhdf5-openmpi-dev
  mpich libmpich-dev libhdf5-mpich-dev
  libboost-mpi-dev libboost-serialization-dev hdf5-tools
  libgmp-dev libcli11-dev nlohmann-json3-dev
  googletest libgtest-dev
  python3 python3-h5py python3-mpi4py python3-numpy
  gnuplot-nox libicu-dev libssl-dev
  slurm-wlm munge iproute2 util-linux procps jq
  clang parallel
)

say() { printf '==> %s\n' "$*"; }

# Installs what is missing (as root, or through sudo); skips the update when nothing is.
install_missing_packages() {
  local missing=()
  for p in "${MULTIRANK_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "all ${#MULTIRANK_PACKAGES[@]} Debian packages are installed"
    return 0
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing ${#missing[@]} missing package(s): ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Open MPI refuses to run as root unless told it may; set here, for the scripts' own commands only.
allow_mpi_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  fi
}

# The build folder of each MPI (both can be installed side by side; each build names its own
# compiler wrappers, so Debian's alternatives for mpicxx/mpirun do not matter).
build_dir_for() {
  case "$1" in
    openmpi) echo build ;;
    mpich) echo build-mpich ;;
    *) echo "unknown MPI '$1' (openmpi or mpich)" >&2; return 2 ;;
  esac
}

# The launcher a configured build uses (its MPIEXEC_EXECUTABLE): mpirun.openmpi or mpiexec.mpich.
mpiexec_of() {
  sed -n 's/^MPIEXEC_EXECUTABLE:[A-Z]*=//p' "$1/CMakeCache.txt"
}

# configure_and_build BUILD_DIR [cmake options...]
configure_and_build() {
  local dir=$1; shift
  say "configuring in $dir: cmake -S . -B $dir $*"
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; return 1; }
  local jobs; jobs=$(nproc)
  say "building: cmake --build $dir -j $jobs"
  if ! cmake --build "$dir" -j "$jobs" >"$dir.build.log" 2>&1; then
    grep -E "error|Error" "$dir.build.log" | head -40
    say "build failed; full log: $dir.build.log"
    return 1
  fi
  local warnings; warnings=$(grep -c "warning:" "$dir.build.log" || true)
  say "built ($warnings compiler warning(s); log: $dir.build.log)"
}
