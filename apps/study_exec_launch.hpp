#pragma once
/// \file Launching one sample of `multirank study ... exec`: a command line (the launcher and the
/// program) started with posix_spawn in a process group of its own, timed from the spawn to its
/// exit, its standard output and error captured in unlinked temporary files.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "multirank/study/run_record.hpp"

namespace multirank::cli {

/// How one launch ended.
struct LaunchResult {
  int exit_code = 0;          ///< the exit status, or 128 + n when killed by signal n
  int signal = 0;             ///< the signal that ended it (0 when it exited)
  bool timed_out = false;     ///< killed by the driver after the timeout
  double wall_seconds = 0.0;  ///< from just before the spawn to its exit being seen
  std::string stdout_text;    ///< all of its standard output
  std::string stderr_text;    ///< all of its standard error
};

/// Starts commands one at a time, each in a process group of its own with stdin from /dev/null
/// and the given environment. Reuses its two output files from launch to launch.
class CommandLauncher {
 public:
  /// `environment`: NAME=value entries (see launcher_free_environment). Throws std::runtime_error
  /// when no temporary file can be made (in $TMPDIR, else /tmp).
  explicit CommandLauncher(std::vector<std::string> environment);
  CommandLauncher(const CommandLauncher&) = delete;
  CommandLauncher& operator=(const CommandLauncher&) = delete;
  ~CommandLauncher();

  /// Runs `argv` (argv[0] looked up on PATH) to its end. With `timeout_seconds` > 0, a command
  /// still running then gets SIGTERM to its process group, and SIGKILL 5 s later. Throws
  /// std::runtime_error when it cannot be started at all.
  LaunchResult run(const std::vector<std::string>& argv, double timeout_seconds);

  /// Ends the running command, if any: SIGTERM to its process group (mpirun and srun pass it on
  /// to their ranks), then SIGKILL after `grace_seconds`. Thread-safe; for a stop signal's flush.
  void stop(double grace_seconds);

 private:
  std::vector<std::string> environment_;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::mutex mutex_;  // guards pid_
  pid_t pid_ = 0;     // the running command's pid (= its process group), 0 when none
};

/// The executable that `name` names: itself when it holds a '/', else the first match on PATH
/// (as execvp searches). Returned as an absolute, lexically normal path. Throws UsageError when
/// there is none, it is not a regular file, or it is not executable.
[[nodiscard]] std::string resolve_program(const std::string& name);

/// The program's provenance: its path, size and SHA-256 (OpenSSL's libcrypto).
[[nodiscard]] study::ProgramInfo describe_program(const std::string& path);

}  // namespace multirank::cli
