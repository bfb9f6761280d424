// Pipe<T>: order, end-of-stream, independence of channels, large items, polling and misuse.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "multirank/channel/pipe.hpp"
#include "multirank/core/communicator.hpp"

using multirank::Communicator;
using multirank::Pipe;
using namespace std::chrono_literals;

namespace {

struct Sample {
  std::int64_t seq;
  double value;
};

struct Record {
  std::string name;
  std::vector<std::string> words;
  std::map<std::string, int> counts;
  template <class Ar>
  void serialize(Ar& ar, unsigned) { ar & name & words & counts; }
  bool operator==(const Record&) const = default;
};

// Each rank talks to the next and the previous one in a ring (itself at one rank).
int next_of(const Communicator& c) { return (c.rank() + 1) % c.size(); }
int prev_of(const Communicator& c) { return (c.rank() + c.size() - 1) % c.size(); }

TEST(Pipe, RawItemsArriveInOrderThenEndOfStream) {
  const auto comm = Communicator::world();
  constexpr int count = 5000;
  Pipe<Sample> out(comm, next_of(comm), 1);
  Pipe<Sample> in(comm, prev_of(comm), 1);
  std::vector<multirank::Request> sends;
  for (int i = 0; i < count; ++i) sends.push_back(out.isend(Sample{i, i * 0.5 + comm.rank()}));
  out.close();
  for (int i = 0; i < count; ++i) {
    const auto s = in.recv();
    ASSERT_TRUE(s.has_value()) << "item " << i;
    ASSERT_EQ(s->seq, i);
    ASSERT_DOUBLE_EQ(s->value, i * 0.5 + prev_of(comm));
  }
  EXPECT_FALSE(in.recv().has_value());
  EXPECT_TRUE(in.at_end());
  EXPECT_FALSE(in.recv().has_value());  // end-of-stream stays
  EXPECT_TRUE(in.poll());               // recv() would not block
  multirank::wait_all(sends);
}

TEST(Pipe, EmptyStringsAndVectorsAreItemsNotTheEnd) {
  const auto comm = Communicator::world();
  Pipe<std::string> out(comm, next_of(comm), 2);
  Pipe<std::string> in(comm, prev_of(comm), 2);
  const std::vector<std::string> items{"", "a", "", std::string(100, 'x'), ""};
  std::vector<multirank::Request> sends;
  for (const auto& s : items) sends.push_back(out.isend(s));
  out.close();
  std::vector<std::string> got;
  while (auto s = in.recv()) got.push_back(*s);
  EXPECT_EQ(got, items);
  multirank::wait_all(sends);

  Pipe<std::vector<std::int32_t>> vout(comm, next_of(comm), 3);
  Pipe<std::vector<std::int32_t>> vin(comm, prev_of(comm), 3);
  auto r1 = vout.isend({});
  auto r2 = vout.isend({1, 2, 3});
  auto r3 = vout.isend({});
  vout.close();
  EXPECT_EQ(vin.recv(), std::vector<std::int32_t>{});
  EXPECT_EQ(vin.recv(), (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(vin.recv(), std::vector<std::int32_t>{});
  EXPECT_FALSE(vin.recv().has_value());
}

TEST(Pipe, SerializedItemsArriveIntact) {
  const auto comm = Communicator::world();
  Pipe<Record> out(comm, next_of(comm), 4);
  Pipe<Record> in(comm, prev_of(comm), 4);
  auto make = [](int r, int i) {
    return Record{"r" + std::to_string(r) + "." + std::to_string(i), {"x", std::string(static_cast<std::size_t>(i), 'y')}, {{"k", i}}};
  };
  std::vector<multirank::Request> sends;
  for (int i = 0; i < 50; ++i) sends.push_back(out.isend(make(comm.rank(), i)));
  out.close();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(in.recv(), make(prev_of(comm), i));
  EXPECT_FALSE(in.recv().has_value());
}

TEST(Pipe, ChannelsBetweenTheSamePairNeverInterfere) {
  const auto comm = Communicator::world();
  constexpr int channels = 4;
  constexpr int per_channel = 300;
  std::vector<Pipe<std::int64_t>> outs;
  std::vector<Pipe<std::int64_t>> ins;
  for (int c = 0; c < channels; ++c) {
    outs.emplace_back(comm, next_of(comm), 100 + c);
    ins.emplace_back(comm, prev_of(comm), 100 + c);
  }
  std::vector<multirank::Request> sends;
  // Interleave sends across channels, close channel 2 early.
  for (int i = 0; i < per_channel; ++i)
    for (int c = 0; c < channels; ++c) sends.push_back(outs[static_cast<std::size_t>(c)].isend(c * 1000000 + i));
  for (auto& p : outs) p.close();
  // Read channels in reverse order: each one sees only its own items, in order, then its end.
  for (int c = channels - 1; c >= 0; --c) {
    auto& in = ins[static_cast<std::size_t>(c)];
    for (int i = 0; i < per_channel; ++i) ASSERT_EQ(in.recv(), c * 1000000 + i) << "channel " << c;
    EXPECT_FALSE(in.recv().has_value());
  }
  multirank::wait_all(sends);
}

TEST(Pipe, DuplexPingPong) {
  const auto comm = Communicator::world();
  if (comm.size() < 2) GTEST_SKIP() << "needs two ranks";
  if (comm.rank() > 1) return;
  Pipe<std::int32_t> pipe(comm, 1 - comm.rank(), 7);
  std::int32_t value = 0;
  for (int round = 0; round < 1000; ++round) {
    if (comm.rank() == 0) {
      pipe.send(value);
      value = *pipe.recv();
      ASSERT_EQ(value, 2 * round + 2);
    } else {
      value = *pipe.recv();
      ASSERT_EQ(value, 2 * round);
      pipe.send(value + 2);
    }
  }
  pipe.close();
  EXPECT_FALSE(pipe.recv().has_value());  // each side sees the other's close
}

TEST(Pipe, LargeItemsTakeTheSplitPath) {
  const auto comm = Communicator::world();
  const auto saved = multirank::message_chunk_bytes();
  multirank::set_message_chunk_bytes(1000);  // every rank does the same
  Pipe<std::vector<std::int64_t>> out(comm, next_of(comm), 8);
  Pipe<std::vector<std::int64_t>> in(comm, prev_of(comm), 8);
  auto make = [](int r, std::size_t n) {
    std::vector<std::int64_t> v(n);
    std::iota(v.begin(), v.end(), static_cast<std::int64_t>(r) * 1000000007LL);
    return v;
  };
  // Around the inline limit, the chunk size, and well past both.
  const std::vector<std::size_t> sizes{0, 1, 124, 125, 126, 1023, 1024, 1025, 5000, 200000};
  std::vector<multirank::Request> sends;
  for (std::size_t n : sizes) sends.push_back(out.isend(make(comm.rank(), n)));
  Pipe<std::string> sout(comm, next_of(comm), 9);
  Pipe<std::string> sin(comm, prev_of(comm), 9);
  sends.push_back(sout.isend(std::string(50000, static_cast<char>('a' + comm.rank()))));
  sout.close();
  out.close();
  for (std::size_t n : sizes) ASSERT_EQ(in.recv(), make(prev_of(comm), n)) << n << " elements";
  EXPECT_FALSE(in.recv().has_value());
  EXPECT_EQ(sin.recv(), std::string(50000, static_cast<char>('a' + prev_of(comm))));
  EXPECT_FALSE(sin.recv().has_value());
  multirank::wait_all(sends);

  struct Big {
    char data[3000];
  };
  Pipe<Big> bout(comm, next_of(comm), 10);
  Pipe<Big> bin(comm, prev_of(comm), 10);
  Big mine{};
  for (std::size_t i = 0; i < sizeof mine.data; ++i) mine.data[i] = static_cast<char>(i * 7 + static_cast<std::size_t>(comm.rank()));
  auto req = bout.isend(mine);
  bout.close();
  const auto got = bin.recv();
  ASSERT_TRUE(got.has_value());
  for (std::size_t i = 0; i < sizeof got->data; ++i)
    ASSERT_EQ(got->data[i], static_cast<char>(i * 7 + static_cast<std::size_t>(prev_of(comm))));
  EXPECT_FALSE(bin.recv().has_value());
  req.wait();
  comm.barrier();
  multirank::set_message_chunk_bytes(saved);
}

TEST(Pipe, BlockingSendOfLargeItemsBetweenTwoRanks) {
  const auto comm = Communicator::world();
  if (comm.size() < 2) GTEST_SKIP() << "needs two ranks";
  if (comm.rank() > 1) return;
  Pipe<std::vector<double>> pipe(comm, 1 - comm.rank(), 11);
  const std::vector<double> big(1 << 20, 1.5);  // 8 MiB, past the inline limit: no copy
  if (comm.rank() == 0) {
    pipe.send(big);
    pipe.close();
  } else {
    EXPECT_EQ(pipe.recv(), big);
    EXPECT_FALSE(pipe.recv().has_value());
  }
}

TEST(Pipe, PollAndTryRecvDoNotBlock) {
  const auto comm = Communicator::world();
  Pipe<int> out(comm, next_of(comm), 12);
  Pipe<int> in(comm, prev_of(comm), 12);
  EXPECT_FALSE(in.try_recv().has_value());
  EXPECT_FALSE(in.at_end());
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(in.poll(50ms));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 45ms);
  comm.barrier();  // nobody has sent yet
  out.send(41);
  EXPECT_TRUE(in.poll(10s));
  EXPECT_EQ(in.try_recv(), 41);
  out.send(42);
  EXPECT_EQ(in.recv_for(10s), 42);
  out.close();
  EXPECT_FALSE(in.recv_for(10s).has_value());
  EXPECT_TRUE(in.at_end());
}

TEST(Pipe, MisuseThrowsClearErrors) {
  const auto comm = Communicator::world();
  EXPECT_THROW(Pipe<int>(comm, comm.size(), 0), multirank::UsageError);
  EXPECT_THROW(Pipe<int>(comm, -1, 0), multirank::UsageError);
  EXPECT_THROW(Pipe<int>(comm, 0, -1), multirank::UsageError);
  EXPECT_THROW(Pipe<int>(comm, 0, multirank::kPipeChannels), multirank::UsageError);
  try {
    Pipe<int> p(comm, comm.size() + 2, 0);
    ADD_FAILURE() << "no exception";
  } catch (const multirank::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("peer rank"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
  Pipe<int> out(comm, next_of(comm), 13);
  Pipe<int> in(comm, prev_of(comm), 13);
  out.close();
  EXPECT_THROW(out.send(1), multirank::UsageError);
  EXPECT_THROW((void)out.isend(1), multirank::UsageError);
  EXPECT_NO_THROW(out.close());  // idempotent
  EXPECT_FALSE(in.recv().has_value());
  Pipe<int> unbound;
  EXPECT_THROW((void)unbound.recv(), multirank::UsageError);
  // A receiver of a different type gets a ProtocolError, not garbage.
  Pipe<std::int64_t> wide_out(comm, next_of(comm), 14);
  Pipe<std::int16_t> narrow_in(comm, prev_of(comm), 14);
  wide_out.send(std::int64_t{7});
  EXPECT_THROW((void)narrow_in.recv(), multirank::ProtocolError);
  comm.barrier();
}

TEST(Pipe, MovedEndsKeepTheirStream) {
  const auto comm = Communicator::world();
  Pipe<int> in(comm, prev_of(comm), 16);
  std::vector<Pipe<int>> outs;
  {
    Pipe<int> a(comm, next_of(comm), 16);
    a.send(5);
    outs.push_back(std::move(a));
    EXPECT_THROW(a.send(6), multirank::UsageError);  // moved-from: unusable, says so
  }
  outs.back().send(6);
  Pipe<int> c;
  c = std::move(outs.back());
  c.send(7);
  c.close();
  EXPECT_EQ(in.recv(), 5);
  EXPECT_EQ(in.recv(), 6);
  EXPECT_EQ(in.recv(), 7);
  EXPECT_FALSE(in.recv().has_value());
}

}  // namespace

namespace {

TEST(Pipe, UserMessagesOnTheSameRanksNeverMeetAPipe) {
  const auto comm = Communicator::world();
  // A pipe's tag is reserved: no user tag equals it, so interleaved traffic stays apart.
  static_assert(multirank::Tag::pipe(0).reserved());
  Pipe<int> out(comm, next_of(comm), 0);
  Pipe<int> in(comm, prev_of(comm), 0);
  auto user = comm.isend(next_of(comm), multirank::Tag{0}, -1);
  out.send(1);
  out.send(2);
  out.close();
  EXPECT_EQ(in.recv(), 1);
  EXPECT_EQ(comm.recv<int>(prev_of(comm), multirank::Tag{0}), -1);
  EXPECT_EQ(in.recv(), 2);
  EXPECT_FALSE(in.recv().has_value());
  user.wait();
  comm.barrier();
}

}  // namespace
