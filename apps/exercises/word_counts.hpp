#pragma once
/// \file A dictionary of word counts: count, merge, rank, write.

#include <boost/serialization/split_member.hpp>
#include <boost/serialization/string.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace multirank::exercises {

/// Counts per word. Lookups by string_view allocate nothing for words already counted.
class WordCounts {
 public:
  /// A word and how often it occurred.
  using Entry = std::pair<std::string, std::uint64_t>;

  /// Adds `n` occurrences of `word`.
  void add(std::string_view word, std::uint64_t n = 1);
  /// Adds every count of `other` (the merge of two partial counts).
  void merge(const WordCounts& other);
  /// Moves `other`'s counts in, cheaper than merge when this one is empty.
  void merge(WordCounts&& other);
  /// Occurrences of `word` (0 if never seen).
  [[nodiscard]] std::uint64_t count(std::string_view word) const;
  /// All occurrences counted.
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
  /// Number of different words.
  [[nodiscard]] std::size_t distinct() const noexcept { return map_.size(); }
  /// The `k` most frequent words, by count descending, ties by word (bytewise, i.e. code point order).
  [[nodiscard]] std::vector<Entry> top(std::size_t k) const;
  /// Every word, in top() order.
  [[nodiscard]] std::vector<Entry> sorted() const { return top(map_.size()); }
  /// Writes "word<TAB>count" lines in sorted() order to `path`, atomically: a temporary file in
  /// the same directory, renamed over `path` once complete. Throws std::runtime_error on failure.
  void write_tsv(const std::string& path) const;
  /// Equal words and counts.
  bool operator==(const WordCounts& other) const { return total_ == other.total_ && map_ == other.map_; }

  template <class Archive>
  void save(Archive& ar, const unsigned int /*version*/) const {
    const std::uint64_t n = map_.size();
    ar << n;
    for (const auto& [word, count] : map_) ar << word << count;
  }
  template <class Archive>
  void load(Archive& ar, const unsigned int /*version*/) {
    std::uint64_t n = 0;
    ar >> n;
    map_.clear();
    total_ = 0;
    map_.reserve(n);
    std::string word;
    std::uint64_t count = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      ar >> word >> count;
      add(word, count);
    }
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()

 private:
  /// Hashes std::string and std::string_view alike (heterogeneous lookup).
  struct Hash {
    using is_transparent = void;
    // Deliberately not noexcept: libstdc++ then stores each node's hash, so walking a bucket
    // compares stored hashes instead of rehashing every word in it (half the counting time).
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint64_t, Hash, std::equal_to<>> map_;
  std::uint64_t total_ = 0;
};

}  // namespace multirank::exercises
