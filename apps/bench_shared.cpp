// `multirank bench shared`: the shared-state layer against plain MPI-3 RMA doing the same work,
// measured in the same run with every rank hammering one location on rank 0.
//
//   shared_fetch_add         SharedCounter::fetch_add vs a plain MPI_Fetch_and_op + MPI_Win_flush
//                            loop on an MPI_Win_allocate window (what one writes by hand), ops/s
//   shared_fetch_add_same_window  the same plain loop on the kind of window SharedCounter uses
//                            (MPI_Win_allocate_shared on one node): the wrapper's own cost, ops/s
//   shared_lock_increment    increments under DistributedLock (CAS + backoff, a load and a store)
//                            vs MPI_Win_lock(MPI_LOCK_EXCLUSIVE) + MPI_Get + MPI_Put + MPI_Win_unlock, ops/s
//
// Rates are increments per second over all ranks (total over the span from the first start to
// the last end, on the synchronised clock); higher is better. Each figure is the best of --reps
// repetitions, ours and the baseline alternating.
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "bench.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/clock.hpp"
#include "multirank/core/environment.hpp"
#include "multirank/core/error.hpp"
#include "multirank/shared/distributed_lock.hpp"
#include "multirank/shared/shared_counter.hpp"
#include "multirank/shared/shared_value.hpp"

namespace multirank::cli::bench {
namespace {

struct SharedBenchOptions {
  std::int64_t ops = 100000;       // fetch_adds per rank per repetition
  std::int64_t lock_ops = 10000;   // locked increments per rank per repetition
  int reps = 5;                    // short repetitions, best kept: preemption only ever slows one down
};

// Increments per second over all ranks: total increments over the span from the first rank's
// start to the last rank's end, on the synchronised clock (a rank delayed by the scheduler after
// the barrier still counts from when the first one started).
template <class F>
double rate(const Communicator& comm, const SyncClock& clock, std::int64_t ops, F&& body) {
  comm.barrier();
  const double start = clock.now();
  body(ops);
  const double end = clock.now();
  const double first = allreduce(comm, start, minimum<>{});
  const double last = allreduce(comm, end, maximum<>{});
  return last > first ? static_cast<double>(ops) * comm.size() / (last - first) : 0.0;
}

// A plain window of one int64 on rank 0, as a hand-written program makes it.
struct PlainWindow {
  MPI_Win win = MPI_WIN_NULL;
  PlainWindow(const Communicator& comm, bool shared, bool lock_all) {
    void* base = nullptr;
    const MPI_Aint bytes = comm.rank() == 0 ? static_cast<MPI_Aint>(sizeof(std::int64_t)) : 0;
    if (shared) check_mpi(MPI_Win_allocate_shared(bytes, sizeof(std::int64_t), MPI_INFO_NULL, comm.native(), &base, &win),
                          "MPI_Win_allocate_shared");
    else check_mpi(MPI_Win_allocate(bytes, sizeof(std::int64_t), MPI_INFO_NULL, comm.native(), &base, &win),
                   "MPI_Win_allocate");
    if (comm.rank() == 0) *static_cast<std::int64_t*>(base) = 0;
    if (lock_all) MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
    locked_all = lock_all;
    comm.barrier();
  }
  PlainWindow(const PlainWindow&) = delete;
  PlainWindow& operator=(const PlainWindow&) = delete;
  ~PlainWindow() {
    if (locked_all) MPI_Win_unlock_all(win);
    MPI_Win_free(&win);
  }
  bool locked_all = false;
};

// The plain loops wait inside MPI: give them Open MPI's default waiting (a BlockingMpiScope),
// which multirank turns off for its own waits. Each ends as a hand-written loop does, in
// MPI_Barrier: a rank done early keeps serving the others' operations from inside MPI (MPICH's
// ch4 moves a window's operations on only while its target is in an MPI call; left to sleep in
// the allreduce after the loop, its target would slow the last rank to a thousand ops/s).
void plain_fetch_add(MPI_Win win, MPI_Comm comm, std::int64_t ops) {
  const BlockingMpiScope blocking;
  const std::int64_t one = 1;
  std::int64_t previous = 0;
  for (std::int64_t i = 0; i < ops; ++i) {
    MPI_Fetch_and_op(&one, &previous, MPI_INT64_T, 0, 0, MPI_SUM, win);
    MPI_Win_flush(0, win);
  }
  MPI_Barrier(comm);
}

void plain_locked_increment(MPI_Win win, MPI_Comm comm, std::int64_t ops) {
  const BlockingMpiScope blocking;
  for (std::int64_t i = 0; i < ops; ++i) {
    std::int64_t v = 0;
    MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win);
    MPI_Get(&v, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, win);
    MPI_Win_flush(0, win);
    ++v;
    MPI_Put(&v, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, win);
    MPI_Win_unlock(0, win);
  }
  MPI_Barrier(comm);
}

std::vector<Measurement> run(const Communicator& world, const SharedBenchOptions& o) {
  const Communicator comm = world.dup();
  const SyncClock clock(comm);
  SharedCounter counter(comm);
  DistributedLock lock(comm);
  SharedValue<std::int64_t> guarded(comm, 0);
  PlainWindow plain(comm, /*shared=*/false, /*lock_all=*/true);
  PlainWindow plain_same(comm, /*shared=*/true, /*lock_all=*/true);
  PlainWindow plain_lock(comm, /*shared=*/false, /*lock_all=*/false);

  auto ours_fetch_add = [&](std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) (void)counter.fetch_add(1);
  };
  auto ours_locked = [&](std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
      DistributedLockGuard guard(lock);
      guarded.store(guarded.load() + 1);
    }
  };
  // Warm-up: windows touched, code paged in.
  rate(comm, clock, o.ops / 10 + 1, ours_fetch_add);
  rate(comm, clock, o.ops / 10 + 1, [&](std::int64_t n) { plain_fetch_add(plain.win, comm.native(), n); });
  rate(comm, clock, o.ops / 10 + 1, [&](std::int64_t n) { plain_fetch_add(plain_same.win, comm.native(), n); });

  double fa_ours = 0, fa_plain = 0, fa_same = 0, lock_ours = 0, lock_plain = 0;
  auto fa_plain_run = [&] { return rate(comm, clock, o.ops, [&](std::int64_t n) { plain_fetch_add(plain.win, comm.native(), n); }); };
  auto fa_same_run = [&] { return rate(comm, clock, o.ops, [&](std::int64_t n) { plain_fetch_add(plain_same.win, comm.native(), n); }); };
  auto fa_ours_run = [&] { return rate(comm, clock, o.ops, ours_fetch_add); };
  auto lock_plain_run = [&] {
    return rate(comm, clock, o.lock_ops, [&](std::int64_t n) { plain_locked_increment(plain_lock.win, comm.native(), n); });
  };
  auto lock_ours_run = [&] { return rate(comm, clock, o.lock_ops, ours_locked); };
  for (int r = 0; r < o.reps; ++r) {
    // Alternate which side goes first, so a slow phase of the machine hits both alike.
    if (r % 2 == 0) {
      fa_plain = std::max(fa_plain, fa_plain_run());
      fa_ours = std::max(fa_ours, fa_ours_run());
      fa_same = std::max(fa_same, fa_same_run());
      lock_plain = std::max(lock_plain, lock_plain_run());
      lock_ours = std::max(lock_ours, lock_ours_run());
    } else {
      lock_ours = std::max(lock_ours, lock_ours_run());
      lock_plain = std::max(lock_plain, lock_plain_run());
      fa_same = std::max(fa_same, fa_same_run());
      fa_ours = std::max(fa_ours, fa_ours_run());
      fa_plain = std::max(fa_plain, fa_plain_run());
    }
  }
  // Sanity: nothing was lost on either side of the lock comparison.
  comm.barrier();
  const std::int64_t expect_locked = (o.lock_ops * o.reps) * comm.size();
  if (guarded.load() != expect_locked)
    throw std::runtime_error("bench shared: the distributed lock lost updates");
  return {Measurement{"shared_fetch_add", "ops/s", fa_ours, fa_plain},
          Measurement{"shared_fetch_add_same_window", "ops/s", fa_ours, fa_same},
          Measurement{"shared_lock_increment", "ops/s", lock_ours, lock_plain}};
}

Runner setup(CLI::App& app) {
  auto o = std::make_shared<SharedBenchOptions>();
  app.add_option("--ops", o->ops, "fetch_adds per rank per repetition (default 100000)");
  app.add_option("--lock-ops", o->lock_ops, "locked increments per rank per repetition (default 10000)");
  app.add_option("--reps", o->reps, "repetitions; the best of each side is reported (default 5)");
  return Runner{[o](const Communicator&) {
                  if (o->ops < 1 || o->lock_ops < 1 || o->reps < 1)
                    throw UsageError("--ops, --lock-ops and --reps must be positive");
                  if (o->ops > (std::int64_t{1} << 40) || o->lock_ops > (std::int64_t{1} << 40) || o->reps > 1000)
                    throw UsageError("--ops/--lock-ops at most 2^40 and --reps at most 1000");
                },
                [o](const Communicator& world) { return run(world, *o); }};
}

const Register registered{{"shared", "SharedCounter fetch_add and DistributedLock increments against plain MPI RMA loops",
                           setup}};

}  // namespace
}  // namespace multirank::cli::bench
