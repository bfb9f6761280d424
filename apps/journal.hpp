#pragma once
/// \file `--journal FILE` / `--resume`: completed tasks' results recorded durably, so that a run
/// killed at any instant can be resumed and recompute only what is missing; and nothing a
/// journal holds is taken on trust.
///
/// The file is a DurableLog (durable_log.hpp: an exclusive flock while it is open, a CRC-32 per
/// line, batched fdatasync at most 200 ms apart, sealed by the stop signals). Its first record is
/// the header {"multirank_journal": 2, "command": ..., "options": ..., "run_id": ...}, then one
/// {"task": i, "key": K, "result": R} per completed task, where K is the task's input (a range, an
/// n, a (p, rep)) so that a record moved to another task shows; a study journal ends with
/// {"written": GROUP, "file": PATH} once its run is in the study file.
///
/// On --resume, every record is checked before any work: its checksum, that its task is one of
/// this run's and recorded once, that its key is that task's input, and its result (the app's
/// check). Anything else is refused with one line naming the file and the line; only a torn last
/// line (a crash's leftover) is dropped. A journal of an older multirank (no checksums) is refused
/// with a line saying to run without --resume.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "durable_log.hpp"

namespace multirank::cli {

/// The tasks of a journaled run, for checking what a journal says about them.
struct JournalTasks {
  /// Task i's input key (what it computes), in task order; a record's key must equal it.
  std::vector<nlohmann::json> keys;
  /// Why a recorded result cannot be this task's ("" when it can): types, ranges, consistency.
  std::function<std::string(std::size_t task, const nlohmann::json& result)> check_result;
};

/// Where a study journal's run was written.
struct JournalWritten {
  std::string file;   ///< the study file
  std::string group;  ///< its run group
};

/// An open journal (rank 0 only, or the driver of `study ... exec`).
class Journal {
 public:
  /// Opens `path` for the run `command` + `options` with these tasks. Without `resume` the file
  /// must not exist (an empty file, a write that never got its header, counts as absent); with
  /// it, the file must exist, carry the same header, and hold only sound records (see the file
  /// comment). Throws UsageError otherwise. The file stays locked while the Journal lives.
  Journal(std::string path, std::string command, nlohmann::json options, bool resume, JournalTasks tasks);
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  /// Flushes and closes.
  ~Journal();

  /// Results of the tasks completed in earlier runs (task → result), all checked.
  [[nodiscard]] const std::map<std::int64_t, nlohmann::json>& done() const noexcept { return done_; }
  /// The run's identity: made when the journal was created, the same on every resume.
  [[nodiscard]] const std::string& run_id() const noexcept { return run_id_; }
  /// A study journal's record of its written run, if any.
  [[nodiscard]] const std::optional<JournalWritten>& written() const noexcept { return written_; }
  /// Records a completed task; synced within 200 ms. Once a stop has begun, record() waits for
  /// the stop to end the process and never returns: the app takes no more results, so its pool
  /// dispatches no more work.
  void record(std::int64_t task, const nlohmann::json& result);
  /// Records (and syncs) that the run was written as `group` of `file`.
  void record_written(const std::string& file, const std::string& group);
  /// Writes and syncs everything recorded so far (throws naming the file and the OS error).
  void flush();

  /// Checks, before any work, that `path` can serve as a journal for this run: the whole check
  /// of a resume (without taking the results), or that a new journal can be created.
  static void check_usable(const std::string& path, const std::string& command, const nlohmann::json& options,
                           bool resume, const JournalTasks& tasks);

 private:
  std::string path_;
  std::vector<nlohmann::json> keys_;
  std::unique_ptr<DurableLog> log_;
  std::map<std::int64_t, nlohmann::json> done_;
  std::string run_id_;
  std::optional<JournalWritten> written_;
};

/// Checks for results: "" when `value` is a finite number at least `low`, else why.
std::string check_number(const nlohmann::json& value, const char* name, double low = 0.0);

}  // namespace multirank::cli
