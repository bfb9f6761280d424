// The coordinator thread on rank 0: keeps every other rank supplied with chunks and collects
// their results. It is the only thread of the pool that calls MPI on rank 0.
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "multirank/core/request.hpp"
#include "multirank/core/wait.hpp"
#include "multirank/pool/internal/pool_core.hpp"
#include "multirank/pool/internal/protocol.hpp"

namespace multirank::detail {
namespace {

/// How the coordinator waits when nothing happened: spin ~20 µs, then sleep (10 µs doubling to
/// 1 ms, capped at 200 µs while remote ranks owe results) on the wake condition, so new inputs
/// from the caller wake it at once and remote results are noticed soon. A waiting coordinator
/// uses no core. It never yields: beside the local worker, which computes on the same core, a
/// yield can hand that worker a whole scheduler tick (4 ms), during which the other ranks wait
/// for their next chunks.
constexpr BackoffPolicy kCoordinatorPolicy{.spin = std::chrono::microseconds(20), .yield = std::chrono::microseconds(0)};
constexpr std::chrono::microseconds kResultsDueSleep{200};

struct Outgoing {
  int rank;
  Tag tag;
  std::shared_ptr<std::string> bytes;
};

}  // namespace

void coordinate(PoolCore& core) {
  const Communicator& comm = core.comm;
  const int remotes = core.size - 1;
  std::deque<Request> sends;
  std::vector<Outgoing> outgoing;
  std::string message;
  bool goodbye_sent = false;
  int byes = 0;
  Backoff backoff(kCoordinatorPolicy);
  const auto sleep = [&core](std::chrono::microseconds d) {
    std::unique_lock<std::mutex> lock(core.mutex);
    core.wake_cv.wait_for(lock, d, [&core] { return core.wake; });
  };
  const auto cap = [&core] {
    std::lock_guard<std::mutex> lock(core.mutex);
    return core.remote_work_in_flight_locked() ? kResultsDueSleep : kCoordinatorPolicy.max_sleep;
  };
  const std::uint32_t flags = core.options.records ? kRecordTimes : 0;

  for (;;) {
    bool progress = false;
    {
      std::lock_guard<std::mutex> lock(core.mutex);
      core.wake = false;
      if (!goodbye_sent && (core.terminated || core.stopping)) {
        const Tag tag = core.terminated ? Tag(kTerminateTag) : Tag(kStopTag);
        for (int r = 1; r < core.size; ++r) outgoing.push_back({r, tag, std::make_shared<std::string>()});
        goodbye_sent = true;
      } else if (!goodbye_sent) {
        for (int r = 1; r < core.size; ++r) {
          while (core.wants_chunk_locked(r)) {
            Cut cut;
            if (!core.cut_chunk_locked(r, cut, sizeof(ChunkHeader))) break;
            ChunkHeader h;
            h.key = cut.job->key;
            h.job = cut.job->id;
            h.seq = cut.seq;
            h.count = cut.count;
            h.flags = flags;
            std::memcpy(cut.bytes.data(), &h, sizeof h);
            outgoing.push_back({r, kChunkTag, std::make_shared<std::string>(std::move(cut.bytes))});
          }
        }
      }
    }
    for (auto& o : outgoing) {
      sends.push_back(comm.isend_bytes(o.rank, o.tag, o.bytes->data(), o.bytes->size(), o.bytes));
      progress = true;
    }
    outgoing.clear();

    // Results, in each sender's order; a bounded batch so dispatch is not starved.
    for (int k = 0; k < 256; ++k) {
      const auto st = comm.iprobe(MPI_ANY_SOURCE, Tag::any());
      if (!st) break;
      comm.recv_into(st->source, st->tag, message);
      progress = true;
      if (st->tag == kByeTag) {
        ++byes;
      } else if (st->tag == kResultTag) {
        ChunkOutput out;
        const ResultHeader h = decode_result(message, out);
        std::lock_guard<std::mutex> lock(core.mutex);
        core.complete_locked(h.job, h.seq, st->source, std::move(out));
      }
    }
    while (!sends.empty() && sends.front().test()) sends.pop_front();

    if (goodbye_sent && byes == remotes) break;
    if (progress)
      backoff.reset();
    else
      backoff.pause_with(sleep, cap);
  }
  for (auto& s : sends) s.wait();
}

}  // namespace multirank::detail
