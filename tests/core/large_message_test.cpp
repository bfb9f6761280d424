// One real message over 2 GiB: MPI's int count cannot describe it; multirank splits it.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "multirank/core/communicator.hpp"

TEST(LargeMessage, OverTwoGiBArrivesIntact) {
  const auto comm = multirank::Communicator::world();
  ASSERT_EQ(comm.size(), 2);
  const std::size_t bytes = (std::size_t{1} << 31) + 4099;  // 2 GiB + a bit
  const std::size_t words = bytes / sizeof(std::uint64_t);
  if (comm.rank() == 0) {
    std::vector<std::uint64_t> data(words);
    for (std::size_t i = 0; i < words; ++i) data[i] = i * 0x9E3779B97F4A7C15ULL;
    comm.send(1, multirank::Tag{1}, data);
  } else {
    const auto data = comm.recv<std::vector<std::uint64_t>>(0, multirank::Tag{1});
    ASSERT_EQ(data.size(), words);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < words; ++i) bad += data[i] != i * 0x9E3779B97F4A7C15ULL;
    EXPECT_EQ(bad, 0U);
  }
}
