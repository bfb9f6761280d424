// `multirank study APP [app options] --ranks 1,2,4 --reps R --mode strong|weak --output study.h5`:
// inside one MPI job, the first p ranks run the app R times (after warm-ups) for each p; the
// samples, their statistics and one run's per-task records are appended to an HDF5 study file.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>

#include "app.hpp"
#include "journal.hpp"
#include "multirank/collective/broadcast.hpp"
#include "multirank/study/report.hpp"
#include "multirank/study/run_record.hpp"
#include "multirank/study/study_file.hpp"
#include "multirank/trace/progress.hpp"
#include "registry.hpp"

namespace multirank::cli {
namespace {

struct StudyOptions {
  std::vector<int> ranks;
  int reps = 3;
  int warmups = 1;
  std::string mode = "strong";
  std::string output;
  bool force = false;
  bool json = false;
  std::string journal;
  bool resume = false;
};

/// One timed repetition to do: rank count and repetition index.
struct Slot {
  int p = 0;
  int rep = 0;
};

nlohmann::json sample_json(const study::Sample& s) {
  return {{"p", s.p}, {"rep", s.rep}, {"wall", s.wall_seconds}, {"min", s.rank_min_seconds}, {"max", s.rank_max_seconds}};
}

study::Sample sample_from(const nlohmann::json& j) {
  return {j.at("p").get<std::int32_t>(), j.at("rep").get<std::int32_t>(), j.at("wall").get<double>(),
          j.at("min").get<double>(), j.at("max").get<double>()};
}

class Study {
 public:
  Study(std::string app, std::shared_ptr<AppInstance> instance, std::shared_ptr<StudyOptions> options)
      : app_(std::move(app)), instance_(std::move(instance)), o_(std::move(options)) {}

  void validate(const Communicator& world) {
    instance_->validate(world);
    if (o_->ranks.empty()) throw UsageError("--ranks needs at least one rank count");
    std::set<int> seen;
    for (const int p : o_->ranks) {
      if (p < 1) throw UsageError("--ranks values must be at least 1, got " + std::to_string(p));
      if (p > world.size())
        throw UsageError("--ranks asks for " + std::to_string(p) + " ranks but the job has " +
                         std::to_string(world.size()));
      if (!seen.insert(p).second) throw UsageError("--ranks lists " + std::to_string(p) + " twice");
    }
    if (o_->reps < 1) throw UsageError("--reps must be at least 1");
    if (o_->warmups < 0) throw UsageError("--warmup must not be negative");
    if (o_->mode != "strong" && o_->mode != "weak") throw UsageError("--mode is strong or weak, not '" + o_->mode + "'");
    if (o_->resume && o_->journal.empty()) throw UsageError("--resume needs --journal FILE");
    if (world.rank() == 0) {
      study::check_output(o_->output, o_->force ? study::WriteMode::replace : study::WriteMode::append);
      if (!o_->journal.empty()) Journal::check_usable(o_->journal, "study", identity(), o_->resume);
    }
  }

  nlohmann::json identity() const {
    return {{"app", app_}, {"options", instance_->options()}, {"ranks", o_->ranks}, {"reps", o_->reps},
            {"warmups", o_->warmups}, {"mode", o_->mode}};
  }

  int run(const Communicator& world) {
    std::sort(o_->ranks.begin(), o_->ranks.end());
    study::RunRecord record = study::begin_run(world, app_, instance_->options().dump(), o_->mode);
    record.ranks.assign(o_->ranks.begin(), o_->ranks.end());
    record.reps = o_->reps;
    record.warmups = o_->warmups;

    std::vector<Slot> slots;
    for (const int p : o_->ranks)
      for (int rep = 0; rep < o_->reps; ++rep) slots.push_back({p, rep});

    // Resume: rank 0 knows from the journal which samples exist; every rank needs to.
    std::unique_ptr<Journal> journal;
    std::vector<std::uint8_t> done(slots.size(), 0);
    if (world.rank() == 0 && !o_->journal.empty()) {
      journal = std::make_unique<Journal>(o_->journal, "study", identity(), o_->resume);
      for (const auto& [id, sample] : journal->done()) {
        done[static_cast<std::size_t>(id)] = 1;
        record.samples.push_back(sample_from(sample));
      }
    }
    broadcast(world, done);

    trace::Progress progress(world, "study " + app_, slots.size());
    progress.update(static_cast<std::uint64_t>(std::count(done.begin(), done.end(), 1)));
    for (const int p : o_->ranks) {
      const Communicator sub = world.split(world.rank() < p ? 0 : MPI_UNDEFINED, world.rank());
      if (o_->mode == "weak") instance_->set_problem_scale(p);
      std::vector<std::size_t> todo;
      for (std::size_t i = 0; i < slots.size(); ++i)
        if (slots[i].p == p && !done[i]) todo.push_back(i);
      if (sub && !todo.empty()) {
        for (int w = 0; w < o_->warmups; ++w) (void)instance_->run(sub);
        for (const std::size_t i : todo) {
          const double t0 = MPI_Wtime();
          AppResult result = instance_->run(sub);
          const double local = MPI_Wtime() - t0;
          const study::Sample sample = study::make_sample(sub, slots[i].rep, local, result.seconds);
          if (world.rank() == 0) {
            record.samples.push_back(sample);
            if (journal) journal->record(static_cast<std::int64_t>(i), sample_json(sample));
            if (p == o_->ranks.back() && !result.tasks.empty()) {
              record.tasks = std::move(result.tasks);
              record.tasks_p = p;
              record.tasks_rep = slots[i].rep;
            }
          }
          progress.advance();
        }
      }
      world.barrier();  // ranks outside this p wait here, asleep
    }
    progress.finish();
    std::sort(record.samples.begin(), record.samples.end(),
              [](const auto& a, const auto& b) { return a.p != b.p ? a.p < b.p : a.rep < b.rep; });
    study::summarize_record(record);
    const std::string group =
        study::write_run(world, o_->output, record, o_->force ? study::WriteMode::replace : study::WriteMode::append);
    if (journal) journal->flush();
    if (world.rank() == 0) {
      study::StudyFile file{o_->output, study::current_build_info(), {record}};
      file.runs.back().name = group;
      const auto report = study::build_report({file});
      std::fputs(study::format_report(report, o_->json ? study::ReportFormat::json : study::ReportFormat::table).c_str(),
                 stdout);
      if (!o_->json) std::printf("\n%s written to %s\n", group.c_str(), o_->output.c_str());
      std::fflush(stdout);
    }
    return 0;
  }

 private:
  std::string app_;
  std::shared_ptr<AppInstance> instance_;
  std::shared_ptr<StudyOptions> o_;
};

Action setup(CLI::App& app) {
  app.require_subcommand(1, 1);
  auto o = std::make_shared<StudyOptions>();
  app.add_option("--ranks", o->ranks, "rank counts to measure, comma-separated (each at most the job's size)")
      ->delimiter(',')
      ->required();
  app.add_option("--reps", o->reps, "timed repetitions per rank count")->capture_default_str();
  app.add_option("--warmup", o->warmups, "untimed runs before the repetitions of each rank count")->capture_default_str();
  app.add_option("--mode", o->mode, "strong (same problem for every p) or weak (problem scaled by p)")->capture_default_str();
  app.add_option("--output", o->output, "HDF5 study file; an existing one gets this run appended")->required();
  app.add_flag("--force", o->force, "replace the study file instead of appending to it");
  app.add_flag("--json", o->json, "print the summary as JSON");
  app.add_option("--journal", o->journal, "record each finished repetition durably in this file");
  app.add_flag("--resume", o->resume, "continue the --journal, running only the missing repetitions");
  auto studies = std::make_shared<std::map<std::string, std::shared_ptr<Study>>>();
  for (const auto& a : apps()) {
    CLI::App* sub = app.add_subcommand(a.name, a.description);
    sub->fallthrough();  // study options may follow the app's own
    (*studies)[a.name] = std::make_shared<Study>(a.name, a.setup(*sub), o);
  }
  auto chosen = [&app, studies]() { return studies->at(app.get_subcommands().front()->get_name()); };
  return Action{[chosen](const Communicator& world) { chosen()->validate(world); },
                [chosen](const Communicator& world) { return chosen()->run(world); }};
}

const Register registered{{"study", "a scaling study of an app over rank counts, appended to an HDF5 file", setup}};

}  // namespace
}  // namespace multirank::cli
