// The multirank CLI: `multirank SUBCOMMAND [options]`, under mpirun or alone.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "multirank/collective/reduce.hpp"
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

/// Why `text` is not a decimal whole number that fits 64 bits (signed, or unsigned), or "" after
/// rewriting `text` in plain decimal (CLI11 would read "010" as octal 8).
std::string integer_problem(std::string& text, bool is_unsigned) {
  std::string_view s = text;
  if (s.empty()) return "empty value";
  if (s.front() == '+') s.remove_prefix(1);
  if (is_unsigned && !s.empty() && s.front() == '-') return "value " + text + " is negative";
  std::from_chars_result r{};
  std::string canonical;
  if (is_unsigned) {
    std::uint64_t v = 0;
    r = std::from_chars(s.data(), s.data() + s.size(), v);
    canonical = std::to_string(v);
  } else {
    std::int64_t v = 0;
    r = std::from_chars(s.data(), s.data() + s.size(), v);
    canonical = std::to_string(v);
  }
  if (r.ec == std::errc::result_out_of_range)
    return "value " + text + " is out of range (at most " + (is_unsigned ? "2^64 - 1" : "2^63 - 1") + ")";
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return "value " + text + " is not a whole number";
  text = canonical;
  return "";
}

/// CLI11 2.1 reads 64-bit integers with strtoll/strtoull, which saturate or wrap silently
/// ("--n 9223372036854775808" became 2^63 - 1, "-3" an unsigned 2^64 - 3) and also take octal
/// and hex: every integer option of every subcommand checks its text first.
void check_integer_options(CLI::App& app) {
  for (CLI::Option* opt : app.get_options([](CLI::Option*) { return true; })) {
    const std::string type = opt->get_type_name();
    const bool is_unsigned = type.rfind("UINT", 0) == 0;
    if (!is_unsigned && type.rfind("INT", 0) != 0) continue;
    opt->transform(CLI::Validator([is_unsigned](std::string& text) { return integer_problem(text, is_unsigned); }, ""));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) check_integer_options(*sub);
}

/// The whole command line interface: every registered subcommand, with its action.
void build_cli(CLI::App& app, std::map<CLI::App*, Action>& actions) {
  app.set_version_flag("--version", MULTIRANK_VERSION);
  app.require_subcommand(1, 1);
  for (const auto& sub : subcommands()) {
    CLI::App* sub_app = app.add_subcommand(sub.name, sub.description);
    actions[sub_app] = sub.setup(*sub_app);
  }
  check_integer_options(app);
}

int main_body(int argc, char** argv) {
  install_stop_handlers();  // Ctrl-C / scancel: flush journals, then end the whole job with a message
  const Communicator world = Communicator::world();
  CLI::App app{"multirank: Python's multiprocessing patterns over MPI ranks", "multirank"};
  std::map<CLI::App*, Action> actions;
  build_cli(app, actions);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    if (world.rank() == 0) app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (world.rank() == 0) {
      std::string what = e.what();
      if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
      const auto named = [&](const Subcommand& s) { return argc > 1 && s.name == argv[1]; };
      if (argc > 1 && argv[1][0] != '-' && std::none_of(subcommands().begin(), subcommands().end(), named))
        what = std::string("unknown subcommand '") + argv[1] + "'";
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
  const int first_failing = allreduce(world, mine, minimum<>{});
  if (first_failing < world.size()) {
    if (world.rank() == first_failing)
      std::fprintf(stderr, "multirank %s: error: %s\n", app.get_subcommands().front()->get_name().c_str(),
                   problem.c_str());
    return kUsageExit;
  }
  return action.run(world);
}

}  // namespace

/// Parses the command line quietly, before MPI exists, and runs the subcommand if it must run
/// without MPI (`study ... exec`). Anything else, parse errors and --help included, returns
/// nullopt and goes through main_body under MPI as always (which reports them).
std::optional<int> run_before_mpi(int argc, char** argv) {
  CLI::App app{"multirank: Python's multiprocessing patterns over MPI ranks", "multirank"};
  std::map<CLI::App*, Action> actions;
  build_cli(app, actions);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Error&) {
    return std::nullopt;
  }
  const auto chosen = app.get_subcommands();
  if (chosen.empty()) return std::nullopt;
  const Action& action = actions.at(chosen.front());
  if (!action.run_before_mpi) return std::nullopt;
  return action.run_before_mpi();
}

}  // namespace multirank::cli

int main(int argc, char** argv) {
  if (const auto code = multirank::cli::run_before_mpi(argc, argv)) return *code;
  return multirank::run_main(argc, argv, [&] { return multirank::cli::main_body(argc, argv); });
}
