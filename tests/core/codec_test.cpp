// The one codec: wire kinds, the framing of items in a batch, and what a bad batch gives.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "multirank/channel/queue.hpp"
#include "multirank/core/codec.hpp"
#include "multirank/pipeline/pipeline.hpp"

namespace {

struct Sample {
  std::int32_t id;
  double value;
};

template <class T>
std::vector<T> round_trip(const std::vector<T>& items, std::size_t* bytes = nullptr) {
  std::string batch;
  for (const T& x : items) multirank::append_item(batch, x);
  if (bytes) *bytes = batch.size();
  std::vector<T> out;
  multirank::read_batch<T>(batch, items.size(), [&out]() -> T& { return out.emplace_back(); });
  return out;
}

TEST(Codec, RawItemsAreTheirOwnBytes) {
  std::size_t bytes = 0;
  const std::vector<Sample> items{{1, 0.5}, {2, -3.0}, {3, 1e300}};
  const auto back = round_trip(items, &bytes);
  EXPECT_EQ(bytes, 3 * sizeof(Sample));
  ASSERT_EQ(back.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].id, items[i].id);
    EXPECT_EQ(back[i].value, items[i].value);
  }
  static_assert(multirank::fixed_item_bytes<Sample> == sizeof(Sample));
  static_assert(multirank::fixed_item_bytes<std::string> == 0);
}

TEST(Codec, VariableItemsAreALengthAndTheirBytesEmptyOnesIncluded) {
  std::size_t bytes = 0;
  const std::vector<std::string> words{"", "a", std::string(1000, 'x'), ""};
  EXPECT_EQ(round_trip(words, &bytes), words);
  EXPECT_EQ(bytes, 4 * sizeof(std::uint64_t) + 1001);  // contiguous: no archive around the letters
  const std::vector<std::map<std::string, int>> maps{{}, {{"k", 1}, {"l", 2}}};
  EXPECT_EQ(round_trip(maps), maps);
  std::string batch;
  multirank::append_item(batch, std::string("abc"));
  const char* p = batch.data();
  EXPECT_EQ(multirank::skip_item<std::string>(p, batch.data() + batch.size()), batch.size());
  EXPECT_EQ(p, batch.data() + batch.size());
}

TEST(Codec, ABatchThatDoesNotFitItsCountIsAProtocolError) {
  using multirank::ProtocolError;
  std::string batch;
  for (int i = 0; i < 3; ++i) multirank::append_item(batch, std::string(5, 'a'));
  std::string sink;
  const auto place = [&sink]() -> std::string& { return sink; };
  EXPECT_THROW(multirank::read_batch<std::string>(batch, 4, place), ProtocolError);    // too few
  EXPECT_THROW(multirank::read_batch<std::string>(batch, 2, place), ProtocolError);    // left over
  EXPECT_THROW(multirank::read_batch<std::string>(batch.substr(0, batch.size() - 1), 3, place), ProtocolError);
  std::int64_t x = 0;
  const auto raw_place = [&x]() -> std::int64_t& { return x; };
  EXPECT_THROW(multirank::read_batch<std::int64_t>(std::string(12, '\0'), 2, raw_place), ProtocolError);
  std::vector<std::int32_t> v;
  EXPECT_THROW(multirank::decode_bytes(std::string(6, '\0'), v), ProtocolError);
  Sample s{};
  EXPECT_THROW(multirank::decode_bytes(std::string(3, '\0'), s), ProtocolError);
}

TEST(Codec, AQueueBatchOfLargeItemsIsSizedOnceAndHoldsNoItemItGivesBack) {
  // 64 KiB items against a 4000-byte batch: one item per batch, in a buffer of that item's size
  // (encoding the next one and cutting it off again doubled every batch in flight).
  multirank::detail::QueueItems<std::vector<char>> items;
  for (int i = 0; i < 3; ++i) items.outbox.emplace_back(64 * 1024, static_cast<char>('a' + i));
  EXPECT_EQ(multirank::framed_item_bytes(items.outbox.front()), 8u + 64 * 1024);
  std::string batch;
  ASSERT_EQ(items.pack(16, 4000, batch), 1u);
  EXPECT_EQ(batch.size(), 8u + 64 * 1024);
  EXPECT_LE(batch.capacity(), batch.size() + 16);  // reserved once, not grown past the item
  EXPECT_EQ(items.outbox.size(), 2u);
  // Small items fill the batch up to its bytes, no further.
  multirank::detail::QueueItems<std::string> words;
  for (int i = 0; i < 100; ++i) words.outbox.emplace_back(92, 'w');  // 100 bytes framed
  std::string small;
  EXPECT_EQ(words.pack(1000, 4000, small), 40u);
  EXPECT_EQ(small.size(), 4000u);
  words.unpack(small, 40);
  ASSERT_EQ(words.inbox.size(), 40u);
  EXPECT_EQ(words.inbox.back(), std::string(92, 'w'));
}

TEST(CheckedCast, ValuesOutOfRangeAreUsageErrorsNotTruncations) {
  EXPECT_EQ(multirank::checked_cast<int>(std::size_t{5}, "count"), 5);
  EXPECT_EQ(multirank::checked_cast<std::uint32_t>(std::int64_t{4294967295}, "count"), 4294967295u);
  EXPECT_THROW((void)multirank::checked_cast<std::int32_t>(std::size_t{1} << 40, "count"), multirank::UsageError);
  EXPECT_THROW((void)multirank::checked_cast<std::uint32_t>(-1, "count"), multirank::UsageError);
  try {
    (void)multirank::checked_cast<std::int32_t>(std::size_t{1} << 31, "Queue: credit");
  } catch (const multirank::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("Queue: credit 2147483648 is out of range"), std::string::npos) << e.what();
  }
}

TEST(Codec, PipelineEnvelopesOfTriviallyCopyableItemsTakeTheRawPath) {
  multirank::detail::Envelope<std::int32_t> e;
  e.seq = 77;
  e.origin = 3;
  e.tail = true;
  e.items = {1, -2, 3, 4};
  const std::string bytes = multirank::encode_bytes(e);
  EXPECT_EQ(bytes.size(), sizeof(multirank::detail::EnvelopeHead) + 4 * sizeof(std::int32_t)) << "no archive";
  multirank::detail::Envelope<std::int32_t> back;
  multirank::decode_bytes(bytes, back);
  EXPECT_EQ(back.seq, 77u);
  EXPECT_EQ(back.origin, 3u);
  EXPECT_TRUE(back.tail);
  EXPECT_EQ(back.items, e.items);
  multirank::detail::Envelope<std::string> words;
  words.items = {"", "two", "three"};
  multirank::detail::Envelope<std::string> words_back;
  multirank::decode_bytes(multirank::encode_bytes(words), words_back);
  EXPECT_EQ(words_back.items, words.items);
  EXPECT_THROW(multirank::decode_bytes(bytes.substr(0, bytes.size() - 2), back), multirank::ProtocolError);
}

}  // namespace

#include "multirank/core/int128.hpp"

namespace {

TEST(Int128, DecimalTextRoundTripsAndBadTextIsAUsageError) {
  using multirank::int128_t;
  const int128_t max = static_cast<int128_t>((static_cast<multirank::uint128_t>(1) << 127) - 1);
  const int128_t min = -max - 1;
  for (const int128_t v : {int128_t{0}, int128_t{-7}, int128_t{123456789}, max, min})
    EXPECT_TRUE(multirank::parse_int128(multirank::to_string(v)) == v) << multirank::to_string(v);
  EXPECT_EQ(multirank::to_string(min), "-170141183460469231731687303715884105728");
  EXPECT_THROW((void)multirank::parse_int128("170141183460469231731687303715884105728"), multirank::UsageError);
  EXPECT_THROW((void)multirank::parse_int128("-170141183460469231731687303715884105729"), multirank::UsageError);
  EXPECT_THROW((void)multirank::parse_int128("12x"), multirank::UsageError);
  EXPECT_THROW((void)multirank::parse_int128("-"), multirank::UsageError);
}

}  // namespace
