#pragma once
/// \file The untyped end of a queue that Queue<T> drives: an opaque handle on the protocol (its
/// producer half, consumer half and messages live in channel/internal and queue_engine.cpp).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "multirank/channel/queue_options.hpp"
#include "multirank/channel/queue_store.hpp"
#include "multirank/core/communicator.hpp"

namespace multirank::detail {

/// One rank's end of a queue's protocol; Queue<T> supplies the typed store.
class QueueEngine {
 public:
  /// A point in time to give up waiting at; empty waits for as long as it takes.
  using Deadline = std::optional<std::chrono::steady_clock::time_point>;

  /// Collective over `comm`: checks that every rank passed the same roles and options, validates
  /// them (UsageError, the same on every rank), duplicates the communicator, and starts the
  /// progress thread on producer ranks.
  QueueEngine(const Communicator& comm, std::vector<int> producers, std::vector<int> consumers,
              const QueueOptions& options, std::unique_ptr<QueueStore> store);
  QueueEngine(const QueueEngine&) = delete;
  QueueEngine& operator=(const QueueEngine&) = delete;
  /// Closes this rank's producer end, lets every item find its consumer (or every consumer
  /// leave), and stops the progress thread (collective).
  ~QueueEngine();

  /// Waits for room in this producer's outbox, then calls `push` (which appends one item to the
  /// outbox) with the lock held; false if `deadline` passed first.
  bool put(const std::function<void()>& push, const Deadline& deadline);
  /// Waits for an item, then calls `pop` (which takes the inbox's front item) with the lock held.
  QueueWait get(const std::function<void()>& pop, const Deadline& deadline);
  /// Ends this producer's stream (idempotent).
  void close();

  /// Whether this rank may put.
  [[nodiscard]] bool is_producer() const noexcept;
  /// Whether this rank may get.
  [[nodiscard]] bool is_consumer() const noexcept;
  /// Whether this producer closed.
  [[nodiscard]] bool closed() const;
  /// Whether this consumer has seen every producer's end and holds no more items.
  [[nodiscard]] bool at_end() const;
  /// The producer ranks, ascending.
  [[nodiscard]] const std::vector<int>& producers() const noexcept;
  /// The consumer ranks, ascending.
  [[nodiscard]] const std::vector<int>& consumers() const noexcept;
  /// The options it was built with.
  [[nodiscard]] const QueueOptions& options() const noexcept;
  /// Most items this rank may hold at once: its producer share plus its consumer share.
  [[nodiscard]] std::size_t local_capacity() const noexcept;
  /// Items held on this rank now: outbox, inbox, and room reserved for batches in flight.
  [[nodiscard]] std::size_t buffered() const;
  /// This rank's counters.
  [[nodiscard]] QueueCounters counters() const;

 private:
  class State;
  std::unique_ptr<State> state_;
};

}  // namespace multirank::detail
