// The multirank CLI: `multirank SUBCOMMAND [options]`, under mpirun or alone.
#include <cstdio>
#include <map>
#include <string>

#include "multirank/core/communicator.hpp"
#include "multirank/core/environment.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/signals.hpp"
#include "registry.hpp"

namespace multirank::cli {

std::vector<Subcommand>& subcommands() {
  static std::vector<Subcommand> all;
  return all;
}

namespace {

/// Exit code for usage errors (bad arguments, inputs, rank counts).
constexpr int kUsageExit = 2;

int main_body(int argc, char** argv) {
  install_stop_handlers();  // Ctrl-C / scancel: flush journals, then end the whole job with a message
  const Communicator world = Communicator::world();
  CLI::App app{"multirank: Python's multiprocessing patterns over MPI ranks", "multirank"};
  app.set_version_flag("--version", MULTIRANK_VERSION);
  app.require_subcommand(1, 1);
  std::map<CLI::App*, Action> actions;
  for (const auto& sub : subcommands()) {
    CLI::App* sub_app = app.add_subcommand(sub.name, sub.description);
    actions[sub_app] = sub.setup(*sub_app);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    if (world.rank() == 0) app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (world.rank() == 0) {
      std::string what = e.what();
      if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
      std::fprintf(stderr, "multirank: error: %s (see multirank --help)\n", what.c_str());
    }
    return kUsageExit;
  }
  const Action& action = actions.at(app.get_subcommands().front());

  // Every rank validates; if any rank fails, the lowest failing rank prints and all exit 2.
  std::string problem;
  if (action.validate) {
    try {
      action.validate(world);
    } catch (const UsageError& e) {
      problem = e.what();
    }
  }
  const int mine = problem.empty() ? world.size() : world.rank();
  int first_failing = world.size();
  check_mpi(MPI_Allreduce(&mine, &first_failing, 1, MPI_INT, MPI_MIN, world.native()), "MPI_Allreduce");
  if (first_failing < world.size()) {
    if (world.rank() == first_failing)
      std::fprintf(stderr, "multirank %s: error: %s\n", app.get_subcommands().front()->get_name().c_str(),
                   problem.c_str());
    return kUsageExit;
  }
  return action.run(world);
}

}  // namespace
}  // namespace multirank::cli

int main(int argc, char** argv) {
  return multirank::run_main(argc, argv, [&] { return multirank::cli::main_body(argc, argv); });
}
