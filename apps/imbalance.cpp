// `multirank imbalance`: the notes' eight uneven tasks, sequentially and then over the ranks;
// completion order differs from submission order, and dynamic scheduling beats static.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numeric>
#include <sstream>

#include "app.hpp"
#include "exercises/uneven_task.hpp"
#include "journal.hpp"
#include "multirank/pool/pool.hpp"
#include "multirank/study/report.hpp"
#include "multirank/trace/concurrency_profile.hpp"
#include "multirank/trace/timeline.hpp"

namespace multirank::cli {
namespace {

/// One uneven task's result.
struct UnevenResult {
  int id = 0;
  double value = 0.0;
};

UnevenResult uneven_task(exercises::UnevenTask t) { return {t.id, exercises::run_uneven_task(t)}; }
const Task<uneven_task> uneven_pool_task{"imbalance.uneven_task"};

class Imbalance final : public AppInstance {
 public:
  explicit Imbalance(CLI::App& app) {
    app.add_option("--tasks", spec_, "tasks as id:size:complexity,... (sizes may end in K or M); default: the notes' eight");
    app.add_option("--schedule", schedule_, "static (round-robin) | dynamic (the pool, one task at a time) | auto (pool, adaptive chunks)")
        ->capture_default_str();
    app.add_option("--scale", scale_, "multiply every task's size by this factor")->capture_default_str();
    app.add_flag("--no-sequential", no_sequential_, "skip the sequential run (no speedup then)");
    app.add_option("--width", width_, "width of the text timeline")->capture_default_str();
    app.add_option("--journal", journal_, "record each finished task durably in this file");
    app.add_flag("--resume", resume_, "continue the --journal, running only the missing tasks");
  }

  void validate(const Communicator& world) override {
    tasks_ = spec_.empty() ? exercises::default_uneven_tasks() : exercises::parse_uneven_tasks(spec_);
    if (schedule_ != "static" && schedule_ != "dynamic" && schedule_ != "auto")
      throw UsageError("unknown schedule '" + schedule_ + "' (static, dynamic, auto)");
    if (!(scale_ > 0) || scale_ > 1e6) throw UsageError("--scale must be a positive number");
    if (width_ < 8 || width_ > 1000) throw UsageError("--width must be in [8, 1000]");
    if (resume_ && journal_.empty()) throw UsageError("--resume needs --journal FILE");
    if (!journal_.empty() && schedule_ == "static") throw UsageError("--journal works with the pool schedules");
    if (!journal_.empty() && world.rank() == 0)
      Journal::check_usable(journal_, "imbalance", options(), resume_, journal_tasks(scaled_tasks()));
  }

  /// The tasks as run: every size scaled.
  std::vector<exercises::UnevenTask> scaled_tasks() const {
    std::vector<exercises::UnevenTask> tasks = tasks_;
    for (auto& t : tasks) t.size = static_cast<std::int64_t>(static_cast<double>(t.size) * scale_ * factor_);
    return tasks;
  }

  /// The journal's tasks: each task's id, size and complexity; a result is a finite number.
  static JournalTasks journal_tasks(const std::vector<exercises::UnevenTask>& tasks) {
    JournalTasks j;
    for (const auto& t : tasks) j.keys.push_back({{"id", t.id}, {"size", t.size}, {"complexity", t.complexity}});
    j.check_result = [](std::size_t, const nlohmann::json& r) -> std::string {
      return r.is_number() && std::isfinite(r.get<double>()) ? "" : "a task's result is a finite number";
    };
    return j;
  }

  nlohmann::json options() const override {
    return {{"tasks", spec_.empty() ? "default" : spec_}, {"schedule", schedule_}, {"scale", scale_ * factor_}};
  }

  void set_problem_scale(int factor) override { factor_ = factor; }

  AppResult run(const Communicator& comm) override {
    std::vector<exercises::UnevenTask> tasks = scaled_tasks();
    std::unique_ptr<Journal> journal;
    if (comm.rank() == 0 && !journal_.empty())
      journal = std::make_unique<Journal>(journal_, "imbalance", options(), resume_, journal_tasks(tasks));

    // Sequential: rank 0 alone, one task after the other (the others wait, asleep).
    std::vector<double> sequential_times(tasks.size(), 0.0);
    double sequential = 0.0;
    if (!no_sequential_) {
      comm.barrier();
      if (comm.rank() == 0) {
        const double s0 = MPI_Wtime();
        for (std::size_t i = 0; i < tasks.size(); ++i) {
          const double t0 = MPI_Wtime();
          (void)exercises::run_uneven_task(tasks[i]);
          sequential_times[i] = MPI_Wtime() - t0;
        }
        sequential = MPI_Wtime() - s0;
      }
    }

    std::vector<UnevenResult> results(tasks.size());
    std::vector<std::int64_t> completion;
    std::vector<TaskRecord> records;
    std::int64_t resumed = 0;
    comm.barrier();
    const double p0 = MPI_Wtime();
    run_pool(comm, [&](Pool& pool) {
      std::vector<exercises::UnevenTask> todo;
      std::vector<std::size_t> index;
      for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (journal && journal->done().count(static_cast<std::int64_t>(i))) {
          results[i] = {tasks[i].id, journal->done().at(static_cast<std::int64_t>(i)).get<double>()};
          ++resumed;
        } else {
          todo.push_back(tasks[i]);
          index.push_back(i);
        }
      }
      if (schedule_ == "static") {
        // Round-robin: task k goes to rank k mod P, whatever its size.
        std::vector<Future<UnevenResult>> futures;
        for (std::size_t k = 0; k < todo.size(); ++k)
          futures.push_back(pool.run_on(static_cast<int>(k % static_cast<std::size_t>(pool.size())), uneven_pool_task, todo[k]));
        for (std::size_t k = 0; k < todo.size(); ++k) results[index[k]] = futures[k].get();
      } else {
        const Chunksize chunks = schedule_ == "auto" ? auto_chunksize : Chunksize(1);
        for (auto&& [k, r] : pool.imap_unordered(uneven_pool_task, todo, chunks)) {
          results[index[k]] = r;
          if (journal) journal->record(static_cast<std::int64_t>(index[k]), r.value);
        }
      }
      if (journal) journal->flush();  // a write that failed (a full disk) shows here, not lost in a destructor
      records = pool.records();
      if (schedule_ == "static") {
        // Each run_on call is its own call (input index 0): match a rank's records, in start
        // order, with the tasks dealt to that rank, in the order they were dealt.
        std::sort(records.begin(), records.end(), [](const TaskRecord& a, const TaskRecord& b) {
          return a.rank != b.rank ? a.rank < b.rank : a.start < b.start;
        });
        std::vector<std::size_t> next(static_cast<std::size_t>(pool.size()), 0);
        for (auto& r : records) {
          const auto rank = static_cast<std::size_t>(r.rank);
          r.task_id = static_cast<std::int64_t>(index[rank + next[rank]++ * static_cast<std::size_t>(pool.size())]);
        }
      } else {
        for (auto& r : records) r.task_id = static_cast<std::int64_t>(index[static_cast<std::size_t>(r.task_id)]);
      }
    });
    AppResult out;
    out.seconds = max_over_ranks(comm, MPI_Wtime() - p0);
    if (comm.rank() != 0) return out;

    // Completion order from the records (the same clock on every rank).
    std::vector<const TaskRecord*> by_end;
    for (const auto& r : records) by_end.push_back(&r);
    std::sort(by_end.begin(), by_end.end(), [](auto* a, auto* b) { return a->end < b->end; });
    for (auto* r : by_end) completion.push_back(tasks[static_cast<std::size_t>(r->task_id)].id);
    std::vector<const TaskRecord*> by_task(tasks.size(), nullptr);
    for (const auto& r : records) by_task[static_cast<std::size_t>(r.task_id)] = &r;

    const int P = comm.size();
    double longest = 0.0;
    double total_work = 0.0;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      const double t = no_sequential_ ? (by_task[i] ? by_task[i]->seconds() : 0.0) : sequential_times[i];
      longest = std::max(longest, t);
      total_work += t;
    }
    const double bound = std::max(longest, total_work / P);
    for (auto& r : records) r.task_id = tasks[static_cast<std::size_t>(r.task_id)].id;  // the tasks' own ids from here on
    const auto profile = trace::concurrency_profile(records, P);
    const double makespan = profile.makespan;

    nlohmann::json jt = nlohmann::json::array();
    std::ostringstream t;
    t << "imbalance: " << tasks.size() << " uneven task(s), schedule " << schedule_ << ", " << P << " rank(s)\n";
    if (resumed) t << resumed << " task(s) taken from the journal\n";
    t << "\ncompletion order: [";
    for (std::size_t k = 0; k < completion.size(); ++k) t << (k ? ", " : "") << completion[k];
    t << "]   (submitted: [";
    for (std::size_t i = 0; i < tasks.size(); ++i) t << (i ? ", " : "") << tasks[i].id;
    t << "])\n\n   task        size  complexity    seconds  rank  host                      pid\n";
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      const auto* r = by_task[i];
      nlohmann::json j{{"id", tasks[i].id}, {"size", tasks[i].size}, {"complexity", tasks[i].complexity},
                       {"result", results[i].value}};
      t << std::setw(7) << tasks[i].id << std::setw(12) << tasks[i].size << std::setw(12) << tasks[i].complexity;
      if (r) {
        j.update({{"seconds", r->seconds()}, {"rank", r->rank}, {"host", r->host}, {"pid", r->pid}});
        t << std::setw(11) << std::fixed << std::setprecision(3) << r->seconds() << std::setw(6) << r->rank << "  "
          << std::left << std::setw(20) << r->host.substr(0, 20) << std::right << std::setw(9) << r->pid;
      } else {
        t << "   (journal)";
      }
      if (!no_sequential_) j["sequential_seconds"] = sequential_times[i];
      t << "\n";
      jt.push_back(j);
    }
    t << std::fixed << std::setprecision(3) << "\n";
    if (!no_sequential_) t << "sequential   " << sequential << " s\n";
    t << "parallel     " << out.seconds << " s on " << P << " rank(s)\n";
    if (!no_sequential_)
      t << "speedup      " << sequential / out.seconds << "x\nefficiency   " << 100.0 * sequential / out.seconds / P
        << " %\n";
    t << "makespan     " << makespan << " s; lower bound max(longest task, total/P) = " << bound << " s (ratio "
      << (bound > 0 ? makespan / bound : 0.0) << ")\n\n"
      << trace::text_timeline(records, width_, P);

    out.results = {{"app", "imbalance"},       {"schedule", schedule_},  {"tasks", jt},
                   {"completion_order", completion}, {"makespan", makespan}, {"lower_bound", bound},
                   {"makespan_ratio", bound > 0 ? makespan / bound : 0.0},
                   {"profile", nlohmann::json::parse(study::profile_json(profile))}};
    if (!no_sequential_) {
      out.results["baseline_seconds"] = sequential;
      out.results["speedup"] = sequential / out.seconds;
      out.results["efficiency"] = sequential / out.seconds / P;
    }
    if (!journal_.empty()) out.results["resumed_tasks"] = resumed;
    out.tasks = std::move(records);
    out.text = t.str();
    return out;
  }

 private:
  std::string spec_;
  std::string schedule_ = "dynamic";
  double scale_ = 1.0;
  int factor_ = 1;
  bool no_sequential_ = false;
  int width_ = 64;
  std::string journal_;
  bool resume_ = false;
  std::vector<exercises::UnevenTask> tasks_;
};

const RegisterApp registered{{"imbalance", "eight uneven tasks: completion order, static against dynamic scheduling",
                              [](CLI::App& app) { return std::make_shared<Imbalance>(app); }}};

}  // namespace
}  // namespace multirank::cli
