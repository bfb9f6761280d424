#pragma once
/// \file How a farm's rank runs commands: through its one task spawner process
/// (multirank-farm-spawner, beside the multirank executable), so the MPI process never forks and
/// no task outlives the rank; and the environment the tasks get.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace multirank::cli::farm {

/// This process's environment as it started, before MPI_Init (which adds variables of its own,
/// such as OMPI_MCA_ess=pmi, PMIX_MCA_psec or PSM2_DEVICES) and before multirank's own settings.
const std::vector<std::string>& startup_environment();

/// The tasks' environment: `environment` without the launcher's variables (is_launcher_variable,
/// launcher_env.hpp), plus MULTIRANK_RANK and MULTIRANK_SIZE.
std::vector<std::string> task_environment(const std::vector<std::string>& environment, int rank, int size);

/// How one attempt of a command ended.
struct Outcome {
  std::int64_t pid = 0;        ///< its /bin/sh's process id (0 when it could not start)
  int exit_code = 0;           ///< its exit code; 128+n when killed by signal n; 124 on a timeout; 127 when it could not start
  int signal = 0;              ///< the signal that ended it (0 if none)
  bool timed_out = false;      ///< its --timeout expired
  bool stopped = false;        ///< the job was stopping (a stop signal): it was cut short, or never started
  std::string error;           ///< why it could not start
  double start_unix = 0.0;     ///< wall-clock start (seconds since the epoch)
  double end_unix = 0.0;       ///< wall-clock end
  double seconds = 0.0;        ///< its run time (monotonic)
  std::string out;             ///< its standard output (spooled; empty with log files)
  std::string err;             ///< its standard error
};

/// One rank's task spawner: starts the process (posix_spawn, in a process group of its own) with
/// `slots` slots, each with its socket and two spool files (unlinked temporary files), and stops
/// it when destroyed. Stop signals (SIGINT/SIGTERM) pass SIGTERM on to every running task's group.
class Spawner {
 public:
  /// multirank-farm-spawner next to the running executable; UsageError if it is missing.
  static std::string locate();

  Spawner(const std::string& program, int slots, std::vector<std::string> environment);
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;
  /// Closes the sockets (the spawner kills whatever still runs, and exits) and reaps it.
  ~Spawner();

  /// Runs `/bin/sh -c command` in a free slot and waits (sleeping) until it ends; at most
  /// `slots` calls at once. Output is spooled and returned, unless `out_path`/`err_path` are
  /// given (log files). `timeout` seconds (0: none) before SIGTERM, SIGKILL 5 s later.
  /// Throws std::runtime_error if the spawner itself has gone.
  Outcome run(std::int64_t task, int attempt, const std::string& command, double timeout,
              const std::string& out_path = {}, const std::string& err_path = {});
  /// Sends `sig` to every running task's process group (async-signal-unsafe, thread-safe).
  void signal_all(int sig) noexcept;
  /// The spawner's process id.
  [[nodiscard]] long pid() const noexcept { return pid_; }

 private:
  struct Slot {
    int socket = -1;
    int out = -1;
    int err = -1;
  };
  int acquire();
  void release(int slot);
  static std::string read_spool(int fd);

  long pid_ = 0;
  int control_ = -1;
  std::vector<Slot> slots_;
  std::mutex mutex_;
  std::vector<int> free_;
  int flush_id_ = 0;
};

}  // namespace multirank::cli::farm
