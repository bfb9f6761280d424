#pragma once
/// \file `multirank bench NAME`: benchmarks measured side by side with a baseline in the same run.
///
/// Every benchmark prints its measurements in one shape: a table by default, and with --json one
/// JSON object per line: {"bench": NAME, "unit": UNIT, "ours": X, "baseline": Y, "ratio": X/Y}.

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "multirank/core/communicator.hpp"
#include "multirank/core/process_info.hpp"

namespace multirank::cli::bench {

/// One figure of ours against the baseline's, in the same unit.
struct Measurement {
  std::string bench;  ///< e.g. "pipe_latency_8B"
  std::string unit;   ///< e.g. "us", "MB/s", "items/s"
  double ours = 0.0;
  double baseline = 0.0;
  /// ours / baseline (for times lower is better, for rates higher is better; the name says which).
  [[nodiscard]] double ratio() const { return baseline != 0.0 ? ours / baseline : 0.0; }
};

/// What a benchmark does once its options are parsed: runs on every rank of `world`, returns its
/// measurements (only rank 0's are printed). `validate` may throw UsageError before any traffic.
struct Runner {
  std::function<void(const Communicator& world)> validate;
  std::function<std::vector<Measurement>(const Communicator& world)> run;
};

/// A benchmark: `setup` adds its options and returns its runner.
struct Benchmark {
  std::string name;
  std::string description;
  std::function<Runner(CLI::App& app)> setup;
};

/// Every registered benchmark.
std::vector<Benchmark>& benchmarks();

/// Registers a benchmark at static-initialisation time.
struct Register {
  explicit Register(Benchmark b) { benchmarks().push_back(std::move(b)); }
};

/// Prints measurements on rank 0: table, or JSON lines with `json`.
void print(const std::vector<Measurement>& ms, bool json);

/// This process's peak resident memory so far, MiB (benches report memory in MiB).
inline double peak_rss_mib() { return static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0); }

}  // namespace multirank::cli::bench
