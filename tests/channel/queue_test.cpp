// Queue<T>: exactly-once delivery with counts and checksums over several role layouts, FIFO per
// producer, end-of-stream, the capacity bound, large items, on-demand delivery and misuse.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "cpu_seconds.hpp"
#include "mix.hpp"
#include "multirank/channel/queue.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/communicator.hpp"

using multirank::Communicator;
using multirank::Queue;
using multirank::QueueOptions;
using multirank::testing::cpu_seconds;
using multirank::testing::mix;
using namespace std::chrono_literals;

namespace {

struct Item {
  std::int32_t producer;
  std::int32_t seq;
  std::uint64_t check;
  char pad[48];  // 64 bytes in all, like the benchmark's items
};

Item make_item(int producer, int seq) {
  Item it{};
  it.producer = producer;
  it.seq = seq;
  it.check = mix((static_cast<std::uint64_t>(producer) << 32) | static_cast<std::uint32_t>(seq));
  return it;
}

std::vector<int> all_ranks(const Communicator& comm) {
  std::vector<int> r(static_cast<std::size_t>(comm.size()));
  std::iota(r.begin(), r.end(), 0);
  return r;
}

// Puts `count` items from each producer and gets them all; a rank that is both interleaves so
// it never blocks on itself. Returns what this rank got, in order.
template <class T, class Make>
std::vector<T> stream(Queue<T>& q, int rank, int count, Make make) {
  std::vector<T> got;
  if (q.is_producer() && q.is_consumer()) {
    int next = 0;
    while (next < count) {
      if (q.put_for(make(rank, next), 0s)) {
        ++next;
      } else if (auto x = q.get_for(1ms)) {
        got.push_back(std::move(*x));
      }
    }
    q.close();
  } else if (q.is_producer()) {
    for (int i = 0; i < count; ++i) q.put(make(rank, i));
    q.close();
  }
  if (q.is_consumer())
    while (auto x = q.get()) got.push_back(std::move(*x));
  return got;
}

// Every item put is got exactly once, each consumer sees each producer's items in order, and
// the counts and checksums add up on rank 0.
void check_exactly_once(const Communicator& comm, const std::vector<int>& producers,
                        const std::vector<int>& consumers, int count, QueueOptions options = {}) {
  Queue<Item> q(comm, producers, consumers, options);
  const std::vector<Item> got = stream(q, comm.rank(), count, make_item);
  std::map<int, int> last;
  for (const Item& it : got) {
    ASSERT_EQ(it.check, make_item(it.producer, it.seq).check) << "corrupt item";
    auto [pos, fresh] = last.emplace(it.producer, it.seq);
    if (!fresh) {
      ASSERT_LT(pos->second, it.seq) << "producer " << it.producer << " out of order";
      pos->second = it.seq;
    }
  }
  EXPECT_EQ(q.at_end(), q.is_consumer());
  EXPECT_FALSE(q.is_consumer() && q.get().has_value());  // the end stays the end
  const auto counters = q.counters();
  EXPECT_LE(counters.peak_buffered, q.local_capacity());
  const std::vector<std::uint64_t> got_per_rank = multirank::gather(comm, std::uint64_t{got.size()}, 0);
  const std::vector<Item> all = multirank::gatherv(comm, got, 0);
  if (comm.rank() != 0) return;
  for (int r = 0; r < comm.size(); ++r)
    if (std::find(consumers.begin(), consumers.end(), r) == consumers.end()) {
      EXPECT_EQ(got_per_rank[static_cast<std::size_t>(r)], 0u) << "rank " << r << " is no consumer";
    }
  ASSERT_EQ(all.size(), producers.size() * static_cast<std::size_t>(count));
  std::map<std::pair<int, int>, int> seen;
  std::uint64_t sum = 0;
  for (const Item& it : all) {
    ++seen[{it.producer, it.seq}];
    sum += it.check;
  }
  std::uint64_t expected = 0;
  for (int p : producers)
    for (int i = 0; i < count; ++i) {
      ASSERT_EQ((seen[{p, i}]), 1) << "item " << i << " of producer " << p;
      expected += make_item(p, i).check;
    }
  EXPECT_EQ(sum, expected);
}

TEST(Queue, ExactlyOnceEveryRankProducesAndConsumes) {
  const auto comm = Communicator::world();
  check_exactly_once(comm, all_ranks(comm), all_ranks(comm), 3000);
}

TEST(Queue, ExactlyOnceOneProducerManyConsumers) {
  const auto comm = Communicator::world();
  std::vector<int> consumers;
  for (int r = 1; r < comm.size(); ++r) consumers.push_back(r);
  if (consumers.empty()) consumers.push_back(0);
  check_exactly_once(comm, {0}, consumers, 5000);
}

TEST(Queue, ExactlyOnceManyProducersOneConsumer) {
  const auto comm = Communicator::world();
  std::vector<int> producers;
  for (int r = 0; r < comm.size() - 1; ++r) producers.push_back(r);
  if (producers.empty()) producers.push_back(0);
  check_exactly_once(comm, producers, {comm.size() - 1}, 3000);
}

TEST(Queue, ExactlyOnceWithBystandersAndATinyCapacity) {
  // Ranks strictly between the first and the last take no part; a capacity at its minimum
  // forces one item per message and constant backpressure.
  const auto comm = Communicator::world();
  QueueOptions options;
  options.capacity = 2;  // 1 producer + 1 consumer * 1 producer
  check_exactly_once(comm, {0}, {comm.size() - 1}, 500, options);
  if (comm.size() >= 4) {
    options.capacity = 2 + 2 * 2;
    check_exactly_once(comm, {0, 2}, {1, 3}, 500, options);
  }
}

TEST(Queue, StringsIncludingEmptyOnesArriveIntact) {
  const auto comm = Communicator::world();
  Queue<std::string> q(comm, all_ranks(comm), {0});
  auto make = [](int r, int i) { return i % 3 == 0 ? std::string() : std::string(static_cast<std::size_t>(i % 50), static_cast<char>('a' + r)); };
  const auto got = stream(q, comm.rank(), 400, make);
  if (comm.rank() != 0) return;
  ASSERT_EQ(got.size(), 400U * static_cast<std::size_t>(comm.size()));
  std::size_t empties = 0;
  for (const auto& s : got) empties += s.empty();
  std::size_t expected_empties = 0;
  for (int i = 0; i < 400; ++i) expected_empties += make(0, i).empty();
  EXPECT_GT(expected_empties, 100U);
  EXPECT_EQ(empties, expected_empties * static_cast<std::size_t>(comm.size()));
  std::size_t letters = 0;
  for (const auto& s : got) letters += s.size();
  std::size_t expected = 0;
  for (int i = 0; i < 400; ++i) expected += make(0, i).size();
  EXPECT_EQ(letters, expected * static_cast<std::size_t>(comm.size()));
}

struct Record {
  std::string name;
  std::vector<std::string> words;
  std::map<std::string, int> counts;
  template <class Ar>
  void serialize(Ar& ar, unsigned) { ar & name & words & counts; }
  bool operator==(const Record&) const = default;
};

TEST(Queue, SerializedItemsArriveIntactAndInOrder) {
  const auto comm = Communicator::world();
  Queue<Record> q(comm, {0}, {comm.size() - 1});
  auto make = [](int, int i) { return Record{"n" + std::to_string(i), {std::string(static_cast<std::size_t>(i % 7), 'w')}, {{"i", i}}}; };
  const auto got = stream(q, comm.rank(), 300, make);
  if (comm.rank() != comm.size() - 1) return;
  ASSERT_EQ(got.size(), 300U);
  for (int i = 0; i < 300; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)], make(0, i));
}

TEST(Queue, LargeItemsTakeTheSplitPath) {
  const auto comm = Communicator::world();
  const auto saved = multirank::message_chunk_bytes();
  multirank::set_message_chunk_bytes(1000);  // every rank does the same
  {
    Queue<std::vector<std::int64_t>> q(comm, all_ranks(comm), {comm.size() - 1}, 64);
    auto make = [](int r, int i) {
      std::vector<std::int64_t> v(static_cast<std::size_t>((i * 997) % 6000));
      std::iota(v.begin(), v.end(), static_cast<std::int64_t>(r) * 100000000LL + i);
      return v;
    };
    const auto got = stream(q, comm.rank(), 60, make);
    if (comm.rank() == comm.size() - 1) {
      ASSERT_EQ(got.size(), 60U * static_cast<std::size_t>(comm.size()));
      std::map<int, int> next;  // producer -> next index expected (FIFO per producer)
      for (const auto& v : got) {
        if (v.empty()) {  // i == 0 for some producer: its first item
          continue;
        }
        const int r = static_cast<int>(v.front() / 100000000LL);
        const int i = static_cast<int>(v.front() % 100000000LL);
        ASSERT_EQ(v, make(r, i));
        EXPECT_GE(i, next[r]);
        next[r] = i + 1;
      }
    }
  }
  multirank::set_message_chunk_bytes(saved);
}

TEST(Queue, EndOfStreamSemantics) {
  const auto comm = Communicator::world();
  Queue<int> q(comm, all_ranks(comm), all_ranks(comm));
  EXPECT_FALSE(q.closed());
  if (comm.rank() == 0) q.put(7);
  q.close();
  EXPECT_TRUE(q.closed());
  EXPECT_NO_THROW(q.close());  // idempotent
  int got = 0;
  while (auto x = q.get()) {
    EXPECT_EQ(*x, 7);
    ++got;
  }
  EXPECT_TRUE(q.at_end());
  EXPECT_FALSE(q.get().has_value());
  EXPECT_FALSE(q.get_for(10ms).has_value());
  EXPECT_FALSE(q.try_get().has_value());
  // (The library's allreduce sleeps while it waits; a blocking MPI_Allreduce would spin.)
  EXPECT_EQ(multirank::allreduce(comm, got, std::plus<>{}), 1);
}

TEST(Queue, GetForTimesOutWhileProducersAreOpen) {
  const auto comm = Communicator::world();
  Queue<int> q(comm, {0}, all_ranks(comm));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(q.get_for(30ms).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 25ms);
  EXPECT_FALSE(q.at_end());  // a timeout, not the end
  comm.barrier();
  if (comm.rank() == 0) q.close();
  EXPECT_FALSE(q.get().has_value());
  EXPECT_TRUE(q.at_end());
}

TEST(Queue, CapacityBoundsWhatAProducerCanRunAhead) {
  const auto comm = Communicator::world();
  const int consumer = comm.size() - 1;
  Queue<Item> q(comm, {0}, {consumer}, 40);
  int accepted = 0;
  if (comm.rank() == 0) {
    // Nobody takes anything yet: puts succeed until the producer's share is full, then wait.
    while (q.put_for(make_item(0, accepted), 20ms)) {
      ++accepted;
      ASSERT_LE(accepted, 40) << "the producer ran past the capacity";
    }
    EXPECT_EQ(static_cast<std::size_t>(accepted), q.counters().peak_buffered);
    EXPECT_GT(accepted, 0);
  }
  comm.barrier();
  const int total_accepted = multirank::allreduce(comm, accepted, std::plus<>{});
  // Now the consumer drains everything while the producer adds more: still exactly once.
  std::vector<Item> got;
  auto take = [&](std::optional<Item> x) {
    if (!x) return false;
    got.push_back(*x);
    EXPECT_LE(q.buffered(), q.local_capacity());
    return true;
  };
  if (comm.rank() == 0) {
    for (int i = accepted; i < 500;) {
      if (q.put_for(make_item(0, i), 0s)) {
        ++i;
      } else if (q.is_consumer()) {  // one rank: it is its own consumer
        take(q.get_for(1ms));
      }
    }
    q.close();
  }
  if (comm.rank() == consumer) {
    while (take(q.get())) {
    }
    ASSERT_EQ(got.size(), 500U);
    for (int i = 0; i < 500; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)].seq, i);
  }
  const auto c = q.counters();
  EXPECT_LE(c.peak_buffered, q.local_capacity());
  EXPECT_LE(multirank::allreduce(comm, q.local_capacity(), std::plus<>{}), 40U);  // the shares add up to at most the capacity
  EXPECT_LE(multirank::allreduce(comm, c.peak_buffered, std::plus<>{}), 40U);     // so the items held at once never exceed it
  EXPECT_LE(total_accepted, 40);
}

TEST(Queue, IdleConsumersGetItemsSlowOnesAreNotFlooded) {
  const auto comm = Communicator::world();
  if (comm.size() < 3) GTEST_SKIP() << "needs a producer, a slow and a fast consumer";
  Queue<int> q(comm, {0}, {1, 2});
  constexpr int count = 300;
  int got = 0;
  if (comm.rank() == 0) {
    for (int i = 0; i < count; ++i) q.put(i);
    q.close();
  } else if (comm.rank() == 1) {  // slow: 100 ms per item
    while (q.get()) {
      ++got;
      std::this_thread::sleep_for(100ms);
    }
  } else if (comm.rank() == 2) {  // fast
    while (q.get()) ++got;
  }
  const std::vector<int> counts = multirank::allgather(comm, got);  // by rank; the producer's is 0
  EXPECT_EQ(counts[1] + counts[2], count);
  EXPECT_LE(counts[1], 20) << "the slow consumer hoarded items";
  EXPECT_GE(counts[2], count - 20);
}

TEST(Queue, SeveralQueuesOnOneCommunicatorStayApart) {
  const auto comm = Communicator::world();
  Queue<int> a(comm, all_ranks(comm), {0});
  Queue<std::int64_t> b(comm, all_ranks(comm), {comm.size() - 1});
  // Every rank puts 0..199 into a and -1..-200 into b: each consumer must get exactly its own
  // queue's items, each value once per rank, none of the other queue's, none lost.
  std::map<std::int64_t, int> got_a;
  std::map<std::int64_t, int> got_b;
  for (int i = 0; i < 200; ++i) {
    a.put(i);
    b.put(-static_cast<std::int64_t>(i) - 1);
    if (comm.rank() == 0) {
      while (auto x = a.try_get()) ++got_a[*x];
    }
    if (comm.rank() == comm.size() - 1) {
      while (auto x = b.try_get()) ++got_b[*x];
    }
  }
  a.close();
  b.close();
  if (comm.rank() == 0) {
    while (auto x = a.get()) ++got_a[*x];
  }
  if (comm.rank() == comm.size() - 1) {
    while (auto x = b.get()) ++got_b[*x];
  }
  std::map<std::int64_t, int> want_a;
  std::map<std::int64_t, int> want_b;
  for (int i = 0; i < 200; ++i) {
    want_a[i] = comm.size();
    want_b[-static_cast<std::int64_t>(i) - 1] = comm.size();
  }
  if (comm.rank() == 0) {
    EXPECT_EQ(got_a, want_a);
  }
  if (comm.rank() == comm.size() - 1) {
    EXPECT_EQ(got_b, want_b);
  }
}

TEST(Queue, MisuseThrowsClearErrors) {
  const auto comm = Communicator::world();
  using E = multirank::UsageError;
  EXPECT_THROW(Queue<int>(comm, {comm.size()}, {0}), E);
  EXPECT_THROW(Queue<int>(comm, {0}, {-1}), E);
  EXPECT_THROW(Queue<int>(comm, {}, {0}), E);
  EXPECT_THROW(Queue<int>(comm, {0, 0}, {0}), E);
  EXPECT_THROW(Queue<int>(comm, {0}, {0}, 1), E);  // below 1 + 1 * 1
  QueueOptions huge_batches;
  huge_batches.max_batch = std::size_t{1} << 40;  // a batch's count travels in 32 bits
  EXPECT_THROW(Queue<int>(comm, {0}, {0}, huge_batches), E);
  try {
    Queue<int> q(comm, {0}, {comm.size() + 5});
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
  if (comm.size() >= 2) {
    // Ranks that disagree on the arguments all get an error instead of a hang.
    EXPECT_THROW(Queue<int>(comm, {0}, {1}, comm.rank() == 0 ? 100 : 200), E);
    // Even when one rank's arguments are also invalid on their own: it must not refuse alone
    // while the others wait for it.
    EXPECT_THROW(Queue<int>(comm, {0}, {comm.rank() == 0 ? comm.size() : 1}), E);
    EXPECT_THROW(Queue<int>(comm, {0}, {1}, comm.rank() == 0 ? 1 : 100), E);
  }
  const int last = comm.size() - 1;
  Queue<int> q(comm, {0}, {last});
  if (comm.rank() != 0) {
    try {
      q.put(1);
      ADD_FAILURE() << "a non-producer put";
    } catch (const E& e) {
      EXPECT_NE(std::string(e.what()).find("not a producer"), std::string::npos) << e.what();
    }
    EXPECT_THROW(q.close(), E);
  }
  if (comm.rank() != last) {
    try {
      (void)q.get();
      ADD_FAILURE() << "a non-consumer get";
    } catch (const E& e) {
      EXPECT_NE(std::string(e.what()).find("not a consumer"), std::string::npos) << e.what();
    }
  }
  if (comm.rank() == 0) {
    q.put(1);
    q.close();
    try {
      q.put(2);
      ADD_FAILURE() << "a put after close";
    } catch (const E& e) {
      EXPECT_NE(std::string(e.what()).find("after close"), std::string::npos) << e.what();
    }
  }
  if (comm.rank() == last) {
    EXPECT_EQ(q.get(), 1);
    EXPECT_FALSE(q.get().has_value());
  }
  Queue<int> moved(std::move(q));
  EXPECT_THROW((void)q.is_producer(), E);
}

TEST(Queue, WaitingRanksSleep) {
  const auto comm = Communicator::world();
  const int last = comm.size() - 1;
  Queue<int> q(comm, {0}, {last}, 8);
  comm.barrier();
  if (comm.size() == 1) {
    // One rank: a get on an empty, open queue waits out its timeout.
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(q.get_for(1500ms).has_value());
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT((cpu_seconds() - c0) / wall, 0.10) << "a rank waiting in get_for burned a core";
    q.close();
    EXPECT_FALSE(q.get().has_value());
    return;
  }
  // 1. The consumer waits in get() while the producer is busy elsewhere.
  if (comm.rank() == last) {
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(q.get(), 1);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_GT(wall, 1.0);
    EXPECT_LT((cpu_seconds() - c0) / wall, 0.10) << "a rank waiting in get burned a core";
  } else if (comm.rank() == 0) {
    std::this_thread::sleep_for(1500ms);
    q.put(1);
  }
  comm.barrier();
  // 2. The producer waits in a blocked put() while the consumer is busy elsewhere.
  if (comm.rank() == 0) {
    int n = 0;
    while (q.put_for(100 + n, 0s)) ++n;  // fill this producer's share
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    q.put(-1);  // blocks until the consumer wakes up
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_GT(wall, 1.0);
    EXPECT_LT((cpu_seconds() - c0) / wall, 0.10) << "a rank blocked in put burned a core";
    q.close();
  } else if (comm.rank() == last) {
    std::this_thread::sleep_for(1500ms);
    int got = 0;
    while (q.get()) ++got;
    EXPECT_GT(got, 1);
  }
}

}  // namespace
