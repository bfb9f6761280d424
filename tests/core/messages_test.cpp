#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <vector>

#include "multirank/core/communicator.hpp"
#include "multirank/core/int128.hpp"
#include "multirank/pipeline/pipeline.hpp"
#include "multirank/pool/task_error.hpp"

using multirank::Communicator;
using multirank::WireKind;

namespace {

struct Particle {
  double x, y, z;
  std::int64_t id;
};

struct Record {
  std::string name;
  std::vector<std::string> tags;
  std::map<std::string, int> counts;
  template <class Ar>
  void serialize(Ar& ar, unsigned) { ar & name & tags & counts; }
  bool operator==(const Record&) const = default;
};

static_assert(multirank::wire_kind_v<int> == WireKind::raw);
static_assert(multirank::wire_kind_v<Particle> == WireKind::raw);
static_assert(multirank::wire_kind_v<std::vector<double>> == WireKind::contiguous);
static_assert(multirank::wire_kind_v<std::string> == WireKind::contiguous);
static_assert(multirank::wire_kind_v<std::vector<std::string>> == WireKind::serialized);
static_assert(multirank::wire_kind_v<Record> == WireKind::serialized);

// Each rank sends to the next one in a ring and receives from the previous one.
template <class T, class Make>
void ring_roundtrip(const Communicator& comm, Make make, multirank::Tag tag = multirank::Tag{3}) {
  const int next = (comm.rank() + 1) % comm.size();
  const int prev = (comm.rank() + comm.size() - 1) % comm.size();
  auto req = comm.isend(next, tag, make(comm.rank()));
  multirank::Status st;
  const T got = comm.recv<T>(prev, tag, &st);
  req.wait();
  EXPECT_EQ(got, make(prev));
  EXPECT_EQ(st.source, prev);
  EXPECT_EQ(st.tag, tag);
}

TEST(Messages, RawValuesArriveIntact) {
  const auto comm = Communicator::world();
  ring_roundtrip<std::int64_t>(comm, [](int r) { return std::int64_t{1} << (40 + r); });
  ring_roundtrip<multirank::uint128_t>(comm, [](int r) { return (static_cast<multirank::uint128_t>(r + 1) << 100) + 7; });
  const int next = (comm.rank() + 1) % comm.size();
  const int prev = (comm.rank() + comm.size() - 1) % comm.size();
  auto req = comm.isend(next, multirank::Tag{4}, Particle{1.5, 2.5, 3.5, comm.rank()});
  const auto p = comm.recv<Particle>(prev, multirank::Tag{4});
  req.wait();
  EXPECT_EQ(p.id, prev);
  EXPECT_DOUBLE_EQ(p.z, 3.5);
}

TEST(Messages, ContiguousRangesArriveIntact) {
  const auto comm = Communicator::world();
  for (std::size_t n : {0UL, 1UL, 1000UL, 100000UL}) {
    ring_roundtrip<std::vector<double>>(comm, [n](int r) {
      std::vector<double> v(n);
      std::iota(v.begin(), v.end(), r * 0.5);
      return v;
    });
  }
  ring_roundtrip<std::string>(comm, [](int r) { return "niño está en el rank " + std::to_string(r); });
  ring_roundtrip<std::string>(comm, [](int) { return std::string(); });
}

TEST(Messages, SerializedTypesArriveIntact) {
  const auto comm = Communicator::world();
  ring_roundtrip<Record>(comm, [](int r) {
    return Record{"rank" + std::to_string(r), {"a", "bb", std::string(static_cast<std::size_t>(r), 'c')}, {{"x", r}, {"y", 2 * r}}};
  });
  ring_roundtrip<std::tuple<int, std::string, double>>(comm, [](int r) {
    return std::tuple<int, std::string, double>{r, std::string(100, 'z'), r * 1.25};
  });
  ring_roundtrip<std::optional<std::string>>(comm, [](int r) {
    return r % 2 ? std::optional<std::string>{} : std::optional<std::string>{"even"};
  });
}

TEST(Messages, SplitAndReassembleAroundTheChunkLimit) {
  const auto comm = Communicator::world();
  const auto saved = multirank::message_chunk_bytes();
  multirank::set_message_chunk_bytes(1000);
  for (std::size_t bytes : {0UL, 1UL, 999UL, 1000UL, 1001UL, 2000UL, 2999UL, 12345UL}) {
    ring_roundtrip<std::vector<char>>(comm, [bytes](int r) {
      std::vector<char> v(bytes);
      for (std::size_t i = 0; i < bytes; ++i) v[i] = static_cast<char>((i * 31 + static_cast<std::size_t>(r)) % 251);
      return v;
    });
    // element size that does not divide the chunk: an element straddles two pieces
    ring_roundtrip<std::vector<std::int64_t>>(comm, [bytes](int r) {
      return std::vector<std::int64_t>(bytes / 3, r * 1000003LL);
    });
  }
  ring_roundtrip<Record>(comm, [](int r) { return Record{std::string(5000, 'a' + static_cast<char>(r)), {}, {}}; });
  struct Big {
    char data[2500];
  };
  const int next = (comm.rank() + 1) % comm.size();
  const int prev = (comm.rank() + comm.size() - 1) % comm.size();
  Big mine{};
  for (std::size_t i = 0; i < sizeof mine.data; ++i) mine.data[i] = static_cast<char>(i + static_cast<std::size_t>(comm.rank()));
  auto req = comm.isend(next, multirank::Tag{5}, mine);
  const Big got = comm.recv<Big>(prev, multirank::Tag{5});
  req.wait();
  for (std::size_t i = 0; i < sizeof got.data; ++i) ASSERT_EQ(got.data[i], static_cast<char>(i + static_cast<std::size_t>(prev)));
  multirank::set_message_chunk_bytes(saved);
}

TEST(Messages, ManyMessagesKeepFifoOrderPerSender) {
  const auto comm = Communicator::world();
  constexpr int count = 2000;
  const int next = (comm.rank() + 1) % comm.size();
  const int prev = (comm.rank() + comm.size() - 1) % comm.size();
  std::vector<multirank::Request> reqs;
  for (int i = 0; i < count; ++i) reqs.push_back(comm.isend(next, multirank::Tag{6}, i));
  for (int i = 0; i < count; ++i) ASSERT_EQ(comm.recv<int>(prev, multirank::Tag{6}), i);
  multirank::wait_all(reqs);
}

TEST(Messages, LibraryTrafficNeverMeetsTheUsersMessages) {
  const auto comm = Communicator::world();
  int world_rank = 0;
  int world_size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  const int next = (world_rank + 1) % world_size;
  const int prev = (world_rank + world_size - 1) % world_size;
  // The user sends on MPI_COMM_WORLD with the same tag the library uses on its duplicate.
  const int user_value = 1000 + world_rank;
  MPI_Request user_req;
  MPI_Isend(&user_value, 1, MPI_INT, next, 9, MPI_COMM_WORLD, &user_req);
  auto lib_req = comm.isend(next, multirank::Tag{9}, -world_rank);
  EXPECT_EQ(comm.recv<int>(prev, multirank::Tag{9}), -prev);
  int user_got = 0;
  MPI_Recv(&user_got, 1, MPI_INT, prev, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  EXPECT_EQ(user_got, 1000 + prev);
  MPI_Wait(&user_req, MPI_STATUS_IGNORE);
  lib_req.wait();
}

TEST(Messages, ProbeReportsSourceTagAndSize) {
  const auto comm = Communicator::world();
  const int next = (comm.rank() + 1) % comm.size();
  const int prev = (comm.rank() + comm.size() - 1) % comm.size();
  auto req = comm.isend(next, multirank::Tag{11}, std::vector<std::int32_t>(17, 1));
  const auto st = comm.probe(MPI_ANY_SOURCE, multirank::Tag{11});
  EXPECT_EQ(st.source, prev);
  EXPECT_EQ(st.bytes, 17 * sizeof(std::int32_t));
  EXPECT_EQ(comm.recv<std::vector<std::int32_t>>(st.source, multirank::Tag{11}).size(), 17U);
  req.wait();
  EXPECT_FALSE(comm.iprobe(MPI_ANY_SOURCE, multirank::Tag{12}).has_value());
  EXPECT_FALSE(comm.probe_for(MPI_ANY_SOURCE, multirank::Tag{12}, std::chrono::milliseconds(20)).has_value());
  comm.barrier();
}

TEST(Messages, InvalidRanksTagsAndSizesThrowUsageErrors) {
  const auto comm = Communicator::world();
  EXPECT_THROW(comm.send(comm.size(), multirank::Tag{1}, 1), multirank::UsageError);
  EXPECT_THROW(comm.send(-1, multirank::Tag{1}, 1), multirank::UsageError);
  EXPECT_THROW(comm.send(0, multirank::Tag{-5}, 1), multirank::UsageError);
  // User tags stop below the pipes' and the library's; "any" is for receiving only.
  EXPECT_THROW(comm.send(0, multirank::Tag{multirank::kUserTagLimit}, 1), multirank::UsageError);
  EXPECT_THROW(comm.send(0, multirank::Tag::any(), 1), multirank::UsageError);
  static_assert(multirank::Tag::pipe(0).value() >= multirank::kUserTagLimit);
  static_assert(multirank::Tag(multirank::LibraryTag::clock).value() >
                multirank::Tag::pipe(multirank::kPipeChannels - 1).value());
  static_assert(multirank::Tag(multirank::LibraryTag::clock).reserved() && !multirank::Tag{3}.reserved());
  EXPECT_THROW((void)comm.recv<int>(comm.size() + 3, multirank::Tag{1}), multirank::UsageError);
  EXPECT_THROW(multirank::set_message_chunk_bytes(0), multirank::UsageError);
  try {
    comm.send(comm.size(), multirank::Tag{1}, 1);
  } catch (const multirank::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
  // A message larger than the receiver expects is an MPI error with the routine named.
  const int next = (comm.rank() + 1) % comm.size();
  const int prev = (comm.rank() + comm.size() - 1) % comm.size();
  auto req = comm.isend(next, multirank::Tag{13}, std::int64_t{42});
  try {
    (void)comm.recv<std::int32_t>(prev, multirank::Tag{13});
    ADD_FAILURE() << "a truncated receive must throw";
  } catch (const multirank::MpiError& e) {
    EXPECT_EQ(e.routine(), "MPI_Test");
    EXPECT_NE(std::string(e.what()).find("MPI_ERR_TRUNCATE"), std::string::npos) << e.what();
  }
  req.wait();
  comm.barrier();
}

TEST(Messages, DataThatIsNotWhatTheReceiverExpectsThrowsProtocolError) {
  const auto comm = Communicator::world();
  const int next = (comm.rank() + 1) % comm.size();
  const int prev = (comm.rank() + comm.size() - 1) % comm.size();
  // Fewer bytes than a raw T.
  auto small = comm.isend(next, multirank::Tag{14}, std::int32_t{7});
  EXPECT_THROW((void)comm.recv<std::int64_t>(prev, multirank::Tag{14}), multirank::ProtocolError);
  small.wait();
  // Bytes that are not a whole number of elements.
  auto odd = comm.isend(next, multirank::Tag{15}, std::string("abcde"));
  EXPECT_THROW((void)comm.recv<std::vector<std::int32_t>>(prev, multirank::Tag{15}), multirank::ProtocolError);
  odd.wait();
  // Bytes that are not an archive of the type received.
  auto junk = comm.isend(next, multirank::Tag{16}, std::string("\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f no archive"));
  using Nested = std::map<std::string, std::vector<std::string>>;
  EXPECT_THROW((void)comm.recv<Nested>(prev, multirank::Tag{16}), multirank::ProtocolError);
  junk.wait();
  comm.barrier();
}

TEST(Messages, EveryLibraryErrorHasOneRoot) {
  static_assert(std::is_base_of_v<multirank::Error, multirank::UsageError>);
  static_assert(std::is_base_of_v<multirank::Error, multirank::MpiError>);
  static_assert(std::is_base_of_v<multirank::Error, multirank::ProtocolError>);
  static_assert(std::is_base_of_v<std::runtime_error, multirank::Error>);
  static_assert(std::is_base_of_v<multirank::Error, multirank::TaskError>);
  static_assert(std::is_base_of_v<multirank::Error, multirank::CancelledError>);
  static_assert(std::is_base_of_v<multirank::Error, multirank::PipelineError>);
  static_assert(!std::is_base_of_v<multirank::UsageError, multirank::ProtocolError>);
  try {
    throw multirank::ProtocolError("x");
  } catch (const multirank::Error& e) {
    EXPECT_STREQ(e.what(), "x");
  }
}

TEST(Messages, SplitCommunicatorsAreIndependent) {
  const auto comm = Communicator::world();
  const auto half = comm.split(comm.rank() % 2, comm.rank());
  ASSERT_TRUE(static_cast<bool>(half));
  EXPECT_EQ(half.size(), (comm.size() + 1 - comm.rank() % 2) / 2);
  const auto none = comm.split(MPI_UNDEFINED, 0);
  EXPECT_FALSE(static_cast<bool>(none));
}

}  // namespace
