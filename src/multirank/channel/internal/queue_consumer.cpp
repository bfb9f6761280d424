#include "multirank/channel/internal/queue_consumer.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "multirank/core/error.hpp"

namespace multirank::detail::queue {

QueueConsumer::QueueConsumer(QueueShared& shared, std::size_t share, std::size_t max_ask, std::size_t index)
    : q_(shared),
      share_(share),
      max_ask_(max_ask),
      granted_(shared.producers.size(), 0),
      nudged_(shared.producers.size(), false),
      ended_(shared.producers.size(), false),
      bye_sent_(shared.producers.size(), false),
      next_producer_(index % shared.producers.size()),
      work_cap_(max_ask) {}

bool QueueConsumer::poll_batches() {
  bool progressed = false;
  for (;;) {
    const auto status = q_.comm.iprobe(MPI_ANY_SOURCE, kTagBatch);
    if (!status) break;
    std::size_t total = 0;
    q_.comm.recv_bytes_unknown(status->source, kTagBatch, [this, &total](std::size_t offset, std::size_t piece) {
      total = offset + piece;
      if (recv_buf_.size() < total) recv_buf_.resize(total);
      return recv_buf_.data() + offset;
    });
    handle_batch(status->source, std::span<const char>(recv_buf_.data(), total));
    progressed = true;
  }
  return progressed;
}

void QueueConsumer::handle_batch(int source, std::span<const char> bytes) {
  const int i = q_.producer_index[static_cast<std::size_t>(source)];
  if (i < 0 || bytes.size() < sizeof(BatchHeader))
    throw ProtocolError("Queue: a malformed batch from rank " + std::to_string(source));
  const auto iu = static_cast<std::size_t>(i);
  BatchHeader header{};
  std::memcpy(&header, bytes.data(), sizeof header);
  nudged_[iu] = false;
  if (header.kind == kItems) {
    if (header.count > granted_[iu])
      throw ProtocolError("Queue: rank " + std::to_string(source) + " sent more items than it was granted");
    granted_[iu] -= header.count;
    q_.reserved -= header.count;
    q_.store->unpack(bytes.subspan(sizeof header), header.count);
    return;
  }
  if (header.kind != kEnd) throw ProtocolError("Queue: a batch of unknown kind from rank " + std::to_string(source));
  q_.reserved -= granted_[iu];
  granted_[iu] = 0;
  if (!ended_[iu]) {
    ended_[iu] = true;
    ++ended_count_;
  }
  if (!bye_sent_[iu]) {
    q_.send_control(q_.producers[iu], kBye, 0);
    bye_sent_[iu] = true;
  }
}

void QueueConsumer::leave() {
  for (std::size_t i = 0; i < q_.producers.size(); ++i) {
    if (!ended_[i] && !bye_sent_[i]) {
      q_.send_control(q_.producers[i], kBye, 0);
      bye_sent_[i] = true;
    }
  }
}

void QueueConsumer::update_pace(std::chrono::steady_clock::time_point now) {
  if (sample_start_ && sample_items_ > 0) {
    const double busy = std::max(0.0, std::chrono::duration<double>(now - *sample_start_).count() - sample_waited_);
    const double per_item = busy / static_cast<double>(sample_items_);
    seconds_per_item_ = seconds_per_item_ == 0.0 ? per_item : 0.5 * (seconds_per_item_ + per_item);
    const double work = std::chrono::duration<double>(q_.options.prefetch_work).count();
    const double fits = seconds_per_item_ > 0.0 ? work / seconds_per_item_ : static_cast<double>(max_ask_);
    work_cap_ = fits < 1.0 ? 1 : fits >= static_cast<double>(max_ask_) ? max_ask_ : static_cast<std::size_t>(fits);
    ask_ = std::min(ask_, work_cap_);  // a slow consumer asks for one item: the rest stay available
  }
  sample_start_ = now;
  sample_items_ = 0;
  sample_waited_ = 0.0;
}

void QueueConsumer::request(bool urgent) {
  const std::size_t n = q_.producers.size();
  bool paced = false;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (next_producer_ + k) % n;
    if (ended_[i] || bye_sent_[i]) continue;
    // Ran dry: make sure every producer knows (once per batch). Otherwise top the credit up
    // when half of it is used, so that requests stay few.
    const bool nudge = urgent && granted_[i] > 0 && !nudged_[i];
    if (!nudge && granted_[i] > ask_ / 2) continue;
    const std::size_t held = q_.store->inbox_size() + q_.reserved;
    std::size_t add = 0;
    if (granted_[i] < ask_ && held < share_) add = std::min(ask_ - granted_[i], share_ - held);
    if (add == 0 && !nudge) continue;
    if (!paced) {  // measure the consumer's pace once per round of requests, not once per item
      update_pace(std::chrono::steady_clock::now());
      paced = true;
      if (add > 0 && granted_[i] + add > ask_) add = ask_ > granted_[i] ? ask_ - granted_[i] : 0;
      if (add == 0 && !nudge) continue;
    }
    q_.send_control(q_.producers[i], urgent ? kRequestUrgent : kRequest, checked_cast<std::int32_t>(add, "Queue: credit in one request"));
    if (urgent) nudged_[i] = true;
    granted_[i] += add;
    q_.reserved += add;
  }
  if (paced) {
    next_producer_ = (next_producer_ + 1) % n;  // spread the room fairly over the producers
    q_.note_buffered();
  }
}

}  // namespace multirank::detail::queue
