// imap (ordered, lazy, bounded) and imap_unordered (completion order with input indices).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <cstdint>
#include <optional>
#include <ranges>
#include <set>
#include <thread>
#include <vector>

#include "counting_range.hpp"
#include "multirank/pool/pool.hpp"

namespace {

using multirank::Communicator;
using multirank::Pool;
using multirank::run_pool;
using multirank::task;
using multirank::testing::CountingRange;

std::int64_t cube(std::int64_t x) { return x * x * x; }
int slow_identity(int x) {
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return x;
}
/// Input 0 waits until the file named in it exists (at most 20 s); the others return at once.
int zero_waits_for_gate(std::pair<int, std::string> in) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (in.first == 0 && !std::filesystem::exists(in.second) && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return in.first;
}
int fails_on_five(int x) {
  if (x == 5) throw std::runtime_error("five is not allowed");
  return -x;
}

TEST(PoolStreams, ImapEqualsSequentialLoopInInputOrder) {
  const auto comm = Communicator::world();
  const auto p = static_cast<std::int64_t>(comm.size());
  for (std::int64_t n : {std::int64_t{0}, std::int64_t{1}, p == 1 ? std::int64_t{2} : p - 1, std::int64_t{100000}}) {
    for (multirank::Chunksize cs : {multirank::auto_chunksize, multirank::Chunksize(3)}) {
      std::vector<std::int64_t> got;
      run_pool(comm, [&](Pool& pool) {
        for (auto r : pool.imap(task<cube>, CountingRange<std::int64_t>(0, n), cs)) got.push_back(r);
      });
      if (comm.rank() != 0) continue;
      ASSERT_EQ(got.size(), static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)], i * i * i) << "n=" << n;
    }
  }
}

TEST(PoolStreams, ImapReadsItsInputLazilyWithinTheWindow) {
  const auto comm = Communicator::world();
  constexpr int n = 400;
  int reads = 0;
  int reads_before_first = -1;
  int returned = 0;
  std::uint64_t reported = 0;
  run_pool(comm, [&](Pool& pool) {
    const CountingRange<int> counted(0, n, &reads);
    auto results = pool.imap(task<slow_identity>, counted, multirank::StreamOptions{1, 8});
    while (auto r = results.next()) {
      if (returned == 0) reads_before_first = reads;
      EXPECT_EQ(*r, returned);
      ++returned;
      EXPECT_LE(reads - returned, 8) << "more inputs read than the window allows";
    }
    reported = results.inputs_read();
  });
  if (comm.rank() != 0) return;
  EXPECT_GE(reads_before_first, 1);
  EXPECT_LE(reads_before_first, 8);
  EXPECT_EQ(returned, n);
  EXPECT_EQ(reads, n);
  EXPECT_EQ(reported, static_cast<std::uint64_t>(n));
}

TEST(PoolStreams, DefaultWindowIsBoundedToo) {
  const auto comm = Communicator::world();
  int reads = 0;
  int reads_before_first = -1;
  run_pool(comm, [&](Pool& pool) {
    const CountingRange<int> counted(0, 100000, &reads);
    auto results = pool.imap(task<slow_identity>, counted);
    (void)results.next();
    reads_before_first = reads;
    // dropping the stream here abandons the rest: the pool must still end promptly
  });
  if (comm.rank() != 0) return;
  EXPECT_LE(reads_before_first, 64 * comm.size());
}

TEST(PoolStreams, UnorderedGivesEveryIndexOnceInCompletionOrder) {
  const auto comm = Communicator::world();
  const std::string gate = (std::filesystem::temp_directory_path() /
                            ("multirank_pool_stream_gate_" + std::to_string(::getpid()))).string();
  std::vector<std::pair<int, std::string>> inputs;
  for (int i = 0; i < 12; ++i) inputs.emplace_back(i, gate);
  if (comm.size() == 1) std::ofstream(gate) << "open\n";  // a single executor runs input 0 first
  std::vector<std::uint64_t> order;
  std::vector<int> values;
  run_pool(comm, [&](Pool& pool) {
    for (auto [index, value] : pool.imap_unordered(task<zero_waits_for_gate>, inputs, 1)) {
      order.push_back(index);
      values.push_back(value);
      if (order.size() == 1) std::ofstream(gate) << "open\n";
    }
  });
  std::filesystem::remove(gate);
  if (comm.rank() != 0) return;
  ASSERT_EQ(order.size(), 12u);
  std::set<std::uint64_t> seen(order.begin(), order.end());
  EXPECT_EQ(seen.size(), 12u);
  for (std::size_t k = 0; k < order.size(); ++k) EXPECT_EQ(values[k], static_cast<int>(order[k]));
  if (comm.size() >= 2) {
    EXPECT_NE(order.front(), 0u) << "input 0 is held back, so another result must come first";
  }
}

TEST(PoolStreams, AFailedInputThrowsAtItsTurnAndTheStreamGoesOn) {
  const auto comm = Communicator::world();
  std::vector<int> got;
  std::string message;
  std::uint64_t failed_index = 0;
  run_pool(comm, [&](Pool& pool) {
    auto results = pool.imap(task<fails_on_five>, CountingRange<int>(0, 10), 2);
    for (;;) {
      try {
        auto r = results.next();
        if (!r) break;
        got.push_back(*r);
      } catch (const multirank::TaskError& e) {
        message = e.what();
        failed_index = e.input_index();
      }
    }
  });
  if (comm.rank() != 0) return;
  EXPECT_EQ(got, (std::vector<int>{0, -1, -2, -3, -4, -6, -7, -8, -9}));
  EXPECT_EQ(failed_index, 5u);
  EXPECT_NE(message.find("input 5"), std::string::npos) << message;
  EXPECT_NE(message.find("five is not allowed"), std::string::npos) << message;
}

}  // namespace

// Clang 14 cannot instantiate libstdc++ 12's std::views (llvm/llvm-project#52696); where the
// compiler can, the standard's own lazy ranges work as stream inputs, kept by value (iota) or by
// reference (an lvalue view).
#if !(defined(__clang__) && __clang_major__ < 15)
namespace {
TEST(PoolStreams, StandardViewsAreInputsToo) {
  const auto comm = Communicator::world();
  std::vector<std::int64_t> got;
  int reads = 0;
  run_pool(comm, [&](Pool& pool) {
    for (auto r : pool.imap(task<cube>, std::views::iota(std::int64_t{0}, std::int64_t{300}), 7)) got.push_back(r);
    auto counted = std::views::iota(0, 50) | std::views::transform([&reads](int i) {
                     ++reads;
                     return i;
                   });
    int k = 0;
    for (int r : pool.imap(task<slow_identity>, counted, multirank::StreamOptions{1, 8})) EXPECT_EQ(r, k++);
  });
  if (comm.rank() != 0) return;
  ASSERT_EQ(got.size(), 300u);
  for (std::int64_t i = 0; i < 300; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], i * i * i);
  EXPECT_EQ(reads, 50);
}
}  // namespace
#endif
