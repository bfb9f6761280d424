// `multirank study APP [app options] --ranks 1,2,4 --reps R --mode strong|weak --output study.h5`:
// inside one MPI job, the first p ranks run the app R times (after warm-ups) for each p; the
// samples, their statistics and one run's per-task records are appended to an HDF5 study file.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include "app.hpp"
#include "journal.hpp"
#include "multirank/collective/broadcast.hpp"
#include "multirank/study/report.hpp"
#include "multirank/study/run_record.hpp"
#include "multirank/study/study_file.hpp"
#include "multirank/study/sweep.hpp"
#include "registry.hpp"
#include "study_options.hpp"

namespace multirank::cli {
namespace {

nlohmann::json sample_json(const study::Sample& s) {
  return {{"wall", s.wall_seconds}, {"min", s.rank_min_seconds}, {"max", s.rank_max_seconds}};
}

study::Sample sample_from(int p, int rep, const nlohmann::json& j) {
  return {p, rep, j.at("wall").get<double>(), j.at("min").get<double>(), j.at("max").get<double>()};
}

/// A built-in app's sample as journaled: three finite times, min <= max.
std::string check_sample(const nlohmann::json& r) {
  if (!r.is_object() || r.size() != 3) return "a sample is {\"wall\", \"min\", \"max\"}";
  for (const char* key : {"wall", "min", "max"}) {
    if (!r.contains(key)) return std::string("\"") + key + "\" is missing";
    if (std::string why = check_number(r[key], key); !why.empty()) return why;
  }
  if (r["min"].get<double>() > r["max"].get<double>()) return "min is above max";
  return "";
}

class Study {
 public:
  Study(std::string app, std::shared_ptr<AppInstance> instance, std::shared_ptr<StudyOptions> options)
      : app_(std::move(app)), instance_(std::move(instance)), o_(std::move(options)) {}

  void validate(const Communicator& world) {
    instance_->validate(world);
    study::check_sweep(sweep_options(), world.size());
    if (o_->mode != "strong" && o_->mode != "weak") throw UsageError("--mode is strong or weak, not '" + o_->mode + "'");
    if (o_->resume && o_->journal.empty()) throw UsageError("--resume needs --journal FILE");
    if (world.rank() == 0) {
      if (!o_->journal.empty()) Journal::check_usable(o_->journal, "study", identity(), o_->resume, journal_tasks());
      study::check_output(o_->output, o_->force ? study::WriteMode::replace : study::WriteMode::append);
    }
  }

  study::SweepOptions sweep_options() const {
    study::SweepOptions s;
    s.ranks = o_->ranks;
    std::sort(s.ranks.begin(), s.ranks.end());
    s.reps = o_->reps;
    s.warmups = o_->warmups;
    return s;
  }

  /// The journal's tasks: one per (p, rep) of the sweep, p in increasing order.
  JournalTasks journal_tasks() const {
    JournalTasks t;
    for (int p : sweep_options().ranks)
      for (int rep = 0; rep < o_->reps; ++rep) t.keys.push_back({{"p", p}, {"rep", rep}});
    t.check_result = [](std::size_t, const nlohmann::json& r) { return check_sample(r); };
    return t;
  }

  /// The journal task of (p, rep).
  std::int64_t task_of(int p, int rep) const {
    const auto ranks = sweep_options().ranks;
    const auto at = std::find(ranks.begin(), ranks.end(), p) - ranks.begin();
    return static_cast<std::int64_t>(at) * o_->reps + rep;
  }

  nlohmann::json identity() const {
    return {{"app", app_}, {"options", instance_->options()}, {"ranks", o_->ranks}, {"reps", o_->reps},
            {"warmups", o_->warmups}, {"mode", o_->mode}};
  }

  int run(const Communicator& world) {
    study::RunRecord record = study::begin_run(world, app_, instance_->options().dump(), o_->mode);
    study::SweepOptions sweep = sweep_options();

    // Resume: rank 0 reads the samples measured before from the journal; every rank learns which.
    std::unique_ptr<Journal> journal;
    std::vector<std::pair<int, int>> done;
    std::string written;  // a resumed journal whose run is already in a study file: nothing to do
    if (world.rank() == 0 && !o_->journal.empty()) {
      journal = std::make_unique<Journal>(o_->journal, "study", identity(), o_->resume, journal_tasks());
      const JournalTasks tasks = journal_tasks();
      for (const auto& [id, sample] : journal->done()) {
        const auto& key = tasks.keys[static_cast<std::size_t>(id)];
        record.samples.push_back(sample_from(key["p"].get<int>(), key["rep"].get<int>(), sample));
        done.emplace_back(record.samples.back().p, record.samples.back().rep);
      }
      // One identity for the run however often it is resumed, so that report can tell copies.
      record.run_id = journal->run_id();
      if (journal->written())
        written = "nothing to do: journal " + o_->journal + " is complete and its run was written to " +
                  journal->written()->file + " as " + journal->written()->group +
                  " (remove the journal to measure again)";
    }
    broadcast(world, written);
    if (!written.empty()) {
      if (world.rank() == 0) std::printf("%s\n", written.c_str());
      return 0;
    }
    broadcast(world, done);
    sweep.done.insert(done.begin(), done.end());
    if (journal) sweep.on_sample = [&](const study::Sample& s) { journal->record(task_of(s.p, s.rep), sample_json(s)); };

    study::run_sweep(world, sweep, record, [this](const Communicator& sub, int p) {
      if (o_->mode == "weak") instance_->set_problem_scale(p);
      AppResult result = instance_->run(sub);
      return study::RepetitionResult{-1.0, std::move(result.tasks)};
    });
    study::summarize_record(record);
    if (journal) journal->flush();
    std::string group;
    try {
      group = study::write_run(world, o_->output, record,
                               o_->force ? study::WriteMode::replace : study::WriteMode::append);
    } catch (const std::exception& e) {
      // write_run fails the same way on every rank: one line, exit 1; the journal keeps the samples.
      if (world.rank() == 0) std::fprintf(stderr, "multirank study: error: %s\n", e.what());
      return 1;
    }
    if (journal) journal->record_written(o_->output, group);  // a resume from now on has nothing to do
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

/// The apps' names, comma-separated.
std::string app_names() {
  std::string names;
  for (const auto& a : apps()) names += (names.empty() ? "" : ", ") + a.name;
  return names;
}

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
  app.add_option("--journal", o->journal, "record each finished repetition durably in this file (give it before APP: apps have a --journal of their own)");
  app.add_flag("--resume", o->resume, "continue the --journal, running only the missing repetitions");
  auto studies = std::make_shared<std::map<std::string, std::shared_ptr<Study>>>();
  for (const auto& a : apps()) {
    CLI::App* sub = app.add_subcommand(a.name, a.description);
    sub->fallthrough();  // study options may follow the app's own
    (*studies)[a.name] = std::make_shared<Study>(a.name, a.setup(*sub), o);
    // The sweep journals its repetitions itself: --journal and --resume after the app's name are
    // the study's (an app's own journal would be opened once per repetition).
    for (const char* name : {"--journal", "--resume"})
      if (CLI::Option* own = sub->get_option_no_throw(name)) sub->remove_option(own);
  }
  // The other subcommands are not apps the sweep can run: say why instead of "a subcommand is required".
  for (const auto& other : subcommands()) {
    if (other.name == "study" || studies->count(other.name)) continue;
    CLI::App* sub = app.add_subcommand(other.name, "")->group("")->allow_extras()->fallthrough();
    const std::string why =
        other.name == "wordcount"
            ? "wordcount cannot be studied: it is a pipeline over its files whose stages take the whole job, not "
              "an app that runs on each rank count's share of it; study it as a program instead: multirank study "
              "--ranks ... --output S.h5 exec -- multirank wordcount FILE..."
            : other.name + " is not an app that study can run (apps: " + app_names() +
                  "; any program: multirank study ... exec -- PROGRAM)";
    sub->preparse_callback([why](std::size_t) { throw CLI::ValidationError(why); });
  }
  // `study ... exec -- PROGRAM`: the driver of a program's study, which never initialises MPI.
  std::shared_ptr<ExecStudy> exec = add_exec_subcommand(app, o);
  auto chosen_name = [&app]() { return app.get_subcommands().front()->get_name(); };
  auto chosen = [chosen_name, studies]() { return studies->at(chosen_name()); };
  auto refuse_exec = [chosen_name]() {
    // main() runs `study ... exec` before MPI_Init; reaching here means it was bypassed.
    if (chosen_name() == "exec") throw UsageError("study ... exec must run without MPI initialised");
  };
  return Action{[chosen, refuse_exec](const Communicator& world) {
                  refuse_exec();
                  chosen()->validate(world);
                },
                [chosen](const Communicator& world) { return chosen()->run(world); },
                [chosen_name, exec]() -> std::optional<int> {
                  if (chosen_name() != "exec") return std::nullopt;
                  return run_exec_study(*exec);
                }};
}

const Register registered{{"study", "a scaling study of an app over rank counts, appended to an HDF5 file", setup}};

}  // namespace
}  // namespace multirank::cli
