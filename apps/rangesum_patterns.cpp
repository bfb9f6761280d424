#include "rangesum_patterns.hpp"

#include "app.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/collective/partition.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/process_info.hpp"

namespace multirank::cli {

SumPattern parse_sum_pattern(const std::string& name) {
  if (name == "sequential") return SumPattern::sequential;
  if (name == "scatter-gather") return SumPattern::scatter_gather;
  if (name == "pool") return SumPattern::pool;
  if (name == "queue") return SumPattern::queue;
  if (name == "pipe") return SumPattern::pipe;
  throw UsageError("unknown pattern '" + name + "' (sequential, scatter-gather, pool, queue, pipe)");
}

namespace {

/// Adds partial sums of the heavy kernel modulo 2^64 (stateless, so it maps to an MPI_Op).
struct WrappingAdd {
  int128_t operator()(const int128_t& a, const int128_t& b) const {
    return kernels::combine_sums(kernels::SumKernel::heavy, a, b);
  }
};

int128_t reduce_partials(const Communicator& comm, kernels::SumKernel kernel, int128_t partial) {
  if (kernel == kernels::SumKernel::plain) return reduce(comm, partial, std::plus<int128_t>{});
  return reduce(comm, partial, WrappingAdd{});
}

/// Sums [lo, hi) on this rank and records it as one task.
int128_t timed_partial(const SyncClock& clock, const SumOptions& o, std::int64_t task_id, std::int64_t lo,
                       std::int64_t hi, int rank, TaskRecord& record) {
  record.task_id = task_id;
  record.rank = rank;
  record.pid = process_id();
  record.host = host_name();
  record.queued = record.start = clock.now();
  const int128_t sum = kernels::partial_sum(o.kernel, lo, hi);
  record.end = clock.now();
  record.bytes_in = static_cast<std::uint64_t>(hi > lo ? hi - lo : 0);
  return sum;
}

/// Each rank sums a block (all of it on rank 0 for `sequential`); partials meet in `combine`.
template <class Combine>
SumOutcome block_sums(const Communicator& comm, const SyncClock& clock, const SumOptions& o, bool sequential,
                      Combine combine) {
  comm.barrier();
  const double t0 = MPI_Wtime();
  const auto range = sequential ? (comm.rank() == 0 ? Range{o.lo, o.lo + o.n} : Range{o.lo, o.lo})
                                : block_range(o.lo, o.lo + o.n, comm.rank(), comm.size());
  TaskRecord record;
  const int128_t partial = timed_partial(clock, o, comm.rank(), range.lo, range.hi, comm.rank(), record);
  SumOutcome out;
  out.total = combine(partial);
  out.seconds = max_over_ranks(comm, MPI_Wtime() - t0);
  auto records = gather(comm, record);
  if (comm.rank() == 0) {
    for (auto& r : records)
      if (!sequential || r.rank == 0) out.tasks.push_back(std::move(r));
  }
  return out;
}

}  // namespace

SumOutcome run_sum_pattern(const Communicator& comm, const SyncClock& clock, const SumOptions& o) {
  switch (o.pattern) {
    case SumPattern::sequential:
      return block_sums(comm, clock, o, true, [&](int128_t p) { return reduce_partials(comm, o.kernel, p); });
    case SumPattern::scatter_gather:
      return block_sums(comm, clock, o, false, [&](int128_t p) { return reduce_partials(comm, o.kernel, p); });
    case SumPattern::pool:
    case SumPattern::queue:
    case SumPattern::pipe:
      break;
  }
  throw UsageError("this pattern is not available in this build");
}

}  // namespace multirank::cli
