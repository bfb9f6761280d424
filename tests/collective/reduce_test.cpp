#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

#include "multirank/collective/partition.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/collective/scan.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/int128.hpp"

using multirank::Communicator;
using multirank::uint128_t;

namespace {

// A 2x2 integer matrix: trivially copyable and its product is associative but not commutative,
// so a wrong combining order shows up in the result.
struct Mat {
  std::int64_t a, b, c, d;
  bool operator==(const Mat&) const = default;
};
Mat mul(const Mat& x, const Mat& y) {
  return {x.a * y.a + x.b * y.c, x.a * y.b + x.b * y.d, x.c * y.a + x.d * y.c, x.c * y.b + x.d * y.d};
}
Mat mat_of(int r) { return {1, r + 1, 0, 1}; }  // upper unitriangular: x*y != y*x in general
Mat mat_of2(int r) { return {r + 2, 1, 1, 0}; }

// Sum of i over [lo, hi), exactly, as 128-bit.
uint128_t sum_of(multirank::URange r) {
  if (r.empty()) return 0;
  const uint128_t lo = r.lo;
  const uint128_t hi = r.hi;
  return (lo + hi - 1) * (hi - lo) / 2;
}

TEST(Reduce, BuiltinSumMaxAndBitOpsOnEveryRoot) {
  const auto comm = Communicator::world();
  const int p = comm.size();
  for (int root = 0; root < p; ++root) {
    const std::int64_t s = multirank::reduce(comm, std::int64_t{comm.rank() + 1}, std::plus<>{}, root);
    if (comm.rank() == root) { EXPECT_EQ(s, std::int64_t{p} * (p + 1) / 2); }
  }
  EXPECT_EQ(multirank::allreduce(comm, 10.0 * comm.rank(), multirank::maximum<>{}), 10.0 * (p - 1));
  EXPECT_EQ(multirank::allreduce(comm, comm.rank() + 5, multirank::minimum<>{}), 5);
  EXPECT_EQ(multirank::allreduce(comm, 1U << comm.rank(), std::bit_or<>{}), (1U << p) - 1U);
}

TEST(Reduce, Uint128RangeSumIsExactUpTo2To63) {
  const auto comm = Communicator::world();
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{3}, std::uint64_t{1000003},
                          std::uint64_t{1} << 40, std::uint64_t{1} << 63}) {
    const auto mine = multirank::block_range<std::uint64_t>(n, comm.rank(), comm.size());
    const uint128_t part = sum_of(mine);
    const uint128_t expect = n == 0 ? 0 : static_cast<uint128_t>(n) * (n - 1) / 2;
    const uint128_t total = multirank::reduce(comm, part, std::plus<>{}, 0);
    if (comm.rank() == 0) { EXPECT_EQ(multirank::to_string(total), multirank::to_string(expect)) << "n=" << n; }
    const uint128_t everywhere = multirank::allreduce(comm, part, std::plus<uint128_t>{});
    EXPECT_EQ(multirank::to_string(everywhere), multirank::to_string(expect)) << "n=" << n;
  }
  // The same sum by actually looping over each rank's cyclic share.
  const std::uint64_t n = 200001;
  uint128_t loop = 0;
  for (std::uint64_t i : multirank::cyclic_range<std::uint64_t>(n, comm.rank(), comm.size())) loop += i;
  const uint128_t total = multirank::allreduce(comm, loop, std::plus<>{});
  EXPECT_EQ(multirank::to_string(total), multirank::to_string(static_cast<uint128_t>(n) * (n - 1) / 2));
}

TEST(Reduce, SignedInt128CanGoNegative) {
  const auto comm = Communicator::world();
  const multirank::int128_t mine = -(static_cast<multirank::int128_t>(1) << 100) + comm.rank();
  const auto total = multirank::allreduce(comm, mine, std::plus<>{});
  const multirank::int128_t p = comm.size();
  // Compared as values: to_string(int128_t) trips a GCC 12 -Wrestrict false positive when inlined.
  EXPECT_TRUE(total == -p * (static_cast<multirank::int128_t>(1) << 100) + p * (p - 1) / 2);
  EXPECT_TRUE(total < 0);
}

TEST(Reduce, NonCommutativeOperationsKeepRankOrder) {
  const auto comm = Communicator::world();
  const int p = comm.size();
  Mat expect{1, 0, 0, 1};
  Mat expect2{1, 0, 0, 1};
  std::string expect_text;
  for (int r = 0; r < p; ++r) {
    expect = mul(expect, mat_of(r));
    expect2 = mul(expect2, mat_of2(r));
    expect_text += std::string("<").append(std::to_string(r)).append(">");
  }
  // Trivially copyable type with a captureless lambda: MPI user op path.
  const auto prod = [](const Mat& x, const Mat& y) { return mul(x, y); };
  for (int root = 0; root < p; ++root) {
    const Mat m = multirank::reduce(comm, mat_of2(comm.rank()), prod, root);
    if (comm.rank() == root) { EXPECT_EQ(m, expect2) << "root " << root; }
  }
  EXPECT_EQ(multirank::allreduce(comm, mat_of(comm.rank()), prod), expect);
  // A stateful operation: point-to-point tree path.
  int calls = 0;
  const auto counting = [&calls](const Mat& x, const Mat& y) { ++calls; return mul(x, y); };
  EXPECT_EQ(multirank::allreduce(comm, mat_of2(comm.rank()), counting), expect2);
  const int total_calls = multirank::allreduce(comm, calls, std::plus<>{});
  EXPECT_EQ(total_calls, p - 1);  // a tree combines P values with exactly P - 1 operations
  // Strings: serialized values, tree path, any root.
  for (int root = 0; root < p; ++root) {
    const std::string s =
        multirank::reduce(comm, std::string("<").append(std::to_string(comm.rank())).append(">"), std::plus<std::string>{}, root);
    if (comm.rank() == root) { EXPECT_EQ(s, expect_text); }
  }
}

}  // namespace

namespace {

TEST(Exscan, EveryRankGetsTheCombinationOfTheRanksBeforeIt) {
  const auto comm = Communicator::world();
  const int r = comm.rank();
  // Built-in op (MPI_Iexscan): rank r gets 1 + 2 + ... + r, rank 0 the identity.
  EXPECT_EQ(multirank::exscan(comm, std::uint64_t(r + 1), std::plus<>{}, std::uint64_t{0}),
            static_cast<std::uint64_t>(r) * static_cast<std::uint64_t>(r + 1) / 2);
  EXPECT_EQ(multirank::exscan(comm, r + 10, multirank::maximum<>{}, -1), r == 0 ? -1 : r + 9);
  // A non-commutative user op on a struct: the product of the earlier ranks' matrices, in order.
  Mat expected{1, 0, 0, 1};
  for (int k = 0; k < r; ++k) expected = mul(expected, mat_of(k));
  EXPECT_EQ(multirank::exscan(comm, mat_of(r), [](const Mat& x, const Mat& y) { return mul(x, y); }, Mat{1, 0, 0, 1}),
            expected);
  // Serialized values (the gather path): the earlier ranks' strings, in rank order.
  // (Built by append: GCC 12 sees a false -Wrestrict in chained string +.)
  const auto bracket = [](int k) { return std::string("<").append(std::to_string(k)).append(">"); };
  std::string before;
  for (int k = 0; k < r; ++k) before.append(bracket(k));
  EXPECT_EQ(multirank::exscan(comm, bracket(r), std::plus<>{}, std::string()), before);
}

}  // namespace
