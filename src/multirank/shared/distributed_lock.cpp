#include "multirank/shared/distributed_lock.hpp"

#include <cstdint>

#include "multirank/core/wait.hpp"

namespace multirank {
namespace {
constexpr std::int64_t kFree = 0;
}

DistributedLock::DistributedLock(const Communicator& comm, int host)
    : window_(comm, sizeof(std::int64_t), host, static_cast<int>(sizeof(std::int64_t))) {}

bool DistributedLock::try_lock() {
  // The word holds the owner's rank + 1, so a crash report or holder() can say who has it.
  const std::int64_t me = window_.comm().rank() + 1;
  if (window_.compare_and_swap<std::int64_t>(me, kFree, 0) != kFree) return false;
  held_.store(true, std::memory_order_relaxed);
  return true;
}

void DistributedLock::lock() {
  wait_until([this] { return try_lock(); });
}

bool DistributedLock::try_lock_for(std::chrono::duration<double> timeout) {
  return wait_until_for([this] { return try_lock(); }, timeout);
}

void DistributedLock::unlock() {
  if (!held_.load(std::memory_order_relaxed))
    throw UsageError("DistributedLock::unlock: rank " + std::to_string(window_.comm().rank()) +
                     " does not hold the lock");
  held_.store(false, std::memory_order_relaxed);
  (void)window_.fetch_and_op<std::int64_t>(kFree, MPI_REPLACE, 0);
}

int DistributedLock::holder() const {
  const std::int64_t word = window_.fetch_and_op<std::int64_t>(0, MPI_NO_OP, 0);
  return static_cast<int>(word) - 1;
}

}  // namespace multirank
