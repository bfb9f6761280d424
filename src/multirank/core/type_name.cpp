#include "multirank/core/type_name.hpp"

#include <array>
#include <cctype>
#include <vector>

namespace multirank {
namespace detail {

std::string_view template_argument_text(std::string_view pretty) noexcept {
  const auto open = pretty.find('[');
  if (open == std::string_view::npos) return pretty;
  const auto eq = pretty.find('=', open);
  if (eq == std::string_view::npos) return pretty;
  std::size_t from = eq + 1;
  while (from < pretty.size() && pretty[from] == ' ') ++from;
  int depth = 0;
  std::size_t to = from;
  for (; to < pretty.size(); ++to) {
    const char c = pretty[to];
    if (c == '<' || c == '(' || c == '[' || c == '{') ++depth;
    if (c == '>' || c == ')' || c == '}') --depth;
    if (c == ']') {
      if (depth == 0) break;
      --depth;
    }
    if (c == ';' && depth == 0) break;  // GCC appends "; typedef = ..." for the return type
  }
  return pretty.substr(from, to - from);
}

std::string without_template_arguments(std::string name) {
  if (name.empty() || name.back() != '>' || name.find("operator") != std::string::npos) return name;
  int depth = 0;
  for (std::size_t i = name.size(); i-- > 0;) {
    if (name[i] == '>') ++depth;
    if (name[i] == '<' && --depth == 0) return name.substr(0, i);
  }
  return name;
}

}  // namespace detail

namespace {

struct Token {
  std::string text;
  bool word = false;
};

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

bool fundamental_word(const std::string& w) {
  return w == "signed" || w == "unsigned" || w == "short" || w == "long" || w == "int" || w == "char" || w == "double";
}

/// "long int" -> "long", "long long unsigned int" -> "unsigned long long", "short int" -> "short".
std::vector<Token> canonical_fundamental(const std::vector<std::string>& words) {
  int longs = 0;
  bool is_unsigned = false, is_signed = false, is_short = false, is_char = false, is_double = false;
  for (const auto& w : words) {
    if (w == "long") ++longs;
    if (w == "unsigned") is_unsigned = true;
    if (w == "signed") is_signed = true;
    if (w == "short") is_short = true;
    if (w == "char") is_char = true;
    if (w == "double") is_double = true;
  }
  std::vector<std::string> out;
  if (is_double) {
    if (longs > 0) out.emplace_back("long");
    out.emplace_back("double");
  } else if (is_char) {
    if (is_unsigned) out.emplace_back("unsigned");
    if (is_signed) out.emplace_back("signed");
    out.emplace_back("char");
  } else {
    if (is_unsigned) out.emplace_back("unsigned");
    if (is_short) {
      out.emplace_back("short");
    } else if (longs > 0) {
      for (int i = 0; i < longs; ++i) out.emplace_back("long");
    } else {
      out.emplace_back("int");
    }
  }
  std::vector<Token> tokens;
  for (auto& w : out) tokens.push_back({std::move(w), true});
  return tokens;
}

std::vector<Token> tokenize(const std::string& s) {
  std::vector<Token> raw;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == ' ') {
      ++i;
    } else if (word_char(c)) {
      std::size_t j = i;
      while (j < s.size() && word_char(s[j])) ++j;
      raw.push_back({s.substr(i, j - i), true});
      i = j;
    } else if (c == ':' && i + 1 < s.size() && s[i + 1] == ':') {
      raw.push_back({"::", false});
      i += 2;
    } else {
      raw.push_back({std::string(1, c), false});
      ++i;
    }
  }
  // Merge runs of fundamental-type words into their shortest spelling.
  std::vector<Token> out;
  for (std::size_t i = 0; i < raw.size();) {
    const bool qualified = i > 0 && raw[i - 1].text == "::";
    if (raw[i].word && !qualified && fundamental_word(raw[i].text)) {
      std::vector<std::string> run;
      while (i < raw.size() && raw[i].word && fundamental_word(raw[i].text)) run.push_back(raw[i++].text);
      for (auto& t : canonical_fundamental(run)) out.push_back(std::move(t));
    } else {
      out.push_back(std::move(raw[i++]));
    }
  }
  return out;
}

/// Template arguments the standard library supplies by default, dropped when trailing.
bool default_argument(const std::string& arg) {
  static constexpr std::array<std::string_view, 6> kDefaults = {"std::char_traits<", "std::allocator<", "std::less<",
                                                                "std::hash<",        "std::equal_to<",  "std::default_delete<"};
  for (auto d : kDefaults)
    if (arg.rfind(d, 0) == 0) return true;
  return false;
}

bool is_punct(const Token& t, char c) { return !t.word && t.text.size() == 1 && t.text[0] == c; }

/// Renders tokens from `i` until one of `stops` at this level (left unconsumed).
std::string render(const std::vector<Token>& t, std::size_t& i, std::string_view stops) {
  std::string out;
  bool prev_word = false;
  while (i < t.size()) {
    const Token& k = t[i];
    if (!k.word && k.text.size() == 1 && stops.find(k.text[0]) != std::string_view::npos) break;
    if (k.word) {
      if (prev_word) out += ' ';
      out += k.text;
      prev_word = true;
      ++i;
      continue;
    }
    prev_word = false;
    const char c = k.text.size() == 1 ? k.text[0] : '\0';
    if (c == '<' || c == '(' || c == '[') {
      const char close = c == '<' ? '>' : c == '(' ? ')' : ']';
      const char list_stops[] = {',', close, '\0'};
      ++i;
      std::vector<std::string> args;
      while (i < t.size()) {
        args.push_back(render(t, i, list_stops));
        if (i >= t.size()) break;
        const bool comma = is_punct(t[i], ',');
        ++i;
        if (!comma) break;
      }
      if (c == '<')
        while (args.size() > 1 && default_argument(args.back())) args.pop_back();
      if (args.size() == 1 && args.front().empty()) args.clear();
      out += c;
      for (std::size_t a = 0; a < args.size(); ++a) out += (a ? ", " : "") + args[a];
      out += close;
      continue;
    }
    if (c == ',') {
      out += ", ";
    } else {
      out += k.text;
    }
    ++i;
  }
  return out;
}

}  // namespace

std::string normalize_name(std::string_view compiler_spelling) {
  std::string s(compiler_spelling);
  s = replace_all(std::move(s), "(anonymous namespace)", "{anonymous}");
  s = replace_all(std::move(s), "__cxx11::", "");
  const std::vector<Token> tokens = tokenize(s);
  std::size_t i = 0;
  std::string out;
  while (i < tokens.size()) {
    out += render(tokens, i, "");
    if (i < tokens.size()) out += tokens[i++].text;  // an unmatched closing bracket, kept as it is
  }
  if (!out.empty() && out.front() == '&') out.erase(0, 1);  // Clang names a function by its address
  out = replace_all(std::move(out), "std::basic_string<char>", "std::string");
  out = replace_all(std::move(out), "std::basic_string_view<char>", "std::string_view");
  return out;
}

}  // namespace multirank
