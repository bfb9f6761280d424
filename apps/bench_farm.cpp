// `multirank bench farm`: N tasks of `true` through the farm (the same code as `multirank farm`,
// with --status on), against `xargs -P P -I{} sh -c '{}'` and GNU `parallel -j P` on the same
// list in the same run (P = ranks x --per-rank), and the farm's own cost per task beyond starting
// `sh`, measured on one rank with one slot against a plain posix_spawn + waitpid loop of
// `/bin/sh -c true`:
//   farm_vs_xargs_tasks_per_s      farm's tasks/s over xargs's (target >= 0.8)
//   farm_vs_parallel_tasks_per_s   farm's tasks/s over GNU parallel's (target >= 3)
//   farm_1slot_us_per_task         one rank, one slot: microseconds per task, vs the spawn loop's
//   farm_own_cost_us_per_task      that difference, vs the 100 us target (ratio <= 1 meets it)
//   farm_vs_xargs_cpu_us_per_task  CPU time per task of the whole farm (every rank's threads, its
//                                  spawner, the tasks) over xargs's (xargs and its tasks): what
//                                  the farm costs on top, insensitive to other load on the machine
// The farm's times here run from its start (spawners, clock, pool) to its end inside this MPI
// job; mpirun's own start-up (~0.33 s for two ranks) is not in them. scripts/compare-peers.sh
// times the whole `mpirun -n 2 multirank farm` command against the same peers.
#include <sched.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench.hpp"
#include "farm.hpp"
#include "farm_runner.hpp"
#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/error.hpp"

extern char** environ;

namespace multirank::cli::bench {
namespace {

struct FarmBenchOptions {
  long tasks = 5000;
  int per_rank = 1;
  int reps = 1;
  bool peers = true;
};

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

/// CPU seconds (user + system) of this process and of its children that have been reaped.
double cpu_seconds() {
  double total = 0.0;
  for (const int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    ::getrusage(who, &u);
    total += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
             1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
  }
  return total;
}

/// While it lives, this thread may run on every online CPU, and so may what it spawns: under
/// mpirun a rank is bound to one core, and a baseline started from it must not inherit that
/// (xargs -P 2 on one core would be a baseline at half speed).
class Unbound {
 public:
  Unbound() {
    saved_ok_ = ::sched_getaffinity(0, sizeof saved_, &saved_) == 0;
    cpu_set_t all;
    CPU_ZERO(&all);
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 0; c < n && c < CPU_SETSIZE; ++c) CPU_SET(static_cast<int>(c), &all);
    ::sched_setaffinity(0, sizeof all, &all);
  }
  Unbound(const Unbound&) = delete;
  Unbound& operator=(const Unbound&) = delete;
  ~Unbound() {
    if (saved_ok_) ::sched_setaffinity(0, sizeof saved_, &saved_);
  }

 private:
  cpu_set_t saved_{};
  bool saved_ok_ = false;
};

/// Runs `/bin/sh -c script` (on every CPU, see Unbound) and waits; returns its wall time in seconds, or a negative value when
/// it failed to start or exited non-zero; `cpu` gets its CPU seconds (its children's included).
double time_shell(const std::string& script, double& cpu) {
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
  const Unbound unbound;
  const double c0 = cpu_seconds();
  const double t0 = now();
  pid_t pid = 0;
  if (::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return -1.0;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  const double t = now() - t0;
  cpu = cpu_seconds() - c0;
  return (WIFEXITED(status) && WEXITSTATUS(status) == 0) ? t : -1.0;
}

/// `n` sequential `/bin/sh -c true`, each spawned and waited for: what starting sh costs here.
double time_spawn_loop(long n) {
  const char* argv[] = {"/bin/sh", "-c", "true", nullptr};
  const double t0 = now();
  for (long i = 0; i < n; ++i) {
    pid_t pid = 0;
    if (::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
      throw std::runtime_error("bench farm: cannot spawn /bin/sh");
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
  }
  return now() - t0;
}

/// One farm over `comm` of the list, with a fresh status file; returns rank 0's wall time, and in
/// `cpu` the CPU seconds of every rank with its spawner and tasks.
double time_farm(const Communicator& comm, const std::string& list, const std::string& status, int per_rank,
                 double& cpu) {
  farm::Options o;
  o.tasks = list;
  o.per_rank = per_rank;
  o.status = status;
  o.progress = "none";
  o.summary = false;
  if (comm.rank() == 0) std::filesystem::remove(status);
  comm.barrier();
  farm::Prepared p;
  farm::validate(comm, o, p);
  const double c0 = cpu_seconds();
  const double t0 = now();
  const farm::Summary s = farm::run(comm, o, p);  // its spawners are reaped before it returns
  const double t = now() - t0;
  cpu = allreduce(comm, cpu_seconds() - c0, std::plus<>{});
  if (comm.rank() == 0 && (s.exit_code != 0 || s.succeeded != s.tasks))
    throw std::runtime_error("bench farm: the farm of `true` failed (" + std::to_string(s.failed) + " failures)");
  return t;
}

std::vector<Measurement> run(const Communicator& world, const FarmBenchOptions& o) {
  const int slots = world.size() * o.per_rank;
  std::string dir;
  if (world.rank() == 0) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/multirank-bench-farm-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("bench farm: cannot create a temporary folder");
    dir = pattern;
    std::ofstream list(dir + "/tasks.txt");
    for (long i = 0; i < o.tasks; ++i) list << "true\n";
  }
  broadcast(world, dir);
  const std::string list = dir + "/tasks.txt";
  struct Cleanup {
    const Communicator& world;
    std::string dir;
    ~Cleanup() {
      if (world.rank() == 0) {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    }
  } cleanup{world, dir};

  double farm_best = 1e300, farm1_best = 1e300, spawn_best = 1e300, xargs_best = 1e300, parallel_best = 1e300;
  double farm_cpu = 1e300, xargs_cpu = 1e300;
  bool have_parallel = false;
  const auto one = world.split(world.rank() == 0 ? 0 : MPI_UNDEFINED, 0);
  for (int rep = 0; rep < o.reps; ++rep) {
    double cpu = 0.0;
    farm_best = std::min(farm_best, time_farm(world, list, dir + "/status.jsonl", o.per_rank, cpu));
    farm_cpu = std::min(farm_cpu, cpu);
    if (world.rank() == 0) {
      farm1_best = std::min(farm1_best, time_farm(one, list, dir + "/status1.jsonl", 1, cpu));
      spawn_best = std::min(spawn_best, time_spawn_loop(o.tasks));
      if (o.peers) {
        const std::string p = std::to_string(slots);
        const double x = time_shell("xargs -P " + p + " -I{} sh -c '{}' < " + list, cpu);
        if (x < 0) throw std::runtime_error("bench farm: xargs failed");
        xargs_best = std::min(xargs_best, x);
        xargs_cpu = std::min(xargs_cpu, cpu);
        const double g = time_shell("command -v parallel >/dev/null && parallel --will-cite -j " + p + " < " + list, cpu);
        if (g > 0) {
          have_parallel = true;
          parallel_best = std::min(parallel_best, g);
        }
      }
    }
    world.barrier();  // the other ranks sleep while rank 0 runs the baselines
  }
  std::vector<Measurement> out;
  if (world.rank() != 0) return out;
  const double n = static_cast<double>(o.tasks);
  const double ours_rate = n / farm_best;
  if (o.peers) {
    out.push_back({"farm_vs_xargs_tasks_per_s", "tasks/s", ours_rate, n / xargs_best});
    out.push_back({"farm_vs_xargs_cpu_us_per_task", "us", farm_cpu / n * 1e6, xargs_cpu / n * 1e6});
    if (have_parallel) out.push_back({"farm_vs_parallel_tasks_per_s", "tasks/s", ours_rate, n / parallel_best});
  }
  const double per_task = farm1_best / n * 1e6;
  const double sh = spawn_best / n * 1e6;
  out.push_back({"farm_1slot_us_per_task", "us", per_task, sh});
  out.push_back({"farm_own_cost_us_per_task", "us", per_task - sh, 100.0});
  return out;
}

Runner setup(CLI::App& app) {
  auto o = std::make_shared<FarmBenchOptions>();
  app.add_option("--tasks", o->tasks, "tasks of `true` in the list")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--per-rank", o->per_rank, "tasks at once on each rank")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--reps", o->reps, "repetitions; the best of each side is reported")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("!--no-peers", o->peers, "skip xargs and GNU parallel");
  return Runner{[](const Communicator&) { farm::Spawner::locate(); },
                [o](const Communicator& world) { return run(world, *o); }};
}

const Register registered{{"farm", "N tasks of `true` through the farm vs xargs -P and GNU parallel -j, and its cost per task",
                           setup}};

}  // namespace
}  // namespace multirank::cli::bench
