#pragma once
/// \file A queue's protocol: its messages, and what both halves of a rank's end share (internal,
/// not installed).
///
/// On a private duplicate of the queue's communicator (consumers ask, producers answer):
/// - a consumer grants each producer credit: REQUEST(n) lets the producer send it n more items.
///   A consumer that runs dry marks its request urgent; a fast one tops its credit up ahead of
///   need (n adapts to how fast the consumer works, so a slow one asks for one item at a time);
/// - a producer sends a BATCH against a consumer's credit once it has a full batch for it (at
///   most max_batch items and batch_bytes bytes), or at once with what it has when the request
///   was urgent, when it closed, or when its user's thread went quiet. Consumers with credit are
///   served in turn, in the order they asked;
/// - a closed producer with an empty outbox answers a consumer's credit with END; a consumer that
///   got END sends BYE, and a consumer that leaves early sends BYE too, which the producer
///   answers with END if it had not yet. Each pair thus ends with exactly one END and one BYE,
///   nothing left unmatched.
/// Items live in exactly one place at a time (an outbox, a batch in flight to the consumer that
/// reserved room for it, or that consumer's inbox), which gives exactly-once delivery, FIFO
/// order per producer, and the memory bound: outbox <= producer share, inbox + credit granted
/// <= consumer share, and the shares add up to at most the capacity.
///
/// The producer half (queue_producer.hpp) and the consumer half (queue_consumer.hpp) of a rank
/// run under the engine's one mutex (queue_engine.cpp); everything here is used with it held.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "multirank/channel/queue_options.hpp"
#include "multirank/channel/queue_store.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/request.hpp"

namespace multirank::detail::queue {

/// Tags on the queue's own duplicate of the communicator.
enum QueueTag : int {
  kTagControl = 1,  ///< consumer -> producer: ControlMessage
  kTagBatch = 2,    ///< producer -> consumer: BatchHeader + items
};

/// What a consumer tells a producer (two int32: kind, count).
enum ControlKind : std::int32_t {
  kRequest = 1,        ///< `count` more items may be sent
  kRequestUrgent = 2,  ///< the same, and the consumer ran dry: send what there is
  kBye = 3,            ///< the consumer will ask for nothing more
};

/// What a batch message holds.
enum BatchKind : std::uint32_t {
  kItems = 1,  ///< `count` items follow, framed by the one codec
  kEnd = 2,    ///< END: the producer closed and sent everything; nothing follows
};

/// Leads every batch message.
struct BatchHeader {
  std::uint32_t kind;
  std::uint32_t count;
};

/// What both halves of one rank's end share: the roles, the private communicator, the store,
/// the sends in flight and the counters.
struct QueueShared {
  QueueShared(std::unique_ptr<QueueStore> store_in, const QueueOptions& options_in)
      : store(std::move(store_in)), options(options_in) {}

  std::unique_ptr<QueueStore> store;
  QueueOptions options;
  Communicator comm;
  std::vector<int> producers;       ///< ascending
  std::vector<int> consumers;       ///< ascending
  std::vector<int> producer_index;  ///< by rank; -1 when not a producer
  std::vector<int> consumer_index;  ///< by rank; -1 when not a consumer
  std::deque<Request> sends;        ///< sends in flight; their buffers live in the requests
  QueueCounters counters;
  std::size_t reserved = 0;         ///< room this rank's consumer half granted and not yet filled

  /// Drops the sends that completed, oldest first.
  void reap_sends() {
    while (!sends.empty() && sends.front().test()) sends.pop_front();
  }
  /// Sends a control message (8 bytes, posted directly: never split).
  void send_control(int dest, ControlKind kind, std::int32_t count);
  /// Items held on this rank now: outbox, inbox, and room reserved for batches in flight.
  [[nodiscard]] std::size_t buffered() const { return store->outbox_size() + store->inbox_size() + reserved; }
  /// Keeps the peak of buffered().
  void note_buffered() {
    const std::size_t now = buffered();
    if (now > counters.peak_buffered) counters.peak_buffered = now;
  }
};

}  // namespace multirank::detail::queue
