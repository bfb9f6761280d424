#pragma once
/// \file Settings of a pool, and the counters it keeps.

#include <cstdint>
#include <vector>

namespace multirank {

/// How a pool runs. Every rank must pass the same value: run_pool checks, and throws UsageError
/// on every rank otherwise.
struct PoolOptions {
  /// Rank 0 executes tasks too, on a worker thread beside its coordinator thread, so P ranks on
  /// P cores keep P cores busy. With one rank it always does.
  bool coordinator_works = true;
  /// Keep one TaskRecord per executed input (see Pool::records); costs two clock reads and 16
  /// bytes per input.
  bool records = true;
  /// Round trips per rank when the pool synchronises its clock.
  int clock_rounds = 8;
  /// Tasks each executing rank runs at once, on that many worker threads (ProcessPoolExecutor's
  /// max_workers, per rank): more than 1 for tasks that wait (on a child process, on I/O) or for
  /// one rank per node with many cores. Rank 0's coordinator thread comes on top.
  int workers_per_rank = 1;
};

/// What a pool has done so far.
struct PoolStats {
  std::vector<std::uint64_t> tasks_per_rank;   ///< inputs executed by each rank
  std::vector<std::uint64_t> chunks_per_rank;  ///< chunks executed by each rank
};

}  // namespace multirank
