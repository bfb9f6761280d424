#pragma once
/// \file SharedCounter: a 64-bit counter every rank increments atomically.

#include <cstdint>

#include "multirank/core/communicator.hpp"
#include "multirank/shared/shared_value.hpp"

namespace multirank {

/// A signed 64-bit counter hosted on one rank (rank 0 by default); increments from any rank are
/// atomic (MPI_Fetch_and_op) and never lost. Construction and destruction are collective.
class SharedCounter {
 public:
  /// Creates the counter on `host`, starting at `initial` (collective).
  explicit SharedCounter(const Communicator& comm, std::int64_t initial = 0, int host = 0)
      : value_(comm, initial, host) {}
  /// Adds `delta` (default 1) and returns the value before.
  std::int64_t fetch_add(std::int64_t delta = 1) const { return value_.fetch_add(delta); }
  /// Adds one and returns the new value.
  std::int64_t increment() const { return value_.fetch_add(1) + 1; }
  /// The current value.
  [[nodiscard]] std::int64_t value() const { return value_.load(); }
  /// Sets the value (e.g. back to zero) and returns the previous one.
  std::int64_t reset(std::int64_t value = 0) const { return value_.exchange(value); }
  /// The rank that hosts the counter.
  [[nodiscard]] int host() const noexcept { return value_.host(); }

 private:
  SharedValue<std::int64_t> value_;
};

}  // namespace multirank
