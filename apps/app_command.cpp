// Each app becomes a subcommand with the common options; see app.hpp.
#include <cstdio>
#include <memory>

#include "app.hpp"
#include "multirank/core/wait.hpp"
#include "registry.hpp"

namespace multirank::cli {

std::vector<App>& apps() {
  static std::vector<App> all;
  return all;
}

double max_over_ranks(const Communicator& comm, double seconds) {
  double out = seconds;
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Iallreduce(&seconds, &out, 1, MPI_DOUBLE, MPI_MAX, comm.native(), &req), "MPI_Iallreduce");
  wait_until([&] {
    int flag = 0;
    check_mpi(MPI_Test(&req, &flag, MPI_STATUS_IGNORE), "MPI_Test");
    return flag != 0;
  });
  return out;
}

namespace {

struct CommonOptions {
  bool json = false;
};

Action make_action(const App& app, CLI::App& sub) {
  auto instance = app.setup(sub);
  auto common = std::make_shared<CommonOptions>();
  sub.add_flag("--json", common->json, "print one JSON object with the results and timings (rank 0)");
  return Action{[instance](const Communicator& world) { instance->validate(world); },
                [instance, common](const Communicator& world) {
                  AppResult result = instance->run(world);
                  if (world.rank() != 0) return 0;
                  if (common->json) {
                    nlohmann::json out = result.results;
                    out["ranks"] = world.size();
                    out["seconds"] = result.seconds;
                    std::printf("%s\n", out.dump().c_str());
                  } else {
                    std::fputs(result.text.c_str(), stdout);
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
