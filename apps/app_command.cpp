// Each app becomes a subcommand with the common options; see app.hpp.
#include <cstdio>
#include <memory>
#include <optional>

#include "app.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/study/report.hpp"
#include "multirank/study/run_record.hpp"
#include "multirank/study/study_file.hpp"
#include "multirank/trace/concurrency_profile.hpp"
#include "registry.hpp"

namespace multirank::cli {

std::vector<App>& apps() {
  static std::vector<App> all;
  return all;
}

double max_over_ranks(const Communicator& comm, double seconds) { return allreduce(comm, seconds, maximum<>{}); }

namespace {

struct CommonOptions {
  bool json = false;
  bool profile = false;
  std::string output;
  bool force = false;
  bool append = false;
};

/// Writes one run (one p, one repetition) of `app` to the study file `path` (collective).
void write_output(const Communicator& world, const CommonOptions& common, study::RunRecord record,
                  double local_seconds, const AppResult& result) {
  record.reps = 1;
  record.samples = {study::make_sample(world, 0, local_seconds, result.seconds)};
  record.tasks_p = world.size();
  record.tasks_rep = 0;
  if (world.rank() == 0) record.tasks = result.tasks;
  study::write_run(world, common.output, record, study::write_mode(common.force, common.append));
}

Action make_action(const App& app, CLI::App& sub) {
  auto instance = app.setup(sub);
  auto common = std::make_shared<CommonOptions>();
  sub.add_flag("--json", common->json, "print one JSON object with the results and timings (rank 0)");
  sub.add_flag("--profile", common->profile, "print the concurrency profile of the run's tasks");
  sub.add_option("--output", common->output, "write the run (timings, per-task records, metadata) to this HDF5 study file");
  sub.add_flag("--force", common->force, "--output: replace an existing study file");
  sub.add_flag("--append", common->append, "--output: add this run to an existing study file");
  const std::string name = app.name;
  return Action{[instance, common](const Communicator& world) {
                  instance->validate(world);
                  if ((common->force || common->append) && common->output.empty())
                    throw UsageError("--force and --append go with --output FILE.h5");
                  if (!common->output.empty() && world.rank() == 0)
                    study::check_output(common->output, study::write_mode(common->force, common->append));
                },
                [instance, common, name](const Communicator& world) {
                  std::optional<study::RunRecord> record;
                  if (!common->output.empty())
                    record = study::begin_run(world, name, instance->options().dump(), "strong");
                  const double t0 = MPI_Wtime();
                  AppResult result = instance->run(world);
                  const double local = MPI_Wtime() - t0;
                  if (record) {
                    try {
                      write_output(world, *common, std::move(*record), local, result);
                    } catch (const std::exception& e) {
                      // write_run fails the same way on every rank: one line, exit 1, no abort.
                      if (world.rank() == 0) std::fprintf(stderr, "multirank %s: error: %s\n", name.c_str(), e.what());
                      return 1;
                    }
                  }
                  if (world.rank() != 0) return 0;
                  const auto profile = trace::concurrency_profile(result.tasks, world.size());
                  if (common->json) {
                    nlohmann::json out = result.results;
                    out["ranks"] = world.size();
                    out["seconds"] = result.seconds;
                    if (common->profile) out["profile"] = nlohmann::json::parse(study::profile_json(profile));
                    if (!common->output.empty()) out["output"] = common->output;
                    std::printf("%s\n", out.dump().c_str());
                  } else {
                    std::fputs(result.text.c_str(), stdout);
                    if (common->profile) std::printf("\n%s", trace::format_profile(profile).c_str());
                    if (!common->output.empty()) std::printf("\nrun written to %s\n", common->output.c_str());
                  }
                  std::fflush(stdout);
                  return 0;
                }};
}

}  // namespace

RegisterApp::RegisterApp(App app) {
  apps().push_back(app);
  const App& stored = apps().back();
  const std::string name = stored.name;
  Register{{stored.name, stored.description, [name](CLI::App& sub) {
              for (const auto& a : apps())
                if (a.name == name) return make_action(a, sub);
              throw std::logic_error("app " + name + " is not registered");
            }}};
}

}  // namespace multirank::cli
