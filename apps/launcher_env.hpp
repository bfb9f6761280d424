#pragma once
/// \file The environment for a command that multirank starts (a study's program launch, a farm's
/// task): this process's environment minus the variables an MPI launcher set for it.
///
/// A process started by mpirun, Hydra or srun carries the launcher's wiring (its job id, rank,
/// the daemon's URI). A command that inherits it and is itself an MPI program, or calls mpirun,
/// believes it is that rank and fails (Open MPI: in orte_init). The user's own settings stay:
/// OMPI_ALLOW_RUN_AS_ROOT*, tuning OMPI_MCA_* and PMIX_MCA_* variables, the allocation's SLURM_*.
/// The list was found by comparing a rank's environment with its launcher's: `mpirun -n 1 env`
/// (Open MPI 4.1), `mpiexec.mpich -n 1 env` (Hydra 4.0) and `srun --mpi=pmix -n 1 env` in a
/// batch job (Slurm 22.05), each against the environment it was started from.

#include <string>
#include <string_view>
#include <vector>

namespace multirank::cli {

/// Whether `name` is a variable that an MPI launcher sets for the processes it starts:
/// - Open MPI (mpirun/orted): OMPI_COMM_WORLD_*, OMPI_MCA_ess*, OMPI_MCA_orte_*, OMPI_MCA_pmix,
///   OMPI_MCA_initial_wdir, OMPI_MCA_mpi_oversubscribe, OMPI_MCA_shmem_RUNTIME_QUERY_hint,
///   OMPI_APP_CTX_NUM_PROCS, OMPI_COMMAND, OMPI_FILE_LOCATION, OMPI_FIRST_RANKS, OMPI_NUM_APP_CTX,
///   OMPI_UNIVERSE_SIZE, OMPI_ARGV, ORTE_SCHIZO_DETECTION, HFI_NO_BACKTRACE, IPATH_NO_BACKTRACE;
/// - PMIx (Open MPI's and Slurm's): PMIX_* except the PMIX_MCA_* settings (but mpirun's own
///   PMIX_MCA_mca_base_component_show_load_errors);
/// - Hydra (MPICH): PMI_*, HYDI_*, MPI_LOCALNRANKS, MPI_LOCALRANKID,
///   MPIR_CVAR_CH3_INTERFACE_HOSTNAME, GFORTRAN_UNBUFFERED_PRECONNECTED (HYDRA_* are the user's
///   settings of Hydra, which it never sets for a rank);
/// - an srun step: SLURM_STEP_*, SLURM_STEPID, SLURM_PROCID, SLURM_LOCALID, SLURM_TASK_PID,
///   SLURM_GTIDS, SLURM_SRUN_COMM_*, SLURM_LAUNCH_NODE_IPADDR, SLURM_PMIX_*, SLURM_PMIXP_*,
///   SLURM_JOB_CPUS_PER_NODE_PACK_GROUP_*, SRUN_DEBUG.
[[nodiscard]] bool is_launcher_variable(std::string_view name);

/// `environment` (NAME=value entries) without the launcher's variables, in the same order.
[[nodiscard]] std::vector<std::string> without_launcher_variables(const std::vector<std::string>& environment);

/// This process's environment (environ) without the launcher's variables: what a command that
/// multirank starts gets (plus whatever the caller adds, such as a farm's MULTIRANK_TASK).
[[nodiscard]] std::vector<std::string> launcher_free_environment();

/// The launcher's job this process is part of, as its variables say.
struct LauncherJob {
  int size = 1;          ///< ranks in that job (1 when not started by a launcher)
  int rank = 0;          ///< this process's rank in it
  std::string launcher;  ///< "mpirun", "mpiexec (PMI)", "srun", or "" when none
};

/// Reads OMPI_COMM_WORLD_SIZE/RANK, PMI_SIZE/RANK, or SLURM_STEP_NUM_TASKS/SLURM_PROCID.
[[nodiscard]] LauncherJob launcher_job();

}  // namespace multirank::cli
