# Finds every external dependency once, as imported targets.
find_package(MPI REQUIRED COMPONENTS C CXX)
find_package(Boost 1.74 REQUIRED COMPONENTS mpi serialization)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# HDF5: the parallel (MPI) build is required, the serial one is refused.
pkg_check_modules(HDF5 IMPORTED_TARGET hdf5-openmpi)
if(NOT HDF5_FOUND)
  pkg_check_modules(HDF5 IMPORTED_TARGET hdf5-mpi)
endif()
if(NOT HDF5_FOUND)
  message(FATAL_ERROR "multirank needs the parallel (MPI) build of HDF5; "
                      "on Debian: apt-get install libhdf5-openmpi-dev")
endif()
include(CheckSymbolExists)
set(CMAKE_REQUIRED_INCLUDES ${HDF5_INCLUDE_DIRS} ${MPI_C_INCLUDE_DIRS})
check_symbol_exists(H5_HAVE_PARALLEL "hdf5.h" MULTIRANK_HDF5_IS_PARALLEL)
unset(CMAKE_REQUIRED_INCLUDES)
if(NOT MULTIRANK_HDF5_IS_PARALLEL)
  message(FATAL_ERROR "the HDF5 found (${HDF5_INCLUDE_DIRS}) is a serial build; multirank needs the "
                      "parallel one: apt-get install libhdf5-openmpi-dev")
endif()

pkg_check_modules(GMP REQUIRED IMPORTED_TARGET gmp gmpxx)
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc icu-i18n)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
