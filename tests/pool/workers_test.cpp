// PoolOptions::workers_per_rank: K tasks at once on every executing rank (rank 0 included), never
// more; maps, streams and futures give the same results as with one worker; a body that throws
// still ends the pool everywhere; a bad value is refused.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "multirank/collective/broadcast.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/pool/pool.hpp"

namespace {

using multirank::Communicator;
using multirank::Pool;
using multirank::PoolOptions;
using multirank::run_pool;
using multirank::task;

std::atomic<int> g_running{0};

/// Sleeps `ms` and returns {this rank, how many tasks ran in this process while it started}.
std::tuple<int, int> probe(int ms) {
  const int now = ++g_running;
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  const int later = g_running.load();
  --g_running;
  return {multirank::world_rank(), std::max(now, later)};
}

/// Marks its arrival in `dir`, then waits (at most 10 s) until `expected` tasks have arrived
/// there: true only if that many tasks of the pool ran at the same time.
bool rendezvous(std::tuple<std::string, int> args) {
  const auto& [dir, expected] = args;
  const int me = ++g_running;
  std::ofstream(dir + "/" + std::to_string(::getpid()) + "-" + std::to_string(me) + "-" +
                std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool all = false;
  while (!all && std::chrono::steady_clock::now() < give_up) {
    std::error_code ec;
    int n = 0;
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec))
      ++n;
    all = n >= expected;
    if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  --g_running;
  return all;
}

long twice(long x) { return 2 * x; }

std::vector<long> iota(long n) {
  std::vector<long> v(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

PoolOptions with_workers(int k) {
  PoolOptions o;
  o.workers_per_rank = k;
  return o;
}

TEST(PoolWorkers, EveryRankRunsKTasksAtOnceAndNeverMore) {
  const auto comm = Communicator::world();
  for (const int k : {2, 3}) {
    std::map<int, int> peak;
    int workers = 0;
    run_pool(comm, [&](Pool& pool) {
      workers = pool.workers();
      const auto out = pool.map(task<probe>, std::vector<int>(static_cast<std::size_t>(4 * k * pool.size()), 80), 1);
      for (const auto& [rank, running] : out) peak[rank] = std::max(peak[rank], running);
    }, with_workers(k));
    if (comm.rank() != 0) continue;
    EXPECT_EQ(workers, k * comm.size());
    ASSERT_EQ(static_cast<int>(peak.size()), comm.size()) << "every rank ran tasks, k = " << k;
    for (const auto& [rank, most] : peak) EXPECT_EQ(most, k) << "rank " << rank << ", k = " << k;
  }
}

TEST(PoolWorkers, AllWorkersOfAllRanksRunAtTheSameTime) {
  const auto comm = Communicator::world();
  const int k = 2;
  std::string dir;
  if (comm.rank() == 0) {
    dir = (std::filesystem::temp_directory_path() / ("multirank_workers_" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(dir);
  }
  run_pool(comm, [&](Pool& pool) {
    const int all = pool.workers();
    std::vector<multirank::Future<bool>> fs;
    for (int i = 0; i < all; ++i) fs.push_back(pool.submit(task<rendezvous>, std::tuple<std::string, int>{dir, all}));
    for (std::size_t i = 0; i < fs.size(); ++i) EXPECT_TRUE(fs[i].get()) << "task " << i << " of " << all;
  }, with_workers(k));
  if (comm.rank() == 0) std::filesystem::remove_all(dir);
}

TEST(PoolWorkers, MapsAndStreamsGiveTheOneWorkerResults) {
  const auto comm = Communicator::world();
  run_pool(comm, [&](Pool& pool) {
    const auto xs = iota(20000);
    const auto auto_chunks = pool.map(task<twice>, xs);
    const auto ones = pool.map(task<twice>, iota(500), 1);
    ASSERT_EQ(auto_chunks.size(), xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) ASSERT_EQ(auto_chunks[i], 2 * xs[i]);
    for (std::size_t i = 0; i < ones.size(); ++i) ASSERT_EQ(ones[i], 2 * static_cast<long>(i));
    std::set<std::uint64_t> seen;
    long sum = 0;
    const auto streamed = iota(3000);
    for (auto [index, value] : pool.imap_unordered(task<twice>, streamed, 7)) {
      EXPECT_TRUE(seen.insert(index).second);
      sum += value;
    }
    EXPECT_EQ(seen.size(), 3000u);
    EXPECT_EQ(sum, 2 * (2999L * 3000L / 2));
    std::uint64_t tasks = 0;
    for (auto n : pool.stats().tasks_per_rank) tasks += n;
    EXPECT_EQ(tasks, 20000u + 500u + 3000u);
  }, with_workers(3));
}

TEST(PoolWorkers, ABodyThatThrowsEndsThePoolOnEveryRank) {
  const auto comm = Communicator::world();
  bool thrown = false;
  try {
    run_pool(comm, [&](Pool& pool) {
      for (int i = 0; i < 40; ++i) pool.submit(task<probe>, 20);
      throw std::runtime_error("body gives up");
    }, with_workers(2));
  } catch (const std::runtime_error& e) {
    thrown = std::string(e.what()) == "body gives up";
  }
  EXPECT_EQ(thrown, comm.rank() == 0);
  EXPECT_EQ(g_running.load(), 0);
}

TEST(PoolWorkers, ZeroWorkersIsRefusedOnEveryRank) {
  const auto comm = Communicator::world();
  EXPECT_THROW(run_pool(comm, [](Pool&) {}, with_workers(0)), multirank::UsageError);
}

}  // namespace
