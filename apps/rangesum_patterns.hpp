#pragma once
/// \file The range-sum exercise, distributed five ways (the patterns of the notes).

#include <cstdint>
#include <string>
#include <vector>

#include "exercises/rangesum.hpp"
#include "journal.hpp"
#include "multirank/collective/partition.hpp"
#include "multirank/core/clock.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/int128.hpp"
#include "multirank/core/task_record.hpp"

namespace multirank::cli {

/// How the range is shared out and the partial sums brought together.
enum class SumPattern {
  sequential,      ///< rank 0 sums it all (the others wait)
  scatter_gather,  ///< block ranges per rank, one reduction
  pool,            ///< chunks handed to the ranks of a Pool as they ask
  queue,           ///< every rank puts its partial into a Queue; rank 0 gets and adds them
  pipe             ///< every rank sends its partial to rank 0 through its own Pipe
};

/// Parses a pattern name; throws UsageError.
SumPattern parse_sum_pattern(const std::string& name);

/// A range-sum problem.
struct SumOptions {
  std::int64_t n = 0;
  std::int64_t lo = 0;
  SumPattern pattern = SumPattern::scatter_gather;
  exercises::SumKernel kernel = exercises::SumKernel::plain;
  std::int64_t chunks = 0;  ///< pool pattern: chunk count (0: 16 per rank)
  std::string journal;      ///< pool pattern: journal file ("" for none)
  bool resume = false;      ///< pool pattern: continue the journal
};

/// The outcome on rank 0 (seconds on every rank).
struct SumOutcome {
  int128_t total = 0;
  double seconds = 0.0;            ///< wall time, max over ranks
  std::vector<TaskRecord> tasks;   ///< one record per block/chunk computed in this run
  std::vector<Range> task_ranges;  ///< the range of each task id
  std::int64_t resumed_tasks = 0;  ///< chunks taken from the journal instead of computed
  std::int64_t resumed_elements = 0;  ///< the elements of those chunks
};

/// The chunks of the pool pattern.
std::vector<Range> sum_chunks(const SumOptions& options, int ranks);

/// The pool pattern's journal: its identity and its tasks (each chunk's range; a recorded
/// partial sum must be a sum of that kernel, and for `plain` exactly the closed form of its range).
nlohmann::json sum_journal_identity(const SumOptions& options, int ranks);
JournalTasks sum_journal_tasks(const SumOptions& options, int ranks);

/// Runs the pattern (collective over `comm`).
SumOutcome run_sum_pattern(const Communicator& comm, const SyncClock& clock, const SumOptions& options);

}  // namespace multirank::cli
