#pragma once
/// \file Progress of long work: a live line on a terminal, a log line about every 10% otherwise.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include "multirank/core/communicator.hpp"

namespace multirank::trace {

/// A time left or taken, as progress lines show it: "12.3s", "4m05s", "2h07m"; "?" when it is
/// not a finite, non-negative number of seconds (or is past three years).
std::string duration_text(double seconds);

/// How progress is shown.
enum class ProgressStyle {
  automatic,  ///< terminal when the stream is a terminal (isatty), log otherwise
  terminal,   ///< one line redrawn in place ("\r"), at most every `min_interval`
  log,        ///< one line per 10% step (batch jobs, Slurm logs)
};

/// Settings for a Progress.
struct ProgressOptions {
  ProgressStyle style = ProgressStyle::automatic;  ///< how to show it
  std::FILE* stream = stderr;                      ///< where to print
  /// Nothing is printed before this much time has passed, so short work stays quiet.
  std::chrono::duration<double> show_after{2.0};
  /// Smallest time between two redraws of the terminal line.
  std::chrono::duration<double> min_interval{0.1};
  /// The clock in seconds (steady_clock unless a test supplies one).
  std::function<double()> now;
};

/// Reports done/total with elapsed time and ETA. Only the enabled instance prints (by convention
/// rank 0's: see the Communicator constructor); the others are cheap no-ops. Not thread-safe.
///
///     trace::Progress progress(world, "study", total);
///     for (...) { work(); progress.advance(); }
///     progress.finish();
class Progress {
 public:
  /// Prints on `comm`'s rank 0 only.
  Progress(const Communicator& comm, std::string label, std::uint64_t total, ProgressOptions options = {});
  /// Prints only when `enabled`.
  Progress(bool enabled, std::string label, std::uint64_t total, ProgressOptions options = {});
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  /// Calls finish().
  ~Progress();

  /// Sets the amount done (clamped to total).
  void update(std::uint64_t done);
  /// Adds `n` to the amount done.
  void advance(std::uint64_t n = 1) { update(done_ + n); }
  /// Prints the final state if anything was shown and ends the terminal line; idempotent.
  void finish();

  /// Amount done so far.
  [[nodiscard]] std::uint64_t done() const noexcept { return done_; }
  /// Whether this instance prints at all.
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }
  /// The style in use (automatic resolved).
  [[nodiscard]] ProgressStyle style() const noexcept { return options_.style; }

  /// The text of one progress line: "label: done/total (pct%) elapsed E, ETA R".
  [[nodiscard]] static std::string format_line(const std::string& label, std::uint64_t done, std::uint64_t total,
                                               double elapsed_seconds);

 private:
  void print(double now, bool final_line);
  [[nodiscard]] double now() const;

  bool enabled_ = false;
  std::string label_;
  std::uint64_t total_ = 0;
  std::uint64_t done_ = 0;
  ProgressOptions options_;
  double started_ = 0.0;
  double last_print_ = -1.0;
  int last_decile_ = 0;        // log style: the last 10% step printed
  bool shown_ = false;         // anything printed yet
  bool finished_ = false;
  std::size_t last_width_ = 0;  // terminal style: to blank out a longer previous line
};

}  // namespace multirank::trace
