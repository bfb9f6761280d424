// Reading a pipeline report: the bottleneck and a table.
#include "multirank/pipeline/pipeline_report.hpp"

#include <cstdio>

namespace multirank {

const StageReport* PipelineReport::bottleneck() const {
  const StageReport* worst = nullptr;
  double worst_busy = -1.0;
  for (const auto& s : stages) {
    const double per_instance = s.busy_seconds / static_cast<double>(s.ranks.empty() ? 1 : s.ranks.size());
    if (per_instance > worst_busy) {
      worst_busy = per_instance;
      worst = &s;
    }
  }
  return worst;
}

std::string PipelineReport::table() const {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-12s %9s %10s %10s %9s %9s %9s\n", "stage", "instances", "items in",
                "items out", "busy s", "wait in s", "wait out s");
  out += line;
  for (const auto& s : stages) {
    std::snprintf(line, sizeof line, "%-12s %9zu %10llu %10llu %9.3f %9.3f %9.3f\n", s.name.c_str(), s.ranks.size(),
                  static_cast<unsigned long long>(s.items_in), static_cast<unsigned long long>(s.items_out),
                  s.busy_seconds, s.wait_in_seconds, s.wait_out_seconds);
    out += line;
  }
  return out;
}

}  // namespace multirank
