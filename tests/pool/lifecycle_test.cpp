// Pool lifetime: one-rank pools, pools one after another, close/join/terminate, a throwing body,
// rank 0 not working, and idle ranks that do not spin.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cpu_seconds.hpp"
#include "multirank/pool/pool.hpp"

namespace {

using multirank::Communicator;
using multirank::Future;
using multirank::Pool;
using multirank::run_pool;
using multirank::task;
using multirank::testing::cpu_seconds;

int twice(int x) { return 2 * x; }
int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}

std::vector<int> inputs(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}

TEST(PoolLifecycle, OneRankPoolWorksAlone) {
  const auto world = Communicator::world();
  const auto alone = world.split(world.rank(), 0);  // every rank its own pool, all at once
  ASSERT_EQ(alone.size(), 1);
  std::vector<int> got;
  multirank::PoolStats stats;
  run_pool(alone, [&](Pool& pool) {
    EXPECT_EQ(pool.size(), 1);
    EXPECT_EQ(pool.executors(), 1);
    got = pool.map(task<twice>, inputs(1000), 10);
    EXPECT_EQ(pool.submit(task<twice>, 21).get(), 42);
    stats = pool.stats();
  });
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], 2 * i);
  EXPECT_EQ(stats.tasks_per_rank, std::vector<std::uint64_t>{1001});
}

TEST(PoolLifecycle, PoolsRunOneAfterAnotherOnTheSameCommunicator) {
  const auto comm = Communicator::world();
  for (int round = 0; round < 3; ++round) {
    std::vector<int> got;
    run_pool(comm, [&](Pool& pool) { got = pool.map(task<twice>, inputs(500 + round), 1); });
    if (comm.rank() == 0) {
      ASSERT_EQ(got.size(), static_cast<std::size_t>(500 + round));
      EXPECT_EQ(got.back(), 2 * (499 + round));
    }
  }
  // the caller's own traffic on the communicator is untouched by the pools
  if (comm.size() > 1) {
    if (comm.rank() == 0) comm.send(1, multirank::Tag{5}, 123);
    if (comm.rank() == 1) {
      EXPECT_EQ(comm.recv<int>(0, multirank::Tag{5}), 123);
    }
  }
}

TEST(PoolLifecycle, CloseJoinAndMisuse) {
  const auto comm = Communicator::world();
  run_pool(comm, [&](Pool& pool) {
    EXPECT_THROW(pool.join(), multirank::UsageError) << "join needs close first, as in Python";
    auto f = pool.submit(task<sleep_ms>, 30);
    pool.close();
    EXPECT_THROW((void)pool.submit(task<twice>, 1), multirank::UsageError);
    EXPECT_THROW((void)pool.map(task<twice>, inputs(3)), multirank::UsageError);
    pool.join();
    EXPECT_TRUE(f.ready()) << "join waits for submitted work";
    EXPECT_EQ(f.get(), 30);
  });
  run_pool(comm, [&](Pool& pool) { EXPECT_THROW((void)pool.map(task<twice>, inputs(3), 0), multirank::UsageError); });
}

TEST(PoolLifecycle, TerminateCancelsWhatIsNotFinished) {
  const auto comm = Communicator::world();
  const auto t0 = std::chrono::steady_clock::now();
  run_pool(comm, [&](Pool& pool) {
    std::vector<Future<int>> fs;
    for (int i = 0; i < 40; ++i) fs.push_back(pool.submit(task<sleep_ms>, 50));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pool.terminate();
    int cancelled = 0;
    for (auto& f : fs) {
      try {
        EXPECT_EQ(f.get(), 50);
      } catch (const multirank::CancelledError&) {
        ++cancelled;
      }
    }
    EXPECT_GE(cancelled, 40 - 2 * comm.size());
    EXPECT_THROW((void)pool.submit(task<twice>, 1), multirank::UsageError);
    pool.join();
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(seconds, 1.5) << "40 x 50 ms of work must not all run after terminate";
}

TEST(PoolLifecycle, ABodyThatThrowsReleasesEveryRankAndPropagatesOnRankZero) {
  const auto comm = Communicator::world();
  bool threw = false;
  try {
    run_pool(comm, [&](Pool& pool) {
      for (int i = 0; i < 10; ++i) (void)pool.submit(task<sleep_ms>, 30);
      throw std::runtime_error("body gave up");
    });
  } catch (const std::runtime_error& e) {
    threw = true;
    EXPECT_STREQ(e.what(), "body gave up");
  }
  EXPECT_EQ(threw, comm.rank() == 0);
  std::vector<int> got;
  run_pool(comm, [&](Pool& pool) { got = pool.map(task<twice>, inputs(10)); });
  if (comm.rank() == 0) {
    EXPECT_EQ(got[9], 18) << "a pool after a failed one works";
  }
}

TEST(PoolLifecycle, CoordinatorCanStayOutOfTheWork) {
  const auto comm = Communicator::world();
  if (comm.size() < 2) GTEST_SKIP() << "needs a worker rank";
  multirank::PoolOptions options;
  options.coordinator_works = false;
  multirank::PoolStats stats;
  std::vector<int> got;
  run_pool(
      comm,
      [&](Pool& pool) {
        EXPECT_EQ(pool.executors(), comm.size() - 1);
        got = pool.map(task<twice>, inputs(300), 1);
        EXPECT_THROW((void)pool.run_on(0, task<twice>, 1), multirank::UsageError);
        stats = pool.stats();
      },
      options);
  if (comm.rank() != 0) return;
  EXPECT_EQ(got[299], 598);
  EXPECT_EQ(stats.tasks_per_rank[0], 0u);
}

TEST(PoolLifecycle, IdleRanksDoNotSpin) {
  const auto comm = Communicator::world();
  const double before = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  run_pool(comm, [&](Pool&) { std::this_thread::sleep_for(std::chrono::milliseconds(500)); });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double used = cpu_seconds() - before;
  EXPECT_GE(wall, 0.5);
  EXPECT_LT(used, 0.15 * wall) << "rank " << comm.rank() << " used " << used << " s of CPU in " << wall
                               << " s while idle (a spinning thread would use ~1 s/s)";
}

}  // namespace

namespace {

TEST(PoolLifecycle, RanksWithDifferentOptionsAllGetAUsageError) {
  const auto comm = Communicator::world();
  if (comm.size() < 2) GTEST_SKIP() << "needs two ranks to disagree";
  multirank::PoolOptions options;
  options.records = comm.rank() != 1;
  bool body_ran = false;
  EXPECT_THROW(run_pool(comm, [&](Pool&) { body_ran = true; }, options), multirank::UsageError);
  EXPECT_FALSE(body_ran);
  // Refused ones included: rank 0's clock_rounds of 0 is refused on every rank, not on rank 0 alone.
  options = {};
  options.clock_rounds = comm.rank() == 0 ? 0 : 8;
  EXPECT_THROW(run_pool(comm, [](Pool&) {}, options), multirank::UsageError);
  std::vector<int> got;
  run_pool(comm, [&](Pool& pool) { got = pool.map(task<twice>, inputs(50)); });
  if (comm.rank() == 0) {
    EXPECT_EQ(got.at(49), 98);
  }
}

}  // namespace
