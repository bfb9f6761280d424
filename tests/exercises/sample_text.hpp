#pragma once
// Test inputs: a deterministic mixed Spanish/English text with the awkward cases of both word
// rules, and a runner for the Python reference.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace multirank::testing {

/// Words and separators that exercise the rules: accents (precomposed and combining), ñ, ¿¡«»,
/// digits of other scripts, Roman numerals, superscripts, final sigma, dotted İ, ß, ligatures,
/// no-break and ideographic spaces, emoji, apostrophes, hyphens, underscores.
inline const std::vector<std::string>& sample_vocabulary() {
  static const std::vector<std::string> v{
      "el", "niño", "está", "ESTÁ", "Está", "año", "Año", "años", "corazón", "pingüino", "¿qué?", "¡Olé!",
      "«canción»", "the", "The", "THE", "quick", "brown", "fox", "jumps", "don't", "well-known", "snake_case",
      "e-mail", "Ñandú", "ÑANDÚ", "cafe\xcc\x81", "café", "2024", "3.14", "x²", "Ⅻ", "ⅻ", "١٢٣", "ΟΔΟΣ",
      "Σίσυφος", "İstanbul", "STRASSE", "Straße", "ﬁn", "日本語", "中文。", "🙂", "a🙂b", "Ǆemal", "ǅ",
      "über", "Über", "ÜBER", "garçon", "naïve", "x\xc2\xa0y", "z\xe3\x80\x80w", "tab\tsep", "(paréntesis)",
      "word.", "—guion—", "Mañana,", "mañana;", "co-op", "R2D2", "A1", "a1", "ĳ", "Ĳ", "ǈ", "ᾈ", "Σ"};
  return v;
}

/// About `approx_bytes` of text from the vocabulary, mixed with spaces, tabs and newlines.
inline std::string sample_text(std::size_t approx_bytes, std::uint32_t seed = 42) {
  const auto& vocab = sample_vocabulary();
  std::mt19937 gen(seed);
  std::uniform_int_distribution<std::size_t> pick(0, vocab.size() - 1);
  std::uniform_int_distribution<int> sep(0, 19);
  std::string text;
  while (text.size() < approx_bytes) {
    text += vocab[pick(gen)];
    const int s = sep(gen);
    text += s == 0 ? "\n" : s == 1 ? "\t" : s == 2 ? ", " : s == 3 ? "\r\n" : " ";
  }
  return text;
}

/// Writes `bytes` to `path`.
inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

/// Reads `path` whole.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Standard output of a shell command; throws when it fails.
inline std::string run_command(const std::string& command) {
  std::FILE* p = ::popen(command.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (::pclose(p) != 0) throw std::runtime_error("failed: " + command);
  return out;
}

/// The Python Counter reference's TSV for `files` under `rule` ("alnum" or "whitespace").
inline std::string python_reference_tsv(const std::string& rule, const std::vector<std::string>& files) {
  std::string cmd = std::string("python3 ") + MULTIRANK_EXERCISES_TEST_DIR "/reference_words.py count " + rule;
  for (const auto& f : files) cmd += " '" + f + "'";
  return run_command(cmd);
}

}  // namespace multirank::testing
