#pragma once
/// \file SharedValue<T>: one number every rank can read and update atomically (Python's `Value`).
///
/// ```cpp
/// multirank::SharedValue<std::int64_t> hits(comm, 0);   // collective; lives on rank 0
/// hits.fetch_add(1);                                     // from any rank, atomic
/// comm.barrier();
/// if (comm.rank() == 0) std::printf("%ld\n", hits.load());
/// ```

#include <mpi.h>

#include <type_traits>

#include "multirank/collective/datatype.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/shared/window.hpp"

namespace multirank {

/// A value of arithmetic type T hosted on one rank (rank 0 by default) in an RMA window; every
/// operation is atomic (MPI accumulate semantics) and complete when it returns.
/// Construction and destruction are collective.
template <class T>
class SharedValue {
  static_assert(has_builtin_datatype_v<T>, "SharedValue needs an arithmetic type MPI knows (not bool)");

 public:
  /// Creates the value on `host` with `initial` (collective; `initial` matters on host only).
  explicit SharedValue(const Communicator& comm, T initial = T{}, int host = 0)
      : window_(comm, sizeof(T), host, static_cast<int>(sizeof(T))) {
    if (window_.comm().rank() == host) store(initial);
    window_.comm().barrier();  // nobody reads before the initial value is there
  }

  /// The current value (atomic read).
  [[nodiscard]] T load() const { return window_.fetch_and_op(T{}, MPI_NO_OP, 0); }
  /// Replaces the value (atomic write).
  void store(T value) const { (void)window_.fetch_and_op(value, MPI_REPLACE, 0); }
  /// Replaces the value and returns the previous one.
  T exchange(T value) const { return window_.fetch_and_op(value, MPI_REPLACE, 0); }
  /// Adds `delta` and returns the previous value.
  T fetch_add(T delta) const { return window_.fetch_and_op(delta, MPI_SUM, 0); }
  /// Subtracts `delta` and returns the previous value.
  T fetch_sub(T delta) const { return window_.fetch_and_op(static_cast<T>(-delta), MPI_SUM, 0); }
  /// Replaces the value by `desired` if it equals `expected` and returns true; otherwise stores
  /// the current value in `expected` and returns false (like std::atomic, for integral T).
  bool compare_exchange(T& expected, T desired) const
    requires std::is_integral_v<T>
  {
    const T seen = window_.compare_and_swap(desired, expected, 0);
    if (seen == expected) return true;
    expected = seen;
    return false;
  }

  /// The rank whose memory holds the value.
  [[nodiscard]] int host() const noexcept { return window_.host(); }
  /// The underlying window.
  [[nodiscard]] const RmaWindow& window() const noexcept { return window_; }

 private:
  RmaWindow window_;
};

}  // namespace multirank
