// One rank's end of a queue: its producer half and consumer half (channel/internal) under one
// mutex, the progress thread that serves consumers while the user's code is busy, and the
// collective shutdown.
#include "multirank/channel/queue_engine.hpp"

#include <mpi.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "multirank/channel/internal/queue_consumer.hpp"
#include "multirank/channel/internal/queue_producer.hpp"
#include "multirank/channel/internal/queue_protocol.hpp"
#include "multirank/core/environment.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/same_arguments.hpp"
#include "multirank/core/wait.hpp"

namespace multirank::detail {

namespace queue {

void QueueShared::send_control(int dest, ControlKind kind, std::int32_t count) {
  // Fixed 8-byte messages, posted directly (never split), matching the producer's posted receive.
  auto message = std::make_shared<std::array<std::int32_t, 2>>(std::array<std::int32_t, 2>{kind, count});
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Isend(message->data(), 2, MPI_INT32_T, dest, kTagControl, comm.native(), &request), "MPI_Isend");
  sends.emplace_back(std::vector<MPI_Request>{request}, std::move(message));
}

}  // namespace queue

namespace {

using Clock = std::chrono::steady_clock;

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

/// Most items per batch: a request carries up to four batches of credit in an int32.
constexpr std::size_t kMaxBatch = std::size_t{1} << 28;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

class QueueEngine::State {
 public:
  State(const Communicator& comm, std::vector<int> producers, std::vector<int> consumers, const QueueOptions& options,
        std::unique_ptr<QueueStore> store);

  /// One round of the protocol, both halves. With `mu` held.
  bool progress_locked(bool flush);
  /// Whether both halves are done (every END and BYE exchanged). With `mu` held.
  [[nodiscard]] bool finished_locked() const {
    return (!producer || producer->finished()) && (!consumer || consumer->all_ended());
  }
  void run_progress();
  void shutdown();
  void abandon() noexcept;
  void stop_progress();

  queue::QueueShared q;
  std::optional<queue::QueueProducer> producer;  // on producer ranks
  std::optional<queue::QueueConsumer> consumer;  // on consumer ranks

  mutable std::mutex mu;
  std::condition_variable wake;
  std::thread progress;
  bool stop = false;
  int users_inside = 0;         // user calls in progress: they drive the protocol themselves
  std::uint64_t user_calls = 0; // user calls so far: the progress thread stays out while it grows
};

QueueEngine::State::State(const Communicator& comm, std::vector<int> producers, std::vector<int> consumers,
                          const QueueOptions& options, std::unique_ptr<QueueStore> store)
    : q(std::move(store), options) {
  if (!comm) throw UsageError("Queue: the communicator is empty (this rank is not in it)");
  // Every rank must have been given the same roles and options; a mismatch would hang later.
  // Checked first, so that ranks whose arguments differ never wait for one that refused them.
  {
    ArgumentDigest digest;
    std::vector<int> sorted_producers = producers;
    std::vector<int> sorted_consumers = consumers;
    std::sort(sorted_producers.begin(), sorted_producers.end());
    std::sort(sorted_consumers.begin(), sorted_consumers.end());
    digest.add(sorted_producers).add(sorted_consumers).add(options.capacity).add(options.max_batch);
    digest.add(options.batch_bytes).add(options.prefetch_work.count());
    q.comm = comm.dup();
    require_same_arguments(q.comm, digest, "Queue: the ranks were given different producers, consumers or options");
  }
  q.producers = checked_role(std::move(producers), "producer", comm.size());
  q.consumers = checked_role(std::move(consumers), "consumer", comm.size());
  const std::size_t np = q.producers.size();
  const std::size_t nc = q.consumers.size();
  const std::size_t minimum = np + nc * np;  // one outbox slot each, one item of credit per pair
  if (options.capacity < minimum)
    throw UsageError("Queue: capacity " + std::to_string(options.capacity) + " is too small for " +
                     std::to_string(np) + " producer(s) and " + std::to_string(nc) +
                     " consumer(s); it must be at least " + std::to_string(minimum));
  if (options.max_batch == 0) throw UsageError("Queue: max_batch must be at least 1");
  // A batch's count and a request's credit (at most 4 batches) travel as 32-bit fields.
  if (options.max_batch > kMaxBatch)
    throw UsageError("Queue: max_batch " + std::to_string(options.max_batch) + " is more than " +
                     std::to_string(kMaxBatch) + " items per message");
  if (options.batch_bytes == 0) throw UsageError("Queue: batch_bytes must be at least 1");

  // Half the capacity for the consumers' inboxes and credit, half for the producers' outboxes,
  // as far as the minimum each side needs allows.
  std::size_t consumer_share = std::max(np, options.capacity / (2 * nc));
  std::size_t producer_share = (options.capacity - nc * consumer_share) / np;
  if (producer_share == 0) {
    consumer_share = (options.capacity - np) / nc;
    producer_share = (options.capacity - nc * consumer_share) / np;
  }
  // Credit of at most half the share per producer: batches keep coming while the inbox empties.
  const std::size_t max_ask = std::max<std::size_t>(1, std::min(options.max_batch * 4, consumer_share / (2 * np)));

  const auto rank = static_cast<std::size_t>(q.comm.rank());
  q.producer_index = index_by_rank(q.producers, q.comm.size());
  q.consumer_index = index_by_rank(q.consumers, q.comm.size());
  if (q.consumer_index[rank] >= 0)
    consumer.emplace(q, consumer_share, max_ask, static_cast<std::size_t>(q.consumer_index[rank]));
  if (q.producer_index[rank] >= 0) {
    producer.emplace(q, producer_share);  // posts its control receive
    // Serves consumers while the user's code is busy elsewhere; sleeps when idle.
    progress = std::thread([this] { run_progress(); });
  }
}

bool QueueEngine::State::progress_locked(bool flush) {
  q.reap_sends();
  bool progressed = false;
  if (producer) progressed = producer->progress(flush);
  if (consumer) progressed = consumer->poll_batches() || progressed;
  return progressed;
}

void QueueEngine::State::run_progress() {
  using std::chrono::microseconds;
  std::unique_lock<std::mutex> lock(mu);
  // It only sleeps between looks (from 20 µs doubling to 1 ms), on a condition variable that
  // the destructor signals: it never spins or yields beside the user's thread.
  Backoff backoff(BackoffPolicy{.spin = microseconds(0), .yield = microseconds(0), .first_sleep = microseconds(20)});
  const auto sleep = [&](microseconds d) { wake.wait_for(lock, d); };
  const auto no_cap = [] { return microseconds::max(); };
  std::uint64_t seen = user_calls;
  while (!stop) {
    // While the user's thread keeps calling put/get it drives the protocol itself; stepping in
    // then would only contend for the lock (and MPI's). Serve when it has gone quiet, and then
    // send partial batches too: no more items are coming soon.
    const bool user_away = users_inside == 0 && user_calls == seen;
    seen = user_calls;
    if (user_away && progress_locked(true)) backoff.reset();
    backoff.pause_with(sleep, no_cap);
  }
}

void QueueEngine::State::stop_progress() {
  if (!progress.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  wake.notify_all();
  progress.join();
}

void QueueEngine::State::shutdown() {
  std::unique_lock<std::mutex> lock(mu);
  if (producer) producer->mark_closed();
  if (consumer) consumer->leave();
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
  q.store->clear();  // items no consumer will take (it left early), or got by nobody
  // Every send left is matched by a receive the peer makes before it finishes, so this ends.
  for (auto& send : q.sends) send.wait();
  q.sends.clear();
}

void QueueEngine::State::abandon() noexcept {
  try {
    std::lock_guard<std::mutex> lock(mu);
    if (producer) producer->cancel_control();
    // Sends may wait for peers that will never receive them now: let them go unwaited.
    auto* unwaited = new std::deque<Request>(std::move(q.sends));
    static_cast<void>(unwaited);
  } catch (...) {
  }
}

QueueEngine::QueueEngine(const Communicator& comm, std::vector<int> producers, std::vector<int> consumers,
                         const QueueOptions& options, std::unique_ptr<QueueStore> store)
    : state_(std::make_unique<State>(comm, std::move(producers), std::move(consumers), options, std::move(store))) {}

QueueEngine::~QueueEngine() {
  State& s = *state_;
  s.stop_progress();
  if (!Environment::active()) return;  // MPI is gone; nothing can be sent or completed
  if (std::uncaught_exceptions() > 0) {
    // An error is on its way to ending the job; waiting for the other ranks could hang it.
    s.abandon();
    return;
  }
  try {
    s.shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "multirank: shutting down a Queue on rank %d failed: %s\n", s.q.comm.rank(), e.what());
    s.abandon();
  }
}

bool QueueEngine::put(const std::function<void()>& push, const Deadline& deadline) {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  if (!s.producer)
    throw UsageError("Queue: rank " + std::to_string(s.q.comm.rank()) +
                     " is not a producer of this queue (producers: " + rank_list(s.q.producers) + ")");
  queue::QueueProducer& producer = *s.producer;
  if (producer.closed()) throw UsageError("Queue: put after close() on rank " + std::to_string(s.q.comm.rank()));
  UserCall inside(s.users_inside, s.user_calls);
  if (producer.full()) {
    // Backpressure: wait (sleeping) until a consumer's credit takes items out of the outbox.
    Backoff backoff;
    for (;;) {
      const bool progressed = s.progress_locked(false);
      if (!producer.full()) break;
      if (deadline && Clock::now() >= *deadline) return false;
      if (progressed) {
        backoff.reset();
      } else {
        lock.unlock();
        backoff.pause();
        lock.lock();
      }
      if (producer.closed()) throw UsageError("Queue: put after close() on rank " + std::to_string(s.q.comm.rank()));
    }
  }
  push();
  ++s.q.counters.put;
  s.q.note_buffered();
  producer.after_put();
  return true;
}

QueueWait QueueEngine::get(const std::function<void()>& pop, const Deadline& deadline) {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  if (!s.consumer)
    throw UsageError("Queue: rank " + std::to_string(s.q.comm.rank()) +
                     " is not a consumer of this queue (consumers: " + rank_list(s.q.consumers) + ")");
  queue::QueueConsumer& consumer = *s.consumer;
  QueueStore& store = *s.q.store;
  UserCall inside(s.users_inside, s.user_calls);
  if (store.inbox_size() > 0) {  // the fast path: no clock, MPI only to top up credit
    consumer.take(pop);
    return QueueWait::ready;
  }
  const auto wait_start = Clock::now();
  Backoff backoff;
  for (;;) {
    // Another thread of this rank (a put, the progress thread) may have received our batch
    // while we slept: look at the inbox before anything else, and before declaring the end.
    if (store.inbox_size() > 0) break;
    if (consumer.all_ended()) {
      consumer.waited(seconds_since(wait_start));
      return QueueWait::end;
    }
    consumer.request(true);
    if (s.progress_locked(false)) {
      backoff.reset();
      if (store.inbox_size() > 0) break;
      continue;
    }
    if (deadline && Clock::now() >= *deadline) {
      consumer.waited(seconds_since(wait_start));
      return QueueWait::timeout;
    }
    lock.unlock();
    backoff.pause();
    lock.lock();
  }
  consumer.waited(seconds_since(wait_start));
  consumer.ran_dry();
  consumer.take(pop);
  return QueueWait::ready;
}

void QueueEngine::close() {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.producer)
    throw UsageError("Queue: rank " + std::to_string(s.q.comm.rank()) +
                     " is not a producer of this queue (producers: " + rank_list(s.q.producers) +
                     "), so it has nothing to close");
  if (s.producer->closed()) return;
  s.producer->close();
}

bool QueueEngine::is_producer() const noexcept { return state_->producer.has_value(); }
bool QueueEngine::is_consumer() const noexcept { return state_->consumer.has_value(); }

bool QueueEngine::closed() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->producer && state_->producer->closed();
}

bool QueueEngine::at_end() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->consumer && state_->consumer->all_ended() && state_->q.store->inbox_size() == 0;
}

const std::vector<int>& QueueEngine::producers() const noexcept { return state_->q.producers; }
const std::vector<int>& QueueEngine::consumers() const noexcept { return state_->q.consumers; }
const QueueOptions& QueueEngine::options() const noexcept { return state_->q.options; }

std::size_t QueueEngine::local_capacity() const noexcept {
  return (state_->producer ? state_->producer->share() : 0) + (state_->consumer ? state_->consumer->share() : 0);
}

std::size_t QueueEngine::buffered() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->q.buffered();
}

QueueCounters QueueEngine::counters() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->q.counters;
}

}  // namespace multirank::detail
