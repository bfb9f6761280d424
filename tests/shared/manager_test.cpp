#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "multirank/core/communicator.hpp"
#include "multirank/shared/manager.hpp"

using multirank::Communicator;

namespace {

TEST(Manager, SetGetEraseAndTypes) {
  const auto comm = Communicator::world();
  multirank::Manager m(comm, comm.size() - 1);
  EXPECT_EQ(m.host(), comm.size() - 1);
  if (comm.rank() == 0) {
    m.set("name", std::string("corrida"));
    m.set("pi", 3.25);
    m.set("tags", std::vector<std::string>{"a", "b"});
  }
  comm.barrier();
  EXPECT_EQ(m.get<std::string>("name").value_or(""), "corrida");
  EXPECT_EQ(m.get<double>("pi").value_or(0), 3.25);
  EXPECT_EQ(m.get<std::vector<std::string>>("tags").value_or(std::vector<std::string>{}),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(m.get<int>("missing").has_value());
  EXPECT_EQ(m.get_or<int>("missing", 9), 9);
  EXPECT_THROW((void)m.get<int>("pi"), multirank::UsageError);  // stored as double
  try {
    (void)m.get<std::vector<int>>("tags");
    ADD_FAILURE() << "read as another type";
  } catch (const multirank::UsageError& e) {
    // The entry's type is its stable name, the same from every compiler (not typeid's).
    EXPECT_NE(std::string(e.what()).find("holds a std::vector<std::string>, not a std::vector<int>"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(m.contains("pi"));
  EXPECT_EQ(m.size(), 3U);
  EXPECT_EQ(m.keys(), (std::vector<std::string>{"name", "pi", "tags"}));
  comm.barrier();
  if (comm.rank() == 0) { EXPECT_TRUE(m.erase("pi")); }
  comm.barrier();
  EXPECT_FALSE(m.contains("pi"));
  EXPECT_FALSE(m.erase("pi"));
  comm.barrier();
}

TEST(Manager, ConcurrentUpdatesAndAppendsAreConsistent) {
  const auto comm = Communicator::world();
  const int p = comm.size();
  constexpr int n = 300;
  multirank::Manager m(comm);
  for (int i = 0; i < n; ++i) {
    // A shared total, a per-rank key, and one list item per step, all at once from every rank.
    m.update<std::int64_t>("total", [](std::int64_t v) { return v + 1; });
    m.update<std::int64_t>("rank" + std::to_string(comm.rank()), [i](std::int64_t v) { return v + i; });
    m.append(std::make_pair(comm.rank(), i));
  }
  comm.barrier();
  EXPECT_EQ(m.get<std::int64_t>("total").value_or(-1), std::int64_t{n} * p);
  const auto items = m.items<std::int64_t>();
  ASSERT_EQ(items.size(), static_cast<std::size_t>(p + 1));
  for (int r = 0; r < p; ++r) EXPECT_EQ(items.at("rank" + std::to_string(r)), std::int64_t{n} * (n - 1) / 2);
  auto list = m.list<std::pair<int, int>>();
  ASSERT_EQ(list.size(), static_cast<std::size_t>(n) * static_cast<std::size_t>(p));
  EXPECT_EQ(m.list_size(), list.size());
  // Each rank's items appear in its own order, and every (rank, i) exactly once.
  std::vector<int> next(static_cast<std::size_t>(p), 0);
  for (const auto& [r, i] : list) {
    ASSERT_GE(r, 0);
    ASSERT_LT(r, p);
    EXPECT_EQ(i, next[static_cast<std::size_t>(r)]++);
  }
  for (int c : next) EXPECT_EQ(c, n);
  m.close();
  EXPECT_THROW((void)m.size(), multirank::UsageError);
}

TEST(Manager, ManyManagersOpenAndCloseCleanly) {
  const auto comm = Communicator::world();
  for (int k = 0; k < 20; ++k) {
    multirank::Manager m(comm, k % comm.size());
    m.append(k);
    const int mine = m.update<int>("k", [](int v) { return v + 1; });
    EXPECT_GE(mine, 1);
    EXPECT_LE(mine, comm.size());
    comm.barrier();
    EXPECT_EQ(m.get<int>("k").value_or(-1), comm.size());
    EXPECT_EQ(m.list<int>(), std::vector<int>(static_cast<std::size_t>(comm.size()), k));
  }  // the destructor closes collectively: no hang, no lost request
}

}  // namespace

namespace {

TEST(Manager, RanksThatNameDifferentHostsAllGetAUsageError) {
  const auto comm = Communicator::world();
  if (comm.size() < 2) GTEST_SKIP() << "needs two ranks to disagree";
  // Rank 0 names a host out of range: it would refuse alone, and the others wait for it.
  EXPECT_THROW(multirank::Manager(comm, comm.rank() == 0 ? comm.size() : 0), multirank::UsageError);
  EXPECT_THROW(multirank::Manager(comm, comm.rank() == 0 ? 1 : 0), multirank::UsageError);
  multirank::Manager m(comm, 1);
  m.append(comm.rank());
  comm.barrier();
  EXPECT_EQ(m.list_size(), static_cast<std::size_t>(comm.size()));
}

}  // namespace
