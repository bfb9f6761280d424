#pragma once
/// \file A clock synchronised across ranks, for traces and per-task records.

#include "multirank/core/communicator.hpp"

namespace multirank {

/// Rank 0's MPI_Wtime, seen from any rank: each rank estimates its offset to rank 0 by
/// ping-pong and keeps the estimate from the round trip with the smallest delay.
/// Construction is collective.
class SyncClock {
 public:
  /// Estimates the offsets over `comm` with `rounds` round trips per rank.
  explicit SyncClock(const Communicator& comm, int rounds = 16);
  /// A clock with no correction (one rank, or none wanted).
  SyncClock() = default;
  /// Seconds on rank 0's clock.
  [[nodiscard]] double now() const;
  /// Added to the local MPI_Wtime to get rank 0's time.
  [[nodiscard]] double offset() const noexcept { return offset_; }
  /// The smallest round trip seen while estimating (an upper bound on the error, times two).
  [[nodiscard]] double best_round_trip() const noexcept { return best_rtt_; }

 private:
  double offset_ = 0.0;
  double best_rtt_ = 0.0;
};

}  // namespace multirank
