#include "multirank/trace/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace multirank::trace {

std::string duration_text(double s) {
  char buf[48];
  if (!std::isfinite(s) || s < 0 || s > 1e8) return "?";  // (and so s fits an int below)
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, (static_cast<int>(s) % 3600) / 60);
  return buf;
}

Progress::Progress(const Communicator& comm, std::string label, std::uint64_t total, ProgressOptions options)
    : Progress(comm.rank() == 0, std::move(label), total, std::move(options)) {}

Progress::Progress(bool enabled, std::string label, std::uint64_t total, ProgressOptions options)
    : enabled_(enabled), label_(std::move(label)), total_(total), options_(std::move(options)) {
  if (!options_.stream) enabled_ = false;
  if (options_.style == ProgressStyle::automatic)
    options_.style = (options_.stream && ::isatty(::fileno(options_.stream))) ? ProgressStyle::terminal
                                                                             : ProgressStyle::log;
  started_ = now();
}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {  // a destructor must not throw; progress output is best effort
  }
}

double Progress::now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string Progress::format_line(const std::string& label, std::uint64_t done, std::uint64_t total,
                                  double elapsed) {
  const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  std::string eta = "?";
  if (done >= total)
    eta = "0.0s";
  else if (done > 0)
    eta = duration_text(elapsed * static_cast<double>(total - done) / static_cast<double>(done));
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s: %llu/%llu (%.0f%%) elapsed %s, ETA %s", label.c_str(),
                static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), 100.0 * fraction,
                duration_text(elapsed).c_str(), eta.c_str());
  return buf;
}

void Progress::update(std::uint64_t done) {
  done_ = std::min(done, total_);
  if (!enabled_ || finished_) return;
  const double t = now();
  if (t - started_ < options_.show_after.count()) return;
  if (options_.style == ProgressStyle::terminal) {
    if (last_print_ >= 0 && t - last_print_ < options_.min_interval.count() && done_ < total_) return;
    print(t, false);
  } else {
    // One line per 10% step crossed (several steps at once print once).
    const int decile = total_ > 0 ? static_cast<int>((done_ * 10) / total_) : 10;
    if (decile <= last_decile_) return;
    last_decile_ = decile;
    print(t, false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_ || !shown_) return;
  if (options_.style == ProgressStyle::terminal) {
    print(now(), true);
  } else if (last_decile_ < 10 || done_ < total_) {
    print(now(), true);  // the log ends with the final state even when it stopped short
  }
}

void Progress::print(double t, bool final_line) {
  const std::string line = format_line(label_, done_, total_, t - started_);
  if (options_.style == ProgressStyle::terminal) {
    std::string padded = line;
    if (padded.size() < last_width_) padded.append(last_width_ - padded.size(), ' ');
    last_width_ = line.size();
    std::fprintf(options_.stream, "\r%s%s", padded.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(options_.stream, "%s\n", line.c_str());
  }
  std::fflush(options_.stream);
  last_print_ = t;
  shown_ = true;
}

}  // namespace multirank::trace
