#pragma once
/// \file The coordinating rank's bookkeeping: the job table, the scheduler that cuts chunks for
/// each rank, and the threads that run them (internal, not installed; pool.hpp is the API).
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
#include "multirank/pool/internal/chunk_policy.hpp"
#include "multirank/pool/internal/job.hpp"
#include "multirank/pool/pool_options.hpp"
#include "multirank/pool/task.hpp"
#include "multirank/pool/task_error.hpp"

namespace multirank::detail {

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
  /// Appends encoded inputs to a lazy job; `end` closes its input.
  void feed(Job& job, EncodedInputs&& inputs, bool end);
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
