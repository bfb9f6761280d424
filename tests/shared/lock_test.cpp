#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>

#include <mpi.h>

#include "multirank/collective/reduce.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/shared/distributed_lock.hpp"
#include "multirank/shared/shared_value.hpp"

using multirank::Communicator;

namespace {

TEST(DistributedLock, NoLostUpdateUnderTheLock) {
  const auto comm = Communicator::world();
  // 100000 increments per rank, each a separate load and store (not atomic on its own), so any
  // overlap of two critical sections would lose an update and show in the total.
  constexpr std::int64_t n = 100000;
  multirank::DistributedLock lock(comm, comm.size() - 1);
  multirank::SharedValue<std::int64_t> value(comm, 0);
  comm.barrier();
  const double t0 = MPI_Wtime();
  for (std::int64_t i = 0; i < n; ++i) {
    multirank::DistributedLockGuard guard(lock);
    value.store(value.load() + 1);
  }
  const double seconds = MPI_Wtime() - t0;
  comm.barrier();
  EXPECT_EQ(value.load(), n * comm.size());
  EXPECT_FALSE(lock.owns_lock());
  EXPECT_EQ(lock.holder(), -1);
  const double slowest = multirank::allreduce(comm, seconds, multirank::maximum<>{});
  if (comm.rank() == 0) std::printf("[ info ] %lld locked increments on %d rank(s) in %.2f s\n",
                                    static_cast<long long>(n * comm.size()), comm.size(), slowest);
}

TEST(DistributedLock, TryLockFailsWhileAnotherRankHoldsIt) {
  const auto comm = Communicator::world();
  multirank::DistributedLock lock(comm);
  if (comm.rank() == 0) { ASSERT_TRUE(lock.try_lock()); }
  comm.barrier();
  EXPECT_EQ(lock.holder(), 0);
  if (comm.rank() != 0) {
    EXPECT_FALSE(lock.try_lock());
    EXPECT_FALSE(lock.try_lock_for(std::chrono::milliseconds(20)));
    EXPECT_THROW(lock.unlock(), multirank::UsageError);
  }
  comm.barrier();
  if (comm.rank() == 0) lock.unlock();
  comm.barrier();
  EXPECT_EQ(lock.holder(), -1);
  // Now the last rank takes it with a guard; std::unique_lock works as well.
  comm.barrier();
  if (comm.rank() == comm.size() - 1) {
    std::unique_lock<multirank::DistributedLock> held(lock);
    EXPECT_TRUE(lock.owns_lock());
    EXPECT_EQ(lock.holder(), comm.size() - 1);
  }
  comm.barrier();
  EXPECT_EQ(lock.holder(), -1);
}

}  // namespace
