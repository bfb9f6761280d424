# The launcher `multirank study ... exec` uses by default outside a Slurm allocation: the one of
# the MPI multirank is built with, recorded at configure time as MULTIRANK_DEFAULT_LAUNCHER (a
# command template with {p} for the rank count). Open MPI: its mpirun ("mpirun.openmpi" on
# Debian, where plain mpirun is an alternative that may point to another MPI); MPICH (Hydra):
# mpiexec.mpich or mpiexec.hydra; anything else: MPIEXEC_EXECUTABLE with MPIEXEC_NUMPROC_FLAG.
# Set -DMULTIRANK_DEFAULT_LAUNCHER='...' to choose another.
if(NOT DEFINED MULTIRANK_DEFAULT_LAUNCHER)
  set(_mr_launcher "")
  if(MPIEXEC_EXECUTABLE)
    get_filename_component(_mr_mpiexec_dir "${MPIEXEC_EXECUTABLE}" DIRECTORY)
    execute_process(COMMAND "${MPIEXEC_EXECUTABLE}" --version OUTPUT_VARIABLE _mr_version ERROR_VARIABLE _mr_version_err
                    RESULT_VARIABLE _mr_rc)
    set(_mr_version "${_mr_version}${_mr_version_err}")
    if(_mr_version MATCHES "Open MPI|OpenRTE")
      set(_mr_candidates mpirun.openmpi mpirun)
    elseif(_mr_version MATCHES "HYDRA|MPICH")
      set(_mr_candidates mpiexec.mpich mpiexec.hydra mpiexec)
    else()
      set(_mr_candidates)
    endif()
    foreach(_mr_name IN LISTS _mr_candidates)
      if(EXISTS "${_mr_mpiexec_dir}/${_mr_name}")
        set(_mr_launcher "${_mr_mpiexec_dir}/${_mr_name} -n {p}")
        break()
      endif()
    endforeach()
    if(NOT _mr_launcher)
      set(_mr_launcher "${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} {p}")
    endif()
  else()
    set(_mr_launcher "mpirun -n {p}")
  endif()
  set(MULTIRANK_DEFAULT_LAUNCHER "${_mr_launcher}" CACHE STRING
      "the launcher template of `multirank study ... exec` outside Slurm ({p}: the rank count)")
endif()
message(STATUS "multirank study exec: default launcher '${MULTIRANK_DEFAULT_LAUNCHER}'")
