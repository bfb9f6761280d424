#pragma once
/// \file Reading text files in blocks cut at word boundaries, in memory bounded by the block size.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "exercises/words.hpp"

namespace multirank::exercises {

/// A piece of one input file that starts and ends at word boundaries.
struct TextBlock {
  std::uint32_t file = 0;    ///< index into the list of files read
  std::uint64_t offset = 0;  ///< byte offset of text[0] in that file
  std::string text;          ///< the bytes (UTF-8, checked by the tokeniser)

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & file & offset & text;
  }
};

/// Default block size: large enough that per-block costs vanish, small enough for many blocks per rank.
inline constexpr std::size_t kDefaultBlockBytes = std::size_t{1} << 20;
/// A word longer than this cannot be cut into blocks; the reader reports it instead of growing further.
inline constexpr std::size_t kMaxWordBytes = std::size_t{16} << 20;

/// Reads files one after another and hands out blocks of at most `block_bytes` bytes (more only
/// when a single word is longer), each ending at a word boundary under the rule and never inside a
/// UTF-8 sequence. It holds at most one block plus the tail carried to the next one, however large
/// the files are.
class BlockReader {
 public:
  /// Reads `files` in order. Throws UsageError for a zero block size.
  BlockReader(std::vector<std::string> files, WordRule rule, std::size_t block_bytes = kDefaultBlockBytes);
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;
  BlockReader(BlockReader&&) noexcept;
  BlockReader& operator=(BlockReader&&) noexcept;
  ~BlockReader();

  /// The next block, or false after the last one. Throws std::runtime_error when a file cannot be
  /// read, TextError when no word boundary appears within kMaxWordBytes.
  bool next(TextBlock& block);
  /// Bytes handed out so far.
  [[nodiscard]] std::uint64_t bytes_read() const noexcept { return bytes_; }

 private:
  bool open_next_file();
  std::size_t fill(std::string& buffer, std::size_t want);

  std::vector<std::string> files_;
  WordRule rule_;
  std::size_t block_bytes_;
  std::size_t current_ = 0;      // index of the open file (or files_.size())
  bool opened_ = false;
  std::FILE* in_ = nullptr;
  bool eof_ = false;
  std::uint64_t file_offset_ = 0;  // offset of carry_[0] in the current file
  std::string carry_;
  std::uint64_t bytes_ = 0;
};

/// Checks that `path` names a readable, regular, text-looking file (its first 64 KiB are UTF-8
/// without NUL bytes); throws UsageError with one line naming the problem otherwise.
void check_text_file(const std::string& path);

}  // namespace multirank::exercises
