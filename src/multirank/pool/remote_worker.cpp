// Every rank but 0: run the chunks the coordinator sends, in order, until it says stop.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "multirank/core/request.hpp"
#include "multirank/core/wait.hpp"
#include "multirank/pool/internal/pool_core.hpp"
#include "multirank/pool/internal/protocol.hpp"

namespace multirank::detail {
namespace {

/// How a worker waits for its next chunk. After a result the coordinator answers within a few
/// hundred microseconds: for 5 ms, no sleep lasts more than 100 µs, so the next chunk does not
/// wait for a millisecond's sleep to end.
constexpr BackoffPolicy kWorkerPolicy{.early_cap = std::chrono::microseconds(100),
                                      .early_window = std::chrono::milliseconds(5)};

/// With several worker threads: an idle thread takes the receiving role (only one thread probes
/// at a time) and queues what arrives; any idle thread runs the next queued chunk and sends its
/// result. While every thread runs a chunk, nobody polls: the coordinator's chunks wait in MPI
/// until a thread is free, which then finds them at once.
void serve_concurrently(const Communicator& comm, const SyncClock& clock, int workers) {
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::string> queue;  // chunks received, not started
  bool receiving = false;         // a thread is probing
  bool stop = false;

  auto work = [&] {
    Backoff backoff(kWorkerPolicy);
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      if (!queue.empty()) {
        std::string chunk = std::move(queue.front());
        queue.pop_front();
        lock.unlock();
        auto reply = std::make_shared<std::string>(run_chunk_message(chunk, clock));
        comm.isend_bytes(0, kResultTag, reply->data(), reply->size(), reply).wait();
        backoff.reset();
        lock.lock();
        continue;
      }
      if (stop) return;
      if (receiving) {
        cv.wait(lock);
        continue;
      }
      receiving = true;
      lock.unlock();
      std::vector<std::pair<Tag, std::string>> got;
      while (const auto st = comm.iprobe(0, Tag::any())) {
        std::string message;
        comm.recv_into(0, st->tag, message);
        got.emplace_back(st->tag, std::move(message));
      }
      if (got.empty()) backoff.pause();
      lock.lock();
      receiving = false;
      for (auto& [tag, message] : got) {
        if (tag == kChunkTag) {
          queue.push_back(std::move(message));
        } else if (tag == kStopTag) {
          stop = true;
        } else if (tag == kTerminateTag) {
          queue.clear();
          stop = true;
        }
      }
      if (!got.empty()) {
        backoff.reset();
        cv.notify_all();
      }
    }
  };
  std::vector<std::thread> threads;
  for (int k = 1; k < workers; ++k) threads.emplace_back(work);
  work();
  {
    std::lock_guard<std::mutex> lock(mutex);
    cv.notify_all();
  }
  for (auto& t : threads) t.join();
  comm.send(0, kByeTag, char{0});
}

}  // namespace

void serve(const Communicator& comm, const SyncClock& clock, int workers) {
  if (workers > 1) {
    serve_concurrently(comm, clock, workers);
    return;
  }
  std::deque<std::string> queue;  // chunks received ahead of time (the coordinator prefetches)
  std::deque<Request> sends;
  bool stop = false;
  Backoff backoff(kWorkerPolicy);
  for (;;) {
    while (const auto st = comm.iprobe(0, Tag::any())) {
      std::string message;
      comm.recv_into(0, st->tag, message);
      if (st->tag == kChunkTag) {
        queue.push_back(std::move(message));
      } else if (st->tag == kStopTag) {
        stop = true;
      } else if (st->tag == kTerminateTag) {
        queue.clear();
        stop = true;
      }
    }
    if (!queue.empty()) {
      auto reply = std::make_shared<std::string>(run_chunk_message(queue.front(), clock));
      queue.pop_front();
      sends.push_back(comm.isend_bytes(0, kResultTag, reply->data(), reply->size(), reply));
      backoff.reset();
    } else if (stop) {
      break;
    } else {
      backoff.pause();
    }
    while (!sends.empty() && sends.front().test()) sends.pop_front();
  }
  for (auto& s : sends) s.wait();
  comm.send(0, kByeTag, char{0});
}

}  // namespace multirank::detail
