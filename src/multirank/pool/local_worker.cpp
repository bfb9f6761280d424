// Rank 0's worker thread: takes chunks straight from the coordinator's queue (no messages), so
// the coordinating rank's core computes too.
#include <mutex>

#include "multirank/pool/internal/pool_core.hpp"
#include "multirank/pool/internal/protocol.hpp"

namespace multirank::detail {

void work_locally(PoolCore& core) {
  const SyncClock* clock = core.options.records ? &core.clock : nullptr;
  std::unique_lock<std::mutex> lock(core.mutex);
  for (;;) {
    Cut cut;
    core.work_cv.wait(lock, [&] { return core.cut_chunk_locked(0, cut, 0) || core.local_stop_; });
    if (!cut.job) return;
    lock.unlock();
    ChunkOutput out;
    execute_chunk(cut.job->key, cut.bytes.data(), cut.bytes.size(), cut.count, clock, out);
    lock.lock();
    core.complete_locked(cut.job->id, cut.seq, 0, std::move(out));
  }
}

}  // namespace multirank::detail
