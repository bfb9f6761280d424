// Every rank but 0: run the chunks the coordinator sends, in order, until it says stop.
#include <chrono>
#include <deque>
#include <memory>
#include <string>

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

}  // namespace

void serve(const Communicator& comm, const SyncClock& clock) {
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
