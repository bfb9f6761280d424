#pragma once
/// \file What a word is: the tokenising rules of `multirank wordcount`, on UTF-8 text.

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace multirank::exercises {

/// How text is cut into words.
enum class WordRule {
  /// Maximal runs of Unicode letters and digits, lowercased (Python's str.isalnum() and str.lower()).
  alnum,
  /// Whitespace-separated tokens kept as they are (Python's str.split(), `wc -w` style).
  whitespace,
};

/// Parses "alnum" or "whitespace"; throws UsageError otherwise.
WordRule parse_word_rule(std::string_view name);
/// The rule's name as parse_word_rule accepts it.
std::string_view to_string(WordRule rule) noexcept;

/// Text that cannot be tokenised (invalid UTF-8, a NUL byte): says which file and byte offset.
class TextError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Whether code point `c` belongs to a word under `rule` (alnum: Python's isalnum; whitespace: not isspace).
bool is_word_char(char32_t c, WordRule rule);

/// Python's str.lower() of a UTF-8 word (full case mapping, final sigma), as UTF-8.
std::string lowercase(std::string_view utf8);

/// Whether lowercasing may change a word holding code point `c`: its simple lowercase differs,
/// or it is U+0130, the one code point whose full lowercase (root locale) differs from a simple one.
bool changes_when_lowercased(char32_t c);

/// Where a piece of text came from, for error messages: "FILE: byte OFFSET".
struct TextOrigin {
  std::string_view name;      ///< the file name
  std::uint64_t offset = 0;  ///< byte offset of the text's first byte in that file
};

/// Cuts UTF-8 text into words under one rule and hands each word (lowercased for alnum) to a
/// callback. Keeps its scratch buffers, so one tokeniser per thread is the cheap way to use it.
class Tokenizer {
 public:
  /// A tokeniser for `rule`.
  explicit Tokenizer(WordRule rule) : rule_(rule) {}
  /// Calls `on_word` for every word of `text`, which must start and end at word boundaries;
  /// throws TextError (naming `origin`) at the first invalid UTF-8 sequence or NUL byte.
  void tokenize(std::string_view text, const TextOrigin& origin,
                const std::function<void(std::string_view)>& on_word);
  /// Like tokenize, but with any callable (no std::function call per word).
  template <class OnWord>
  void for_each_word(std::string_view text, const TextOrigin& origin, OnWord&& on_word);
  /// The rule it applies.
  [[nodiscard]] WordRule rule() const noexcept { return rule_; }

 private:
  /// Decodes the code point at text[i], advancing i; throws TextError when ill-formed.
  char32_t decode(std::string_view text, std::size_t& i, const TextOrigin& origin) const;
  /// The word in its counted form: lowercased for alnum when `lower` (some code point changes),
  /// by a byte table when `ascii`, by ICU otherwise.
  std::string_view normalise(std::string_view word, bool ascii, bool lower);

  WordRule rule_;
  std::string scratch_;
};

/// Whether the block may be cut before byte `i`: an ASCII separator on either side of the cut
/// (ASCII bytes never occur inside a multi-byte UTF-8 sequence).
bool is_ascii_separator(unsigned char byte, WordRule rule) noexcept;

/// The largest cut position c in [1, text.size()] such that text[0, c) ends at a word boundary
/// under `rule` and at a code point boundary; 0 when there is none (one word fills the text).
std::size_t last_word_boundary(std::string_view text, WordRule rule);

/// Throws TextError for `origin` when `text` contains a NUL byte (binary data, not text).
void reject_binary(std::string_view text, const TextOrigin& origin);

/// "FILE: byte N" for an error message.
std::string describe(const TextOrigin& origin, std::uint64_t offset_in_text);

// ---- implementation of the template ----

namespace detail {
/// Per-byte classes for the ASCII fast path: 0 separator, 1 word byte, 2 lead of a longer sequence.
const unsigned char* ascii_classes(WordRule rule) noexcept;
}  // namespace detail

template <class OnWord>
void Tokenizer::for_each_word(std::string_view text, const TextOrigin& origin, OnWord&& on_word) {
  const unsigned char* cls = detail::ascii_classes(rule_);
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  std::size_t start = 0;
  bool in_word = false;
  bool ascii = true;   // every byte of the word is ASCII
  bool lower = false;  // lowercasing changes the word (alnum rule only)
  const bool alnum = rule_ == WordRule::alnum;
  while (i < n) {
    const unsigned char b = bytes[i];
    const unsigned char k = cls[b];
    if (k == 1) {  // ASCII word byte
      if (!in_word) { in_word = true; start = i; ascii = true; lower = false; }
      lower |= static_cast<unsigned char>(b - 'A') < 26;
      ++i;
      continue;
    }
    if (k == 0) {  // ASCII separator (or NUL, which decode rejects)
      if (b == 0) { std::size_t j = i; (void)decode(text, j, origin); }
      if (in_word) { on_word(normalise(text.substr(start, i - start), ascii, lower)); in_word = false; }
      ++i;
      continue;
    }
    const std::size_t at = i;
    const char32_t c = decode(text, i, origin);
    if (is_word_char(c, rule_)) {
      if (!in_word) { in_word = true; start = at; lower = false; }
      ascii = false;
      if (alnum && !lower) lower = changes_when_lowercased(c);
    } else if (in_word) {
      on_word(normalise(text.substr(start, at - start), ascii, lower));
      in_word = false;
    }
  }
  if (in_word) on_word(normalise(text.substr(start, n - start), ascii, lower));
}

}  // namespace multirank::exercises
