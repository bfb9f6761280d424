#include "rangesum_patterns.hpp"

#include <memory>
#include <optional>

#include "app.hpp"
#include "journal.hpp"
#include "multirank/channel/pipe.hpp"
#include "multirank/channel/queue.hpp"
#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/pool/pool.hpp"

namespace multirank::cli {

SumPattern parse_sum_pattern(const std::string& name) {
  if (name == "sequential") return SumPattern::sequential;
  if (name == "scatter-gather") return SumPattern::scatter_gather;
  if (name == "pool") return SumPattern::pool;
  if (name == "queue") return SumPattern::queue;
  if (name == "pipe") return SumPattern::pipe;
  throw UsageError("unknown pattern '" + name + "' (sequential, scatter-gather, pool, queue, pipe)");
}

std::vector<Range> sum_chunks(const SumOptions& o, int ranks) {
  const std::int64_t count = std::min<std::int64_t>(o.chunks > 0 ? o.chunks : 16 * ranks, o.n);
  std::vector<Range> chunks;
  chunks.reserve(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i)
    chunks.push_back(block_range(o.lo, o.lo + o.n, static_cast<int>(i), static_cast<int>(count)));
  return chunks;
}

nlohmann::json sum_journal_identity(const SumOptions& o, int ranks) {
  return {{"n", o.n}, {"lo", o.lo}, {"kernel", exercises::to_string(o.kernel)}, {"chunks", sum_chunks(o, ranks).size()}};
}

JournalTasks sum_journal_tasks(const SumOptions& o, int ranks) {
  JournalTasks t;
  const auto chunks = sum_chunks(o, ranks);
  for (const auto& c : chunks) t.keys.push_back({{"lo", c.lo}, {"hi", c.hi}});
  const exercises::SumKernel kernel = o.kernel;
  t.check_result = [chunks, kernel](std::size_t task, const nlohmann::json& result) -> std::string {
    if (!result.is_string()) return "a partial sum is recorded as a decimal string";
    const std::string text = result.get<std::string>();
    if (text.empty() || text.size() > 40) return "not a 128-bit integer";
    int128_t v = 0;
    try {
      v = parse_int128(text);
    } catch (const std::exception&) {
      return "not a 128-bit integer";
    }
    if (kernel == exercises::SumKernel::plain) {
      const Range& c = chunks[task];
      if (v != exercises::closed_form_sum(c.lo, c.hi - c.lo)) return "it is not the sum of [" + std::to_string(c.lo) + ", " + std::to_string(c.hi) + ")";
    } else if (text.front() == '-' || text.size() > 20 || v > static_cast<int128_t>(UINT64_MAX)) {
      return "a heavy partial sum lies in [0, 2^64)";
    }
    return "";
  };
  return t;
}

namespace {

/// Adds partial sums of the heavy kernel modulo 2^64 (stateless, so it maps to an MPI_Op).
struct WrappingAdd {
  int128_t operator()(const int128_t& a, const int128_t& b) const {
    return exercises::combine_sums(exercises::SumKernel::heavy, a, b);
  }
};

/// One pool task: a chunk of the range and the kernel to sum it with.
struct SumChunk {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  exercises::SumKernel kernel = exercises::SumKernel::plain;
};

int128_t sum_chunk(SumChunk c) { return exercises::partial_sum(c.kernel, c.lo, c.hi); }
const Task<sum_chunk> sum_chunk_task{"rangesum.sum_chunk"};

/// Sums [lo, hi) on this rank and records it as one task.
int128_t timed_partial(const SyncClock& clock, const SumOptions& o, std::int64_t task_id, Range range,
                       TaskRecord& record) {
  record.task_id = task_id;
  record.rank = world_rank();
  record.pid = process_id();
  record.host = host_name();
  record.queued = record.start = clock.now();
  const int128_t sum = exercises::partial_sum(o.kernel, range.lo, range.hi);
  record.end = clock.now();
  return sum;
}

/// Each rank sums a block (all of it on rank 0 for `sequential`); the partials meet in `combine`,
/// which returns the total on rank 0.
template <class Combine>
SumOutcome block_sums(const Communicator& comm, const SyncClock& clock, const SumOptions& o, bool sequential,
                      Combine combine) {
  comm.barrier();
  const double t0 = MPI_Wtime();
  const auto range = sequential ? (comm.rank() == 0 ? Range{o.lo, o.lo + o.n} : Range{o.lo, o.lo})
                                : block_range(o.lo, o.lo + o.n, comm.rank(), comm.size());
  TaskRecord record;
  const int128_t partial = timed_partial(clock, o, comm.rank(), range, record);
  record.rank = comm.rank();
  SumOutcome out;
  out.total = combine(partial);
  out.seconds = max_over_ranks(comm, MPI_Wtime() - t0);
  auto records = gather(comm, record);
  auto ranges = gather(comm, range);
  if (comm.rank() == 0) {
    out.task_ranges = ranges;
    for (auto& r : records)
      if (!sequential || r.rank == 0) out.tasks.push_back(std::move(r));
  }
  return out;
}

int128_t reduce_partials(const Communicator& comm, exercises::SumKernel kernel, int128_t partial) {
  if (kernel == exercises::SumKernel::plain) return reduce(comm, partial, std::plus<int128_t>{});
  return reduce(comm, partial, WrappingAdd{});
}

/// The notes' exercise word for word: every rank puts its partial sum into a Queue; rank 0
/// gets them all and adds them.
int128_t combine_through_queue(const Communicator& comm, exercises::SumKernel kernel, int128_t partial) {
  std::vector<int> producers(static_cast<std::size_t>(comm.size()));
  for (int r = 0; r < comm.size(); ++r) producers[static_cast<std::size_t>(r)] = r;
  Queue<int128_t> queue(comm, producers, {0}, static_cast<std::size_t>(2 * comm.size()));
  queue.put(partial);
  queue.close();
  int128_t total = 0;
  if (comm.rank() == 0)
    while (auto item = queue.get()) total = exercises::combine_sums(kernel, total, *item);
  return total;
}

/// Every rank sends its partial sum to rank 0 through its own Pipe.
int128_t combine_through_pipes(const Communicator& comm, exercises::SumKernel kernel, int128_t partial) {
  if (comm.rank() != 0) {
    Pipe<int128_t> pipe(comm, 0);
    pipe.send(partial);
    pipe.close();
    return 0;
  }
  int128_t total = partial;
  for (int r = 1; r < comm.size(); ++r) {
    Pipe<int128_t> pipe(comm, r);
    while (auto item = pipe.recv()) total = exercises::combine_sums(kernel, total, *item);
  }
  return total;
}

/// Chunks handed to the ranks of a Pool as they ask; each finished chunk goes to the journal.
SumOutcome pool_sums(const Communicator& comm, const SumOptions& o) {
  const auto chunks = sum_chunks(o, comm.size());
  std::unique_ptr<Journal> journal;
  if (comm.rank() == 0 && !o.journal.empty())
    journal = std::make_unique<Journal>(o.journal, "rangesum", sum_journal_identity(o, comm.size()), o.resume,
                                        sum_journal_tasks(o, comm.size()));
  SumOutcome out;
  out.task_ranges = chunks;
  comm.barrier();
  const double t0 = MPI_Wtime();
  run_pool(comm, [&](Pool& pool) {
    std::vector<std::optional<int128_t>> partials(chunks.size());
    std::vector<SumChunk> todo;
    std::vector<std::size_t> todo_index;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      if (journal && journal->done().count(static_cast<std::int64_t>(i))) {
        partials[i] = parse_int128(journal->done().at(static_cast<std::int64_t>(i)).get<std::string>());
        ++out.resumed_tasks;
        out.resumed_elements += chunks[i].size();
      } else {
        todo.push_back({chunks[i].lo, chunks[i].hi, o.kernel});
        todo_index.push_back(i);
      }
    }
    for (auto [k, partial] : pool.imap_unordered(sum_chunk_task, todo, Chunksize(1))) {
      const std::size_t i = todo_index[k];
      partials[i] = partial;
      if (journal) journal->record(static_cast<std::int64_t>(i), to_string(partial));
    }
    if (journal) journal->flush();  // a write that failed (a full disk) shows here, not lost in a destructor
    for (const auto& p : partials) out.total = exercises::combine_sums(o.kernel, out.total, *p);
    for (auto r : pool.records()) {
      r.task_id = static_cast<std::int64_t>(todo_index[static_cast<std::size_t>(r.task_id)]);
      out.tasks.push_back(std::move(r));
    }
  });
  out.seconds = max_over_ranks(comm, MPI_Wtime() - t0);
  return out;
}

}  // namespace

SumOutcome run_sum_pattern(const Communicator& comm, const SyncClock& clock, const SumOptions& o) {
  switch (o.pattern) {
    case SumPattern::sequential:
      return block_sums(comm, clock, o, true, [&](int128_t p) { return reduce_partials(comm, o.kernel, p); });
    case SumPattern::scatter_gather:
      return block_sums(comm, clock, o, false, [&](int128_t p) { return reduce_partials(comm, o.kernel, p); });
    case SumPattern::queue:
      return block_sums(comm, clock, o, false, [&](int128_t p) { return combine_through_queue(comm, o.kernel, p); });
    case SumPattern::pipe:
      return block_sums(comm, clock, o, false, [&](int128_t p) { return combine_through_pipes(comm, o.kernel, p); });
    case SumPattern::pool:
      return pool_sums(comm, o);
  }
  throw UsageError("unknown pattern");
}

}  // namespace multirank::cli
