// Word rules on UTF-8 text: an ASCII table for the common bytes, ICU for everything else.
#include "exercises/words.hpp"

#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <array>
#include <cstring>

#include "multirank/core/error.hpp"

namespace multirank::exercises {

WordRule parse_word_rule(std::string_view name) {
  if (name == "alnum") return WordRule::alnum;
  if (name == "whitespace") return WordRule::whitespace;
  throw UsageError("unknown word rule '" + std::string(name) + "' (expected alnum or whitespace)");
}

std::string_view to_string(WordRule rule) noexcept {
  return rule == WordRule::alnum ? "alnum" : "whitespace";
}

bool is_word_char(char32_t c, WordRule rule) {
  const auto cp = static_cast<UChar32>(c);
  if (rule == WordRule::alnum)
    return u_isalpha(cp) || u_getIntPropertyValue(cp, UCHAR_NUMERIC_TYPE) != U_NT_NONE;
  // Python's str.isspace(): general category Zs, or bidirectional class WS, B or S.
  const auto bidi = u_charDirection(cp);
  const bool space = u_charType(cp) == U_SPACE_SEPARATOR || bidi == U_WHITE_SPACE_NEUTRAL ||
                     bidi == U_BLOCK_SEPARATOR || bidi == U_SEGMENT_SEPARATOR;
  return !space;
}

std::string lowercase(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  icu::StringByteSink<std::string> sink(&out);
  UErrorCode err = U_ZERO_ERROR;
  // The root locale: no Turkish or Lithuanian tailoring, exactly like Python.
  icu::CaseMap::utf8ToLower("", 0, icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())), sink,
                            nullptr, err);
  if (U_FAILURE(err)) throw std::runtime_error(std::string("lowercasing failed: ") + u_errorName(err));
  return out;
}

namespace detail {

namespace {
std::array<unsigned char, 256> make_classes(WordRule rule) {
  std::array<unsigned char, 256> cls{};
  for (int b = 0; b < 256; ++b) {
    if (b >= 0x80) {
      cls[b] = 2;
    } else {
      cls[b] = is_ascii_separator(static_cast<unsigned char>(b), rule) ? 0 : 1;
    }
  }
  return cls;
}
}  // namespace

const unsigned char* ascii_classes(WordRule rule) noexcept {
  static const auto alnum = make_classes(WordRule::alnum);
  static const auto whitespace = make_classes(WordRule::whitespace);
  return rule == WordRule::alnum ? alnum.data() : whitespace.data();
}

}  // namespace detail

bool is_ascii_separator(unsigned char byte, WordRule rule) noexcept {
  if (byte >= 0x80) return false;
  if (byte == 0) return true;  // never part of a word: the tokeniser rejects it as binary data
  return !is_word_char(byte, rule);
}

std::string describe(const TextOrigin& origin, std::uint64_t offset_in_text) {
  return std::string(origin.name) + ": byte " + std::to_string(origin.offset + offset_in_text);
}

void reject_binary(std::string_view text, const TextOrigin& origin) {
  if (const void* nul = std::memchr(text.data(), 0, text.size()))
    throw TextError("binary data (a NUL byte), not text, at " +
                    describe(origin, static_cast<std::uint64_t>(static_cast<const char*>(nul) - text.data())));
}

char32_t Tokenizer::decode(std::string_view text, std::size_t& i, const TextOrigin& origin) const {
  const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
  const std::size_t at = i;
  if (s[at] == 0) throw TextError("binary data (a NUL byte), not text, at " + describe(origin, at));
  const std::int64_t length = static_cast<std::int64_t>(text.size());
  std::int64_t j = static_cast<std::int64_t>(i);
  UChar32 c = 0;
  U8_NEXT(s, j, length, c);
  if (c < 0) throw TextError("invalid UTF-8 at " + describe(origin, at));
  i = static_cast<std::size_t>(j);
  return static_cast<char32_t>(c);
}

bool changes_when_lowercased(char32_t c) {
  const auto cp = static_cast<UChar32>(c);
  return cp == 0x130 || u_tolower(cp) != cp;
}

std::string_view Tokenizer::normalise(std::string_view word, bool ascii, bool lower) {
  // Most words are already lowercase: counted as they are, no copy.
  if (rule_ == WordRule::whitespace || !lower) return word;
  if (ascii) {
    scratch_.assign(word);
    for (char& ch : scratch_)
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return scratch_;
  }
  scratch_.clear();
  icu::StringByteSink<std::string> sink(&scratch_);
  UErrorCode err = U_ZERO_ERROR;
  icu::CaseMap::utf8ToLower("", 0, icu::StringPiece(word.data(), static_cast<int32_t>(word.size())), sink,
                            nullptr, err);
  if (U_FAILURE(err)) throw std::runtime_error(std::string("lowercasing failed: ") + u_errorName(err));
  return scratch_;
}

void Tokenizer::tokenize(std::string_view text, const TextOrigin& origin,
                         const std::function<void(std::string_view)>& on_word) {
  for_each_word(text, origin, on_word);
}

std::size_t last_word_boundary(std::string_view text, WordRule rule) {
  const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
  for (std::size_t j = text.size(); j > 0; --j)
    if (is_ascii_separator(s[j - 1], rule)) return j;
  // No ASCII separator at all: look for a non-ASCII one, decoding from the start.
  const std::int64_t length = static_cast<std::int64_t>(text.size());
  std::int64_t i = 0;
  std::size_t best = 0;
  while (i < length) {
    const std::int64_t at = i;
    UChar32 c = 0;
    U8_NEXT(s, i, length, c);
    if (c < 0) {
      // A sequence cut by the end of the text is not an error yet: cut before it.
      if (i == length) return best;
      // Ill-formed: the tokeniser will report it; cut just past its first byte so it is reported
      // in the earlier piece, at its true offset.
      return static_cast<std::size_t>(at + 1);
    }
    if (!is_word_char(static_cast<char32_t>(c), rule)) best = static_cast<std::size_t>(i);
  }
  return best;
}

}  // namespace multirank::exercises
