// Pool::map and starmap give what a sequential loop gives, at every size and rank count.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "multirank/pool/pool.hpp"

namespace {

std::int64_t square(std::int64_t x) { return x * x; }
std::string shout(const std::string& s) { return s + "!"; }
double weighted(int a, double w, std::string label) { return a * w + static_cast<double>(label.size()); }
std::vector<int> spread(int n) { return std::vector<int>(static_cast<std::size_t>(n % 7), n); }
bool is_odd(int x) { return x % 2 != 0; }

const multirank::Task<square> square_named{"pool_test.square"};

using multirank::Communicator;
using multirank::Pool;
using multirank::run_pool;
using multirank::task;

std::vector<std::int64_t> iota_inputs(std::size_t n) {
  std::vector<std::int64_t> v(n);
  std::iota(v.begin(), v.end(), -3);
  return v;
}

template <class F, class T>
auto sequential(F f, const std::vector<T>& in) {
  std::vector<decltype(f(in[0]))> out;
  for (const auto& x : in) out.push_back(f(x));
  return out;
}

TEST(PoolMap, EqualsSequentialLoopAtEverySize) {
  const auto comm = Communicator::world();
  const std::size_t p = static_cast<std::size_t>(comm.size());
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, p - 1 == 0 ? std::size_t{2} : p - 1, std::size_t{100000}}) {
    const auto inputs = iota_inputs(n);
    const auto expected = sequential(square, inputs);
    for (multirank::Chunksize cs : {multirank::Chunksize(1), multirank::Chunksize(7), multirank::auto_chunksize}) {
      if (n == 100000 && !cs.is_auto() && cs.fixed() == 1 && comm.size() > 2) continue;  // keep oversubscribed runs short
      std::vector<std::int64_t> got;
      run_pool(comm, [&](Pool& pool) { got = pool.map(task<square>, inputs, cs); });
      if (comm.rank() == 0) {
        EXPECT_EQ(got, expected) << "n=" << n << " chunksize=" << (cs.is_auto() ? 0 : cs.fixed());
      }
    }
  }
}

TEST(PoolMap, EveryRankTakesPartAndRecordsDescribeEachInput) {
  const auto comm = Communicator::world();
  multirank::PoolStats stats;
  std::vector<multirank::TaskRecord> records;
  const auto inputs = iota_inputs(20000);
  run_pool(comm, [&](Pool& pool) {
    (void)pool.map(square_named, inputs, 1);
    stats = pool.stats();
    records = pool.records();
  });
  if (comm.rank() != 0) return;
  ASSERT_EQ(stats.tasks_per_rank.size(), static_cast<std::size_t>(comm.size()));
  EXPECT_EQ(std::accumulate(stats.tasks_per_rank.begin(), stats.tasks_per_rank.end(), std::uint64_t{0}), 20000u);
  for (int r = 0; r < comm.size(); ++r)
    EXPECT_GT(stats.tasks_per_rank[static_cast<std::size_t>(r)], 0u) << "rank " << r << " did no work";
  EXPECT_GT(stats.chunks_per_rank[0], 0u) << "rank 0 must compute too";
  ASSERT_EQ(records.size(), 20000u);
  std::set<std::int64_t> ids;
  std::set<int> ranks;
  for (const auto& r : records) {
    ids.insert(r.task_id);
    ranks.insert(r.rank);
    EXPECT_LE(r.queued, r.start + 1e-3);
    EXPECT_LE(r.start, r.end);
    EXPECT_EQ(r.bytes_in, sizeof(std::int64_t));
    EXPECT_FALSE(r.host.empty());
    EXPECT_GT(r.pid, 0);
  }
  EXPECT_EQ(ids.size(), 20000u);
  EXPECT_EQ(*ids.begin(), 0);
  EXPECT_EQ(*ids.rbegin(), 19999);
  // The records say the same: every rank ran inputs, and no other rank did.
  std::set<int> every;
  for (int r = 0; r < comm.size(); ++r) every.insert(r);
  EXPECT_EQ(ranks, every);
  std::vector<std::uint64_t> per_rank(static_cast<std::size_t>(comm.size()), 0);
  for (const auto& r : records) ++per_rank[static_cast<std::size_t>(r.rank)];
  EXPECT_EQ(per_rank, stats.tasks_per_rank) << "records and stats disagree about who ran what";
}

TEST(PoolMap, SerializedAndContiguousTypesRoundTrip) {
  const auto comm = Communicator::world();
  std::vector<std::string> words;
  for (int i = 0; i < 500; ++i) words.push_back(std::string(static_cast<std::size_t>(i % 13), static_cast<char>('a' + i % 26)) + "ñ");
  std::vector<int> ns(300);
  std::iota(ns.begin(), ns.end(), 0);
  std::vector<std::string> got_words;
  std::vector<std::vector<int>> got_spread;
  std::vector<bool> got_odd;
  run_pool(comm, [&](Pool& pool) {
    got_words = pool.map(task<shout>, words, 3);
    got_spread = pool.map(task<spread>, ns);
    got_odd = pool.map(task<is_odd>, ns, 5);
  });
  if (comm.rank() != 0) return;
  ASSERT_EQ(got_words.size(), words.size());
  for (std::size_t i = 0; i < words.size(); ++i) EXPECT_EQ(got_words[i], words[i] + "!");
  EXPECT_EQ(got_spread, sequential(spread, ns));
  ASSERT_EQ(got_odd.size(), ns.size());
  for (std::size_t i = 0; i < ns.size(); ++i) EXPECT_EQ(got_odd[i], ns[i] % 2 != 0);
}

TEST(PoolMap, StarmapUnpacksTuples) {
  const auto comm = Communicator::world();
  std::vector<std::tuple<int, double, std::string>> args;
  for (int i = 0; i < 257; ++i) args.emplace_back(i, 0.5 * i, std::string(static_cast<std::size_t>(i % 5), 'x'));
  std::vector<double> got;
  run_pool(comm, [&](Pool& pool) { got = pool.starmap(task<weighted>, args, 4); });
  if (comm.rank() != 0) return;
  ASSERT_EQ(got.size(), args.size());
  for (std::size_t i = 0; i < args.size(); ++i)
    EXPECT_DOUBLE_EQ(got[i], std::apply(weighted, args[i])) << "input " << i;
}

TEST(PoolMap, TaskNamesComeFromTheFunctionOrTheRegistration) {
  EXPECT_EQ(task<square>.name(), "{anonymous}::square(long)");
  EXPECT_EQ(square_named.name(), "pool_test.square");
  EXPECT_NE(task<square>.key(), square_named.key());
  EXPECT_EQ(task<square>.key(), multirank::task_key("{anonymous}::square(long)"));
  EXPECT_THROW(multirank::Task<shout>{"pool_test.square"}, multirank::UsageError);
}

}  // namespace
