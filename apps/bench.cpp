// `multirank bench NAME [options] [--json]`: dispatches to the registered benchmarks.
#include "bench.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <memory>

#include "registry.hpp"

namespace multirank::cli::bench {

std::vector<Benchmark>& benchmarks() {
  static std::vector<Benchmark> all;
  return all;
}

void print(const std::vector<Measurement>& ms, bool json) {
  if (json) {
    for (const auto& m : ms) {
      const nlohmann::json line{{"bench", m.bench}, {"unit", m.unit}, {"ours", m.ours},
                                {"baseline", m.baseline}, {"ratio", m.ratio()}};
      std::printf("%s\n", line.dump().c_str());
    }
  } else {
    std::printf("%-34s %-9s %14s %14s %8s\n", "bench", "unit", "multirank", "baseline", "ratio");
    for (const auto& m : ms)
      std::printf("%-34s %-9s %14.4g %14.4g %8.3f\n", m.bench.c_str(), m.unit.c_str(), m.ours, m.baseline, m.ratio());
  }
  std::fflush(stdout);
}

namespace {

Action setup(CLI::App& app) {
  app.require_subcommand(1, 1);
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "one JSON object per measurement and line");
  auto runners = std::make_shared<std::map<std::string, Runner>>();
  for (const auto& b : benchmarks()) {
    CLI::App* sub = app.add_subcommand(b.name, b.description);
    sub->add_flag("--json", *json, "one JSON object per measurement and line");
    (*runners)[b.name] = b.setup(*sub);
  }
  auto chosen = [&app, runners]() -> const Runner& {
    return runners->at(app.get_subcommands().front()->get_name());
  };
  return Action{[chosen](const Communicator& world) {
                  if (chosen().validate) chosen().validate(world);
                },
                [chosen, json](const Communicator& world) {
                  const auto ms = chosen().run(world);
                  if (world.rank() == 0) print(ms, *json);
                  return 0;
                }};
}

const multirank::cli::Register registered{{"bench", "benchmarks against plain MPI (or Python) in the same run", setup}};

}  // namespace
}  // namespace multirank::cli::bench
