// `multirank hello`: every rank reports its host and pid; the smallest end-to-end check.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "multirank/core/process_info.hpp"
#include "registry.hpp"

namespace multirank::cli {
namespace {

Action setup(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print one JSON object instead of a table");
  return Action{nullptr, [json](const Communicator& world) {
    constexpr Tag tag{1};
    using Row = std::tuple<int, std::string, long>;
    const Row mine{world.rank(), host_name(), process_id()};
    if (world.rank() != 0) {
      world.send(0, tag, mine);
      return 0;
    }
    std::vector<Row> rows{mine};
    for (int r = 1; r < world.size(); ++r) rows.push_back(world.recv<Row>(r, tag));
    if (*json) {
      nlohmann::json out{{"ranks", world.size()}, {"processes", nlohmann::json::array()}};
      for (const auto& [rank, host, pid] : rows)
        out["processes"].push_back({{"rank", rank}, {"host", host}, {"pid", pid}});
      std::printf("%s\n", out.dump().c_str());
    } else {
      std::printf("%-6s %-24s %s\n", "rank", "host", "pid");
      for (const auto& [rank, host, pid] : rows) std::printf("%-6d %-24s %ld\n", rank, host.c_str(), pid);
    }
    return 0;
  }};
}

const Register registered{{"hello", "each rank prints its host and pid", setup}};

}  // namespace
}  // namespace multirank::cli
