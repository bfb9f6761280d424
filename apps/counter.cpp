// `multirank counter --increments N --mode local|lock|atomic [--json]`: the seeds' shared-counter
// example. Every rank adds 1 to "the counter" N times:
//   local   each rank increments its own copy: rank 0's total is only its own N, the other ranks'
//           increments never reach it (Python's "Contador en main: 0": each process has its copy);
//   lock    one counter on rank 0, every read-modify-write under a DistributedLock: exactly P*N;
//   atomic  one SharedCounter, MPI_Fetch_and_op: exactly P*N.
// Each mode prints its rate (increments per second over all ranks, slowest rank's time).
#include <mpi.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "multirank/collective/gather.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/error.hpp"
#include "multirank/shared/distributed_lock.hpp"
#include "multirank/shared/shared_counter.hpp"
#include "multirank/shared/shared_value.hpp"
#include "registry.hpp"

namespace multirank::cli {
namespace {

struct CounterOptions {
  std::int64_t increments = 100000;
  std::string mode = "atomic";
  bool json = false;
};

struct Outcome {
  std::int64_t mine = 0;    // what this rank sees as "the counter" when it is done
  std::int64_t total = 0;   // the counter as rank 0 reads it at the end
  double seconds = 0.0;     // this rank's time for its increments
};

Outcome run_local(const Communicator& comm, std::int64_t n) {
  // volatile: the compiler must really perform every increment, as the other modes do.
  volatile std::int64_t count = 0;
  comm.barrier();
  const double t0 = MPI_Wtime();
  for (std::int64_t i = 0; i < n; ++i) count = count + 1;
  const double seconds = MPI_Wtime() - t0;
  return {count, count, seconds};  // rank 0's "total" is its own copy: nothing else reaches it
}

Outcome run_lock(const Communicator& comm, std::int64_t n) {
  DistributedLock lock(comm);
  SharedValue<std::int64_t> counter(comm, 0);
  comm.barrier();
  const double t0 = MPI_Wtime();
  for (std::int64_t i = 0; i < n; ++i) {
    DistributedLockGuard guard(lock);
    counter.store(counter.load() + 1);  // a separate read and write: only the lock keeps it whole
  }
  const double seconds = MPI_Wtime() - t0;
  const std::int64_t mine = counter.load();
  comm.barrier();
  return {mine, counter.load(), seconds};
}

Outcome run_atomic(const Communicator& comm, std::int64_t n) {
  SharedCounter counter(comm);
  comm.barrier();
  const double t0 = MPI_Wtime();
  for (std::int64_t i = 0; i < n; ++i) (void)counter.fetch_add(1);
  const double seconds = MPI_Wtime() - t0;
  const std::int64_t mine = counter.value();
  comm.barrier();
  return {mine, counter.value(), seconds};
}

int run(const Communicator& world, const CounterOptions& o) {
  Outcome out = o.mode == "local" ? run_local(world, o.increments)
                : o.mode == "lock" ? run_lock(world, o.increments)
                                   : run_atomic(world, o.increments);
  const auto counts = gather(world, out.mine, 0);
  const double slowest = allreduce(world, out.seconds, maximum<>{});
  if (world.rank() != 0) return 0;

  const std::int64_t p = world.size();
  const std::int64_t expected = p * o.increments;
  const bool shared = o.mode != "local";
  const bool exact = out.total == expected;
  const double rate = slowest > 0 ? static_cast<double>(expected) / slowest : 0.0;
  if (o.json) {
    nlohmann::json j{{"mode", o.mode},         {"ranks", p},          {"increments", o.increments},
                     {"counts", counts},       {"total", out.total},  {"expected_if_shared", expected},
                     {"exact", exact},         {"seconds", slowest},  {"ops_per_s", rate}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("mode %s: %lld rank(s) x %lld increments\n", o.mode.c_str(), static_cast<long long>(p),
                static_cast<long long>(o.increments));
    for (std::size_t r = 0; r < counts.size(); ++r)
      std::printf("  counter seen by rank %zu: %lld\n", r, static_cast<long long>(counts[r]));
    if (!shared) {
      std::printf("total on rank 0: %lld (only its own copy; %lld increments by the other ranks never reach it)\n",
                  static_cast<long long>(out.total), static_cast<long long>(expected - out.total));
    } else {
      std::printf("total on rank 0: %lld (expected %lld: %s)\n", static_cast<long long>(out.total),
                  static_cast<long long>(expected), exact ? "exact" : "UPDATES LOST");
    }
    std::printf("rate: %.4g increments/s (%lld in %.4f s, slowest rank)\n", rate, static_cast<long long>(expected),
                slowest);
  }
  std::fflush(stdout);
  if (shared && !exact) {
    std::fprintf(stderr, "multirank counter: error: %s mode lost updates (%lld of %lld)\n", o.mode.c_str(),
                 static_cast<long long>(out.total), static_cast<long long>(expected));
    return 1;
  }
  return 0;
}

Action setup(CLI::App& app) {
  auto o = std::make_shared<CounterOptions>();
  app.add_option("--increments", o->increments, "increments per rank (default 100000)");
  app.add_option("--mode", o->mode, "local (each rank its own copy) | lock (DistributedLock) | atomic (fetch_add)");
  app.add_flag("--json", o->json, "print one JSON object instead of text");
  return Action{[o](const Communicator& world) {
                  if (o->mode != "local" && o->mode != "lock" && o->mode != "atomic")
                    throw UsageError("--mode must be local, lock or atomic, got '" + o->mode + "'");
                  if (o->increments < 1)
                    throw UsageError("--increments must be a positive integer, got " + std::to_string(o->increments));
                  if (o->increments > std::numeric_limits<std::int64_t>::max() / world.size())
                    throw UsageError("--increments " + std::to_string(o->increments) + " times " +
                                     std::to_string(world.size()) + " ranks does not fit a 64-bit counter");
                },
                [o](const Communicator& world) { return run(world, *o); }};
}

const Register registered{{"counter", "the shared-counter example: local copies, a distributed lock, or atomics", setup}};

}  // namespace
}  // namespace multirank::cli
