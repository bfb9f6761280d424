#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "multirank/collective/collective.hpp"
#include "multirank/core/communicator.hpp"

using multirank::Communicator;

namespace {

TEST(Broadcast, RawContiguousAndSerializedValues) {
  const auto comm = Communicator::world();
  for (int root = 0; root < comm.size(); ++root) {
    std::int64_t x = comm.rank() == root ? 4242 + root : -1;
    multirank::broadcast(comm, x, root);
    EXPECT_EQ(x, 4242 + root);
    std::vector<double> v;
    if (comm.rank() == root) v = {1.5, 2.5, double(root)};
    multirank::broadcast(comm, v, root);
    EXPECT_EQ(v, (std::vector<double>{1.5, 2.5, double(root)}));
    std::map<std::string, int> m;
    if (comm.rank() == root) m = {{"año", 1}, {"root", root}};
    multirank::broadcast(comm, m, root);
    EXPECT_EQ(m, (std::map<std::string, int>{{"año", 1}, {"root", root}}));
  }
}

TEST(Gather, ValuesArriveInRankOrder) {
  const auto comm = Communicator::world();
  const int p = comm.size();
  const int root = p - 1;
  const auto g = multirank::gather(comm, comm.rank() * 10, root);
  if (comm.rank() == root) {
    ASSERT_EQ(g.size(), static_cast<std::size_t>(p));
    for (int r = 0; r < p; ++r) EXPECT_EQ(g[static_cast<std::size_t>(r)], r * 10);
  } else {
    EXPECT_TRUE(g.empty());
  }
  const auto names = multirank::gather(comm, "rank-" + std::to_string(comm.rank()), 0);
  if (comm.rank() == 0) {
    for (int r = 0; r < p; ++r) EXPECT_EQ(names[static_cast<std::size_t>(r)], "rank-" + std::to_string(r));
  }
  const auto all = multirank::allgather(comm, std::vector<int>(static_cast<std::size_t>(comm.rank()), comm.rank()));
  ASSERT_EQ(all.size(), static_cast<std::size_t>(p));
  for (int r = 0; r < p; ++r) EXPECT_EQ(all[static_cast<std::size_t>(r)], std::vector<int>(static_cast<std::size_t>(r), r));
}

TEST(Gather, GathervConcatenatesUnequalPieces) {
  const auto comm = Communicator::world();
  // Rank r sends r + 1 copies of r (rank 0 sends one, so lengths differ everywhere).
  std::vector<std::int64_t> mine(static_cast<std::size_t>(comm.rank() + 1), comm.rank());
  std::vector<std::int64_t> expect;
  std::vector<std::string> expect_s;
  for (int r = 0; r < comm.size(); ++r) {
    expect.insert(expect.end(), static_cast<std::size_t>(r + 1), r);
    if (r % 2 == 0) expect_s.push_back(std::string(static_cast<std::size_t>(r), 'x') + "!");
  }
  const auto got = multirank::gatherv(comm, mine, 0);
  if (comm.rank() == 0) { EXPECT_EQ(got, expect); }
  std::vector<std::string> strs;
  if (comm.rank() % 2 == 0) strs.push_back(std::string(static_cast<std::size_t>(comm.rank()), 'x') + "!");
  const auto got_s = multirank::gatherv(comm, strs, comm.size() - 1);
  if (comm.rank() == comm.size() - 1) { EXPECT_EQ(got_s, expect_s); }
}

TEST(Scatter, EachRankGetsItsOwnPiece) {
  const auto comm = Communicator::world();
  const int p = comm.size();
  std::vector<double> values;
  std::vector<std::string> words;
  if (comm.rank() == 0) {
    for (int r = 0; r < p; ++r) {
      values.push_back(r * 1.25);
      words.push_back("palabra " + std::to_string(r));
    }
  }
  EXPECT_EQ(multirank::scatter(comm, values, 0), comm.rank() * 1.25);
  EXPECT_EQ(multirank::scatter(comm, words, 0), "palabra " + std::to_string(comm.rank()));
  if (comm.rank() == 0) {
    std::vector<double> wrong(static_cast<std::size_t>(p + 1));
    EXPECT_THROW((void)multirank::scatter(comm, wrong, 0), multirank::UsageError);
  }
}

TEST(Scatter, ScattervAndBlocksCoverTheDataExactlyOnce) {
  const auto comm = Communicator::world();
  const int p = comm.size();
  for (std::size_t n : {0UL, 1UL, 2UL, 5UL, 1001UL}) {
    std::vector<std::int64_t> data;
    if (comm.rank() == 0) {
      data.resize(n);
      std::iota(data.begin(), data.end(), 100);
    }
    const auto mine = multirank::scatter_block(comm, data, 0);
    const auto b = multirank::block_range<std::int64_t>(static_cast<std::int64_t>(n), comm.rank(), p);
    ASSERT_EQ(mine.size(), b.size()) << "n=" << n;
    for (std::size_t k = 0; k < mine.size(); ++k) EXPECT_EQ(mine[k], 100 + b.lo + static_cast<std::int64_t>(k));
    // Put back together in rank order: the original data.
    const auto back = multirank::gatherv(comm, mine, 0);
    if (comm.rank() == 0) { EXPECT_EQ(back, data); }
  }
  // Uneven explicit counts with serialized items, root = last rank: rank r gets r items.
  std::vector<std::string> words;
  std::vector<std::size_t> counts;
  if (comm.rank() == p - 1)
    for (int r = 0; r < p; ++r) {
      counts.push_back(static_cast<std::size_t>(r));
      for (int k = 0; k < r; ++k) words.push_back(std::to_string(r) + "." + std::to_string(k));
    }
  const auto mine = multirank::scatterv(comm, words, counts, p - 1);
  ASSERT_EQ(mine.size(), static_cast<std::size_t>(comm.rank()));
  for (int k = 0; k < comm.rank(); ++k)
    EXPECT_EQ(mine[static_cast<std::size_t>(k)], std::to_string(comm.rank()) + "." + std::to_string(k));
}

}  // namespace
