#pragma once
/// \file How much really ran at once: the notes' exec(τ), wait(τ) and ExecutingAt(t), measured
/// from per-task records.
///
/// For a task τ with record (queued, start, end): exec(τ) = [start, end) and wait(τ) =
/// [queued, start). ExecutingAt(t) is the set of tasks whose exec interval contains t. Intervals
/// are half-open, so a task that starts exactly when another ends does not overlap it: a
/// sequential launch shows a peak parallelism of 1.

#include <cstddef>
#include <string>
#include <vector>

#include "multirank/core/task_record.hpp"

namespace multirank::trace {

/// One rank's share of a profile.
struct RankUsage {
  int rank = 0;                ///< the rank
  std::size_t tasks = 0;       ///< tasks it executed
  double busy_seconds = 0.0;   ///< length of the union of its exec intervals
  double busy_fraction = 0.0;  ///< busy_seconds / makespan (0 when the makespan is 0)
  double idle_fraction = 0.0;  ///< 1 - busy_fraction (1 for a rank that ran nothing)
};

/// The concurrency profile of a set of executed tasks.
struct ConcurrencyProfile {
  std::size_t tasks = 0;              ///< number of records
  double first_start = 0.0;           ///< earliest start (the profile's time origin)
  double last_end = 0.0;              ///< latest end
  double makespan = 0.0;              ///< last_end - first_start
  double busy_seconds = 0.0;          ///< sum over tasks of |exec(τ)|
  double wait_seconds = 0.0;          ///< sum over tasks of |wait(τ)| (queued to start)
  double mean_parallelism = 0.0;      ///< time average of |ExecutingAt(t)|: busy_seconds / makespan
  int peak_parallelism = 0;           ///< max over t of |ExecutingAt(t)|
  bool overlapped = false;            ///< whether two exec intervals ever intersect (peak > 1)
  std::vector<RankUsage> ranks;       ///< per rank, in rank order
};

/// Profiles `tasks`. Ranks 0..ranks-1 are always listed (a rank with no task is idle 100%), as is
/// every rank that appears in the records; pass ranks = 0 to list only the latter.
[[nodiscard]] ConcurrencyProfile concurrency_profile(const std::vector<TaskRecord>& tasks, int ranks = 0);

/// |ExecutingAt(t)|: how many tasks execute at instant `t` (start <= t < end).
[[nodiscard]] int executing_at(const std::vector<TaskRecord>& tasks, double t);

/// A few lines of text: makespan, busy time, mean and peak parallelism, per-rank busy and idle.
[[nodiscard]] std::string format_profile(const ConcurrencyProfile& profile);

}  // namespace multirank::trace
