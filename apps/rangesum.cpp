// `multirank rangesum`: partial-range sums, the first exercise of the notes
// ("3 processes sum different ranges and pass their partial results through a Queue").
#include <cstdio>
#include <iomanip>
#include <limits>
#include <sstream>

#include "app.hpp"
#include "exercises/rangesum.hpp"
#include "journal.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/collective/partition.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/clock.hpp"
#include "multirank/core/process_info.hpp"
#include "rangesum_patterns.hpp"

namespace multirank::cli {
namespace {

class RangeSum final : public AppInstance {
 public:
  explicit RangeSum(CLI::App& app) {
    app.add_option("--n", o_.n, "how many integers to sum: [lo, lo+n)")->required();
    app.add_option("--lo", o_.lo, "first integer (default 0)");
    app.add_option("--pattern", pattern_name_, "sequential | scatter-gather | pool | queue | pipe")
        ->capture_default_str();
    app.add_option("--kernel", kernel_name_, "plain (the integers) | heavy (a CPU-bound mixer of each)")
        ->capture_default_str();
    app.add_option("--chunks", o_.chunks, "pool pattern: number of chunks (default 16 per rank)");
    app.add_flag("--baseline", baseline_, "also run the sequential version and report speedup and efficiency");
    app.add_option("--journal", o_.journal, "pool pattern: record each finished chunk durably in this file");
    app.add_flag("--resume", o_.resume, "pool pattern: continue the --journal, computing only the missing chunks");
  }

  void validate(const Communicator& world) override {
    if (o_.n < 1) throw UsageError("--n must be at least 1, got " + std::to_string(o_.n));
    if (o_.lo > std::numeric_limits<std::int64_t>::max() - o_.n)
      throw UsageError("--lo + --n must stay below 2^63");
    o_.pattern = parse_sum_pattern(pattern_name_);
    o_.kernel = exercises::parse_sum_kernel(kernel_name_);
    if (o_.chunks < 0) throw UsageError("--chunks must be positive");
    if (o_.resume && o_.journal.empty()) throw UsageError("--resume needs --journal FILE");
    if (!o_.journal.empty()) {
      if (o_.pattern != SumPattern::pool) throw UsageError("--journal works with --pattern pool");
      if (world.rank() == 0)
        Journal::check_usable(o_.journal, "rangesum", sum_journal_identity(o_, world.size()), o_.resume,
                              sum_journal_tasks(o_, world.size()));
    }
  }

  nlohmann::json options() const override {
    return {{"n", o_.n}, {"lo", o_.lo}, {"pattern", pattern_name_}, {"kernel", kernel_name_},
            {"chunks", o_.chunks}, {"baseline", baseline_}};
  }

  void set_problem_scale(int factor) override {
    if (base_n_ == 0) base_n_ = o_.n;
    if (base_n_ > (std::numeric_limits<std::int64_t>::max() - o_.lo) / factor)
      throw UsageError("weak scaling would push --lo + --n past 2^63");
    o_.n = base_n_ * factor;
  }

  AppResult run(const Communicator& comm) override {
    const SyncClock clock(comm);
    const SumOutcome outcome = run_sum_pattern(comm, clock, o_);
    AppResult out;
    out.seconds = outcome.seconds;
    out.tasks = outcome.tasks;
    double baseline_seconds = 0.0;
    int128_t baseline_total = 0;
    if (baseline_ && comm.rank() == 0) {
      const double t0 = MPI_Wtime();
      baseline_total = exercises::partial_sum(o_.kernel, o_.lo, o_.lo + o_.n);
      baseline_seconds = MPI_Wtime() - t0;
    }
    if (comm.rank() != 0) return out;

    const bool plain = o_.kernel == exercises::SumKernel::plain;
    const int128_t expected = plain ? exercises::closed_form_sum(o_.lo, o_.n) : baseline_total;
    const bool checkable = plain || baseline_;
    const bool exact = outcome.total == expected;
    // The rate is of what this run computed: a resumed run took the rest from the journal.
    const double computed = static_cast<double>(o_.n - outcome.resumed_elements);
    auto& r = out.results;
    r = {{"app", "rangesum"},        {"n", o_.n},
         {"lo", o_.lo},              {"pattern", pattern_name_},
         {"kernel", kernel_name_},   {"total", to_string(outcome.total)},
         {"elements_per_second", computed / outcome.seconds},
         {"elements_per_second_per_rank", computed / outcome.seconds / comm.size()}};
    if (checkable) r["exact"] = exact;
    if (!o_.journal.empty()) {
      r["resumed_tasks"] = outcome.resumed_tasks;
      r["resumed_elements"] = outcome.resumed_elements;
    }
    if (baseline_) {
      r["baseline_seconds"] = baseline_seconds;
      r["speedup"] = baseline_seconds / outcome.seconds;
      r["efficiency"] = baseline_seconds / outcome.seconds / comm.size();
    }

    std::ostringstream t;
    t << "rangesum: sum of " << kernel_name_ << "(i) over [" << o_.lo << ", " << o_.lo + o_.n << "), pattern "
      << pattern_name_ << ", " << comm.size() << " rank(s)\n\n";
    t << "  task  rank  host                 pid       elements        seconds\n";
    for (const auto& task : outcome.tasks)
      t << std::setw(6) << task.task_id << std::setw(6) << task.rank << "  " << std::left << std::setw(20)
        << task.host.substr(0, 20) << std::right << std::setw(8) << task.pid << std::setw(15)
        << outcome.task_ranges[static_cast<std::size_t>(task.task_id)].size() << std::setw(15) << std::fixed << std::setprecision(4) << task.seconds() << "\n";
    if (outcome.resumed_tasks > 0)
      t << "\n" << outcome.resumed_tasks << " of " << outcome.task_ranges.size() << " chunk(s) (" << outcome.resumed_elements
        << " elements) taken from the journal\n";
    t << "\ntotal  " << to_string(outcome.total) << "\n";
    if (plain)
      t << "check  " << (exact ? "equal to" : "DIFFERENT from") << " the closed form n*lo + n(n-1)/2\n";
    else if (baseline_)
      t << "check  " << (exact ? "equal to" : "DIFFERENT from") << " the sequential run\n";
    t << "rate   " << std::scientific << std::setprecision(3) << computed / outcome.seconds << " elements/s ("
      << computed / outcome.seconds / comm.size() << " per rank)"
      << (outcome.resumed_elements > 0 ? ", of the elements computed in this run" : "") << "\n\n"
      << std::fixed;
    t << "  run              ranks    seconds   speedup  efficiency\n";
    if (baseline_)
      t << "  sequential           1  " << std::setw(9) << std::setprecision(4) << baseline_seconds
        << "      1.00        1.00\n";
    t << "  " << std::left << std::setw(16) << pattern_name_ << std::right << std::setw(6) << comm.size() << "  "
      << std::setw(9) << std::setprecision(4) << outcome.seconds;
    if (baseline_)
      t << std::setw(10) << std::setprecision(2) << baseline_seconds / outcome.seconds << std::setw(12)
        << baseline_seconds / outcome.seconds / comm.size();
    t << "\n";
    out.text = t.str();
    if (checkable && !exact) throw std::runtime_error("rangesum total " + to_string(outcome.total) +
                                                       " differs from the expected " + to_string(expected));
    return out;
  }

 private:
  SumOptions o_;
  std::string pattern_name_ = "scatter-gather";
  std::string kernel_name_ = "plain";
  bool baseline_ = false;
  std::int64_t base_n_ = 0;
};

const RegisterApp registered{{"rangesum", "partial-range sums over ranks (scatter-gather, pool, queue, pipe)",
                              [](CLI::App& app) { return std::make_shared<RangeSum>(app); }}};

}  // namespace
}  // namespace multirank::cli
