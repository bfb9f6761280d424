#include "multirank/channel/queue_engine.hpp"

#include <mpi.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "multirank/core/environment.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/same_arguments.hpp"
#include "multirank/core/wait.hpp"

namespace multirank::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Tags on the queue's own duplicate of the communicator.
enum QueueTag : int {
  kTagControl = 1,  // consumer -> producer: {kind, count}
  kTagBatch = 2,    // producer -> consumer: BatchHeader + items
};
constexpr std::int32_t kRequest = 1;        // count more items may be sent
constexpr std::int32_t kRequestUrgent = 2;  // the same, and the consumer ran dry: send what there is
constexpr std::int32_t kBye = 3;            // the consumer will ask for nothing more
constexpr std::uint32_t kItems = 1;
constexpr std::uint32_t kEnd = 2;

struct BatchHeader {
  std::uint32_t kind;
  std::uint32_t count;
};

/// Marks a user call (put/get) as driving the protocol, so the progress thread stays out.
class UserCall {
 public:
  UserCall(int& inside, std::uint64_t& calls) : inside_(inside) {
    ++inside_;
    ++calls;
  }
  UserCall(const UserCall&) = delete;
  UserCall& operator=(const UserCall&) = delete;
  ~UserCall() { --inside_; }

 private:
  int& inside_;
};

std::string rank_list(const std::vector<int>& ranks) {
  std::string out;
  for (int r : ranks) out += (out.empty() ? "" : " ") + std::to_string(r);
  return out;
}

std::vector<int> checked_role(std::vector<int> ranks, const char* role, int size) {
  if (ranks.empty()) throw UsageError(std::string("Queue: needs at least one ") + role);
  for (int r : ranks)
    if (r < 0 || r >= size)
      throw UsageError(std::string("Queue: ") + role + " rank " + std::to_string(r) +
                       " is out of range for a communicator of " + std::to_string(size) + " rank(s)");
  std::sort(ranks.begin(), ranks.end());
  const auto dup = std::adjacent_find(ranks.begin(), ranks.end());
  if (dup != ranks.end())
    throw UsageError(std::string("Queue: rank ") + std::to_string(*dup) + " is listed twice as a " + role);
  return ranks;
}

std::vector<int> index_by_rank(const std::vector<int>& ranks, int size) {
  std::vector<int> index(static_cast<std::size_t>(size), -1);
  for (std::size_t i = 0; i < ranks.size(); ++i) index[static_cast<std::size_t>(ranks[i])] = static_cast<int>(i);
  return index;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

QueueEngine::QueueEngine(const Communicator& comm, std::vector<int> producers, std::vector<int> consumers,
                         const QueueOptions& options, std::unique_ptr<QueueStore> store)
    : store_(std::move(store)), options_(options) {
  if (!comm) throw UsageError("Queue: the communicator is empty (this rank is not in it)");
  // Every rank must have been given the same roles and options; a mismatch would hang later.
  // Checked first, so that ranks whose arguments differ never wait for one that refused them.
  {
    ArgumentDigest digest;
    std::vector<int> sorted_producers = producers;
    std::vector<int> sorted_consumers = consumers;
    std::sort(sorted_producers.begin(), sorted_producers.end());
    std::sort(sorted_consumers.begin(), sorted_consumers.end());
    digest.add(sorted_producers).add(sorted_consumers).add(options_.capacity).add(options_.max_batch);
    digest.add(options_.batch_bytes).add(options_.prefetch_work.count());
    comm_ = comm.dup();
    require_same_arguments(comm_, digest, "Queue: the ranks were given different producers, consumers or options");
  }
  producers_ = checked_role(std::move(producers), "producer", comm.size());
  consumers_ = checked_role(std::move(consumers), "consumer", comm.size());
  const std::size_t np = producers_.size();
  const std::size_t nc = consumers_.size();
  const std::size_t minimum = np + nc * np;  // one outbox slot each, one item of credit per pair
  if (options_.capacity < minimum)
    throw UsageError("Queue: capacity " + std::to_string(options_.capacity) + " is too small for " +
                     std::to_string(np) + " producer(s) and " + std::to_string(nc) +
                     " consumer(s); it must be at least " + std::to_string(minimum));
  if (options_.max_batch == 0) throw UsageError("Queue: max_batch must be at least 1");
  if (options_.batch_bytes == 0) throw UsageError("Queue: batch_bytes must be at least 1");

  // Half the capacity for the consumers' inboxes and credit, half for the producers' outboxes,
  // as far as the minimum each side needs allows.
  consumer_share_ = std::max(np, options_.capacity / (2 * nc));
  producer_share_ = (options_.capacity - nc * consumer_share_) / np;
  if (producer_share_ == 0) {
    consumer_share_ = (options_.capacity - np) / nc;
    producer_share_ = (options_.capacity - nc * consumer_share_) / np;
  }
  // Credit of at most half the share per producer: batches keep coming while the inbox empties.
  max_ask_ = std::max<std::size_t>(1, std::min(options_.max_batch * 4, consumer_share_ / (2 * np)));
  work_cap_ = max_ask_;


  const int rank = comm_.rank();
  producer_index_ = index_by_rank(producers_, comm_.size());
  consumer_index_ = index_by_rank(consumers_, comm_.size());
  is_producer_ = producer_index_[static_cast<std::size_t>(rank)] >= 0;
  is_consumer_ = consumer_index_[static_cast<std::size_t>(rank)] >= 0;
  if (is_consumer_) {
    granted_.assign(np, 0);
    nudged_.assign(np, false);
    ended_.assign(np, false);
    bye_sent_.assign(np, false);
    next_producer_ = static_cast<std::size_t>(consumer_index_[static_cast<std::size_t>(rank)]) % np;
  }
  if (is_producer_) {
    credit_.assign(nc, 0);
    urgent_.assign(nc, false);
    in_turn_.assign(nc, false);
    ended_to_.assign(nc, false);
    bye_from_.assign(nc, false);
    std::lock_guard<std::mutex> lock(mu_);
    post_control_locked();
    // Serves consumers while the user's code is busy elsewhere; sleeps when idle.
    progress_ = std::thread([this] { run_progress(); });
  }
}

QueueEngine::~QueueEngine() {
  if (progress_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    progress_.join();
  }
  if (!Environment::active()) return;  // MPI is gone; nothing can be sent or completed
  if (std::uncaught_exceptions() > 0) {
    // An error is on its way to ending the job; waiting for the other ranks could hang it.
    abandon();
    return;
  }
  try {
    shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "multirank: shutting down a Queue on rank %d failed: %s\n", comm_.rank(), e.what());
    abandon();
  }
}

void QueueEngine::shutdown() {
  std::unique_lock<std::mutex> lock(mu_);
  if (is_producer_) closed_ = true;
  if (is_consumer_) {
    for (std::size_t i = 0; i < producers_.size(); ++i) {
      if (!ended_[i] && !bye_sent_[i]) {
        send_control_locked(producers_[i], kBye, 0);
        bye_sent_[i] = true;
      }
    }
  }
  Backoff backoff;
  while (!finished_locked()) {
    if (progress_locked(true)) {
      backoff.reset();
    } else {
      lock.unlock();
      backoff.pause();
      lock.lock();
    }
  }
  store_->clear();  // items no consumer will take (it left early), or got by nobody
  // Every send left is matched by a receive the peer makes before it finishes, so this ends.
  for (auto& send : sends_) send.wait();
  sends_.clear();
}

void QueueEngine::abandon() noexcept {
  try {
    std::lock_guard<std::mutex> lock(mu_);
    if (control_posted_) {
      MPI_Cancel(&control_request_);
      wait_request(control_request_);
      control_posted_ = false;
    }
    // Sends may wait for peers that will never receive them now: let them go unwaited.
    auto* unwaited = new std::deque<Request>(std::move(sends_));
    static_cast<void>(unwaited);
  } catch (...) {
  }
}

void QueueEngine::run_progress() {
  using std::chrono::microseconds;
  std::unique_lock<std::mutex> lock(mu_);
  // It only sleeps between looks (from 20 µs doubling to 1 ms), on a condition variable that
  // the destructor signals: it never spins or yields beside the user's thread.
  Backoff backoff(BackoffPolicy{.spin = microseconds(0), .yield = microseconds(0), .first_sleep = microseconds(20)});
  const auto sleep = [&](microseconds d) { wake_.wait_for(lock, d); };
  const auto no_cap = [] { return microseconds::max(); };
  std::uint64_t seen = user_calls_;
  while (!stop_) {
    // While the user's thread keeps calling put/get it drives the protocol itself; stepping in
    // then would only contend for the lock (and MPI's). Serve when it has gone quiet, and then
    // send partial batches too: no more items are coming soon.
    const bool user_away = users_inside_ == 0 && user_calls_ == seen;
    seen = user_calls_;
    if (user_away && progress_locked(true)) backoff.reset();
    backoff.pause_with(sleep, no_cap);
  }
}

bool QueueEngine::put(const std::function<void()>& push, const Deadline& deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!is_producer_)
    throw UsageError("Queue: rank " + std::to_string(comm_.rank()) + " is not a producer of this queue (producers: " +
                     rank_list(producers_) + ")");
  if (closed_) throw UsageError("Queue: put after close() on rank " + std::to_string(comm_.rank()));
  UserCall inside(users_inside_, user_calls_);
  if (store_->outbox_size() >= producer_share_) {
    // Backpressure: wait (sleeping) until a consumer's credit takes items out of the outbox.
    Backoff backoff;
    for (;;) {
      const bool progressed = progress_locked(false);
      if (store_->outbox_size() < producer_share_) break;
      if (deadline && Clock::now() >= *deadline) return false;
      if (progressed) {
        backoff.reset();
      } else {
        lock.unlock();
        backoff.pause();
        lock.lock();
      }
      if (closed_) throw UsageError("Queue: put after close() on rank " + std::to_string(comm_.rank()));
    }
  }
  push();
  ++counters_.put;
  note_buffered_locked();
  // Look for requests now and then: at once when the outbox just stopped being empty (a consumer
  // may be waiting), otherwise every few items; send whenever a consumer's batch is full.
  if (store_->outbox_size() == 1 || ++puts_since_poll_ >= 8) {
    puts_since_poll_ = 0;
    reap_sends_locked();
    poll_control_locked();
  }
  if (!turn_.empty()) serve_locked(false);
  return true;
}

QueueWait QueueEngine::get(const std::function<void()>& pop, const Deadline& deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!is_consumer_)
    throw UsageError("Queue: rank " + std::to_string(comm_.rank()) + " is not a consumer of this queue (consumers: " +
                     rank_list(consumers_) + ")");
  UserCall inside(users_inside_, user_calls_);
  if (store_->inbox_size() > 0) {  // the fast path: no clock, MPI only to top up credit
    take_locked(pop);
    return QueueWait::ready;
  }
  const auto wait_start = Clock::now();
  Backoff backoff;
  for (;;) {
    // Another thread of this rank (a put, the progress thread) may have received our batch
    // while we slept: look at the inbox before anything else, and before declaring the end.
    if (store_->inbox_size() > 0) break;
    if (ended_count_ == producers_.size()) {
      sample_waited_ += seconds_since(wait_start);
      return QueueWait::end;
    }
    request_locked(true);
    if (progress_locked(false)) {
      backoff.reset();
      if (store_->inbox_size() > 0) break;
      continue;
    }
    if (deadline && Clock::now() >= *deadline) {
      sample_waited_ += seconds_since(wait_start);
      return QueueWait::timeout;
    }
    lock.unlock();
    backoff.pause();
    lock.lock();
  }
  sample_waited_ += seconds_since(wait_start);
  ask_ = std::min(ask_ * 2, work_cap_);  // it ran dry: keep more credit out next time
  take_locked(pop);
  return QueueWait::ready;
}

void QueueEngine::take_locked(const std::function<void()>& pop) {
  pop();
  ++counters_.got;
  ++sample_items_;
  if (ask_ > 1) request_locked(false);  // a consumer shown to be fast tops its credit up ahead
}

void QueueEngine::close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!is_producer_)
    throw UsageError("Queue: rank " + std::to_string(comm_.rank()) + " is not a producer of this queue (producers: " +
                     rank_list(producers_) + "), so it has nothing to close");
  if (closed_) return;
  closed_ = true;
  poll_control_locked();
  serve_locked(true);
}

bool QueueEngine::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

bool QueueEngine::at_end() const {
  std::lock_guard<std::mutex> lock(mu_);
  return is_consumer_ && ended_count_ == producers_.size() && store_->inbox_size() == 0;
}

std::size_t QueueEngine::local_capacity() const noexcept {
  return (is_producer_ ? producer_share_ : 0) + (is_consumer_ ? consumer_share_ : 0);
}

std::size_t QueueEngine::buffered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buffered_locked();
}

QueueCounters QueueEngine::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

std::size_t QueueEngine::buffered_locked() const {
  return store_->outbox_size() + store_->inbox_size() + reserved_;
}

void QueueEngine::note_buffered_locked() {
  counters_.peak_buffered = std::max(counters_.peak_buffered, buffered_locked());
}

bool QueueEngine::finished_locked() const {
  if (is_producer_ && (control_posted_ || byes_ < consumers_.size())) return false;
  if (is_consumer_ && ended_count_ < producers_.size()) return false;
  return true;
}

bool QueueEngine::progress_locked(bool flush) {
  reap_sends_locked();
  bool progressed = false;
  if (is_producer_) {
    progressed = poll_control_locked();
    progressed = serve_locked(flush) || progressed;
  }
  if (is_consumer_) progressed = poll_batches_locked() || progressed;
  return progressed;
}

void QueueEngine::reap_sends_locked() {
  while (!sends_.empty() && sends_.front().test()) sends_.pop_front();
}

void QueueEngine::post_control_locked() {
  check_mpi(MPI_Irecv(control_buf_, 2, MPI_INT32_T, MPI_ANY_SOURCE, kTagControl, comm_.native(), &control_request_),
            "MPI_Irecv");
  control_posted_ = true;
}

bool QueueEngine::poll_control_locked() {
  bool progressed = false;
  while (control_posted_) {
    int flag = 0;
    MPI_Status status;
    check_mpi(MPI_Test(&control_request_, &flag, &status), "MPI_Test");
    if (!flag) break;
    control_posted_ = false;
    handle_control_locked(status.MPI_SOURCE, control_buf_[0], control_buf_[1]);
    // After every consumer's BYE nothing more can come: leave no receive posted.
    if (byes_ < consumers_.size()) post_control_locked();
    progressed = true;
  }
  return progressed;
}

void QueueEngine::handle_control_locked(int source, std::int32_t kind, std::int32_t count) {
  const int j = consumer_index_[static_cast<std::size_t>(source)];
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
    if (!ended_to_[ju]) send_end_locked(j);
  }
}

bool QueueEngine::serve_locked(bool flush) {
  bool progressed = false;
  // Consumers with credit take turns; a batch goes out once it is full, or with whatever there
  // is when its consumer ran dry, when closing, or when nothing more is coming soon (flush).
  const std::size_t full = std::min(store_->batch_items(options_.max_batch, options_.batch_bytes), producer_share_);
  bool sent = true;
  while (sent && store_->outbox_size() > 0 && !turn_.empty()) {
    sent = false;
    for (std::size_t n = turn_.size(); n > 0 && store_->outbox_size() > 0; --n) {
      const int j = turn_.front();
      const auto ju = static_cast<std::size_t>(j);
      turn_.pop_front();
      const bool ready = flush || closed_ || urgent_[ju] || store_->outbox_size() >= std::min(credit_[ju], full);
      if (ready) {
        credit_[ju] -= send_batch_locked(j, credit_[ju]);
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
  if (closed_ && store_->outbox_size() == 0) {
    while (!turn_.empty()) {
      const int j = turn_.front();
      turn_.pop_front();
      in_turn_[static_cast<std::size_t>(j)] = false;
      credit_[static_cast<std::size_t>(j)] = 0;
      if (!ended_to_[static_cast<std::size_t>(j)]) send_end_locked(j);
      progressed = true;
    }
  }
  return progressed;
}

std::size_t QueueEngine::send_batch_locked(int consumer, std::size_t count) {
  auto buffer = std::make_shared<std::string>(sizeof(BatchHeader), '\0');
  buffer->reserve(std::min<std::size_t>(options_.batch_bytes, 1 << 16) + sizeof(BatchHeader));
  const std::size_t moved = store_->pack(std::min(count, options_.max_batch), options_.batch_bytes, *buffer);
  const BatchHeader header{kItems, static_cast<std::uint32_t>(moved)};
  std::memcpy(buffer->data(), &header, sizeof header);
  const char* data = buffer->data();
  const std::size_t bytes = buffer->size();
  sends_.push_back(comm_.isend_bytes(consumers_[static_cast<std::size_t>(consumer)], kTagBatch, data, bytes,
                                     std::move(buffer)));
  ++counters_.batches_sent;
  return moved;
}

void QueueEngine::send_end_locked(int consumer) {
  auto buffer = std::make_shared<BatchHeader>(BatchHeader{kEnd, 0});
  const BatchHeader* data = buffer.get();
  sends_.push_back(comm_.isend_bytes(consumers_[static_cast<std::size_t>(consumer)], kTagBatch, data,
                                     sizeof(BatchHeader), std::move(buffer)));
  ended_to_[static_cast<std::size_t>(consumer)] = true;
}

void QueueEngine::send_control_locked(int dest, std::int32_t kind, std::int32_t count) {
  // Fixed 8-byte messages, posted directly (never split), matching the producer's posted receive.
  auto message = std::make_shared<std::array<std::int32_t, 2>>(std::array<std::int32_t, 2>{kind, count});
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Isend(message->data(), 2, MPI_INT32_T, dest, kTagControl, comm_.native(), &request), "MPI_Isend");
  sends_.emplace_back(std::vector<MPI_Request>{request}, std::move(message));
}

bool QueueEngine::poll_batches_locked() {
  bool progressed = false;
  for (;;) {
    const auto status = comm_.iprobe(MPI_ANY_SOURCE, kTagBatch);
    if (!status) break;
    std::size_t total = 0;
    comm_.recv_bytes_unknown(status->source, kTagBatch, [this, &total](std::size_t offset, std::size_t piece) {
      total = offset + piece;
      if (recv_buf_.size() < total) recv_buf_.resize(total);
      return recv_buf_.data() + offset;
    });
    handle_batch_locked(status->source, std::span<const char>(recv_buf_.data(), total));
    progressed = true;
  }
  return progressed;
}

void QueueEngine::handle_batch_locked(int source, std::span<const char> bytes) {
  const int i = producer_index_[static_cast<std::size_t>(source)];
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
    reserved_ -= header.count;
    store_->unpack(bytes.subspan(sizeof header), header.count);
    return;
  }
  reserved_ -= granted_[iu];
  granted_[iu] = 0;
  if (!ended_[iu]) {
    ended_[iu] = true;
    ++ended_count_;
  }
  if (!bye_sent_[iu]) {
    send_control_locked(producers_[iu], kBye, 0);
    bye_sent_[iu] = true;
  }
}

void QueueEngine::update_pace_locked(Clock::time_point now) {
  if (sample_start_ && sample_items_ > 0) {
    const double busy = std::max(0.0, std::chrono::duration<double>(now - *sample_start_).count() - sample_waited_);
    const double per_item = busy / static_cast<double>(sample_items_);
    seconds_per_item_ = seconds_per_item_ == 0.0 ? per_item : 0.5 * (seconds_per_item_ + per_item);
    const double work = std::chrono::duration<double>(options_.prefetch_work).count();
    const double fits = seconds_per_item_ > 0.0 ? work / seconds_per_item_ : static_cast<double>(max_ask_);
    work_cap_ = fits < 1.0 ? 1 : fits >= static_cast<double>(max_ask_) ? max_ask_ : static_cast<std::size_t>(fits);
    ask_ = std::min(ask_, work_cap_);  // a slow consumer asks for one item: the rest stay available
  }
  sample_start_ = now;
  sample_items_ = 0;
  sample_waited_ = 0.0;
}

void QueueEngine::request_locked(bool urgent) {
  const std::size_t n = producers_.size();
  bool paced = false;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (next_producer_ + k) % n;
    if (ended_[i] || bye_sent_[i]) continue;
    // Ran dry: make sure every producer knows (once per batch). Otherwise top the credit up
    // when half of it is used, so that requests stay few.
    const bool nudge = urgent && granted_[i] > 0 && !nudged_[i];
    if (!nudge && granted_[i] > ask_ / 2) continue;
    const std::size_t held = store_->inbox_size() + reserved_;
    std::size_t add = 0;
    if (granted_[i] < ask_ && held < consumer_share_) add = std::min(ask_ - granted_[i], consumer_share_ - held);
    if (add == 0 && !nudge) continue;
    if (!paced) {  // measure the consumer's pace once per round of requests, not once per item
      update_pace_locked(Clock::now());
      paced = true;
      if (add > 0 && granted_[i] + add > ask_) add = ask_ > granted_[i] ? ask_ - granted_[i] : 0;
      if (add == 0 && !nudge) continue;
    }
    send_control_locked(producers_[i], urgent ? kRequestUrgent : kRequest, static_cast<std::int32_t>(add));
    if (urgent) nudged_[i] = true;
    granted_[i] += add;
    reserved_ += add;
  }
  if (paced) {
    next_producer_ = (next_producer_ + 1) % n;  // spread the room fairly over the producers
    note_buffered_locked();
  }
}

}  // namespace multirank::detail
