#pragma once
/// \file DistributedLock: mutual exclusion across ranks (Python's `Lock` / `Value.get_lock()`).
///
/// ```cpp
/// multirank::DistributedLock lock(comm);            // collective; lives on rank 0
/// {
///   multirank::DistributedLockGuard guard(lock);    // std::lock_guard works the same way
///   value.store(value.load() + 1);                  // a read-modify-write no other rank interleaves
/// }
/// ```

#include <atomic>
#include <chrono>
#include <mutex>

#include "multirank/core/communicator.hpp"
#include "multirank/shared/window.hpp"

namespace multirank {

/// A lock word on the host rank, taken with MPI_Compare_and_swap. A waiting rank retries with a
/// Backoff (a brief spin, then sleeps of up to 1 ms), so waiting costs almost no CPU.
/// Not reentrant; not fair (a releasing rank may take it again first). Meets the standard
/// Lockable requirements (lock, try_lock, unlock), so std::lock_guard/std::unique_lock work.
/// Every SharedValue/SharedArray operation is complete when it returns, so updates made while
/// holding the lock are visible to the next holder. Construction and destruction are collective.
class DistributedLock {
 public:
  /// Creates an unlocked lock whose word lives on `host` (collective).
  explicit DistributedLock(const Communicator& comm, int host = 0);
  /// Waits (sleeping with a backoff) until this rank holds the lock.
  void lock();
  /// Takes the lock if it is free now; returns whether it did.
  bool try_lock();
  /// Waits at most `timeout` for the lock; returns whether it was taken.
  bool try_lock_for(std::chrono::duration<double> timeout);
  /// Releases the lock; throws UsageError if this rank does not hold it.
  void unlock();
  /// Whether this rank holds the lock.
  [[nodiscard]] bool owns_lock() const noexcept { return held_.load(std::memory_order_relaxed); }
  /// The rank that holds the lock now, or -1 if it is free (a snapshot).
  [[nodiscard]] int holder() const;
  /// The rank hosting the lock word.
  [[nodiscard]] int host() const noexcept { return window_.host(); }

 private:
  RmaWindow window_;
  std::atomic<bool> held_{false};
};

/// Holds a DistributedLock for a scope.
using DistributedLockGuard = std::lock_guard<DistributedLock>;

}  // namespace multirank
