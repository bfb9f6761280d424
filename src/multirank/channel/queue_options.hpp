#pragma once
/// \file A Queue's options, counters and wait outcomes.

#include <chrono>
#include <cstddef>

namespace multirank {

/// Tuning of a Queue. Every rank must pass the same values (the queue checks).
struct QueueOptions {
  /// Most items buffered anywhere at once (outboxes, batches in flight, inboxes), over all ranks.
  /// Must be at least producers + consumers * producers.
  std::size_t capacity = 1024;
  /// Most items per message (a consumer asks each producer for at most half its share).
  std::size_t max_batch = 256;
  /// A batch stops growing before it passes this many bytes (it always holds at least one item).
  /// The default keeps batches of small items under Open MPI's shared-memory eager limit
  /// (4 KiB): a larger message waits for a rendezvous with the producer's progress.
  std::size_t batch_bytes = 4000;
  /// A consumer asks for at most about this much of its own work ahead (measured from the time
  /// between its get() calls), so a slow consumer holds one item per producer, a fast one a batch.
  std::chrono::microseconds prefetch_work{200};
};

/// Counters of one rank's view of a queue.
struct QueueCounters {
  std::size_t put = 0;            ///< items this rank put
  std::size_t got = 0;            ///< items this rank got
  std::size_t batches_sent = 0;   ///< item messages this rank sent
  std::size_t peak_buffered = 0;  ///< most items held on this rank at once (outbox + inbox + reserved)
};

/// How a wait in a Queue ended.
enum class QueueWait { ready, end, timeout };

}  // namespace multirank
