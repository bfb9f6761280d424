// Writes a study run through study::write_run and fails on purpose at one stage of the write, for
// atomic_outputs.sh:
//   reliability_atomic_write PATH create|replace|append STAGE none|throw-all|throw-one|kill [LABEL]
// STAGE is one of write_run's stages (opened, group, datasets, tasks, closed). "throw-all" throws
// on every rank (a full disk), "throw-one" on the last rank only (write_run must agree on the
// failure everywhere); "kill" SIGKILLs rank 0 there. Every rank contributes 2000 task records, so the file is not trivially small.
// Exit: 0 written, 3 the write failed (message on stderr from rank 0).
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "multirank/core/environment.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/study/study_file.hpp"

int main(int argc, char** argv) {
  return multirank::run_main(argc, argv, [&] {
    namespace ms = multirank::study;
    const auto world = multirank::Communicator::world();
    if (argc < 5) throw std::invalid_argument("usage: reliability_atomic_write PATH MODE STAGE ACTION [LABEL]");
    const std::string path = argv[1];
    const std::string mode_name = argv[2];
    const std::string stage = argv[3];
    const std::string action = argv[4];
    const std::string label = argc > 5 ? argv[5] : "atomic";
    const ms::WriteMode mode = mode_name == "replace" ? ms::WriteMode::replace
                               : mode_name == "append" ? ms::WriteMode::append
                                                       : ms::WriteMode::create;

    ms::RunRecord run = ms::begin_run(world, label, R"({"n": 1})", "strong");
    run.reps = 2;
    for (int rep = 0; rep < 2; ++rep) run.samples.push_back({world.size(), rep, 1.0 + rep, 0.9, 1.0 + rep});
    run.tasks_p = world.size();
    for (int i = 0; i < 2000; ++i) {
      multirank::TaskRecord t;
      t.task_id = 2000 * world.rank() + i;
      t.rank = world.rank();
      t.pid = multirank::process_id();
      t.host = multirank::host_name();
      t.start = i;
      t.end = i + 0.5;
      run.tasks.push_back(t);
    }
    ms::WriteOptions options;
    options.on_stage = [&](const std::string& reached) {
      if (reached != stage) return;
      if (action == "kill" && world.rank() == 0) ::kill(::getpid(), SIGKILL);
      if (action == "throw-all" || (action == "throw-one" && world.rank() == world.size() - 1))
        throw std::runtime_error("injected failure at " + reached);
    };
    try {
      const std::string group = ms::write_run(world, path, run, mode, options);
      if (world.rank() == 0) std::printf("%s %s\n", path.c_str(), group.c_str());
    } catch (const std::exception& e) {
      if (world.rank() == 0) std::fprintf(stderr, "write failed: %s\n", e.what());
      return 3;
    }
    return 0;
  });
}
