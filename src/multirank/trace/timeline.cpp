#include "multirank/trace/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "multirank/core/error.hpp"

namespace multirank::trace {

std::string text_timeline(const std::vector<TaskRecord>& tasks, int width, int ranks) {
  if (width < 8) throw UsageError("a timeline needs a width of at least 8 columns, not " + std::to_string(width));
  std::map<int, std::string> rows;
  for (int r = 0; r < ranks; ++r) rows[r] = std::string(static_cast<std::size_t>(width), '-');
  for (const auto& t : tasks) rows.try_emplace(t.rank, std::string(static_cast<std::size_t>(width), '-'));
  if (rows.empty()) return "(no tasks)\n";

  double t0 = 0.0;
  double t1 = 0.0;
  if (!tasks.empty()) {
    t0 = tasks.front().start;
    t1 = tasks.front().end;
  }
  for (const auto& t : tasks) {
    t0 = std::min(t0, t.start);
    t1 = std::max(t1, t.end);
  }
  const double span = t1 - t0;
  const double per_column = span > 0.0 ? span / width : 0.0;

  // Earlier tasks first, so a later neighbour's bracket wins where two share a column.
  std::vector<const TaskRecord*> order;
  for (const auto& t : tasks) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const TaskRecord* a, const TaskRecord* b) { return a->start < b->start; });
  for (const TaskRecord* t : order) {
    int c0 = 0;
    int c1 = width;
    if (per_column > 0.0) {
      c0 = static_cast<int>(std::floor((t->start - t0) / per_column));
      c1 = static_cast<int>(std::ceil((t->end - t0) / per_column));
    }
    c0 = std::clamp(c0, 0, width - 1);
    c1 = std::clamp(c1, c0 + 1, width);
    std::string& row = rows[t->rank];
    const auto len = static_cast<std::size_t>(c1 - c0);
    std::string cell;
    if (len == 1) {
      cell = "#";
    } else {
      std::string label = std::to_string(t->task_id);
      if (label.size() + 2 > len) label.clear();
      cell = "[" + label + std::string(len - 2 - label.size(), '=') + "]";
    }
    row.replace(static_cast<std::size_t>(c0), len, cell);
  }

  std::string out;
  char header[160];
  std::snprintf(header, sizeof header, "timeline: %.6g s from the first start, %.3g s per column\n", span,
                per_column);
  out += header;
  std::size_t label_width = 0;
  for (const auto& [rank, row] : rows) label_width = std::max(label_width, std::to_string(rank).size());
  for (const auto& [rank, row] : rows) {
    std::string name = std::to_string(rank);
    name.insert(0, label_width - name.size(), ' ');
    out += "rank " + name + ": " + row + "\n";
  }
  return out;
}

}  // namespace multirank::trace
