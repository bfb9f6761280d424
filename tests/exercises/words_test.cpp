// The word rules against Python: every code point, a mixed Spanish/English text, bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "exercises/text_blocks.hpp"
#include "exercises/word_counts.hpp"
#include "exercises/words.hpp"
#include "multirank/core/error.hpp"
#include "sample_text.hpp"

using multirank::exercises::BlockReader;
using multirank::exercises::TextBlock;
using multirank::exercises::TextError;
using multirank::exercises::Tokenizer;
using multirank::exercises::WordCounts;
using multirank::exercises::WordRule;
namespace mt = multirank::testing;

namespace {

std::string temp_dir() {
  static const std::string dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("multirank_words_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d.string();
  }();
  return dir;
}

/// Removes the scratch directory when the tests are done.
class TempDirCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir(), ec);
  }
};
const auto* const cleanup = ::testing::AddGlobalTestEnvironment(new TempDirCleanup);

std::string utf8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (c >> 18));
    s += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

WordCounts count_file_in_blocks(const std::string& path, WordRule rule, std::size_t block) {
  BlockReader reader({path}, rule, block);
  Tokenizer tok(rule);
  WordCounts counts;
  TextBlock b;
  while (reader.next(b)) tok.for_each_word(b.text, {path, b.offset}, [&](std::string_view w) { counts.add(w); });
  return counts;
}

std::string tsv_of(const WordCounts& counts) {
  const std::string path = temp_dir() + "/counts.tsv";
  counts.write_tsv(path);
  return mt::read_file(path);
}

}  // namespace

// Every code point Python knows: isalnum(), isspace() and lower() agree with ours.
TEST(Words, EveryCodePointMatchesPython) {
  const std::string table = mt::run_command(std::string("python3 ") + MULTIRANK_EXERCISES_TEST_DIR +
                                            "/reference_words.py classes");
  std::istringstream in(table);
  std::string line;
  std::size_t checked = 0;
  std::vector<std::string> mismatches;
  Tokenizer tok(WordRule::alnum);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string cp_hex, lower_rest;
    int alnum = 0, space = 0;
    fields >> cp_hex >> alnum >> space;
    std::getline(fields, lower_rest);
    const auto cp = static_cast<char32_t>(std::stoul(cp_hex, nullptr, 16));
    std::string expected_lower;
    std::istringstream lows(lower_rest);
    std::string h;
    while (lows >> h) expected_lower += h == "-" ? utf8(cp) : utf8(static_cast<char32_t>(std::stoul(h, nullptr, 16)));
    const bool ok_alnum = multirank::exercises::is_word_char(cp, WordRule::alnum) == (alnum != 0);
    const bool ok_space = multirank::exercises::is_word_char(cp, WordRule::whitespace) == (space == 0);
    bool ok_lower = multirank::exercises::lowercase(utf8(cp)) == expected_lower;
    if (alnum != 0) {  // the tokeniser's shortcut (no ICU call when nothing changes) agrees too
      std::string word;
      tok.tokenize(utf8(cp), {"cp", 0}, [&word](std::string_view w) { word = w; });
      ok_lower = ok_lower && word == expected_lower;
    }
    if ((!ok_alnum || !ok_space || !ok_lower) && mismatches.size() < 20) mismatches.push_back(line);
    ++checked;
  }
  EXPECT_GT(checked, 250000u);
  EXPECT_TRUE(mismatches.empty()) << "first mismatches (cp alnum space lower):\n" << [&] {
    std::string s;
    for (const auto& m : mismatches) s += m + "\n";
    return s;
  }();
}

TEST(Words, AlnumRuleExamples) {
  Tokenizer tok(WordRule::alnum);
  std::vector<std::string> got;
  tok.tokenize("¿Qué ESTÁ pasando, niño? don't e-mail snake_case ΟΔΟΣ İ 3.14 x²", {"t", 0},
               [&](std::string_view w) { got.emplace_back(w); });
  const std::vector<std::string> want{"qué", "está", "pasando", "niño", "don", "t", "e", "mail", "snake", "case",
                                      "οδος", "i\xcc\x87", "3", "14", "x²"};
  EXPECT_EQ(got, want);
  EXPECT_EQ(multirank::exercises::lowercase("ΟΔΟΣ"), "οδος");  // final sigma, as Python's lower()
}

TEST(Words, WhitespaceRuleKeepsTokens) {
  Tokenizer tok(WordRule::whitespace);
  std::vector<std::string> got;
  tok.tokenize("  ¿Qué\tESTÁ\u00a0pasando,\r\nniño?  ", {"t", 0}, [&](std::string_view w) { got.emplace_back(w); });
  EXPECT_EQ(got, (std::vector<std::string>{"¿Qué", "ESTÁ", "pasando,", "niño?"}));
}

TEST(Words, InvalidUtf8NamesFileAndOffset) {
  Tokenizer tok(WordRule::alnum);
  const auto error_of = [&](const std::string& text, std::uint64_t base) {
    try {
      tok.tokenize(text, {"in.txt", base}, [](std::string_view) {});
    } catch (const TextError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("hola \xC3( mundo", 0), "invalid UTF-8 at in.txt: byte 5");
  EXPECT_EQ(error_of("ab \xED\xA0\x80", 100), "invalid UTF-8 at in.txt: byte 103");  // a surrogate
  EXPECT_EQ(error_of("\xC0\xAF", 0), "invalid UTF-8 at in.txt: byte 0");            // overlong '/'
  EXPECT_EQ(error_of("abc \xE2\x82", 0), "invalid UTF-8 at in.txt: byte 4");        // cut short
  EXPECT_EQ(error_of(std::string("ab\0cd", 5), 0), "binary data (a NUL byte), not text, at in.txt: byte 2");
}

// The Python Counter over the same file, byte for byte, for both rules and many block sizes
// (blocks far smaller than a word force the reader to grow them).
TEST(Words, CountsMatchPythonCounter) {
  const std::string path = temp_dir() + "/mixed.txt";
  mt::write_file(path, mt::sample_text(200000));
  for (const char* rule_name : {"alnum", "whitespace"}) {
    const WordRule rule = multirank::exercises::parse_word_rule(rule_name);
    const std::string reference = mt::python_reference_tsv(rule_name, {path});
    ASSERT_FALSE(reference.empty());
    for (std::size_t block : {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{100}, std::size_t{4096},
                              std::size_t{1} << 20}) {
      const WordCounts counts = count_file_in_blocks(path, rule, block);
      EXPECT_EQ(tsv_of(counts), reference) << rule_name << " with blocks of " << block << " bytes";
    }
  }
}

// Concatenated blocks give back the file; no block starts or ends inside a word.
TEST(Words, BlocksCutAtWordBoundaries) {
  const std::string text = mt::sample_text(50000, 7);
  const std::string path = temp_dir() + "/blocks.txt";
  mt::write_file(path, text);
  for (std::size_t block : {std::size_t{5}, std::size_t{64}, std::size_t{1000}}) {
    BlockReader reader({path, path}, WordRule::alnum, block);
    std::string joined;
    TextBlock b;
    std::size_t blocks = 0;
    std::uint64_t expect_offset = 0;
    std::uint32_t expect_file = 0;
    while (reader.next(b)) {
      if (b.file != expect_file) {
        EXPECT_EQ(joined.size(), text.size());
        expect_file = b.file;
        expect_offset = 0;
      }
      EXPECT_EQ(b.offset, expect_offset);
      expect_offset += b.text.size();
      joined += b.text;
      ++blocks;
      const unsigned char last = static_cast<unsigned char>(b.text.back());
      const bool file_end = b.offset + b.text.size() == text.size();
      EXPECT_TRUE(file_end || multirank::exercises::last_word_boundary(b.text, WordRule::alnum) == b.text.size())
          << "block ends inside a word: byte " << int(last);
    }
    EXPECT_EQ(joined, text + text);
    EXPECT_EQ(reader.bytes_read(), 2 * text.size());
    EXPECT_GE(blocks, 2 * text.size() / (block + 64));
  }
}

TEST(Words, EmptyFileAndFileWithoutWords) {
  const std::string empty = temp_dir() + "/empty.txt";
  const std::string punct = temp_dir() + "/punct.txt";
  mt::write_file(empty, "");
  mt::write_file(punct, " ,.;¿? ¡!\n\t—«» \u00a0 ");
  EXPECT_NO_THROW(multirank::exercises::check_text_file(empty));
  EXPECT_NO_THROW(multirank::exercises::check_text_file(punct));
  EXPECT_EQ(count_file_in_blocks(empty, WordRule::alnum, 16).total(), 0u);
  const WordCounts c = count_file_in_blocks(punct, WordRule::alnum, 4);
  EXPECT_EQ(c.total(), 0u);
  EXPECT_EQ(c.distinct(), 0u);
  EXPECT_EQ(tsv_of(c), "");
}

TEST(Words, BadFilesAreUsageErrors) {
  const std::string binary = temp_dir() + "/binary.bin";
  const std::string latin1 = temp_dir() + "/latin1.txt";
  mt::write_file(binary, std::string("ELF\0\0\1\2", 7));
  mt::write_file(latin1, "ni\xf1o");
  const auto message = [](const std::string& path) {
    try {
      multirank::exercises::check_text_file(path);
    } catch (const multirank::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message(temp_dir() + "/missing.txt"), temp_dir() + "/missing.txt: no such file");
  EXPECT_EQ(message(temp_dir()), temp_dir() + ": is a directory, not a text file");
  EXPECT_NE(message(binary).find("binary data (a NUL byte), not text, at " + binary + ": byte 3"), std::string::npos);
  EXPECT_NE(message(latin1).find("invalid UTF-8 at " + latin1 + ": byte 2"), std::string::npos);
}

TEST(Words, OverlongWordIsReported) {
  const std::string path = temp_dir() + "/long.txt";
  mt::write_file(path, "short " + std::string(multirank::exercises::kMaxWordBytes + 10, 'a'));
  BlockReader reader({path}, WordRule::alnum, 1 << 20);
  TextBlock b;
  try {
    while (reader.next(b)) {
    }
    ADD_FAILURE() << "no error";
  } catch (const TextError& e) {
    EXPECT_NE(std::string(e.what()).find("no word boundary within 16 MiB at " + path + ": byte 6"), std::string::npos)
        << e.what();
  }
}

TEST(Words, TopKOrdersByCountThenWord) {
  WordCounts c;
  for (const char* w : {"b", "a", "c", "b", "a", "ñ", "z", "z"}) c.add(w);
  const auto top = c.top(4);
  ASSERT_EQ(top.size(), 4u);
  EXPECT_EQ(top[0], (WordCounts::Entry{"a", 2}));
  EXPECT_EQ(top[1], (WordCounts::Entry{"b", 2}));
  EXPECT_EQ(top[2], (WordCounts::Entry{"z", 2}));
  EXPECT_EQ(top[3], (WordCounts::Entry{"c", 1}));
  EXPECT_EQ(c.top(100).size(), 5u);
  WordCounts d;
  d.add("ñ", 5);
  c.merge(d);
  EXPECT_EQ(c.count("ñ"), 6u);
  EXPECT_EQ(c.total(), 13u);
  EXPECT_EQ(c.top(1)[0], (WordCounts::Entry{"ñ", 6}));
  EXPECT_THROW(c.write_tsv(temp_dir() + "/no/such/dir/x.tsv"), std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(temp_dir() + "/no/such/dir"));
}
