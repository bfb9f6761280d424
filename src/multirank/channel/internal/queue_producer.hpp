#pragma once
/// \file The producer half of a rank's end of a queue: consumers' credit, serving them in turn,
/// batches, END and BYE (internal; see queue_protocol.hpp). Used with the engine's mutex held.

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "multirank/channel/internal/queue_protocol.hpp"

namespace multirank::detail::queue {

/// What a producer rank keeps of every consumer.
class QueueProducer {
 public:
  /// The producer half with an outbox of at most `share` items; posts its control receive.
  QueueProducer(QueueShared& shared, std::size_t share);
  QueueProducer(const QueueProducer&) = delete;
  QueueProducer& operator=(const QueueProducer&) = delete;

  /// Most items this producer's outbox may hold.
  [[nodiscard]] std::size_t share() const noexcept { return share_; }
  /// Whether close() ran (or shutdown began).
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  /// Whether the outbox is full.
  [[nodiscard]] bool full() const { return q_.store->outbox_size() >= share_; }
  /// Ends the stream: what is in the outbox still goes out, then END to every consumer.
  void close();
  /// Marks the stream ended without serving (shutdown drives the rest).
  void mark_closed() noexcept { closed_ = true; }
  /// After the user put one item: looks for requests now and then, and serves full batches.
  void after_put();
  /// One round of the protocol: control messages, then batches (partial ones too with `flush`).
  bool progress(bool flush);
  /// Whether every consumer said BYE and no receive is left posted.
  [[nodiscard]] bool finished() const noexcept { return !control_posted_ && byes_ == q_.consumers.size(); }
  /// Cancels the posted control receive (the job is failing; no peer will answer).
  void cancel_control() noexcept;

 private:
  void post_control();
  bool poll_control();
  void handle_control(int source, std::int32_t kind, std::int32_t count);
  bool serve(bool flush);
  std::size_t send_batch(int consumer, std::size_t count);
  void send_end(int consumer);

  QueueShared& q_;
  std::size_t share_;
  bool closed_ = false;
  std::deque<int> turn_;             // consumers holding credit, served in turn from the front
  std::vector<std::size_t> credit_;  // items each consumer may still be sent, by consumer index
  std::vector<bool> urgent_;         // the consumer ran dry: send what there is
  std::vector<bool> in_turn_;        // listed in turn_
  std::vector<bool> ended_to_;       // END sent, by consumer index
  std::vector<bool> bye_from_;       // BYE received, by consumer index
  std::size_t byes_ = 0;
  bool control_posted_ = false;
  MPI_Request control_request_ = MPI_REQUEST_NULL;
  std::int32_t control_buf_[2] = {0, 0};
  unsigned puts_since_poll_ = 0;
};

}  // namespace multirank::detail::queue
