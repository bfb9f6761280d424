#include "multirank/study/metric.hpp"

#include <regex.h>

#include <cmath>
#include <cstdlib>
#include <istream>
#include <nlohmann/json.hpp>
#include <streambuf>

#include "multirank/core/error.hpp"

namespace multirank::study {

struct OutputPattern::Compiled {
  regex_t re{};
};

OutputPattern::OutputPattern(const std::string& pattern) : pattern_(pattern), compiled_(std::make_unique<Compiled>()) {
  const int rc = ::regcomp(&compiled_->re, pattern.c_str(), REG_EXTENDED | REG_NEWLINE);
  if (rc != 0) {
    char why[256] = {};
    ::regerror(rc, &compiled_->re, why, sizeof why);
    compiled_.reset();
    throw UsageError("'" + pattern + "' is not a valid POSIX extended regular expression: " + why);
  }
}

OutputPattern::OutputPattern(OutputPattern&&) noexcept = default;
OutputPattern& OutputPattern::operator=(OutputPattern&&) noexcept = default;

OutputPattern::~OutputPattern() {
  if (compiled_) ::regfree(&compiled_->re);
}

std::size_t OutputPattern::groups() const {
  return compiled_->re.re_nsub;
}

namespace {

/// regexec over [text.data(), text.data() + size()) with REG_STARTEND (NUL bytes do not end it).
bool search(const regex_t& re, std::string_view text, regmatch_t* match, std::size_t nmatch) {
  regmatch_t whole[2];
  regmatch_t* m = nmatch ? match : whole;
  m[0].rm_so = 0;
  m[0].rm_eo = static_cast<regoff_t>(text.size());
  return ::regexec(&re, text.data(), nmatch ? nmatch : 1, m, REG_STARTEND) == 0;
}

/// A read-only stream over a character range, so nlohmann::json can parse from any offset
/// without copying the rest of the output.
class ViewBuffer : public std::streambuf {
 public:
  ViewBuffer(const char* begin, const char* end) {
    char* b = const_cast<char*>(begin);  // never written: the get area only
    setg(b, b, const_cast<char*>(end));
  }
};

}  // namespace

bool OutputPattern::matches(std::string_view text) const {
  return search(compiled_->re, text, nullptr, 0);
}

std::optional<std::string> OutputPattern::first_group(std::string_view text) const {
  if (groups() < 1) return std::nullopt;
  regmatch_t m[2];
  if (!search(compiled_->re, text, m, 2) || m[1].rm_so < 0) return std::nullopt;
  return std::string(
      text.substr(static_cast<std::size_t>(m[1].rm_so), static_cast<std::size_t>(m[1].rm_eo - m[1].rm_so)));
}

Metric::Metric(const std::string& text) : text_(text) {
  if (text == "wall") {
    kind_ = Kind::wall;
  } else if (text.rfind("json:", 0) == 0) {
    kind_ = Kind::json;
    key_ = text.substr(5);
    if (key_.empty()) throw UsageError("--metric json:KEY needs a key, e.g. json:seconds");
    if (key_.front() == '/') {
      try {
        (void)nlohmann::json::json_pointer(key_);
      } catch (const std::exception& e) {
        throw UsageError("--metric " + text + ": '" + key_ + "' is not a JSON pointer");
      }
    }
  } else if (text.rfind("regex:", 0) == 0) {
    kind_ = Kind::regex;
    const std::string pattern = text.substr(6);
    if (pattern.empty())
      throw UsageError("--metric regex:PATTERN needs a pattern with a group, e.g. 'regex:time: ([0-9.]+) s'");
    pattern_.emplace(pattern);
    if (pattern_->groups() < 1)
      throw UsageError("--metric " + text +
                       ": the pattern needs a capture group around the number, e.g. 'time: ([0-9.]+)'");
  } else {
    throw UsageError("--metric is wall, json:KEY or regex:PATTERN, not '" + text + "'");
  }
}

std::optional<double> Metric::read(std::string_view out, std::string& why) const {
  why.clear();
  auto seconds = [&](double v, const std::string& what) -> std::optional<double> {
    if (!std::isfinite(v) || v < 0.0) {
      why = what + " is " + std::to_string(v) + ", not a time in seconds";
      return std::nullopt;
    }
    return v;
  };
  switch (kind_) {
    case Kind::wall:
      return std::nullopt;
    case Kind::json: {
      const bool pointer = key_.front() == '/';
      std::string found_non_number;
      for (std::size_t pos = out.find('{'); pos != std::string_view::npos; pos = out.find('{', pos + 1)) {
        ViewBuffer buffer(out.data() + pos, out.data() + out.size());
        std::istream in(&buffer);
        nlohmann::json j;
        try {
          in >> j;  // one JSON value, whatever follows it
        } catch (const nlohmann::json::exception&) {
          continue;
        }
        if (!j.is_object()) continue;
        const nlohmann::json* value = nullptr;
        if (pointer) {
          const nlohmann::json::json_pointer ptr(key_);
          if (j.contains(ptr)) value = &j.at(ptr);
        } else if (j.contains(key_)) {
          value = &j.at(key_);
        }
        if (value == nullptr) continue;
        if (value->is_number()) return seconds(value->get<double>(), "\"" + key_ + "\"");
        why = "the first JSON object on stdout with \"" + key_ + "\" has " + value->dump() +
              " there, not a number of seconds";
        return std::nullopt;
      }
      why = "no JSON object on the program's stdout has the key \"" + key_ + "\"";
      return std::nullopt;
    }
    case Kind::regex: {
      const auto group = pattern_->first_group(out);
      if (!group) {
        why = "the program's stdout has no match of '" + pattern_->pattern() + "'";
        return std::nullopt;
      }
      const char* begin = group->c_str();
      char* end = nullptr;
      const double v = std::strtod(begin, &end);
      while (end && (*end == ' ' || *end == '\t' || *end == '\r')) ++end;
      if (end == begin || (end && *end != '\0')) {
        why = "the group of '" + pattern_->pattern() + "' caught '" + *group + "', not a number of seconds";
        return std::nullopt;
      }
      return seconds(v, "the value caught by '" + pattern_->pattern() + "'");
    }
  }
  return std::nullopt;
}

}  // namespace multirank::study
