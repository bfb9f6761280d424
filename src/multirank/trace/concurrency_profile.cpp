#include "multirank/trace/concurrency_profile.hpp"


#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

namespace multirank::trace {
namespace {

/// Length of the union of [start, end) intervals (tasks on one rank may overlap when it runs
/// several at once, and must not count twice).
double union_length(std::vector<std::pair<double, double>> intervals) {
  std::sort(intervals.begin(), intervals.end());
  double total = 0.0;
  double cur_start = 0.0;
  double cur_end = 0.0;
  bool open = false;
  for (const auto& [s, e] : intervals) {
    if (e <= s) continue;
    if (!open || s > cur_end) {
      if (open) total += cur_end - cur_start;
      cur_start = s;
      cur_end = e;
      open = true;
    } else {
      cur_end = std::max(cur_end, e);
    }
  }
  if (open) total += cur_end - cur_start;
  return total;
}

std::string seconds_text(double s) {
  char buf[64];
  if (s < 1e-3)
    std::snprintf(buf, sizeof buf, "%.1f us", s * 1e6);
  else if (s < 1.0)
    std::snprintf(buf, sizeof buf, "%.3f ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

}  // namespace

ConcurrencyProfile concurrency_profile(const std::vector<TaskRecord>& tasks, int ranks) {
  ConcurrencyProfile p;
  p.tasks = tasks.size();
  std::map<int, std::vector<std::pair<double, double>>> by_rank;
  for (int r = 0; r < ranks; ++r) by_rank[r];
  if (!tasks.empty()) {
    p.first_start = tasks.front().start;
    p.last_end = tasks.front().end;
  }
  // Sweep over start (+1) and end (-1) events; at equal times ends go first (half-open intervals).
  std::vector<std::pair<double, int>> events;
  events.reserve(tasks.size() * 2);
  for (const auto& t : tasks) {
    p.first_start = std::min(p.first_start, t.start);
    p.last_end = std::max(p.last_end, t.end);
    const double exec = std::max(0.0, t.end - t.start);
    p.busy_seconds += exec;
    p.wait_seconds += std::max(0.0, t.start - t.queued);
    by_rank[t.rank].emplace_back(t.start, t.end);
    if (exec > 0.0) {
      events.emplace_back(t.start, +1);
      events.emplace_back(t.end, -1);
    }
  }
  std::sort(events.begin(), events.end());  // (-1) sorts before (+1) at the same time
  int now = 0;
  for (const auto& [time, delta] : events) {
    now += delta;
    p.peak_parallelism = std::max(p.peak_parallelism, now);
  }
  p.makespan = std::max(0.0, p.last_end - p.first_start);
  p.mean_parallelism = p.makespan > 0.0 ? p.busy_seconds / p.makespan : 0.0;
  p.overlapped = p.peak_parallelism > 1;
  for (auto& [rank, intervals] : by_rank) {
    RankUsage u;
    u.rank = rank;
    u.tasks = intervals.size();
    u.busy_seconds = union_length(intervals);
    u.busy_fraction = p.makespan > 0.0 ? u.busy_seconds / p.makespan : 0.0;
    u.idle_fraction = 1.0 - u.busy_fraction;
    p.ranks.push_back(u);
  }
  return p;
}

int executing_at(const std::vector<TaskRecord>& tasks, double t) {
  return static_cast<int>(std::count_if(tasks.begin(), tasks.end(),
                                        [t](const TaskRecord& r) { return r.start <= t && t < r.end; }));
}

std::string format_profile(const ConcurrencyProfile& p) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "tasks %zu, makespan %s, busy %s, queue wait %s\n", p.tasks,
                seconds_text(p.makespan).c_str(), seconds_text(p.busy_seconds).c_str(),
                seconds_text(p.wait_seconds).c_str());
  out += line;
  std::snprintf(line, sizeof line, "parallelism: mean %.2f, peak %d (%s)\n", p.mean_parallelism,
                p.peak_parallelism,
                p.overlapped ? "tasks overlapped" : "no two tasks overlapped: sequential execution");
  out += line;
  for (const auto& r : p.ranks) {
    std::snprintf(line, sizeof line, "  rank %-4d %6zu task(s)  busy %5.1f%%  idle %5.1f%%\n", r.rank, r.tasks,
                  100.0 * r.busy_fraction, 100.0 * r.idle_fraction);
    out += line;
  }
  return out;
}

}  // namespace multirank::trace
