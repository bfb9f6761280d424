#pragma once
/// \file A farm's --status file: JSON Lines on a DurableLog (lock, checksums, batched syncs).
///
/// The first record is the header:
///   {"multirank_farm": 1, "tasks": TASKS as given, "tasks_path": its absolute path or "-", "created": ISO}
/// then one record per finished attempt:
///   {"task", "command", "exit_code", "signal", "timed_out", "attempt", "rank", "host", "pid",
///    "start", "end" (ISO-8601 UTC), "seconds"}
/// (every record ends with its "crc32"; see durable_log.hpp). `pid` is the task's /bin/sh.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "durable_log.hpp"

namespace multirank::cli::farm {

/// One finished attempt of a task.
struct Attempt {
  std::int64_t task = 0;
  std::string command;
  int exit_code = 0;
  int signal = 0;
  bool timed_out = false;
  int attempt = 1;
  int rank = 0;
  std::string host;
  std::int64_t pid = 0;
  double start_unix = 0.0;
  double end_unix = 0.0;
  double seconds = 0.0;
};

/// The record of an attempt.
nlohmann::ordered_json to_json(const Attempt& a);
/// ISO-8601 UTC with milliseconds of a time in seconds since the epoch: "2024-05-01T12:00:00.000Z".
std::string iso_utc(double unix_seconds);
/// The text a command is recorded (and compared) as: itself when valid UTF-8, else with U+FFFD
/// for each invalid byte (JSON holds only Unicode).
std::string recorded_text(const std::string& command);

/// A status file opened for a run (rank 0 only).
class StatusFile {
 public:
  /// The last recorded attempt of a (task, command).
  struct Last {
    int attempt = 0;
    int exit_code = 0;
  };

  /// Prepares `path` for a run over the task list `tasks` (before any work; UsageError with one
  /// line otherwise): without `resume` the file must not exist and its folder must be writable;
  /// with it, a missing (or empty) file starts fresh, and an existing one is locked, verified
  /// and must name the same task list. Writes nothing yet.
  StatusFile(std::string path, const std::string& tasks, bool resume);
  StatusFile(const StatusFile&) = delete;
  StatusFile& operator=(const StatusFile&) = delete;

  /// Creates the file (when new) and writes its header; call once the run starts.
  void start();
  /// Records a finished attempt (synced within 200 ms; flushed by a stop signal).
  void record(const Attempt& a);
  /// Writes and syncs what is pending.
  void flush();
  /// The last recorded attempt of `task` with this command, if any.
  [[nodiscard]] std::optional<Last> last(std::int64_t task, const std::string& recorded_command) const;
  /// Attempts read from the existing file.
  [[nodiscard]] std::size_t resumed_records() const noexcept { return resumed_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
  nlohmann::ordered_json header_;
  bool has_header_ = false;       // the existing file already starts with one
  std::unique_ptr<DurableLog> log_;
  std::unordered_map<std::int64_t, std::vector<std::pair<std::string, Last>>> last_;
  std::size_t resumed_ = 0;
};

}  // namespace multirank::cli::farm
