#pragma once
/// \file What a pipeline run measured, per stage: items, busy time, waiting time.

#include <cstdint>
#include <string>
#include <vector>

namespace multirank {

/// Figures of one stage, summed over its instances (the ranks it ran on).
struct StageReport {
  std::string name;               ///< the stage's name
  std::vector<int> ranks;         ///< the rank of each instance, in instance order
  std::uint64_t items_in = 0;     ///< items received (0 for a source)
  std::uint64_t items_out = 0;    ///< items emitted (0 for a sink)
  double busy_seconds = 0.0;      ///< time in the stage's own code
  double wait_in_seconds = 0.0;   ///< time waiting for input (upstream too slow)
  double wait_out_seconds = 0.0;  ///< time waiting for room downstream (downstream too slow)

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & name & ranks & items_in & items_out & busy_seconds & wait_in_seconds & wait_out_seconds;
  }
};

/// A whole run: every stage in chain order, and the wall time from start to the last stage's end.
struct PipelineReport {
  std::vector<StageReport> stages;  ///< chain order
  double seconds = 0.0;             ///< wall time of run(), slowest rank

  /// The stage with the most busy time per instance: the one to give more ranks.
  [[nodiscard]] const StageReport* bottleneck() const;
  /// A small fixed-width table, one line per stage.
  [[nodiscard]] std::string table() const;
};

}  // namespace multirank
