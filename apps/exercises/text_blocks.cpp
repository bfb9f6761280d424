// Block reader: read, cut at the last word boundary, carry the tail to the next block.
#include "exercises/text_blocks.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "multirank/core/error.hpp"

namespace multirank::exercises {

BlockReader::BlockReader(std::vector<std::string> files, WordRule rule, std::size_t block_bytes)
    : files_(std::move(files)), rule_(rule), block_bytes_(block_bytes) {
  if (block_bytes_ == 0) throw UsageError("BlockReader: the block size must be positive");
}

BlockReader::BlockReader(BlockReader&& other) noexcept
    : files_(std::move(other.files_)), rule_(other.rule_), block_bytes_(other.block_bytes_),
      current_(other.current_), opened_(other.opened_), in_(other.in_), eof_(other.eof_),
      file_offset_(other.file_offset_), carry_(std::move(other.carry_)), bytes_(other.bytes_) {
  other.in_ = nullptr;
}

BlockReader& BlockReader::operator=(BlockReader&& other) noexcept {
  if (this != &other) {
    if (in_) std::fclose(in_);
    files_ = std::move(other.files_);
    rule_ = other.rule_;
    block_bytes_ = other.block_bytes_;
    current_ = other.current_;
    opened_ = other.opened_;
    in_ = other.in_;
    eof_ = other.eof_;
    file_offset_ = other.file_offset_;
    carry_ = std::move(other.carry_);
    bytes_ = other.bytes_;
    other.in_ = nullptr;
  }
  return *this;
}

BlockReader::~BlockReader() {
  if (in_) std::fclose(in_);
}

bool BlockReader::open_next_file() {
  if (in_) {
    std::fclose(in_);
    in_ = nullptr;
  }
  if (opened_) ++current_;
  opened_ = true;
  if (current_ >= files_.size()) return false;
  const std::string& path = files_[current_];
  in_ = std::fopen(path.c_str(), "rb");
  if (!in_) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  // Our own buffer is the block: stdio's would only add a copy.
  std::setvbuf(in_, nullptr, _IONBF, 0);
  eof_ = false;
  file_offset_ = 0;
  carry_.clear();
  return true;
}

std::size_t BlockReader::fill(std::string& buffer, std::size_t want) {
  const std::size_t old = buffer.size();
  buffer.resize(old + want);
  std::size_t got = 0;
  while (got < want && !eof_) {
    const std::size_t n = std::fread(buffer.data() + old + got, 1, want - got, in_);
    got += n;
    if (n == 0) {
      if (std::ferror(in_))
        throw std::runtime_error("cannot read " + files_[current_] + ": " + std::strerror(errno));
      eof_ = true;
    }
  }
  buffer.resize(old + got);
  return got;
}

bool BlockReader::next(TextBlock& block) {
  for (;;) {
    if (!in_ && !open_next_file()) return false;
    std::string buffer = std::move(carry_);
    carry_ = std::string();
    if (buffer.size() < block_bytes_) fill(buffer, block_bytes_ - buffer.size());
    std::size_t cut = buffer.size();
    if (!eof_) {
      // Cut at the last boundary; when one word fills the block, read on until it ends.
      cut = last_word_boundary(buffer, rule_);
      while (cut == 0 && !eof_) {
        if (buffer.size() >= kMaxWordBytes)
          throw TextError("no word boundary within " + std::to_string(kMaxWordBytes >> 20) + " MiB at " +
                          describe({files_[current_], file_offset_}, 0) + " (not text, or a word that long)");
        // Only the new bytes can hold a boundary: scan from the code point that starts them.
        std::size_t from = buffer.size();
        const auto byte = [&buffer](std::size_t i) { return static_cast<unsigned char>(buffer[i]); };
        for (int k = 0; k < 3 && from > 0 && (byte(from - 1) & 0xC0) == 0x80; ++k) --from;
        if (from > 0 && byte(from - 1) >= 0xC0) --from;
        fill(buffer, block_bytes_);
        if (eof_) {
          cut = buffer.size();
        } else if (const std::size_t c = last_word_boundary(std::string_view(buffer).substr(from), rule_); c != 0) {
          cut = from + c;
        }
      }
    }
    if (cut == 0) {  // nothing left in this file
      std::fclose(in_);
      in_ = nullptr;
      continue;
    }
    carry_.assign(buffer, cut, std::string::npos);
    buffer.resize(cut);
    block.file = static_cast<std::uint32_t>(current_);
    block.offset = file_offset_;
    block.text = std::move(buffer);
    file_offset_ += cut;
    bytes_ += cut;
    if (eof_ && carry_.empty()) {
      std::fclose(in_);
      in_ = nullptr;
    }
    return true;
  }
}

void check_text_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw UsageError(path + ": no such file");
  if (fs::is_directory(st)) throw UsageError(path + ": is a directory, not a text file");
  if (!fs::is_regular_file(st)) throw UsageError(path + ": not a regular file");
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) throw UsageError(path + ": cannot open: " + std::strerror(errno));
  constexpr std::size_t kSniffBytes = 64 * 1024;
  std::string head(kSniffBytes, '\0');
  const std::size_t n = std::fread(head.data(), 1, head.size(), in);
  const bool failed = std::ferror(in) != 0;
  const int read_errno = errno;
  std::fclose(in);
  if (failed) throw UsageError(path + ": cannot read: " + std::strerror(read_errno));
  head.resize(n);
  // A sniff like grep's: text is UTF-8 without NUL bytes. Later problems are reported by the
  // tokeniser with their offset.
  try {
    reject_binary(head, {path, 0});
    const std::size_t cut = n == kSniffBytes ? last_word_boundary(head, WordRule::whitespace) : n;
    Tokenizer tokenizer(WordRule::whitespace);
    tokenizer.for_each_word(std::string_view(head).substr(0, cut), {path, 0}, [](std::string_view) {});
  } catch (const TextError& e) {
    throw UsageError(e.what());
  }
}

}  // namespace multirank::exercises
