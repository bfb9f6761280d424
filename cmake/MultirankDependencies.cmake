# Finds every external dependency once, as imported targets, per target that needs it:
#   core  (multirank::multirank): MPI, Threads, Boost.Serialization; Boost.MPI only as interop
#   study (multirank::study):     + the parallel HDF5 of the same MPI
#   apps  (the CLI, exercises):   + GMP, ICU, CLI11, nlohmann-json

# ---- MPI -------------------------------------------------------------------------------------
# MULTIRANK_MPI picks an MPI by its own wrapper names, so that the build does not depend on
# which one Debian's alternatives (mpicxx, mpirun) point at when both are installed.
set(MULTIRANK_MPI "" CACHE STRING "The MPI to build with: openmpi, mpich, or empty for CMake's default")
set_property(CACHE MULTIRANK_MPI PROPERTY STRINGS "" openmpi mpich)
if(MULTIRANK_MPI STREQUAL "openmpi")
  set(_mr_wrappers mpicc.openmpi mpicxx.openmpi mpirun.openmpi)
elseif(MULTIRANK_MPI STREQUAL "mpich")
  set(_mr_wrappers mpicc.mpich mpicxx.mpich mpiexec.mpich)
elseif(NOT MULTIRANK_MPI STREQUAL "")
  message(FATAL_ERROR "MULTIRANK_MPI is openmpi, mpich or empty, not '${MULTIRANK_MPI}'")
endif()
if(_mr_wrappers)
  list(GET _mr_wrappers 0 _mr_cc)
  list(GET _mr_wrappers 1 _mr_cxx)
  list(GET _mr_wrappers 2 _mr_exec)
  foreach(_mr_var MPI_C_COMPILER:_mr_cc MPI_CXX_COMPILER:_mr_cxx MPIEXEC_EXECUTABLE:_mr_exec)
    string(REPLACE ":" ";" _mr_pair "${_mr_var}")
    list(GET _mr_pair 0 _mr_name)
    list(GET _mr_pair 1 _mr_value)
    find_program(_mr_found_${_mr_name} NAMES ${${_mr_value}} REQUIRED)
    if(NOT ${_mr_name})
      set(${_mr_name} "${_mr_found_${_mr_name}}" CACHE FILEPATH "" FORCE)
    else()
      # A folder configured before keeps its MPI; it must be this one (through any symlinks).
      file(REAL_PATH "${${_mr_name}}" _mr_real_cached)
      file(REAL_PATH "${_mr_found_${_mr_name}}" _mr_real_wanted)
      if(NOT _mr_real_cached STREQUAL _mr_real_wanted)
        message(FATAL_ERROR "this build folder uses ${${_mr_name}}, not ${MULTIRANK_MPI}'s ${${_mr_value}}: "
                            "configure MULTIRANK_MPI=${MULTIRANK_MPI} in a fresh build folder")
      endif()
    endif()
  endforeach()
endif()
set(MPI_DETERMINE_LIBRARY_VERSION TRUE)  # MPI_<lang>_LIBRARY_VERSION_STRING, to know the vendor
find_package(MPI REQUIRED COMPONENTS C CXX)

# Which MPI it is, from its own version string: the code and the tests branch on it.
if(MPI_C_LIBRARY_VERSION_STRING MATCHES "Open MPI")
  set(MULTIRANK_MPI_VENDOR openmpi)
elseif(MPI_C_LIBRARY_VERSION_STRING MATCHES "MPICH")
  set(MULTIRANK_MPI_VENDOR mpich)
else()
  set(MULTIRANK_MPI_VENDOR other)
endif()
message(STATUS "multirank: MPI is ${MULTIRANK_MPI_VENDOR} (${MPI_CXX_COMPILER}, ${MPIEXEC_EXECUTABLE})")

# ---- core ------------------------------------------------------------------------------------
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS serialization)
# Boost.MPI is an interop layer (multirank::boost_mpi), built only where it matches the MPI in
# use: Debian's is built for Open MPI.
set(MULTIRANK_BOOST_MPI AUTO CACHE STRING "Offer the Boost.MPI interop target: AUTO (with Open MPI, when found), ON, OFF")
set_property(CACHE MULTIRANK_BOOST_MPI PROPERTY STRINGS AUTO ON OFF)
set(MULTIRANK_HAVE_BOOST_MPI OFF)
if(MULTIRANK_BOOST_MPI STREQUAL "ON" OR (MULTIRANK_BOOST_MPI STREQUAL "AUTO" AND MULTIRANK_MPI_VENDOR STREQUAL "openmpi"))
  if(MULTIRANK_BOOST_MPI STREQUAL "ON")
    find_package(Boost 1.74 REQUIRED COMPONENTS mpi)
  else()
    find_package(Boost 1.74 QUIET COMPONENTS mpi)
  endif()
  if(TARGET Boost::mpi)
    set(MULTIRANK_HAVE_BOOST_MPI ON)
  endif()
endif()

# ---- study -----------------------------------------------------------------------------------
find_package(PkgConfig REQUIRED)
if(MULTIRANK_BUILD_STUDY)
  # The parallel HDF5 of this MPI, by its own pkg-config name (not the alternatives' hdf5-mpi).
  if(MULTIRANK_MPI_VENDOR STREQUAL "openmpi")
    set(_mr_hdf5_default hdf5-openmpi)
  elseif(MULTIRANK_MPI_VENDOR STREQUAL "mpich")
    set(_mr_hdf5_default hdf5-mpich)
  else()
    set(_mr_hdf5_default hdf5-mpi)
  endif()
  set(MULTIRANK_HDF5_PKG "${_mr_hdf5_default}" CACHE STRING "pkg-config name of the parallel HDF5 built for this MPI")
  pkg_check_modules(HDF5 IMPORTED_TARGET ${MULTIRANK_HDF5_PKG})
  if(NOT HDF5_FOUND)
    message(FATAL_ERROR "multirank's study component needs the parallel HDF5 built for ${MULTIRANK_MPI_VENDOR} "
                        "(pkg-config ${MULTIRANK_HDF5_PKG}); on Debian: apt-get install libhdf5-${MULTIRANK_MPI_VENDOR}-dev, "
                        "or configure with -DMULTIRANK_BUILD_STUDY=OFF")
  endif()
  include(CheckSymbolExists)
  set(CMAKE_REQUIRED_INCLUDES ${HDF5_INCLUDE_DIRS} ${MPI_C_INCLUDE_DIRS})
  check_symbol_exists(H5_HAVE_PARALLEL "hdf5.h" MULTIRANK_HDF5_IS_PARALLEL)
  unset(CMAKE_REQUIRED_INCLUDES)
  if(NOT MULTIRANK_HDF5_IS_PARALLEL)
    message(FATAL_ERROR "the HDF5 found (${HDF5_INCLUDE_DIRS}) is a serial build; multirank needs the "
                        "parallel one: apt-get install libhdf5-${MULTIRANK_MPI_VENDOR}-dev")
  endif()
  find_package(nlohmann_json 3 REQUIRED)
endif()

# ---- apps ------------------------------------------------------------------------------------
if(MULTIRANK_BUILD_APPS)
  pkg_check_modules(GMP REQUIRED IMPORTED_TARGET gmp gmpxx)
  pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc icu-i18n)
  find_package(CLI11 CONFIG REQUIRED)
endif()
