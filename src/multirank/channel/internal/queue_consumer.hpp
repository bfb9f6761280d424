#pragma once
/// \file The consumer half of a rank's end of a queue: credit granted to each producer, paced by
/// how fast this consumer works, batches and ENDs received, BYEs sent (internal; see
/// queue_protocol.hpp). Used with the engine's mutex held.

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "multirank/channel/internal/queue_protocol.hpp"

namespace multirank::detail::queue {

/// What a consumer rank keeps of every producer.
class QueueConsumer {
 public:
  /// The consumer half with room for `share` items (inbox and credit), asking each producer for
  /// at most `max_ask` at once; `index` is its place among the consumers.
  QueueConsumer(QueueShared& shared, std::size_t share, std::size_t max_ask, std::size_t index);
  QueueConsumer(const QueueConsumer&) = delete;
  QueueConsumer& operator=(const QueueConsumer&) = delete;

  /// Most items this consumer may hold (inbox plus credit granted).
  [[nodiscard]] std::size_t share() const noexcept { return share_; }
  /// Whether every producer sent END.
  [[nodiscard]] bool all_ended() const noexcept { return ended_count_ == q_.producers.size(); }
  /// Receives every batch that is there; returns whether any came.
  bool poll_batches();
  /// Grants credit where it runs low; `urgent` when the inbox ran dry (every producer is nudged
  /// once per batch).
  void request(bool urgent);
  /// Takes the inbox's front item through `pop`, counts it, and tops the credit up ahead when
  /// this consumer has been shown to be fast.
  template <class Pop>
  void take(Pop&& pop) {
    pop();
    ++q_.counters.got;
    ++sample_items_;
    if (ask_ > 1) request(false);
  }
  /// The user waited `seconds` in get() (not work: excluded from the pace).
  void waited(double seconds) noexcept { sample_waited_ += seconds; }
  /// It ran dry: keep more credit out next time.
  void ran_dry() noexcept { ask_ = ask_ * 2 < work_cap_ ? ask_ * 2 : work_cap_; }
  /// Leaving: BYE to every producer that has not ended (shutdown).
  void leave();

 private:
  void handle_batch(int source, std::span<const char> bytes);
  void update_pace(std::chrono::steady_clock::time_point now);

  QueueShared& q_;
  std::size_t share_;
  std::size_t max_ask_;
  std::vector<std::size_t> granted_;  // credit given to each producer and not yet used
  std::vector<bool> nudged_;          // an urgent request went out since the last batch
  std::vector<bool> ended_;           // END received, by producer index
  std::vector<bool> bye_sent_;        // BYE sent, by producer index
  std::size_t ended_count_ = 0;
  std::size_t ask_ = 1;               // credit to keep with each producer
  std::size_t next_producer_ = 0;     // where the next round of requests starts
  std::size_t work_cap_ = 1;          // most items worth prefetch_work at the current pace
  double seconds_per_item_ = 0.0;     // smoothed user time per item got (waits excluded)
  std::optional<std::chrono::steady_clock::time_point> sample_start_;
  std::size_t sample_items_ = 0;      // items got since sample_start_
  double sample_waited_ = 0.0;        // seconds spent waiting in get since sample_start_
  std::vector<char> recv_buf_;
};

}  // namespace multirank::detail::queue
