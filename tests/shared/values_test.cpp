#include <gtest/gtest.h>

#include <cstdint>
#include <algorithm>
#include <numeric>
#include <vector>

#include "multirank/collective/partition.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/shared/shared_array.hpp"
#include "multirank/shared/shared_counter.hpp"
#include "multirank/shared/shared_value.hpp"

using multirank::Communicator;

namespace {

TEST(SharedValue, InitialValueLoadStoreExchange) {
  const auto comm = Communicator::world();
  const int host = comm.size() - 1;
  multirank::SharedValue<double> v(comm, 2.5, host);
  EXPECT_EQ(v.host(), host);
  EXPECT_EQ(v.load(), 2.5);  // every rank sees the host's initial value
  comm.barrier();
  if (comm.rank() == 0) v.store(-7.25);
  comm.barrier();
  EXPECT_EQ(v.load(), -7.25);
  comm.barrier();
  // Every rank swaps in its own rank; the previous values seen form a chain through all of them.
  const double before = v.exchange(static_cast<double>(comm.rank()));
  const auto befores = multirank::allreduce(comm, before == -7.25 ? 1 : 0, std::plus<>{});
  EXPECT_EQ(befores, 1);  // exactly one rank saw the original value
}

TEST(SharedCounter, ConcurrentIncrementsAreExact) {
  const auto comm = Communicator::world();
  constexpr std::int64_t n = 20000;
  multirank::SharedCounter counter(comm, 100);
  std::int64_t last = 0;
  for (std::int64_t i = 0; i < n; ++i) last = counter.increment();
  EXPECT_GT(last, 100);
  comm.barrier();
  EXPECT_EQ(counter.value(), 100 + n * comm.size());
  comm.barrier();
  if (comm.rank() == 0) { EXPECT_EQ(counter.reset(), 100 + n * comm.size()); }
  comm.barrier();
  EXPECT_EQ(counter.value(), 0);
}

TEST(SharedValue, FetchAddHandsOutEveryTicketOnce) {
  const auto comm = Communicator::world();
  constexpr int n = 5000;
  multirank::SharedValue<std::uint32_t> next(comm, 0U, comm.size() / 2);
  std::vector<std::uint32_t> mine;
  for (int i = 0; i < n; ++i) mine.push_back(next.fetch_add(1U));
  // Tickets are distinct across ranks and cover [0, P*n): their sum and count say so.
  const std::uint64_t sum = std::accumulate(mine.begin(), mine.end(), std::uint64_t{0});
  const auto total = multirank::allreduce(comm, sum, std::plus<>{});
  const std::uint64_t all = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(comm.size());
  EXPECT_EQ(total, all * (all - 1) / 2);
  EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
}

TEST(SharedValue, CompareExchangeLoopLosesNoUpdate) {
  const auto comm = Communicator::world();
  constexpr int n = 3000;
  multirank::SharedValue<std::int64_t> v(comm, 0);
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    std::int64_t expected = v.load();
    while (!v.compare_exchange(expected, expected + 1)) ++failures;  // expected refreshed on failure
  }
  comm.barrier();
  EXPECT_EQ(v.load(), std::int64_t{n} * comm.size());
  std::int64_t e = -1;
  EXPECT_FALSE(v.compare_exchange(e, 5));
  EXPECT_EQ(e, std::int64_t{n} * comm.size());
}

TEST(SharedArray, PutGetAccumulateOnRanges) {
  const auto comm = Communicator::world();
  const int p = comm.size();
  constexpr std::size_t len = 1000;
  multirank::SharedArray<std::int64_t> a(comm, len, 1, p - 1);
  ASSERT_EQ(a.size(), len);
  EXPECT_EQ(a.get(0, len), std::vector<std::int64_t>(len, 1));
  comm.barrier();
  // Every rank adds (rank + 1) * i to element i: concurrent accumulates, none lost.
  std::vector<std::int64_t> add(len);
  for (std::size_t i = 0; i < len; ++i) add[i] = (comm.rank() + 1) * static_cast<std::int64_t>(i);
  a.accumulate(0, add);
  comm.barrier();
  const auto all = a.to_vector();
  for (std::size_t i = 0; i < len; ++i) EXPECT_EQ(all[i], 1 + static_cast<std::int64_t>(i) * p * (p + 1) / 2) << i;
  comm.barrier();
  // Each rank owns a disjoint block and overwrites it with its rank.
  const auto b = multirank::block_range<std::size_t>(len, comm.rank(), p);
  a.put(b.lo, std::vector<std::int64_t>(b.size(), comm.rank()));
  comm.barrier();
  for (int r = 0; r < p; ++r) {
    const auto rb = multirank::block_range<std::size_t>(len, r, p);
    EXPECT_EQ(a.get(rb.lo, rb.size()), std::vector<std::int64_t>(rb.size(), r));
  }
  comm.barrier();
  // maximum and element-wise fetch_add.
  a.accumulate(0, std::vector<std::int64_t>{100 + comm.rank()}, multirank::maximum<>{});
  (void)a.fetch_add(len - 1, 10);
  comm.barrier();
  EXPECT_EQ(a.load(0), 100 + p - 1);
  EXPECT_EQ(a.load(len - 1), p - 1 + 10 * p);
  EXPECT_THROW((void)a.get(len - 2, 3), multirank::UsageError);
  EXPECT_THROW(a.store(len, 0), multirank::UsageError);
  comm.barrier();
}

TEST(SharedArray, EmptyArrayAndFloatingAccumulate) {
  const auto comm = Communicator::world();
  multirank::SharedArray<float> none(comm, 0);
  EXPECT_TRUE(none.to_vector().empty());
  multirank::SharedArray<double> d(comm, 3);
  d.accumulate(1, std::vector<double>{0.5, 0.25});
  comm.barrier();
  EXPECT_EQ(d.to_vector(), (std::vector<double>{0.0, 0.5 * comm.size(), 0.25 * comm.size()}));
}

}  // namespace
