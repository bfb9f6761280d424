# Test registration helpers.
#
#   multirank_add_mpi_test(NAME n SOURCES a.cpp [RANKS 1 2 3 4] [TIMEOUT s] [LABELS l...] [ARGS a...])
#     builds test_n against the shared multi-rank GoogleTest main and registers one ctest entry per
#     rank count: n.np1, n.np2, ... (label "mpi" plus LABELS), each with a timeout.
#   multirank_add_unit_test(NAME n SOURCES a.cpp [TIMEOUT s] [LABELS l...])
#     a plain one-process GoogleTest executable (label "unit").
#   multirank_add_script_test(NAME n COMMAND cmd... [TIMEOUT s] [LABELS l...])
#     an end-to-end check driven by a script (label "e2e" unless LABELS says otherwise).

find_package(GTest REQUIRED)

# What each MPI's launcher needs for the tests: Open MPI refuses more ranks than cores without
# --oversubscribe (Hydra oversubscribes without a flag), and refuses root without its two
# variables. Scripts get the launcher, its flag and the vendor (tests/support/launcher.sh).
set(MULTIRANK_MPIEXEC_OVERSUBSCRIBE "")
set(_mr_mpi_environment "")
if(MULTIRANK_MPI_VENDOR STREQUAL "openmpi")
  set(MULTIRANK_MPIEXEC_OVERSUBSCRIBE --oversubscribe)
  set(_mr_mpi_environment "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;")
endif()
set(MULTIRANK_TEST_ENVIRONMENT
    "${_mr_mpi_environment}OMP_NUM_THREADS=1;MULTIRANK_MPI_VENDOR=${MULTIRANK_MPI_VENDOR};MPIEXEC_OVERSUBSCRIBE=${MULTIRANK_MPIEXEC_OVERSUBSCRIBE};ASAN_OPTIONS=detect_leaks=0:abort_on_error=0;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
    CACHE INTERNAL "")
set(MULTIRANK_DEFAULT_TIMEOUT 120 CACHE STRING "Default per-test timeout in seconds")

function(multirank_add_mpi_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;RANKS;LABELS;ARGS;LIBRARIES" ${ARGN})
  if(NOT T_RANKS)
    set(T_RANKS 1 2 3 4)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT ${MULTIRANK_DEFAULT_TIMEOUT})
  endif()
  add_executable(test_${T_NAME} ${T_SOURCES})
  # The library's stricter warnings: its headers are checked where the tests instantiate them.
  multirank_internal_target(test_${T_NAME} LIBRARY)
  target_link_libraries(test_${T_NAME} PRIVATE multirank multirank_mpi_gtest_main ${T_LIBRARIES})
  foreach(n IN LISTS T_RANKS)
    add_test(NAME ${T_NAME}.np${n}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${MULTIRANK_MPIEXEC_OVERSUBSCRIBE}
                     ${MPIEXEC_PREFLAGS} $<TARGET_FILE:test_${T_NAME}> ${MPIEXEC_POSTFLAGS} ${T_ARGS})
    set_tests_properties(${T_NAME}.np${n} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "mpi;${T_LABELS}"
                         PROCESSORS ${n} ENVIRONMENT "${MULTIRANK_TEST_ENVIRONMENT}")
  endforeach()
endfunction()

function(multirank_add_unit_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LABELS;LIBRARIES" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT ${MULTIRANK_DEFAULT_TIMEOUT})
  endif()
  add_executable(test_${T_NAME} ${T_SOURCES})
  multirank_internal_target(test_${T_NAME} LIBRARY)
  target_link_libraries(test_${T_NAME} PRIVATE multirank GTest::gtest_main ${T_LIBRARIES})
  target_include_directories(test_${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
  add_test(NAME ${T_NAME} COMMAND test_${T_NAME})
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "unit;${T_LABELS}"
                       ENVIRONMENT "${MULTIRANK_TEST_ENVIRONMENT}")
endfunction()

function(multirank_add_script_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "COMMAND;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT ${MULTIRANK_DEFAULT_TIMEOUT})
  endif()
  if(NOT T_LABELS)
    set(T_LABELS e2e)
  endif()
  set(_env "${MULTIRANK_TEST_ENVIRONMENT};MPIEXEC=${MPIEXEC_EXECUTABLE};MULTIRANK_SOURCE_DIR=${PROJECT_SOURCE_DIR};MULTIRANK_BINARY_DIR=${PROJECT_BINARY_DIR}")
  if(TARGET multirank_cli)
    list(APPEND _env "MULTIRANK_BIN=$<TARGET_FILE:multirank_cli>")
  endif()
  add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}" ENVIRONMENT "${_env}")
endfunction()
