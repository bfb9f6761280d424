#pragma once
/// \file The measuring loop of a scaling study: for each rank count p, the first p ranks run the
/// work after warm-ups, timed repetition by repetition, while the other ranks wait without spinning.

#include <functional>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "multirank/core/communicator.hpp"
#include "multirank/core/task_record.hpp"
#include "multirank/study/run_record.hpp"

namespace multirank::study {

/// What the sweep runs.
struct SweepOptions {
  std::vector<int> ranks{}; ///< rank counts, each in [1, world size]; measured in the order given
  int reps = 5;             ///< timed repetitions per rank count (>= 1)
  int warmups = 1;          ///< untimed runs before them (>= 0)
  bool progress = true;     ///< show progress on rank 0's stderr (see trace::Progress)
  /// Repetitions measured by an earlier, interrupted run (p, rep): skipped, and their samples,
  /// already in the record, are kept. A rank count whose repetitions are all done skips its warm-ups.
  std::set<std::pair<int, int>> done{};
  /// Called on rank 0 after each new sample (e.g. to journal it).
  std::function<void(const Sample&)> on_sample{};
};

/// What one run of the work returns on each rank of the sub-communicator.
struct RepetitionResult {
  /// This rank's seconds for the measured part; negative to let the sweep time the whole call
  /// (from a barrier to the call's return).
  double seconds = -1.0;
  /// Per-task records held by this rank (any split: all on rank 0 is fine). The sweep keeps those
  /// of the last repetition at the largest p.
  std::vector<TaskRecord> tasks;
};

/// The work, run collectively on `sub` (the first p ranks of the world, sub.size() == p).
using SweepBody = std::function<RepetitionResult(const Communicator& sub, int p)>;

/// Throws UsageError unless the options fit a world of `world_size` ranks (for an app's validate).
void check_sweep(const SweepOptions& options, int world_size);

/// Runs the sweep (collective over `world`) and fills `record`: ranks, reps, warmups, one sample
/// per repetition (on rank 0), and the task records of the last repetition at the largest p with
/// tasks_p and tasks_rep. Then `write_run(world, path, record, mode)` stores it.
///
///     auto record = study::begin_run(world, "rangesum", options_json, "strong");
///     study::run_sweep(world, {.ranks = {1, 2, 4}, .reps = 5}, record,
///                      [&](const Communicator& sub, int p) { return study::RepetitionResult{...}; });
///     study::write_run(world, "study.h5", record, study::WriteMode::append);
void run_sweep(const Communicator& world, const SweepOptions& options, RunRecord& record, const SweepBody& body);

/// Parses "1,2,4" into rank counts; throws UsageError on anything else (empty, zero, junk, duplicates).
[[nodiscard]] std::vector<int> parse_rank_list(const std::string& text);

}  // namespace multirank::study
