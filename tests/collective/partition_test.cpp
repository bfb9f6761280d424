#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "multirank/collective/partition.hpp"
#include "multirank/core/int128.hpp"

using multirank::block_owner;
using multirank::block_range;
using multirank::cyclic_range;
using multirank::uint128_t;

namespace {

// Blocks of [lo, lo + n) over p ranks: in rank order, each starts where the previous ended,
// the last ends at hi, sizes differ by at most one, and block_owner agrees with every index.
void check_block(std::int64_t lo, std::int64_t n, int p) {
  const std::int64_t hi = lo + n;
  std::int64_t expect_lo = lo;
  std::uint64_t smallest = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t largest = 0;
  std::vector<int> owner(static_cast<std::size_t>(n), -1);
  for (int r = 0; r < p; ++r) {
    const auto b = block_range(lo, hi, r, p);
    ASSERT_EQ(b.lo, expect_lo) << "n=" << n << " p=" << p << " r=" << r;
    ASSERT_LE(b.lo, b.hi);
    smallest = std::min<std::uint64_t>(smallest, b.size());
    largest = std::max<std::uint64_t>(largest, b.size());
    std::uint64_t seen = 0;
    for (std::int64_t i : b) {
      EXPECT_EQ(owner[static_cast<std::size_t>(i - lo)], -1);
      owner[static_cast<std::size_t>(i - lo)] = r;
      EXPECT_EQ(block_owner(lo, hi, i, p), r) << "i=" << i << " n=" << n << " p=" << p;
      ++seen;
    }
    EXPECT_EQ(seen, b.size());
    expect_lo = b.hi;
  }
  EXPECT_EQ(expect_lo, hi);
  EXPECT_LE(largest - smallest, 1U) << "n=" << n << " p=" << p;
  for (int o : owner) EXPECT_GE(o, 0);
}

void check_cyclic(std::int64_t lo, std::int64_t n, int p) {
  std::vector<int> hits(static_cast<std::size_t>(n), 0);
  std::uint64_t smallest = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t largest = 0;
  for (int r = 0; r < p; ++r) {
    const auto c = cyclic_range(lo, lo + n, r, p);
    smallest = std::min<std::uint64_t>(smallest, c.size());
    largest = std::max<std::uint64_t>(largest, c.size());
    std::uint64_t k = 0;
    for (std::int64_t i : c) {
      ASSERT_GE(i, lo);
      ASSERT_LT(i, lo + n);
      EXPECT_EQ((i - lo) % p, r);  // round-robin: index lo + k*p + r
      EXPECT_EQ(c[k], i);
      ++hits[static_cast<std::size_t>(i - lo)];
      ++k;
    }
    EXPECT_EQ(k, c.size());
  }
  for (int h : hits) EXPECT_EQ(h, 1) << "n=" << n << " p=" << p;
  EXPECT_LE(largest - smallest, 1U);
}

TEST(Partition, BlockIsDisjointCoveringAndBalancedForManySizes) {
  for (int p = 1; p <= 17; ++p)
    for (std::int64_t n = 0; n <= 70; ++n) check_block(-5, n, p);
  for (int p : {1, 2, 3, 7, 64}) check_block(1000, 100003, p);
}

TEST(Partition, CyclicIsDisjointCoveringAndBalancedForManySizes) {
  for (int p = 1; p <= 17; ++p)
    for (std::int64_t n = 0; n <= 70; ++n) check_cyclic(3, n, p);
}

TEST(Partition, FewerElementsThanRanks) {
  // n = 3 over P = 5: ranks 0..2 get one index, ranks 3..4 get none.
  for (int r = 0; r < 5; ++r) {
    const auto b = block_range<std::int64_t>(3, r, 5);
    EXPECT_EQ(b.size(), r < 3 ? 1U : 0U);
    EXPECT_EQ(cyclic_range<std::int64_t>(3, r, 5).size(), r < 3 ? 1U : 0U);
  }
  EXPECT_TRUE(block_range<std::int64_t>(0, 0, 1).empty());
  EXPECT_TRUE(cyclic_range<std::int64_t>(0, 0, 1).empty());
}

TEST(Partition, HugeBoundsDoNotOverflow) {
  const std::uint64_t two63 = std::uint64_t{1} << 63;
  const std::uint64_t umax = std::numeric_limits<std::uint64_t>::max();
  const std::int64_t smin = std::numeric_limits<std::int64_t>::min();
  const std::int64_t smax = std::numeric_limits<std::int64_t>::max();
  for (int p : {1, 2, 3, 4, 7, 1000}) {
    // [0, 2^63), [2^63 - 5, 2^64 - 1) unsigned, and nearly the whole signed line.
    for (auto [lo, hi] : {std::pair{std::uint64_t{0}, two63}, std::pair{two63 - 5, umax}}) {
      uint128_t total = 0;
      std::uint64_t expect_lo = lo;
      for (int r = 0; r < p; ++r) {
        const auto b = block_range(lo, hi, r, p);
        ASSERT_EQ(b.lo, expect_lo);
        total += b.size();
        expect_lo = b.hi;
        const auto c = cyclic_range(lo, hi, r, p);
        if (!c.empty()) {
          EXPECT_EQ(c[0], lo + static_cast<std::uint64_t>(r));
          const std::uint64_t last = c[c.size() - 1];
          EXPECT_LT(last, hi);
          EXPECT_LE(hi - last, static_cast<std::uint64_t>(p));  // the next one would be past hi
        }
      }
      EXPECT_EQ(expect_lo, hi);
      EXPECT_TRUE(total == static_cast<uint128_t>(hi - lo));
      if (hi - lo > 0) { EXPECT_EQ(block_owner(lo, hi, hi - 1, p), p - 1); }
    }
    std::int64_t expect = smin;
    uint128_t total = 0;
    uint128_t cyclic_total = 0;
    for (int r = 0; r < p; ++r) {
      const auto b = block_range(smin, smax, r, p);
      ASSERT_EQ(b.lo, expect);
      expect = b.hi;
      total += b.size();
      cyclic_total += cyclic_range(smin, smax, r, p).size();
    }
    EXPECT_EQ(expect, smax);
    EXPECT_TRUE(total == static_cast<uint128_t>(umax));
    EXPECT_TRUE(cyclic_total == static_cast<uint128_t>(umax));
  }
}

TEST(Partition, BadArgumentsAreUsageErrors) {
  EXPECT_THROW((void)block_range<std::int64_t>(10, 0, 0), multirank::UsageError);
  EXPECT_THROW((void)block_range<std::int64_t>(10, 3, 3), multirank::UsageError);
  EXPECT_THROW((void)cyclic_range<std::int64_t>(10, -1, 3), multirank::UsageError);
  EXPECT_THROW((void)block_owner<std::int64_t>(0, 10, 10, 3), multirank::UsageError);
  EXPECT_THROW((void)multirank::block_counts(10, 0), multirank::UsageError);
  const auto counts = multirank::block_counts(10, 4);
  EXPECT_EQ(counts, (std::vector<std::size_t>{3, 3, 2, 2}));
}

}  // namespace
