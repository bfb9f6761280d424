#pragma once
/// \file Queue<T>: a bounded multi-producer, multi-consumer FIFO whose ends are ranks, like
/// Python's multiprocessing.Queue with close() instead of a None sentinel.
///
/// \code
///   // rank 0 produces, every other rank consumes (built by every rank of comm)
///   std::vector<int> workers(comm.size() - 1);
///   std::iota(workers.begin(), workers.end(), 1);
///   multirank::Queue<Task> queue(comm, {0}, workers);
///   if (comm.rank() == 0) {
///     for (const Task& t : tasks) queue.put(t);   // blocks while the queue is full
///     queue.close();                              // consumers see the end once all is got
///   } else {
///     while (auto task = queue.get()) run(*task); // empty optional: every producer closed
///   }
/// \endcode

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "multirank/channel/queue_engine.hpp"
#include "multirank/core/codec.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/error.hpp"

namespace multirank {
namespace detail {

/// The typed outbox and inbox of one rank. A batch is items framed by the one codec
/// (core/codec.hpp): trivially copyable items back to back, others each as a length and its bytes.
template <class T>
class QueueItems final : public QueueStore {
 public:
  /// Items put and not yet sent.
  std::deque<T> outbox;
  /// Items received and not yet got.
  std::deque<T> inbox;

  [[nodiscard]] std::size_t outbox_size() const override { return outbox.size(); }
  [[nodiscard]] std::size_t inbox_size() const override { return inbox.size(); }

  [[nodiscard]] std::size_t batch_items(std::size_t max_items, std::size_t max_bytes) const override {
    std::size_t per_item = 64;  // a serialized item's size is only known once encoded: a guess
    if constexpr (fixed_item_bytes<T> != 0) {
      per_item = sizeof(T);
    } else if constexpr (wire_kind_v<T> == WireKind::contiguous) {
      if (!outbox.empty()) per_item = framed_item_bytes(outbox.front());
    }
    return std::max<std::size_t>(1, std::min(max_items, max_bytes / std::max<std::size_t>(per_item, 1)));
  }

  std::size_t pack(std::size_t max_items, std::size_t max_bytes, std::string& out) override {
    std::size_t moved = 0;
    const std::size_t start = out.size();
    if constexpr (fixed_item_bytes<T> != 0) {
      moved = std::min({max_items, outbox.size(), std::max<std::size_t>(1, max_bytes / sizeof(T))});
      out.reserve(start + moved * sizeof(T));
      for (std::size_t i = 0; i < moved; ++i) append_item(out, outbox[i]);
      outbox.erase(outbox.begin(), outbox.begin() + static_cast<std::ptrdiff_t>(moved));
    } else if constexpr (wire_kind_v<T> == WireKind::contiguous) {
      // At least one item; then items while the batch stays within max_bytes. Their sizes are
      // known before encoding: the batch is sized once and never holds an item it gives back.
      std::size_t bytes = 0;
      while (moved < max_items && moved < outbox.size()) {
        const std::size_t item = framed_item_bytes(outbox[moved]);
        if (moved > 0 && bytes + item > max_bytes) break;
        bytes += item;
        ++moved;
      }
      out.reserve(start + bytes);
      for (std::size_t i = 0; i < moved; ++i) append_item(out, outbox[i]);
      outbox.erase(outbox.begin(), outbox.begin() + static_cast<std::ptrdiff_t>(moved));
    } else {
      // At least one item; then items while the batch stays within max_bytes (a serialized item
      // is known to fit only once it is encoded: one that overflows goes back to the next batch).
      while (moved < max_items && !outbox.empty()) {
        const std::size_t before = out.size();
        append_item(out, outbox.front());
        if (moved > 0 && out.size() - start > max_bytes) {
          out.resize(before);
          break;
        }
        outbox.pop_front();
        ++moved;
      }
    }
    return moved;
  }

  void unpack(std::span<const char> bytes, std::size_t count) override {
    read_batch<T>(bytes, count, [this]() -> T& { return inbox.emplace_back(); });
  }

  void clear() override {
    outbox.clear();
    inbox.clear();
  }
};

}  // namespace detail

/// A bounded FIFO whose producers and consumers are ranks of a communicator (a rank may be
/// both, or neither). Built collectively by every rank of `comm`, with the same arguments.
///
/// - Exactly once: every item put is got by exactly one consumer.
/// - FIFO per producer: a producer's items are handed out in the order it put them (two
///   consumers each see that producer's items in increasing order).
/// - On demand: a consumer asks producers for items when it needs them, about
///   QueueOptions::prefetch_work of its own work ahead; an idle consumer gets the next item,
///   a slow one holds about one item per producer.
/// - Bounded: at most QueueOptions::capacity items are buffered over all ranks; a producer
///   that runs ahead blocks in put() (sleeping) until consumers take items.
/// - End-of-stream: close() on each producer; get() returns an empty optional once every
///   producer closed and every item was got.
/// - Waiting never burns a core: waits poll with a Backoff, and on producer ranks a
///   progress thread (asleep when idle) answers consumers while the user's code is busy.
///
/// T travels as core/codec.hpp describes and must be default-constructible.
/// \note Destruction is collective too: a producer's destructor closes it and waits until each
///   consumer reached the end or was destroyed, so no item is lost unless its consumer left.
/// \note A rank that is both producer and consumer can block itself: put() on a full queue
///   waits for a consumer, and on one rank that consumer is itself.
template <class T>
class Queue {
 public:
  /// The item type.
  using value_type = T;

  /// Builds the queue (collective over `comm`). Throws UsageError for an empty role, a rank
  /// out of range or listed twice, a capacity below producers + consumers * producers, or
  /// arguments that differ between ranks.
  Queue(const Communicator& comm, std::vector<int> producers, std::vector<int> consumers,
        QueueOptions options = {}) {
    auto items = std::make_unique<detail::QueueItems<T>>();
    items_ = items.get();
    engine_ = std::make_unique<detail::QueueEngine>(comm, std::move(producers), std::move(consumers), options,
                                                    std::move(items));
  }
  /// Builds the queue with `capacity` and default options otherwise (collective).
  Queue(const Communicator& comm, std::vector<int> producers, std::vector<int> consumers, std::size_t capacity)
      : Queue(comm, std::move(producers), std::move(consumers), with_capacity(capacity)) {}
  Queue(Queue&&) noexcept = default;
  Queue& operator=(Queue&&) noexcept = default;
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  /// Closes this rank's producer end and waits for the protocol to finish (see the class note).
  ~Queue() = default;

  /// Adds `value`, waiting (sleeping) while this producer's share of the queue is full.
  /// Throws UsageError on a rank that is not a producer, or after close().
  void put(T value) {
    engine().put([this, &value] { items_->outbox.push_back(std::move(value)); }, std::nullopt);
  }
  /// Adds `value` if there is room within `timeout`; returns whether it was added.
  bool put_for(T value, std::chrono::duration<double> timeout) {
    return engine().put([this, &value] { items_->outbox.push_back(std::move(value)); }, deadline(timeout));
  }

  /// The next item, waiting (sleeping) for one; empty once every producer closed and every
  /// item was got. Throws UsageError on a rank that is not a consumer.
  std::optional<T> get() { return get_until(std::nullopt); }
  /// The next item if one comes within `timeout`; empty on timeout or at the end (at_end() tells).
  std::optional<T> get_for(std::chrono::duration<double> timeout) { return get_until(deadline(timeout)); }
  /// An item if one is here now; empty otherwise or at the end (at_end() tells).
  std::optional<T> try_get() { return get_until(deadline(std::chrono::duration<double>::zero())); }

  /// Ends this producer's stream: its items already put are still delivered. Idempotent;
  /// put() afterwards throws UsageError.
  void close() { engine().close(); }

  /// Whether this rank may put.
  [[nodiscard]] bool is_producer() const { return engine().is_producer(); }
  /// Whether this rank may get.
  [[nodiscard]] bool is_consumer() const { return engine().is_consumer(); }
  /// Whether this producer closed.
  [[nodiscard]] bool closed() const { return engine().closed(); }
  /// Whether this consumer reached the end: every producer closed and it holds no more items.
  [[nodiscard]] bool at_end() const { return engine().at_end(); }
  /// The producer ranks, ascending.
  [[nodiscard]] const std::vector<int>& producers() const { return engine().producers(); }
  /// The consumer ranks, ascending.
  [[nodiscard]] const std::vector<int>& consumers() const { return engine().consumers(); }
  /// Most items buffered at once over all ranks.
  [[nodiscard]] std::size_t capacity() const { return engine().options().capacity; }
  /// Most items this rank may hold at once (its shares of the capacity; they add up to at most
  /// capacity() over all ranks).
  [[nodiscard]] std::size_t local_capacity() const { return engine().local_capacity(); }
  /// Items held on this rank now (outbox, inbox, and room reserved for batches in flight).
  [[nodiscard]] std::size_t buffered() const { return engine().buffered(); }
  /// Counters of this rank: items put and got, item messages sent, peak of buffered().
  [[nodiscard]] QueueCounters counters() const { return engine().counters(); }

 private:
  static QueueOptions with_capacity(std::size_t capacity) {
    QueueOptions options;
    options.capacity = capacity;
    return options;
  }
  static detail::QueueEngine::Deadline deadline(std::chrono::duration<double> timeout) {
    return std::chrono::steady_clock::now() +
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  }
  detail::QueueEngine& engine() const {
    if (!engine_) throw UsageError("Queue: use of a moved-from Queue");
    return *engine_;
  }
  std::optional<T> get_until(const detail::QueueEngine::Deadline& until) {
    std::optional<T> out;
    engine().get(
        [this, &out] {
          out.emplace(std::move(items_->inbox.front()));
          items_->inbox.pop_front();
        },
        until);
    return out;
  }

  detail::QueueItems<T>* items_ = nullptr;  // owned by engine_
  std::unique_ptr<detail::QueueEngine> engine_;
};

}  // namespace multirank
