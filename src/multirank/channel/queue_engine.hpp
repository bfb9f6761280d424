#pragma once
/// \file The untyped protocol under Queue<T>: credits, batches, end-of-stream and shutdown.
///
/// Protocol, on a private duplicate of the queue's communicator (consumers ask, producers answer):
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

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "multirank/core/communicator.hpp"
#include "multirank/core/request.hpp"

namespace multirank {

/// Tuning of a Queue. Every rank must pass the same values.
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

namespace detail {

/// The typed item buffers of one rank, reached by the engine through this interface.
class QueueStore {
 public:
  virtual ~QueueStore() = default;
  /// Items waiting to be sent (producer side).
  [[nodiscard]] virtual std::size_t outbox_size() const = 0;
  /// Items received and not yet got (consumer side).
  [[nodiscard]] virtual std::size_t inbox_size() const = 0;
  /// Moves up to `max_items` (at least one) items from the outbox front into `out`, appending
  /// their encoding, and stops early once `out` holds `max_bytes`; returns how many it moved.
  virtual std::size_t pack(std::size_t max_items, std::size_t max_bytes, std::string& out) = 0;
  /// About how many outbox items make a full batch under these limits (at least one).
  [[nodiscard]] virtual std::size_t batch_items(std::size_t max_items, std::size_t max_bytes) const = 0;
  /// Decodes `count` items from `bytes` and appends them to the inbox.
  virtual void unpack(std::span<const char> bytes, std::size_t count) = 0;
  /// Drops everything still buffered (at shutdown, when no consumer is left to take it).
  virtual void clear() = 0;
};

/// The protocol engine of one rank's end of a queue; Queue<T> supplies the typed store.
class QueueEngine {
 public:
  /// A point in time to give up waiting at; empty waits for as long as it takes.
  using Deadline = std::optional<std::chrono::steady_clock::time_point>;

  /// Collective over `comm`: validates the roles and options (UsageError, same on every rank),
  /// duplicates the communicator, and starts the progress thread on producer ranks.
  QueueEngine(const Communicator& comm, std::vector<int> producers, std::vector<int> consumers,
              const QueueOptions& options, std::unique_ptr<QueueStore> store);
  QueueEngine(const QueueEngine&) = delete;
  QueueEngine& operator=(const QueueEngine&) = delete;
  /// Closes this rank's producer end, lets every item find its consumer (or every consumer
  /// leave), and stops the progress thread.
  ~QueueEngine();

  /// Waits for room in this producer's outbox, then calls `push` (which appends one item to the
  /// outbox) with the lock held; false if `deadline` passed first.
  bool put(const std::function<void()>& push, const Deadline& deadline);
  /// Waits for an item, then calls `pop` (which takes the inbox's front item) with the lock held.
  QueueWait get(const std::function<void()>& pop, const Deadline& deadline);
  /// Ends this producer's stream (idempotent).
  void close();

  /// Whether this rank may put.
  [[nodiscard]] bool is_producer() const noexcept { return is_producer_; }
  /// Whether this rank may get.
  [[nodiscard]] bool is_consumer() const noexcept { return is_consumer_; }
  /// Whether this producer closed.
  [[nodiscard]] bool closed() const;
  /// Whether this consumer has seen every producer's end and holds no more items.
  [[nodiscard]] bool at_end() const;
  /// The producer ranks, ascending.
  [[nodiscard]] const std::vector<int>& producers() const noexcept { return producers_; }
  /// The consumer ranks, ascending.
  [[nodiscard]] const std::vector<int>& consumers() const noexcept { return consumers_; }
  /// The options it was built with.
  [[nodiscard]] const QueueOptions& options() const noexcept { return options_; }
  /// Most items this rank may hold at once: its producer share plus its consumer share.
  [[nodiscard]] std::size_t local_capacity() const noexcept;
  /// Items held on this rank now: outbox, inbox, and room reserved for batches in flight.
  [[nodiscard]] std::size_t buffered() const;
  /// This rank's counters.
  [[nodiscard]] QueueCounters counters() const;

 private:
  // Everything below runs with mu_ held.
  bool progress_locked(bool flush);
  bool poll_control_locked();
  bool serve_locked(bool flush);
  bool poll_batches_locked();
  void reap_sends_locked();
  void post_control_locked();
  void handle_control_locked(int source, std::int32_t kind, std::int32_t count);
  void handle_batch_locked(int source, std::span<const char> bytes);
  void send_control_locked(int dest, std::int32_t kind, std::int32_t count);
  std::size_t send_batch_locked(int consumer, std::size_t count);
  void send_end_locked(int consumer);
  void request_locked(bool urgent);
  void update_pace_locked(std::chrono::steady_clock::time_point now);
  void take_locked(const std::function<void()>& pop);
  void note_buffered_locked();
  [[nodiscard]] std::size_t buffered_locked() const;
  [[nodiscard]] bool finished_locked() const;

  void run_progress();
  void shutdown();
  void abandon() noexcept;

  std::unique_ptr<QueueStore> store_;
  QueueOptions options_;
  std::vector<int> producers_;
  std::vector<int> consumers_;
  Communicator comm_;
  std::vector<int> producer_index_;  // by rank; -1 when not a producer
  std::vector<int> consumer_index_;  // by rank; -1 when not a consumer
  bool is_producer_ = false;
  bool is_consumer_ = false;
  std::size_t producer_share_ = 0;
  std::size_t consumer_share_ = 0;
  std::size_t max_ask_ = 1;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::thread progress_;
  bool stop_ = false;
  int users_inside_ = 0;         // user calls in progress: they drive the protocol themselves
  std::uint64_t user_calls_ = 0; // user calls so far: the progress thread stays out while it grows

  std::deque<Request> sends_;  // sends in flight; their buffers live in the requests
  std::vector<char> recv_buf_;
  QueueCounters counters_;

  // Producer side.
  bool closed_ = false;
  std::deque<int> turn_;               // consumers holding credit, served in turn from the front
  std::vector<std::size_t> credit_;    // items each consumer may still be sent, by consumer index
  std::vector<bool> urgent_;           // the consumer ran dry: send what there is
  std::vector<bool> in_turn_;          // listed in turn_
  std::vector<bool> ended_to_;         // END sent, by consumer index
  std::vector<bool> bye_from_;         // BYE received, by consumer index
  std::size_t byes_ = 0;
  bool control_posted_ = false;
  MPI_Request control_request_ = MPI_REQUEST_NULL;
  std::int32_t control_buf_[2] = {0, 0};
  unsigned puts_since_poll_ = 0;

  // Consumer side.
  std::vector<std::size_t> granted_;   // credit given to each producer and not yet used
  std::vector<bool> nudged_;           // an urgent request went out since the last batch
  std::vector<bool> ended_;            // END received, by producer index
  std::vector<bool> bye_sent_;         // BYE sent, by producer index
  std::size_t ended_count_ = 0;
  std::size_t reserved_ = 0;           // sum of granted_
  std::size_t ask_ = 1;                // credit to keep with each producer
  std::size_t next_producer_ = 0;      // where the next round of requests starts
  std::size_t work_cap_ = 1;            // most items worth prefetch_work at the current pace
  double seconds_per_item_ = 0.0;       // smoothed user time per item got (waits excluded)
  std::optional<std::chrono::steady_clock::time_point> sample_start_;
  std::size_t sample_items_ = 0;        // items got since sample_start_
  double sample_waited_ = 0.0;          // seconds spent waiting in get since sample_start_
};

}  // namespace detail
}  // namespace multirank
