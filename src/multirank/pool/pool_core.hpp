#pragma once
/// \file The coordinating rank's bookkeeping: jobs, their chunks, and who runs what (internal).
///
/// Three threads share it under one mutex: the caller's (submits jobs, waits for results), the
/// coordinator (cuts chunks for remote ranks, receives their results) and rank 0's local worker
/// (cuts chunks for itself). Nothing here touches MPI; the coordinator does.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "multirank/core/clock.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/task_record.hpp"
#include "multirank/pool/chunksize.hpp"
#include "multirank/pool/pool_options.hpp"
#include "multirank/pool/task.hpp"
#include "multirank/pool/task_error.hpp"

namespace multirank::detail {

inline constexpr std::uint64_t kNoIndex = std::numeric_limits<std::uint64_t>::max();

/// Counts the bytes of each encoded result in a chunk payload (for records).
using ResultSizer = void (*)(const char* data, std::size_t bytes, std::uint32_t count, std::vector<std::uint64_t>& sizes);

/// Result sizer for results of type Out.
template <class Out>
void size_results(const char* data, std::size_t bytes, std::uint32_t count, std::vector<std::uint64_t>& sizes) {
  const char* p = data;
  const char* end = data + bytes;
  for (std::uint32_t i = 0; i < count && p < end; ++i) sizes.push_back(skip_item<Out>(p, end));
}

/// One chunk of a job: a run of consecutive inputs sent to one rank.
struct ChunkSlot {
  std::uint64_t first = 0;               ///< index of its first input
  std::uint32_t count = 0;               ///< inputs in it
  int rank = -1;                         ///< rank it went to
  bool done = false;                     ///< its results are here
  bool consumed = false;                 ///< a stream has read its results
  double estimate = 0.0;                 ///< estimated seconds at dispatch
  bool estimated = false;                ///< whether the estimate was based on a measurement
  bool long_unsure = false;              ///< long, and its task's cost is unsteady
  std::vector<double> queued;            ///< per-input submission times (lazy jobs, with records)
  std::vector<std::uint64_t> bytes_in;   ///< per-input encoded sizes (variable-size inputs, with records)
  ChunkOutput out;                       ///< results, errors, times
};

/// Everything submitted in one call: a map's inputs, a stream's inputs so far, or one task.
struct Job {
  std::uint64_t id = 0;
  TaskKey key = 0;
  std::string task_name;
  std::size_t in_fixed = 0;              ///< bytes per encoded input when fixed, else 0
  std::size_t out_fixed = 0;             ///< bytes per encoded result when fixed, else 0
  ResultSizer sizer = nullptr;
  Chunksize chunking = auto_chunksize;
  int pinned = -1;                       ///< the only rank allowed to run it, or -1
  bool lazy = false;                     ///< inputs arrive while it runs (imap)
  bool fail_fast = false;                ///< stop dispatching after the first failed input (map)
  bool unordered = false;                ///< record completion order (imap_unordered)

  // Inputs: an append-only column of encodings; items before base_item were dispatched and dropped.
  std::string column;
  std::vector<std::uint64_t> offsets;    ///< variable-size inputs: byte offset of item base_item+k (plus one past the end)
  std::uint64_t base_item = 0;
  std::uint64_t base_byte = 0;
  std::deque<double> queued;             ///< lazy jobs: submission time of item base_item+k
  double queued_all = 0.0;               ///< other jobs: submission time of every input
  std::uint64_t available = 0;           ///< inputs submitted so far
  std::uint64_t next = 0;                ///< first input not dispatched yet
  bool closed = false;                   ///< no more inputs will come

  // Outputs.
  std::deque<ChunkSlot> chunks;          ///< chunks by sequence number, from chunk_base on
  std::uint64_t chunk_base = 0;
  std::uint64_t chunks_cut = 0;
  std::uint64_t chunks_done = 0;
  std::deque<std::uint64_t> completed;   ///< unordered jobs: sequence numbers in completion order
  std::uint64_t first_error = kNoIndex;  ///< lowest failed input index seen
  bool halted = false;                   ///< no more dispatch (a fail-fast job failed)
  bool cancelled = false;                ///< cancelled before it started, or the pool terminated
  bool abandoned = false;                ///< its reader went away; results are dropped

  /// The chunk with sequence number `seq`.
  ChunkSlot& slot(std::uint64_t seq) { return chunks[seq - chunk_base]; }
  /// Whether no further chunk may be cut.
  [[nodiscard]] bool dispatch_blocked() const noexcept { return halted || cancelled || abandoned; }
  /// Nothing in flight and nothing (currently) left to dispatch.
  [[nodiscard]] bool quiet() const noexcept {
    return chunks_done == chunks_cut && (next == available || dispatch_blocked());
  }
  /// Its outcome is final: waiters may stop waiting.
  [[nodiscard]] bool settled() const noexcept { return cancelled || ((closed || abandoned) && quiet()); }
  /// Byte offset (in `column`) of input `i` (i >= base_item).
  [[nodiscard]] std::uint64_t offset_of(std::uint64_t i) const noexcept {
    return in_fixed ? (i - base_item) * in_fixed : offsets[i - base_item] - base_byte;
  }
};

/// Host and process of one rank.
struct RankInfo {
  std::string host;
  long pid = 0;
};

/// The records of one executed chunk, compactly, until records() expands them into TaskRecords.
struct ChunkRecord {
  std::uint64_t first = 0;                 ///< index of its first input
  std::uint32_t count = 0;                 ///< inputs in it
  std::int32_t rank = -1;                  ///< rank that ran it
  double queued = 0.0;                     ///< submission time of every input (unless queued_each)
  std::vector<double> queued_each;         ///< per-input submission times (lazy jobs)
  std::vector<double> bounds;              ///< count+1 boundaries: input k ran from bounds[k] to bounds[k+1]
  std::uint64_t in_fixed = 0;              ///< bytes per input when fixed
  std::uint64_t out_fixed = 0;             ///< bytes per result when fixed
  std::vector<std::uint64_t> bytes_in;     ///< per-input sizes otherwise
  std::vector<std::uint64_t> bytes_out;    ///< per-result sizes otherwise
};

/// A chunk just cut for a rank: its place, and its inputs' bytes (after `prefix` reserved bytes).
struct Cut {
  std::shared_ptr<Job> job;
  std::uint64_t seq = 0;
  std::uint64_t first = 0;
  std::uint32_t count = 0;
  std::string bytes;
};

/// The coordinating rank's shared state.
class PoolCore {
 public:
  PoolCore(Communicator comm, PoolOptions options, SyncClock clock, std::vector<RankInfo> ranks);
  PoolCore(const PoolCore&) = delete;
  PoolCore& operator=(const PoolCore&) = delete;
  ~PoolCore();

  // ---- fixed after construction ----
  Communicator comm;                     ///< the pool's private communicator (reset when the pool ends)
  const PoolOptions options;
  const SyncClock clock;
  const std::vector<RankInfo> ranks;
  const int size;                        ///< ranks in the pool
  const bool local_worker;               ///< rank 0 executes tasks
  const int executors;                   ///< ranks that execute tasks
  const int workers_per_rank;            ///< tasks each executing rank runs at once
  const int slots;                       ///< tasks that can run at once (executors x workers_per_rank)

  // ---- shared, under `mutex` ----
  mutable std::mutex mutex;
  std::condition_variable done_cv;       ///< a chunk finished or a job settled
  std::condition_variable work_cv;       ///< the local worker: inputs arrived, or stop
  std::condition_variable wake_cv;       ///< the coordinator: inputs arrived, or stop
  bool wake = false;
  bool closed = false;                   ///< close(): no new jobs
  bool terminated = false;               ///< terminate(): everything unfinished was cancelled
  bool stopping = false;                 ///< the pool is ending: workers are told to stop
  bool stopped = false;                  ///< the pool has ended

  /// Registers a job and queues it for dispatch; throws UsageError once the pool is closed.
  void start(const std::shared_ptr<Job>& job);
  /// Appends encoded inputs to a lazy job (`sizes` gives each one's bytes); `end` closes its input.
  void feed(Job& job, std::string&& bytes, const std::vector<std::uint64_t>& sizes, bool end);
  /// The reader of a lazy job went away: drop what was not dispatched and what comes back.
  void abandon(Job& job);
  /// Cancels a job that has not started; returns whether it was cancelled.
  bool cancel(Job& job);
  /// Blocks until the job is settled.
  void wait_settled(Job& job);
  /// close(): no new jobs.
  void close();
  /// join(): waits until every job is settled (a stream still open counts once it is idle).
  void join();
  /// terminate(): cancels all unfinished work; queued chunks on workers are dropped.
  void terminate();
  /// Starts the coordinator and local worker threads.
  void start_threads();
  /// Tells the workers to stop, waits for the threads, and releases the communicator.
  void stop_threads();

  /// The exception for input `index` of `job` (must be a failed input). Call with `mutex` held,
  /// or after the job settled.
  [[nodiscard]] TaskError task_error(Job& job, std::uint64_t index) const;
  /// The exception for a job that was cancelled.
  [[nodiscard]] static CancelledError cancelled_error(const Job& job);

  /// Cuts the next chunk for `rank` (prefix bytes reserved at the front of cut.bytes). With `mutex` held.
  bool cut_chunk_locked(int rank, Cut& cut, std::size_t prefix);
  /// Stores a finished chunk. With `mutex` held.
  void complete_locked(std::uint64_t job_id, std::uint64_t seq, int rank, ChunkOutput&& out);
  /// Whether a remote rank should get one more chunk now. With `mutex` held.
  [[nodiscard]] bool wants_chunk_locked(int rank) const;
  /// Whether a remote rank holds chunks whose results are still to come. With `mutex` held.
  [[nodiscard]] bool remote_work_in_flight_locked() const;
  /// Wakes the coordinator and the local worker. With `mutex` held.
  void notify_work_locked();

  /// Every record kept so far, as TaskRecords.
  [[nodiscard]] std::vector<TaskRecord> records() const;
  /// Forgets the records kept so far.
  void clear_records();
  /// Counters.
  [[nodiscard]] PoolStats stats() const;

 private:
  /// What a remote rank holds: chunks sent and not yet answered.
  struct Flight {
    std::size_t chunks = 0;
    std::size_t unknown = 0;
    std::size_t long_unsure = 0;
    double seconds = 0.0;                          ///< estimated work of those chunks
    std::chrono::steady_clock::time_point since{}; ///< when it started on the oldest of them
  };
  /// A task's running cost per input: mean and mean deviation (exponentially weighted).
  struct Cost {
    double mean = 0.0;
    double deviation = 0.0;
    int samples = 0;
    /// Steady enough to queue a chunk behind a running one: a quarter covers the run-to-run
    /// noise of equal tasks on shared cores (10-15% is common), not tasks of different sizes.
    [[nodiscard]] bool steady() const noexcept { return samples >= 3 && deviation <= 0.25 * mean; }
  };
  bool cut_from_locked(Job& job, int rank, Cut& cut, std::size_t prefix);
  void drop_dispatched_inputs_locked(Job& job);
  void forget_if_finished_locked(const Job& job);
  [[nodiscard]] const Cost* cost_locked(TaskKey key) const;

  std::uint64_t next_job_id_ = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<Job>> active_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::vector<std::deque<std::shared_ptr<Job>>> pinned_;
  std::vector<Flight> flights_;
  std::unordered_map<TaskKey, Cost> costs_;
  std::vector<ChunkRecord> records_;
  std::uint64_t recorded_inputs_ = 0;
  std::vector<std::uint64_t> tasks_per_rank_;
  std::vector<std::uint64_t> chunks_per_rank_;
  bool local_stop_ = false;
  std::thread coordinator_;
  std::vector<std::thread> local_;       ///< rank 0's workers_per_rank worker threads

  friend void coordinate(PoolCore& core);
  friend void work_locally(PoolCore& core);
};

/// The coordinator thread's loop (coordinator.cpp).
void coordinate(PoolCore& core);
/// Rank 0's worker thread's loop (local_worker.cpp).
void work_locally(PoolCore& core);
/// The loop of every other rank until the coordinator says stop (remote_worker.cpp); with
/// `workers` > 1, that many threads run chunks at once.
void serve(const Communicator& comm, const SyncClock& clock, int workers = 1);

}  // namespace multirank::detail
