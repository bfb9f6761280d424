#include <gtest/gtest.h>

#include "multirank/core/clock.hpp"

TEST(SyncClock, AgreesWithRankZeroWithinTheRoundTrip) {
  const auto comm = multirank::Communicator::world();
  const multirank::SyncClock clock(comm);
  // Rank 0 stamps a message; the receiver's synchronised clock must not be earlier than the
  // stamp by more than the offset error, and the message cannot take long on one node.
  constexpr multirank::Tag tag{2};
  if (comm.rank() == 0) {
    EXPECT_EQ(clock.offset(), 0.0);
    for (int r = 1; r < comm.size(); ++r) comm.send(r, tag, clock.now());
  } else {
    const double stamped = comm.recv<double>(0, tag);
    const double here = clock.now();
    const double tolerance = clock.best_round_trip() + 5e-3;
    EXPECT_GE(here, stamped - tolerance);
    EXPECT_LT(here - stamped, 0.5);
    EXPECT_LT(clock.best_round_trip(), 0.05);
  }
  EXPECT_THROW(multirank::SyncClock(comm, 0), multirank::UsageError);
}
