#include "multirank/channel/internal/queue_producer.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "multirank/core/error.hpp"
#include "multirank/core/wait.hpp"

namespace multirank::detail::queue {

QueueProducer::QueueProducer(QueueShared& shared, std::size_t share)
    : q_(shared),
      share_(share),
      credit_(shared.consumers.size(), 0),
      urgent_(shared.consumers.size(), false),
      in_turn_(shared.consumers.size(), false),
      ended_to_(shared.consumers.size(), false),
      bye_from_(shared.consumers.size(), false) {
  post_control();
}

void QueueProducer::close() {
  closed_ = true;
  poll_control();
  serve(true);
}

void QueueProducer::after_put() {
  // Look for requests now and then: at once when the outbox just stopped being empty (a consumer
  // may be waiting), otherwise every few items; send whenever a consumer's batch is full.
  if (q_.store->outbox_size() == 1 || ++puts_since_poll_ >= 8) {
    puts_since_poll_ = 0;
    q_.reap_sends();
    poll_control();
  }
  if (!turn_.empty()) serve(false);
}

bool QueueProducer::progress(bool flush) {
  const bool polled = poll_control();
  return serve(flush) || polled;
}

void QueueProducer::cancel_control() noexcept {
  if (!control_posted_) return;
  MPI_Cancel(&control_request_);
  try {
    wait_request(control_request_);
  } catch (...) {
  }
  control_posted_ = false;
}

void QueueProducer::post_control() {
  check_mpi(MPI_Irecv(control_buf_, 2, MPI_INT32_T, MPI_ANY_SOURCE, kTagControl, q_.comm.native(), &control_request_),
            "MPI_Irecv");
  control_posted_ = true;
}

bool QueueProducer::poll_control() {
  bool progressed = false;
  while (control_posted_) {
    MPI_Status status;
    if (!test_request(control_request_, &status)) break;
    control_posted_ = false;
    handle_control(status.MPI_SOURCE, control_buf_[0], control_buf_[1]);
    // After every consumer's BYE nothing more can come: leave no receive posted.
    if (byes_ < q_.consumers.size()) post_control();
    progressed = true;
  }
  return progressed;
}

void QueueProducer::handle_control(int source, std::int32_t kind, std::int32_t count) {
  const int j = q_.consumer_index[static_cast<std::size_t>(source)];
  if (j < 0) throw ProtocolError("Queue: a protocol message from rank " + std::to_string(source) + ", not a consumer");
  const auto ju = static_cast<std::size_t>(j);
  if (kind == kRequest || kind == kRequestUrgent) {
    if (ended_to_[ju]) return;
    credit_[ju] += static_cast<std::size_t>(std::max(count, 0));
    if (credit_[ju] == 0) return;  // an urgent nudge whose credit a batch in flight used up
    if (kind == kRequestUrgent) urgent_[ju] = true;
    if (!in_turn_[ju]) {
      turn_.push_back(j);
      in_turn_[ju] = true;
    }
  } else if (kind == kBye) {
    if (bye_from_[ju]) return;
    bye_from_[ju] = true;
    ++byes_;
    credit_[ju] = 0;
    if (in_turn_[ju]) {
      std::erase(turn_, j);
      in_turn_[ju] = false;
    }
    if (!ended_to_[ju]) send_end(j);
  } else {
    throw ProtocolError("Queue: an unknown control message " + std::to_string(kind) + " from rank " +
                        std::to_string(source));
  }
}

bool QueueProducer::serve(bool flush) {
  QueueStore& store = *q_.store;
  bool progressed = false;
  // Consumers with credit take turns; a batch goes out once it is full, or with whatever there
  // is when its consumer ran dry, when closing, or when nothing more is coming soon (flush).
  const std::size_t full = std::min(store.batch_items(q_.options.max_batch, q_.options.batch_bytes), share_);
  bool sent = true;
  while (sent && store.outbox_size() > 0 && !turn_.empty()) {
    sent = false;
    for (std::size_t n = turn_.size(); n > 0 && store.outbox_size() > 0; --n) {
      const int j = turn_.front();
      const auto ju = static_cast<std::size_t>(j);
      turn_.pop_front();
      const bool ready = flush || closed_ || urgent_[ju] || store.outbox_size() >= std::min(credit_[ju], full);
      if (ready) {
        credit_[ju] -= send_batch(j, credit_[ju]);
        urgent_[ju] = false;
        sent = progressed = true;
      }
      if (credit_[ju] > 0) {
        turn_.push_back(j);
      } else {
        in_turn_[ju] = false;
      }
    }
  }
  if (closed_ && store.outbox_size() == 0) {
    while (!turn_.empty()) {
      const int j = turn_.front();
      const auto ju = static_cast<std::size_t>(j);
      turn_.pop_front();
      in_turn_[ju] = false;
      credit_[ju] = 0;
      if (!ended_to_[ju]) send_end(j);
      progressed = true;
    }
  }
  return progressed;
}

std::size_t QueueProducer::send_batch(int consumer, std::size_t count) {
  auto buffer = std::make_shared<std::string>(sizeof(BatchHeader), '\0');
  buffer->reserve(std::min<std::size_t>(q_.options.batch_bytes, 1 << 16) + sizeof(BatchHeader));
  const std::size_t moved = q_.store->pack(std::min(count, q_.options.max_batch), q_.options.batch_bytes, *buffer);
  const BatchHeader header{kItems, checked_cast<std::uint32_t>(moved, "Queue: items in one batch")};
  std::memcpy(buffer->data(), &header, sizeof header);
  const char* data = buffer->data();
  const std::size_t bytes = buffer->size();
  q_.sends.push_back(
      q_.comm.isend_bytes(q_.consumers[static_cast<std::size_t>(consumer)], kTagBatch, data, bytes, std::move(buffer)));
  ++q_.counters.batches_sent;
  return moved;
}

void QueueProducer::send_end(int consumer) {
  auto buffer = std::make_shared<BatchHeader>(BatchHeader{kEnd, 0});
  const BatchHeader* data = buffer.get();
  q_.sends.push_back(q_.comm.isend_bytes(q_.consumers[static_cast<std::size_t>(consumer)], kTagBatch, data,
                                         sizeof(BatchHeader), std::move(buffer)));
  ended_to_[static_cast<std::size_t>(consumer)] = true;
}

}  // namespace multirank::detail::queue
