// submit / apply_async / run_on futures, when_all / when_any / as_completed, cancel, task errors.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "multirank/core/process_info.hpp"
#include "multirank/pool/pool.hpp"

namespace {

using multirank::Communicator;
using multirank::Future;
using multirank::Pool;
using multirank::run_pool;
using multirank::task;

int add(int a, int b) { return a + b; }
int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
int where_am_i() { return multirank::world_rank(); }
void nothing(int) {}
std::string fail_with(int code) {
  if (code >= 0) throw std::runtime_error("boom " + std::to_string(code));
  return "fine";
}
/// Blocks until the file `gate` exists (at most 20 s), so a test decides when a task may finish.
int gated(std::string gate) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(gate) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return 1;
}

/// A gate file that tasks wait for until open() creates it.
class Gate {
 public:
  Gate() : path_((std::filesystem::temp_directory_path() /
                  ("multirank_pool_gate_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++)))
                     .string()) {}
  ~Gate() { std::filesystem::remove(path_); }
  void open() const { std::ofstream(path_) << "open\n"; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

int divide(int x) {
  if (x == 13) throw std::domain_error("thirteen is unlucky");
  return 1000 / (x + 1);
}

TEST(PoolFutures, SubmitApplyAsyncAndVoidTasks) {
  const auto comm = Communicator::world();
  run_pool(comm, [&](Pool& pool) {
    auto a = pool.submit(task<add>, 2, 3);
    auto b = pool.apply_async(task<add>, 40, 2);
    auto c = pool.submit(task<nothing>, 1);
    EXPECT_EQ(a.get(), 5);
    EXPECT_EQ(a.get(), 5);  // a result can be read again
    EXPECT_EQ(b.get(), 42);
    c.get();
    EXPECT_TRUE(c.ready());
    EXPECT_FALSE(c.cancelled());
  });
}

TEST(PoolFutures, WaitForTimesOutThenSucceeds) {
  const auto comm = Communicator::world();
  run_pool(comm, [&](Pool& pool) {
    auto f = pool.submit(task<sleep_ms>, 300);
    EXPECT_FALSE(f.wait_for(std::chrono::milliseconds(20)));
    EXPECT_FALSE(f.ready());
    EXPECT_TRUE(f.wait_for(std::chrono::seconds(20)));
    EXPECT_TRUE(f.ready());
    EXPECT_EQ(f.get(), 300);
  });
}

TEST(PoolFutures, WhenAllGathersInOrderAndWhenAnyFindsTheFastOne) {
  const auto comm = Communicator::world();
  run_pool(comm, [&](Pool& pool) {
    std::vector<Future<int>> fs;
    for (int i = 0; i < 20; ++i) fs.push_back(pool.submit(task<add>, i, i));
    const auto all = multirank::when_all(fs);
    ASSERT_EQ(all.size(), 20u);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(all[static_cast<std::size_t>(i)], 2 * i);

    if (comm.size() >= 2) {
      const Gate gate;
      std::vector<Future<int>> race{pool.submit(task<gated>, gate.path()), pool.submit(task<sleep_ms>, 1)};
      EXPECT_EQ(multirank::when_any(race), 1u);
      const auto none = multirank::when_any_for(std::vector<Future<int>>{race[0]}, std::chrono::milliseconds(10));
      EXPECT_FALSE(none.has_value());
      gate.open();
      EXPECT_EQ(multirank::when_any_for(std::vector<Future<int>>{race[0]}, std::chrono::seconds(20)), 0u);
    } else {
      std::vector<Future<int>> one{pool.submit(task<sleep_ms>, 1)};
      EXPECT_EQ(multirank::when_any(one), 0u);
    }
  });
}

TEST(PoolFutures, AsCompletedYieldsEachIndexOnceFastestFirst) {
  const auto comm = Communicator::world();
  run_pool(comm, [&](Pool& pool) {
    const Gate gate;
    if (comm.size() == 1) gate.open();  // one executor runs them in order: do not hold it
    std::vector<Future<int>> fs{pool.submit(task<gated>, gate.path())};
    for (int i = 0; i < 5; ++i) fs.push_back(pool.submit(task<sleep_ms>, 1));
    std::vector<std::size_t> order;
    for (std::size_t i : multirank::as_completed(fs)) {
      order.push_back(i);
      EXPECT_TRUE(fs[i].ready());
      if (order.size() == 5) gate.open();
    }
    ASSERT_EQ(order.size(), fs.size());
    EXPECT_EQ(std::set<std::size_t>(order.begin(), order.end()).size(), fs.size());
    if (comm.size() >= 2) {
      EXPECT_EQ(order.back(), 0u) << "the gated task finishes last";
    }
  });
}

TEST(PoolFutures, CancelStopsTasksNotYetStarted) {
  const auto comm = Communicator::world();
  run_pool(comm, [&](Pool& pool) {
    const Gate gate;
    std::vector<Future<int>> blockers;
    for (int i = 0; i < 3 * comm.size(); ++i) blockers.push_back(pool.submit(task<gated>, gate.path()));
    auto victim = pool.submit(task<sleep_ms>, 1);
    auto survivor = pool.submit(task<sleep_ms>, 2);
    EXPECT_TRUE(victim.cancel());
    EXPECT_TRUE(victim.cancelled());
    EXPECT_TRUE(victim.ready());
    EXPECT_FALSE(survivor.ready());
    gate.open();
    EXPECT_THROW(victim.get(), multirank::CancelledError);
    EXPECT_EQ(survivor.get(), 2);
    EXPECT_FALSE(survivor.cancel()) << "a finished task cannot be cancelled";
    for (auto& b : blockers) EXPECT_EQ(b.get(), 1);
  });
}

TEST(PoolFutures, RunOnRunsOnTheChosenRank) {
  const auto comm = Communicator::world();
  run_pool(comm, [&](Pool& pool) {
    std::vector<Future<int>> fs;
    for (int r = 0; r < pool.size(); ++r) fs.push_back(pool.run_on(r, task<where_am_i>));
    for (int r = 0; r < pool.size(); ++r) {
      fs[static_cast<std::size_t>(r)].wait();  // join()
      EXPECT_EQ(fs[static_cast<std::size_t>(r)].get(), r);
    }
    EXPECT_THROW(pool.run_on(pool.size(), task<where_am_i>), multirank::UsageError);
  });
}

TEST(PoolFutures, AFailingTaskNamesInputRankHostAndMessageAndTheWorkerSurvives) {
  const auto comm = Communicator::world();
  run_pool(comm, [&](Pool& pool) {
    for (int r = 0; r < pool.size(); ++r) {
      auto f = pool.run_on(r, task<fail_with>, 40 + r);
      try {
        (void)f.get();
        ADD_FAILURE() << "expected a TaskError";
      } catch (const multirank::TaskError& e) {
        const std::string what = e.what();
        EXPECT_EQ(e.rank(), r);
        EXPECT_EQ(e.input_index(), 0u);
        EXPECT_EQ(e.host(), multirank::host_name());
        EXPECT_EQ(e.original_message(), "boom " + std::to_string(40 + r));
        EXPECT_NE(what.find("rank " + std::to_string(r)), std::string::npos) << what;
        EXPECT_NE(what.find(multirank::host_name()), std::string::npos) << what;
        EXPECT_NE(what.find("boom " + std::to_string(40 + r)), std::string::npos) << what;
        EXPECT_NE(what.find("fail_with"), std::string::npos) << what;
      }
      EXPECT_EQ(pool.run_on(r, task<fail_with>, -1).get(), "fine") << "rank " << r << " must keep serving";
    }
    std::vector<int> inputs(100);
    for (int i = 0; i < 100; ++i) inputs[static_cast<std::size_t>(i)] = i;
    try {
      (void)pool.map(task<divide>, inputs, 4);
      ADD_FAILURE() << "expected a TaskError";
    } catch (const multirank::TaskError& e) {
      EXPECT_EQ(e.input_index(), 13u);
      EXPECT_NE(std::string(e.what()).find("input 13"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("thirteen is unlucky"), std::string::npos) << e.what();
    }
    inputs[13] = 12;
    const auto ok = pool.map(task<divide>, inputs, 4);
    EXPECT_EQ(ok[13], 1000 / 13);
    EXPECT_EQ(ok[99], 10);
  });
}

}  // namespace
