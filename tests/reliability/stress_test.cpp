// A seeded, reproducible randomized stress of the channels and the pool: for each seed, a ring of
// Pipes (one thread) and a Queue with random producers and consumers (another thread) run at the
// same time, then a Pool runs a random mix of map, imap_unordered and submit. Messages are 0 B to
// 8 MiB with random small delays between them. Every message and result is checked: content
// (regenerated from the seed), exactly-once delivery, per-sender order, counts and checksums.
//
// MULTIRANK_STRESS_SEED (first seed, default 1) and MULTIRANK_STRESS_SEEDS (how many, default 50)
// choose the seeds; a failure names its seed, which reproduces it at the same rank count.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "mix.hpp"
#include "multirank/channel/pipe.hpp"
#include "multirank/channel/queue.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/pool/pool.hpp"

using multirank::Communicator;
using multirank::testing::mix;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMaxBytes = std::size_t{8} << 20;  // 8 MiB

/// The bytes of message `key`: a function of the key alone, so any rank can check them.
std::vector<char> payload(std::uint64_t key, std::size_t bytes) {
  std::vector<char> out(bytes);
  std::uint64_t state = mix(key);
  std::size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    state = mix(state);
    std::memcpy(out.data() + i, &state, 8);
  }
  state = mix(state);
  for (; i < bytes; ++i) out[i] = static_cast<char>(state >> (8 * (i % 8)));
  return out;
}

std::uint64_t key_of(std::uint64_t seed, int channel, int source, int seq) {
  return mix(seed * 1000003 + static_cast<std::uint64_t>(channel)) ^
         (static_cast<std::uint64_t>(source) << 40) ^ static_cast<std::uint64_t>(seq);
}

/// A random size: mostly small, sometimes large, at times exactly 0 B or 8 MiB.
std::size_t random_size(std::mt19937_64& rng) {
  const auto roll = rng() % 1000;
  if (roll < 30) return 0;
  if (roll < 36) return kMaxBytes;
  if (roll < 450) return rng() % 64;
  if (roll < 900) return rng() % (64 * 1024);
  if (roll < 985) return rng() % (1024 * 1024);
  return rng() % kMaxBytes;
}

void random_delay(std::mt19937_64& rng) {
  const auto us = rng() % 1000;
  if (us < 600) return;  // most messages go back to back
  std::this_thread::sleep_for(std::chrono::microseconds(us));
}

/// One queue item: who put it, its number, and its bytes.
struct QueueItem {
  std::int32_t source = -1;
  std::int32_t seq = -1;
  std::vector<char> data;
  template <class Ar>
  void serialize(Ar& ar, unsigned) { ar & source & seq & data; }
};

/// What the plan of one seed says (the same on every rank: drawn from the seed alone).
struct Plan {
  std::vector<std::vector<std::size_t>> pipe_sizes;   // per sender
  std::vector<int> producers;
  std::vector<int> consumers;
  std::vector<std::vector<std::size_t>> queue_sizes;  // per producer rank
  std::size_t capacity = 0;
  std::vector<std::size_t> pool_sizes;
  int pool_kind = 0;  // 0 map, 1 imap_unordered, 2 submit
};

Plan make_plan(std::uint64_t seed, int size) {
  std::mt19937_64 rng(seed);
  Plan p;
  p.pipe_sizes.resize(static_cast<std::size_t>(size));
  for (auto& v : p.pipe_sizes) {
    v.resize(rng() % 13);
    for (auto& s : v) s = random_size(rng);
  }
  for (int r = 0; r < size; ++r) {
    if (rng() % 2) p.producers.push_back(r);
    if (rng() % 2) p.consumers.push_back(r);
  }
  if (p.producers.empty()) p.producers.push_back(static_cast<int>(rng() % static_cast<unsigned>(size)));
  if (p.consumers.empty()) p.consumers.push_back(static_cast<int>(rng() % static_cast<unsigned>(size)));
  p.queue_sizes.resize(static_cast<std::size_t>(size));
  for (int r : p.producers) {
    auto& v = p.queue_sizes[static_cast<std::size_t>(r)];
    v.resize(rng() % 41);
    for (auto& s : v) s = random_size(rng);
  }
  const std::size_t minimum = p.producers.size() + p.consumers.size() * p.producers.size();
  p.capacity = minimum + rng() % 64;
  p.pool_sizes.resize(rng() % 60);
  for (auto& s : p.pool_sizes) s = random_size(rng);
  p.pool_kind = static_cast<int>(rng() % 3);
  return p;
}

/// Pool task input: which message to make and how long to sleep first.
struct PoolInput {
  std::uint64_t key;
  std::uint64_t bytes;
  std::uint32_t delay_us;
};

std::vector<char> make_result(PoolInput in) {
  if (in.delay_us) std::this_thread::sleep_for(std::chrono::microseconds(in.delay_us));
  return payload(in.key, static_cast<std::size_t>(in.bytes));
}

/// Collects every rank's list on rank 0, in rank order (empty elsewhere).
std::vector<std::int64_t> gather_on_root(const Communicator& comm, const std::vector<std::int64_t>& mine) {
  return multirank::gatherv(comm, mine, 0);
}

std::int64_t pack(int source, int seq) { return (static_cast<std::int64_t>(source) << 32) | seq; }

/// The pipe ring: each rank sends its planned messages to rank+1 and receives rank-1's, in order.
/// Returns the problems seen, for the main thread to report (gtest asserts from one thread).
std::string pipe_ring(const Communicator& comm, std::uint64_t seed, const Plan& plan) {
  const int right = (comm.rank() + 1) % comm.size();
  const int left = (comm.rank() + comm.size() - 1) % comm.size();
  multirank::Pipe<std::vector<char>> out(comm, right, 3);
  multirank::Pipe<std::vector<char>> in_separate;
  if (left != right) in_separate = multirank::Pipe<std::vector<char>>(comm, left, 3);
  auto& in = left != right ? in_separate : out;
  std::mt19937_64 rng(seed * 31 + static_cast<std::uint64_t>(comm.rank()));
  std::vector<multirank::Request> pending;
  const auto& mine = plan.pipe_sizes[static_cast<std::size_t>(comm.rank())];
  for (std::size_t i = 0; i < mine.size(); ++i) {
    random_delay(rng);
    // isend: a loopback pipe (one rank) must not wait for its own receive.
    pending.push_back(out.isend(payload(key_of(seed, 1, comm.rank(), static_cast<int>(i)), mine[i])));
  }
  out.close();
  std::string problems;
  const auto& theirs = plan.pipe_sizes[static_cast<std::size_t>(left)];
  std::size_t got = 0;
  std::vector<char> item;
  while (in.recv_into(item)) {
    if (got >= theirs.size()) {
      problems += "pipe: more messages than sent; ";
      break;
    }
    if (item != payload(key_of(seed, 1, left, static_cast<int>(got)), theirs[got]))
      problems += "pipe: message " + std::to_string(got) + " from rank " + std::to_string(left) + " differs; ";
    ++got;
    random_delay(rng);
  }
  if (got != theirs.size())
    problems += "pipe: got " + std::to_string(got) + " of " + std::to_string(theirs.size()) + " messages; ";
  for (auto& r : pending) r.wait();
  return problems;
}

/// The queue: producers put, consumers get; a rank that is both interleaves. Returns what this
/// rank got, packed (source, seq), and appends content problems to `problems`.
std::vector<std::int64_t> queue_traffic(const Communicator& comm, std::uint64_t seed, const Plan& plan,
                                        std::string& problems) {
  multirank::QueueOptions options;
  options.capacity = plan.capacity;
  multirank::Queue<QueueItem> q(comm, plan.producers, plan.consumers, options);
  std::mt19937_64 rng(seed * 57 + static_cast<std::uint64_t>(comm.rank()));
  std::vector<std::int64_t> got;
  std::map<int, int> last_seq;
  auto take = [&](QueueItem&& item) {
    const auto& sizes = plan.queue_sizes.at(static_cast<std::size_t>(item.source));
    if (item.seq < 0 || static_cast<std::size_t>(item.seq) >= sizes.size() ||
        item.data != payload(key_of(seed, 2, item.source, item.seq), sizes[static_cast<std::size_t>(item.seq)]))
      problems += "queue: item " + std::to_string(item.seq) + " of rank " + std::to_string(item.source) + " is wrong; ";
    auto [pos, fresh] = last_seq.emplace(item.source, item.seq);
    if (!fresh) {
      if (pos->second >= item.seq) problems += "queue: rank " + std::to_string(item.source) + "'s items out of order; ";
      pos->second = item.seq;
    }
    got.push_back(pack(item.source, item.seq));
  };
  const auto& mine = plan.queue_sizes[static_cast<std::size_t>(comm.rank())];
  auto make = [&](std::size_t i) {
    return QueueItem{comm.rank(), static_cast<std::int32_t>(i), payload(key_of(seed, 2, comm.rank(), static_cast<int>(i)), mine[i])};
  };
  if (q.is_producer() && q.is_consumer()) {
    std::size_t next = 0;
    while (next < mine.size()) {
      random_delay(rng);
      if (q.put_for(make(next), 0s)) {
        ++next;
      } else if (auto x = q.get_for(1ms)) {
        take(std::move(*x));
      }
    }
    q.close();
  } else if (q.is_producer()) {
    for (std::size_t i = 0; i < mine.size(); ++i) {
      random_delay(rng);
      q.put(make(i));
    }
    q.close();
  }
  if (q.is_consumer())
    while (auto x = q.get()) {
      take(std::move(*x));
      random_delay(rng);
    }
  return got;
}

/// The pool phase on rank 0: every result regenerated and compared; returns the problems.
std::string pool_traffic(const Communicator& comm, std::uint64_t seed, const Plan& plan) {
  std::mt19937_64 rng(seed * 91);
  std::vector<PoolInput> inputs;
  for (std::size_t i = 0; i < plan.pool_sizes.size(); ++i)
    inputs.push_back({key_of(seed, 3, 0, static_cast<int>(i)), plan.pool_sizes[i],
                      static_cast<std::uint32_t>(rng() % 4 == 0 ? rng() % 3000 : 0)});
  std::string problems;
  std::vector<int> seen(inputs.size(), 0);
  auto check = [&](std::size_t i, const std::vector<char>& r) {
    if (i >= inputs.size()) {
      problems += "pool: result for a task that does not exist; ";
      return;
    }
    ++seen[i];
    if (r != payload(inputs[i].key, static_cast<std::size_t>(inputs[i].bytes)))
      problems += "pool: result " + std::to_string(i) + " differs; ";
  };
  multirank::run_pool(comm, [&](multirank::Pool& pool) {
    if (plan.pool_kind == 0) {
      const auto results = pool.map(multirank::task<make_result>, inputs);
      if (results.size() != inputs.size()) problems += "pool: map returned the wrong count; ";
      for (std::size_t i = 0; i < results.size(); ++i) check(i, results[i]);
    } else if (plan.pool_kind == 1) {
      for (auto&& [i, r] : pool.imap_unordered(multirank::task<make_result>, inputs)) check(i, r);
    } else {
      std::vector<multirank::Future<std::vector<char>>> futures;
      for (const auto& in : inputs) futures.push_back(pool.submit(multirank::task<make_result>, in));
      for (std::size_t i = 0; i < futures.size(); ++i) check(i, futures[i].get());
    }
    if (pool.records().size() != inputs.size()) problems += "pool: records do not count every task once; ";
  });
  if (comm.rank() != 0) return problems;  // the body, and so every check, ran on rank 0
  for (std::size_t i = 0; i < seen.size(); ++i)
    if (seen[i] != 1) problems += "pool: task " + std::to_string(i) + " delivered " + std::to_string(seen[i]) + " times; ";
  return problems;
}

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST(Stress, PipesQueuesAndPoolsOverRandomSeeds) {
  const auto comm = Communicator::world();
  const std::uint64_t first = env_or("MULTIRANK_STRESS_SEED", 1);
  const std::uint64_t count = env_or("MULTIRANK_STRESS_SEEDS", 50);
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " at " + std::to_string(comm.size()) + " rank(s)");
    const Plan plan = make_plan(seed, comm.size());

    // Pipes and the queue at the same time, on two threads of every rank.
    std::string pipe_problems;
    std::thread ring([&] { pipe_problems = pipe_ring(comm, seed, plan); });
    std::string queue_problems;
    const auto got = queue_traffic(comm, seed, plan, queue_problems);
    ring.join();
    EXPECT_EQ(pipe_problems, "");
    EXPECT_EQ(queue_problems, "");
    const bool consumer = std::find(plan.consumers.begin(), plan.consumers.end(), comm.rank()) != plan.consumers.end();
    if (!consumer) {
      EXPECT_TRUE(got.empty()) << "a rank that is not a consumer got items";
    }

    // Exactly once over all consumers, with a checksum of the ids.
    const auto all = gather_on_root(comm, got);
    if (comm.rank() == 0) {
      std::map<std::int64_t, int> times;
      for (auto id : all) ++times[id];
      std::size_t expected = 0;
      for (int r : plan.producers) {
        const auto& sizes = plan.queue_sizes[static_cast<std::size_t>(r)];
        expected += sizes.size();
        for (std::size_t i = 0; i < sizes.size(); ++i) {
          EXPECT_EQ(times[pack(r, static_cast<int>(i))], 1) << "queue item " << i << " of rank " << r;
          bytes += sizes[i];
        }
      }
      EXPECT_EQ(all.size(), expected);
      EXPECT_EQ(std::accumulate(all.begin(), all.end(), std::int64_t{0}), [&] {
        std::int64_t sum = 0;
        for (int r : plan.producers)
          for (std::size_t i = 0; i < plan.queue_sizes[static_cast<std::size_t>(r)].size(); ++i)
            sum += pack(r, static_cast<int>(i));
        return sum;
      }());
      messages += all.size();
      for (const auto& v : plan.pipe_sizes) {
        messages += v.size();
        bytes += std::accumulate(v.begin(), v.end(), std::size_t{0});
      }
    }

    const std::string pool_problems = pool_traffic(comm, seed, plan);
    EXPECT_EQ(pool_problems, "");
    if (comm.rank() == 0) {
      messages += plan.pool_sizes.size();
      bytes += std::accumulate(plan.pool_sizes.begin(), plan.pool_sizes.end(), std::size_t{0});
    }
  }
  if (comm.rank() == 0)
    std::printf("%llu seed(s) from %llu at %d rank(s): %llu messages, %.1f MiB checked\n",
                static_cast<unsigned long long>(count), static_cast<unsigned long long>(first), comm.size(),
                static_cast<unsigned long long>(messages), static_cast<double>(bytes) / (1 << 20));
}

}  // namespace
