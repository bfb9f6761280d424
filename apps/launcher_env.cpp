#include "launcher_env.hpp"

#include <cstdlib>
#include <string>

extern char** environ;  // POSIX: the process environment

namespace multirank::cli {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

/// Prefixes only a launcher sets (every variable under them is its wiring).
constexpr std::string_view kPrefixes[] = {
    // Open MPI's mpirun/orted
    "OMPI_COMM_WORLD_",
    "OMPI_MCA_ess_",
    "OMPI_MCA_orte_",
    // Hydra (MPICH): PMI_* and HYDI_*; HYDRA_* are the user's settings of Hydra itself
    "PMI_",
    "HYDI_",
    // an srun step
    "SLURM_STEP_",
    "SLURM_SRUN_COMM_",
    "SLURM_PMIX_",
    "SLURM_PMIXP_",
    "SLURM_JOB_CPUS_PER_NODE_PACK_GROUP_",
};

/// Single names a launcher sets.
constexpr std::string_view kNames[] = {
    // Open MPI's mpirun/orted
    "OMPI_MCA_ess",
    "OMPI_MCA_pmix",
    "OMPI_MCA_initial_wdir",
    "OMPI_MCA_mpi_oversubscribe",
    "OMPI_MCA_shmem_RUNTIME_QUERY_hint",
    "OMPI_APP_CTX_NUM_PROCS",
    "OMPI_COMMAND",
    "OMPI_FILE_LOCATION",
    "OMPI_FIRST_RANKS",
    "OMPI_NUM_APP_CTX",
    "OMPI_UNIVERSE_SIZE",
    "OMPI_ARGV",
    "HFI_NO_BACKTRACE",
    "IPATH_NO_BACKTRACE",
    "ORTE_SCHIZO_DETECTION",
    "PMIX_MCA_mca_base_component_show_load_errors",
    // Hydra (MPICH)
    "MPI_LOCALNRANKS",
    "MPI_LOCALRANKID",
    "MPIR_CVAR_CH3_INTERFACE_HOSTNAME",
    "GFORTRAN_UNBUFFERED_PRECONNECTED",
    // an srun step
    "SLURM_STEPID",
    "SLURM_PROCID",
    "SLURM_LOCALID",
    "SLURM_TASK_PID",
    "SLURM_GTIDS",
    "SLURM_LAUNCH_NODE_IPADDR",
    "SRUN_DEBUG",
};

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return end && *end == '\0' && n >= 0 && n < (1L << 30) ? static_cast<int>(n) : fallback;
}

}  // namespace

bool is_launcher_variable(std::string_view name) {
  // PMIx: its wiring is launcher-set, but PMIX_MCA_* are settings a user makes (PMIX_MCA_gds=hash).
  for (std::string_view n : kNames)
    if (name == n) return true;
  if (starts_with(name, "PMIX_")) return !starts_with(name, "PMIX_MCA_");
  for (std::string_view p : kPrefixes)
    if (starts_with(name, p)) return true;
  return false;
}

std::vector<std::string> without_launcher_variables(const std::vector<std::string>& environment) {
  std::vector<std::string> out;
  out.reserve(environment.size());
  for (const auto& kv : environment) {
    const std::string_view entry = kv;
    if (!is_launcher_variable(entry.substr(0, entry.find('=')))) out.push_back(kv);
  }
  return out;
}

std::vector<std::string> launcher_free_environment() {
  std::vector<std::string> all;
  for (char** e = environ; e && *e; ++e) all.emplace_back(*e);
  return without_launcher_variables(all);
}

LauncherJob launcher_job() {
  LauncherJob job;
  if (std::getenv("OMPI_COMM_WORLD_SIZE")) {
    job = {env_int("OMPI_COMM_WORLD_SIZE", 1), env_int("OMPI_COMM_WORLD_RANK", 0), "mpirun"};
  } else if (std::getenv("PMI_SIZE")) {
    job = {env_int("PMI_SIZE", 1), env_int("PMI_RANK", 0), "mpiexec (PMI)"};
  } else if (std::getenv("SLURM_STEP_NUM_TASKS")) {
    job = {env_int("SLURM_STEP_NUM_TASKS", 1), env_int("SLURM_PROCID", 0), "srun"};
  }
  return job;
}

}  // namespace multirank::cli
