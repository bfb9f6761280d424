#pragma once
/// \file One executed task: who ran it, where, and when (on the synchronised clock).

#include <cstdint>
#include <string>

namespace multirank {

/// A per-task record, as the pool produces it and the trace and study layers consume it.
struct TaskRecord {
  std::int64_t task_id = 0;      ///< the input index (or the caller's id)
  std::int32_t rank = -1;        ///< rank that executed it
  std::int64_t pid = 0;          ///< process id of that rank
  std::string host;              ///< host name of that rank
  double queued = 0.0;           ///< when it was submitted (SyncClock seconds)
  double start = 0.0;            ///< when it started executing
  double end = 0.0;              ///< when it finished
  std::uint64_t bytes_in = 0;    ///< size of its encoded input
  std::uint64_t bytes_out = 0;   ///< size of its encoded result
  std::int32_t attempt = 1;      ///< which attempt this was (a farm retries failed commands), 1-based
  std::int32_t exit_code = 0;    ///< the command's exit code (128+n when killed by signal n), 0 for a function task
  std::string command;           ///< the command line it ran (a farm's task), empty for a function task

  /// Execution time in seconds.
  [[nodiscard]] double seconds() const noexcept { return end - start; }

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & task_id & rank & pid & host & queued & start & end & bytes_in & bytes_out & attempt & exit_code & command;
  }
};

}  // namespace multirank
