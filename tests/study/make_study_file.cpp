// Writes a synthetic study file through the library's writer, for the h5py, h5dump and report
// checks: `make_study_file OUT.h5 [--append|--force] [--app NAME] [--mode strong|weak] [--no-tasks]
// [--no-samples]` (--app farm --no-samples: a run like the farm's, task records only).
//
// Samples for p = 1, 2, 4 with 5 repetitions each (rep r adds 0.01 s):
//   strong: T(p) = 2 + 8/p  (Amdahl with serial fraction 0.2 at T(1) = 10)
//   weak:   T(p) = 10 (1 + 0.25 (p - 1))
// Tasks: every rank r runs 3 tasks, i = 0..2, id 3r + i, on [1000 + i + 0.1 r, ... + 0.9), so with
// P ranks at most P tasks execute at once. Task 3r + i ran the command "task ID of rank r " plus r
// x's (so the ranks' longest commands differ), as attempt 1 + i % 2, with exit code 3 when i = 2.
#include <cstdio>
#include <string>

#include "multirank/core/environment.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/study/study_file.hpp"

int main(int argc, char** argv) {
  return multirank::run_main(argc, argv, [&] {
    namespace ms = multirank::study;
    const auto world = multirank::Communicator::world();
    std::string out;
    std::string app = "rangesum";
    std::string mode = "strong";
    bool force = false;
    bool append = false;
    bool tasks = true;
    bool samples = true;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--append") append = true;
      else if (a == "--force") force = true;
      else if (a == "--no-tasks") tasks = false;
      else if (a == "--no-samples") samples = false;
      else if (a == "--app" && i + 1 < argc) app = argv[++i];
      else if (a == "--mode" && i + 1 < argc) mode = argv[++i];
      else out = a;
    }
    if (out.empty()) {
      if (world.rank() == 0) std::fprintf(stderr, "usage: make_study_file OUT.h5 [options]\n");
      return 2;
    }
    ms::RunRecord run = ms::begin_run(world, app, R"({"n": 1000})", mode);
    run.reps = samples ? 5 : 0;
    run.warmups = samples ? 1 : 0;
    for (int p : {1, 2, 4})
      for (int rep = 0; rep < 5 && samples; ++rep) {
        const double t = (mode == "strong" ? 2.0 + 8.0 / p : 10.0 * (1.0 + 0.25 * (p - 1))) + 0.01 * rep;
        run.samples.push_back({p, rep, t, t * 0.9, t});
      }
    if (tasks) {
      run.tasks_p = world.size();
      run.tasks_rep = 4;
      for (int i = 0; i < 3; ++i) {
        multirank::TaskRecord t;
        t.task_id = 3 * world.rank() + i;
        t.rank = world.rank();
        t.pid = multirank::process_id();
        t.host = multirank::host_name();
        t.queued = 1000.0;
        t.start = 1000.0 + i + 0.1 * world.rank();
        t.end = t.start + 0.9;
        t.bytes_in = 8;
        t.bytes_out = 16;
        t.attempt = 1 + i % 2;
        t.exit_code = i == 2 ? 3 : 0;
        t.command = "task " + std::to_string(t.task_id) + " of rank " + std::to_string(world.rank()) + " " +
                    std::string(static_cast<std::size_t>(world.rank()), 'x');
        run.tasks.push_back(t);
      }
    }
    const std::string group = ms::write_run(world, out, run, ms::write_mode(force, append));
    if (world.rank() == 0) std::printf("%s %s\n", out.c_str(), group.c_str());
    return 0;
  });
}
