#pragma once
/// \file `--journal FILE` / `--resume`: completed tasks' results recorded durably, so that a run
/// killed at any instant can be resumed and recompute only what is missing.
///
/// The file is JSON Lines: a header {"multirank_journal": 1, "command": ..., "options": ...},
/// then one {"task": i, "result": ...} per completed task. Lines are appended in batches and
/// synced (fdatasync); a torn last line (a kill in mid-write) has no newline or does not parse,
/// and is dropped on resume. A journal whose header names another command or other options is
/// refused.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace multirank::cli {

/// An open journal (rank 0 only).
class Journal {
 public:
  /// Opens `path` for the run `command` + `options`. Without `resume` the file must not exist;
  /// with it, the file must exist and carry the same header. Throws UsageError otherwise.
  Journal(std::string path, std::string command, nlohmann::json options, bool resume);
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  /// Flushes and closes.
  ~Journal();

  /// Results of the tasks completed in earlier runs (task id → result).
  [[nodiscard]] const std::map<std::int64_t, nlohmann::json>& done() const noexcept { return done_; }
  /// Records a completed task; synced with the next batch (at most `batch` tasks or 200 ms later).
  /// Once a stop signal has flushed and sealed the journal, record() waits for the stop to end
  /// the process and never returns: the app takes no more results, so its pool dispatches no
  /// more work, and nothing is written that a SIGKILL could tear.
  void record(std::int64_t task, const nlohmann::json& result);
  /// Writes and syncs everything recorded so far.
  void flush();

  /// Checks, before any work, that `path` can serve as a journal for this run (validate step).
  static void check_usable(const std::string& path, const std::string& command, const nlohmann::json& options,
                           bool resume);

 private:
  std::string path_;
  int fd_ = -1;
  std::string pending_;
  std::size_t pending_count_ = 0;
  std::chrono::steady_clock::time_point last_sync_;
  std::map<std::int64_t, nlohmann::json> done_;
  int flush_id_ = 0;
  bool sealed_ = false;  // a stop signal flushed the journal for the last time
};

}  // namespace multirank::cli
