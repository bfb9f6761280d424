// pool.hpp shows the API only: the job table and the scheduler (pool/internal) are not even
// declared complete to a user's code, nor the queue's protocol, so changing them recompiles
// nothing of the user's. Checked at compile time; the test body checks that the typed layer
// still encodes through the one codec.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "multirank/channel/queue.hpp"
#include "multirank/pool/pool.hpp"

namespace {

template <class T>
concept complete = requires { sizeof(T); };

static_assert(!complete<multirank::detail::PoolCore>, "pool.hpp must not show the job table and scheduler");
static_assert(!complete<multirank::detail::Job>, "pool.hpp must not show a job's fields");
static_assert(!std::is_constructible_v<multirank::Pool, std::shared_ptr<multirank::detail::PoolCore>>,
              "only run_pool makes a Pool");

TEST(PoolApi, InputsAreFramedByTheOneCodec) {
  multirank::detail::EncodedInputs in;
  in.add(std::string("ab"));
  in.add(std::string());
  EXPECT_EQ(in.count, 2u);
  EXPECT_EQ(in.sizes, (std::vector<std::uint64_t>{8 + 2, 8}));
  std::string expected;
  multirank::append_item(expected, std::string("ab"));
  multirank::append_item(expected, std::string());
  EXPECT_EQ(in.bytes, expected);
  multirank::detail::EncodedInputs fixed;
  fixed.add(42);
  EXPECT_TRUE(fixed.sizes.empty());
  EXPECT_EQ(fixed.bytes.size(), sizeof(int));
}

}  // namespace
