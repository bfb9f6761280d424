#pragma once
/// \file What a study of a program measures per sample (`--metric`), and the sanity check of its
/// output (`--expect`): a figure the program prints, found in its standard output.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace multirank::study {

/// A compiled POSIX extended regular expression, searched line-aware (REG_NEWLINE: `.` never
/// crosses a line, `^` and `$` match at line ends) over the whole text, NUL bytes included.
class OutputPattern {
 public:
  /// Compiles `pattern`; throws UsageError with regcomp's reason when it is not valid.
  explicit OutputPattern(const std::string& pattern);
  OutputPattern(OutputPattern&&) noexcept;
  OutputPattern& operator=(OutputPattern&&) noexcept;
  ~OutputPattern();

  /// Whether the pattern occurs in `text`.
  [[nodiscard]] bool matches(std::string_view text) const;
  /// The first match's first capture group, or nullopt when there is no match (or no group).
  [[nodiscard]] std::optional<std::string> first_group(std::string_view text) const;
  /// Capture groups in the pattern.
  [[nodiscard]] std::size_t groups() const;
  /// The pattern as given.
  [[nodiscard]] const std::string& pattern() const noexcept { return pattern_; }

 private:
  struct Compiled;
  std::string pattern_;
  std::unique_ptr<Compiled> compiled_;
};

/// How each sample of a program is measured.
class Metric {
 public:
  /// The kinds of metric.
  enum class Kind {
    wall,   ///< the launch's wall time, timed by the driver
    json,   ///< the number under KEY in the first JSON object on stdout that has KEY (seconds)
    regex,  ///< the first capture group of PATTERN's first match on stdout (seconds)
  };

  /// Parses "wall", "json:KEY" (KEY may be a JSON pointer such as /timings/total) or
  /// "regex:PATTERN" (a POSIX extended regular expression with at least one group).
  /// Throws UsageError with one line otherwise.
  explicit Metric(const std::string& text = "wall");

  /// The kind.
  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  /// As written: "wall", "json:KEY", "regex:PATTERN" (what the study file's `metric` holds).
  [[nodiscard]] const std::string& text() const noexcept { return text_; }

  /// The value in `stdout_text`, in seconds (finite, >= 0), or nullopt with `why` set to one line
  /// saying what is missing. For `wall` there is nothing to read: nullopt, `why` empty.
  [[nodiscard]] std::optional<double> read(std::string_view stdout_text, std::string& why) const;

 private:
  Kind kind_ = Kind::wall;
  std::string text_;
  std::string key_;                       // json
  std::optional<OutputPattern> pattern_;  // regex
};

}  // namespace multirank::study
