#pragma once
/// \file `multirank farm TASKS`: a file of command lines run over the ranks, built on the Pool
/// (one pool task = one attempt of one command line, run by whichever rank takes it), with a
/// durable status file, resume, retries, timeouts, grouped output and a study-file record.
/// The subcommand is in farm.cpp; `multirank bench farm` runs the same code (bench_farm.cpp).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "farm_status.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/task_record.hpp"

namespace multirank::cli::farm {

/// The farm's options (the same on every rank).
struct Options {
  std::string tasks = "-";          ///< the task list, or "-" for standard input
  int per_rank = 1;                 ///< tasks at once on each rank
  bool tag = false;                 ///< prefix each output line with the task id and a tab
  std::string logs;                 ///< write DIR/TASK.out and DIR/TASK.err instead of printing
  std::string status;               ///< the JSON Lines status file
  bool resume = false;              ///< continue the status file
  bool retry_failed = false;        ///< with resume: run recorded failures again
  int retries = 0;                  ///< more attempts for a failing task
  double timeout = 0.0;             ///< seconds per attempt (0: none)
  bool fail_fast = false;           ///< stop dispatching after the first task that finally failed
  std::string progress = "auto";    ///< auto | terminal | log | none
  bool summary = true;              ///< print the closing summary on stderr
  std::string output;               ///< the study file (HDF5)
  bool force = false;               ///< --output: replace
  bool append = false;              ///< --output: add a run

  /// The options as recorded in the study file.
  [[nodiscard]] nlohmann::json to_json() const;
};

/// What validation prepared for the run.
struct Prepared {
  std::string spawner;                   ///< the task spawner executable
  std::unique_ptr<StatusFile> status;    ///< rank 0, with --status: locked and verified
};

/// Checks the options on every rank before any communication; throws UsageError with one line.
void validate(const Communicator& world, const Options& options, Prepared& prepared);

/// How a farm went (complete on rank 0; elsewhere only exit_code).
struct Summary {
  std::uint64_t tasks = 0;                 ///< commands in the list (as far as it was read)
  std::uint64_t succeeded = 0;             ///< tasks whose last attempt succeeded (skipped ones included)
  std::uint64_t failed = 0;                ///< tasks whose last attempt failed (skipped ones included)
  std::uint64_t skipped = 0;               ///< tasks not run because the status file had them
  std::uint64_t not_started = 0;           ///< tasks that never started (--fail-fast; a stopped spawner)
  bool unread = false;                     ///< --fail-fast stopped before the list's end
  std::uint64_t attempts = 0;              ///< attempts run
  std::vector<std::int64_t> failed_lines;  ///< the lowest failing line numbers (at most 10), ascending
  double makespan = 0.0;                   ///< seconds from the first submission to the last result
  std::vector<double> busy;                ///< per rank: time in tasks / (makespan x per_rank)
  std::vector<TaskRecord> records;         ///< one per attempt, on the farm's synchronised clock
  int exit_code = 0;                       ///< 0, or 1 when a task failed
};

/// Runs the farm over `comm` (collective; every rank runs tasks). Prints the tasks' output on
/// rank 0's stdout/stderr (or writes the logs) and progress on stderr.
Summary run(const Communicator& comm, const Options& options, Prepared& prepared);

/// The closing summary's lines.
std::string summary_text(const Summary& s);

}  // namespace multirank::cli::farm
