// `multirank bench pool`: the pool's throughput on tiny tasks, its speedup on CPU-bound tasks and
// its balance on uneven ones, each against a baseline measured in the same run:
//   tiny_cs1          map(square) with chunksize 1 vs a plain MPI master-worker (one round trip per task)
//   tiny_auto         map(square) with auto chunks vs a static block split (scatter/compute/gather)
//   tiny_*_remote_share  share of inputs run by ranks other than 0, vs (P-1)/P
//   cpu_equal_speedup equal CPU-bound tasks: sequential time / pool time, vs P (ratio = efficiency)
//   cpu_equal_busy_fraction  time the ranks spent in tasks / (P x the map's time), from the
//                     pool's own records: the scheduling overhead, insensitive to other load
//   cpu_equal_static_split_speedup  the same tasks split evenly in advance, no pool and no
//                     messages: the speedup the cores themselves give, vs P
//   cpu_equal_vs_static_split  the pool's speedup vs that static split's (below 1: what the
//                     pool itself costs; the split has no scheduling at all)
//   uneven_makespan   the notes' eight uneven tasks via submit/as_completed, vs max(longest, total/P)
//                     from the same repetition's sequential times (the repetition with the
//                     median ratio); _vs_own_tasks: the bound from the task times of that
//                     run in the pool (records), insensitive to other load
//   uneven_oracle_split_makespan  the same tasks split in advance by an exact search over the
//                     sequential times (an oracle no pool has), run without the pool, vs that bound
//   uneven_makespan_vs_oracle_split  the pool's makespan vs the oracle's, same repetition
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "bench.hpp"
#include "multirank/collective/broadcast.hpp"
#include "multirank/core/error.hpp"
#include "multirank/pool/pool.hpp"

namespace multirank::cli::bench {
namespace {

std::int64_t square(std::int64_t x) { return x * x; }

/// About `iterations` steps of floating-point work that the compiler cannot skip.
double burn(std::int64_t iterations) {
  double acc = 0.0;
  for (std::int64_t i = 0; i < iterations; ++i) {
    const auto x = static_cast<double>(i);
    acc += std::sqrt(x) * std::sin(x) * std::cos(x);
  }
  return acc;
}

/// The notes' uneven task: `size` trigonometric steps, then `complexity` sums of 0..10^6.
double uneven(std::int64_t size, int complexity) {
  double acc = burn(size);
  for (int c = 0; c < complexity; ++c) {
    std::int64_t s = 0;
    for (std::int64_t i = 0; i < 1'000'000; ++i) {
      s += i;
      asm volatile("" : "+r"(s));  // really add, as sum(range(10**6)) does
    }
    acc += static_cast<double>(s) * 1e-4;
  }
  return acc;
}

/// The assignment of tasks to `ranks` with the smallest makespan for these task times (an exact
/// search: tasks longest first, each to a rank already used or to the first unused one).
std::vector<int> best_split(const std::vector<double>& times, int ranks) {
  std::vector<std::size_t> order(times.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return times[a] > times[b]; });
  std::vector<double> load(static_cast<std::size_t>(ranks), 0.0);
  std::vector<int> owner(times.size(), 0);
  std::vector<int> best = owner;
  double best_makespan = std::numeric_limits<double>::infinity();
  auto place = [&](auto& self, std::size_t k, int used, double makespan) -> void {
    if (makespan >= best_makespan) return;
    if (k == order.size()) {
      best_makespan = makespan;
      best = owner;
      return;
    }
    for (int r = 0; r < std::min(used + 1, ranks); ++r) {
      auto& l = load[static_cast<std::size_t>(r)];
      l += times[order[k]];
      owner[order[k]] = r;
      self(self, k + 1, std::max(used, r + 1), std::max(makespan, l));
      l -= times[order[k]];
    }
  };
  place(place, 0, 0, 0.0);
  return best;
}

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct PoolBenchOptions {
  std::int64_t tiny = 100000;       // inputs of the chunksize-1 run
  std::int64_t tiny_auto = 1000000; // inputs of the auto run
  double cpu_ms = 25.0;             // duration of one equal CPU-bound task
  int cpu_per_rank = 40;            // equal tasks per rank (a 1 s map: the last task's tail is ~1%)
  double uneven_scale = 0.5;        // sizes of the notes' eight tasks, scaled
  int reps = 3;
};

constexpr Tag kTaskTag{1};
constexpr Tag kStopTag{2};

/// The plain master-worker a first MPI program would write: rank 0 hands one input at a time to
/// whichever rank answered; it does not compute itself. Returns tasks/s on rank 0.
double plain_master_worker(const Communicator& world, std::int64_t n) {
  const Communicator comm = world.dup();
  comm.barrier();
  const auto t0 = Clock::now();
  if (comm.rank() == 0) {
    std::vector<std::int64_t> out(static_cast<std::size_t>(n));
    std::vector<std::int64_t> owner(static_cast<std::size_t>(comm.size()), -1);
    std::int64_t next = 0;
    std::int64_t done = 0;
    for (int r = 1; r < comm.size(); ++r) {
      if (next < n) {
        owner[static_cast<std::size_t>(r)] = next;
        comm.send(r, kTaskTag, next++);
      }
    }
    while (done < n) {
      Status st;
      const auto v = comm.recv<std::int64_t>(MPI_ANY_SOURCE, kTaskTag, &st);
      out[static_cast<std::size_t>(owner[static_cast<std::size_t>(st.source)])] = v;
      ++done;
      if (next < n) {
        owner[static_cast<std::size_t>(st.source)] = next;
        comm.send(st.source, kTaskTag, next++);
      }
    }
    for (int r = 1; r < comm.size(); ++r) comm.send(r, kStopTag, std::int64_t{0});
  } else {
    for (;;) {
      Status st;
      const auto x = comm.recv<std::int64_t>(0, Tag::any(), &st);
      if (st.tag == kStopTag) break;
      comm.send(0, kTaskTag, square(x));
    }
  }
  const double t = since(t0);
  return static_cast<double>(n) / t;
}

/// A static block split: each rank squares its block, rank 0 gathers. Returns tasks/s on rank 0.
double static_blocks(const Communicator& world, std::int64_t n) {
  const Communicator comm = world.dup();
  comm.barrier();
  const auto t0 = Clock::now();
  const std::int64_t p = comm.size();
  const std::int64_t lo = n * comm.rank() / p;
  const std::int64_t hi = n * (comm.rank() + 1) / p;
  std::vector<std::int64_t> mine(static_cast<std::size_t>(hi - lo));
  for (std::int64_t i = lo; i < hi; ++i) mine[static_cast<std::size_t>(i - lo)] = square(i);
  if (comm.rank() == 0) {
    std::vector<std::int64_t> all(static_cast<std::size_t>(n));
    std::copy(mine.begin(), mine.end(), all.begin());
    for (int r = 1; r < comm.size(); ++r) {
      const auto part = comm.recv<std::vector<std::int64_t>>(r, kTaskTag);
      std::copy(part.begin(), part.end(), all.begin() + n * r / p);
    }
  } else {
    comm.send(0, kTaskTag, mine);
  }
  return static_cast<double>(n) / since(t0);
}

/// Seconds the tasks of these records ran, summed over ranks.
double busy_time(const std::vector<TaskRecord>& records) {
  double sum = 0.0;
  for (const auto& r : records) sum += r.seconds();
  return sum;
}

/// Iterations of burn() that take about `ms` milliseconds here.
std::int64_t calibrate(double ms) {
  std::int64_t iterations = 10000;
  for (;;) {
    const auto t0 = Clock::now();
    volatile double sink = burn(iterations);
    (void)sink;
    const double t = since(t0);
    if (t > 0.02) return std::max<std::int64_t>(1, static_cast<std::int64_t>(iterations * (ms * 1e-3) / t));
    iterations *= 4;
  }
}

std::vector<Measurement> run(const Communicator& world, const PoolBenchOptions& o) {
  const int p = world.size();
  std::vector<Measurement> out;
  PoolOptions quiet;  // the throughput figures are taken with records on, as users run it
  if (std::getenv("MULTIRANK_BENCH_NO_RECORDS")) quiet.records = false;

  // Tiny tasks, chunksize 1.
  std::vector<std::int64_t> inputs(static_cast<std::size_t>(o.tiny));
  std::iota(inputs.begin(), inputs.end(), 0);
  double best_cs1 = 0.0;
  double remote_cs1 = 0.0;
  for (int r = 0; r < o.reps; ++r) {
    run_pool(world, [&](Pool& pool) {
      const auto t0 = Clock::now();
      const auto res = pool.map(task<square>, inputs, 1);
      const double rate = static_cast<double>(res.size()) / since(t0);
      if (res.back() != square(o.tiny - 1)) throw std::logic_error("bench pool: wrong result");
      if (rate > best_cs1) {
        best_cs1 = rate;
        const auto s = pool.stats();
        remote_cs1 = 100.0 * static_cast<double>(o.tiny - static_cast<std::int64_t>(s.tasks_per_rank[0])) /
                     static_cast<double>(o.tiny);
      }
    }, quiet);
  }
  double plain_rate = 0.0;
  if (p > 1)
    for (int r = 0; r < o.reps; ++r) plain_rate = std::max(plain_rate, plain_master_worker(world, std::min<std::int64_t>(o.tiny, 50000)));
  out.push_back({"tiny_cs1", "tasks/s", best_cs1, plain_rate});
  out.push_back({"tiny_cs1_remote_share", "%", remote_cs1, 100.0 * (p - 1) / p});

  // Tiny tasks, auto chunks.
  inputs.resize(static_cast<std::size_t>(o.tiny_auto));
  std::iota(inputs.begin(), inputs.end(), 0);
  double best_auto = 0.0;
  double remote_auto = 0.0;
  for (int r = 0; r < o.reps; ++r) {
    run_pool(world, [&](Pool& pool) {
      const auto t0 = Clock::now();
      const auto res = pool.map(task<square>, inputs, auto_chunksize);
      const double rate = static_cast<double>(res.size()) / since(t0);
      if (res.back() != square(o.tiny_auto - 1)) throw std::logic_error("bench pool: wrong result");
      if (rate > best_auto) {
        best_auto = rate;
        const auto s = pool.stats();
        remote_auto = 100.0 * static_cast<double>(o.tiny_auto - static_cast<std::int64_t>(s.tasks_per_rank[0])) /
                      static_cast<double>(o.tiny_auto);
      }
    }, quiet);
  }
  double static_rate = 0.0;
  for (int r = 0; r < o.reps; ++r) static_rate = std::max(static_rate, static_blocks(world, o.tiny_auto));
  out.push_back({"tiny_auto", "tasks/s", best_auto, static_rate});
  out.push_back({"tiny_auto_remote_share", "%", remote_auto, 100.0 * (p - 1) / p});

  // Equal CPU-bound tasks: sequential on rank 0 (the others wait, sleeping), then the pool; the
  // best of each over the repetitions, so a burst of load from elsewhere does not decide.
  std::int64_t iterations = 0;
  if (world.rank() == 0) iterations = calibrate(o.cpu_ms);
  const int n_cpu = o.cpu_per_rank * p;
  broadcast(world, iterations, 0);
  double seq = std::numeric_limits<double>::infinity();
  double par = std::numeric_limits<double>::infinity();
  double split = std::numeric_limits<double>::infinity();
  double busy_fraction = 0.0;
  for (int r = 0; r < o.reps; ++r) {
    if (world.rank() == 0) {
      const auto t0 = Clock::now();
      double sink = 0.0;
      for (int i = 0; i < n_cpu; ++i) sink += burn(iterations);
      seq = std::min(seq, since(t0));
      if (sink == 42.0) std::puts("");  // keep the work
    }
    // The same tasks split in advance, each rank its share, no messages: what the cores give.
    world.barrier();
    {
      const auto t0 = Clock::now();
      double sink = 0.0;
      for (int i = 0; i < o.cpu_per_rank; ++i) sink += burn(iterations);
      if (sink == 42.0) std::puts("");
      world.barrier();
      split = std::min(split, since(t0));
    }
    run_pool(world, [&](Pool& pool) {
      const std::vector<std::int64_t> work(static_cast<std::size_t>(n_cpu), iterations);
      const auto t0 = Clock::now();
      (void)pool.map(task<burn>, work, 1);
      const double t = since(t0);
      if (t < par) {
        par = t;
        busy_fraction = busy_time(pool.records()) / (p * t);
      }
    });
  }
  out.push_back({"cpu_equal_speedup", "x", world.rank() == 0 ? seq / par : 0.0, static_cast<double>(p)});
  out.push_back({"cpu_equal_busy_fraction", "1", busy_fraction, 1.0});
  out.push_back({"cpu_equal_static_split_speedup", "x", world.rank() == 0 ? seq / split : 0.0, static_cast<double>(p)});
  out.push_back({"cpu_equal_vs_static_split", "x", world.rank() == 0 ? seq / par : 0.0,
                 world.rank() == 0 ? seq / split : 0.0});

  // The notes' eight uneven tasks, submitted one by one and collected as they complete. Each
  // repetition times the tasks sequentially and then runs them in the pool, back to back, so its
  // bound max(longest, total/P) and its makespan come from the same conditions; the repetition
  // with the median ratio is reported (a sum of per-task minima over repetitions would be a bound
  // no single run reaches on a machine whose speed drifts).
  const std::vector<std::pair<std::int64_t, int>> notes{{3'000'000, 3}, {5'000'000, 5}, {8'000'000, 4},
                                                        {4'000'000, 6}, {6'000'000, 2}, {2'000'000, 8},
                                                        {7'000'000, 3}, {5'000'000, 4}};
  std::vector<std::pair<std::int64_t, int>> tasks;
  for (const auto& [size, complexity] : notes)
    tasks.emplace_back(static_cast<std::int64_t>(static_cast<double>(size) * o.uneven_scale), complexity);
  struct UnevenRun {
    double makespan = 0.0;
    double bound = 0.0;      // from this repetition's sequential times
    double own_bound = 0.0;  // from the tasks' run times in the pool
    double oracle = 0.0;     // the best split for those times, run without the pool
  };
  std::vector<UnevenRun> runs;
  for (int r = 0; r < o.reps; ++r) {
    UnevenRun run;
    std::vector<int> owner(tasks.size(), 0);
    if (world.rank() == 0) {
      std::vector<double> times;
      for (const auto& [size, complexity] : tasks) {
        const auto t0 = Clock::now();
        volatile double sink = uneven(size, complexity);
        (void)sink;
        times.push_back(since(t0));
      }
      const double total = std::accumulate(times.begin(), times.end(), 0.0);
      run.bound = std::max(*std::max_element(times.begin(), times.end()), total / p);
      owner = best_split(times, p);
    }
    // The oracle: each rank runs the tasks the best split gave it, knowing their times in advance.
    broadcast(world, owner, 0);
    world.barrier();
    {
      const auto t0 = Clock::now();
      for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (owner[i] != world.rank()) continue;
        volatile double sink = uneven(tasks[i].first, tasks[i].second);
        (void)sink;
      }
      world.barrier();
      run.oracle = since(t0);
    }
    run_pool(world, [&](Pool& pool) {
      const auto t0 = Clock::now();
      std::vector<Future<double>> fs;
      for (const auto& [size, complexity] : tasks) fs.push_back(pool.submit(task<uneven>, size, complexity));
      for (std::size_t i : as_completed(fs)) (void)fs[i].get();
      run.makespan = since(t0);
      double longest_here = 0.0;
      const auto records = pool.records();
      for (const auto& rec : records) longest_here = std::max(longest_here, rec.seconds());
      run.own_bound = std::max(longest_here, busy_time(records) / p);
    });
    runs.push_back(run);
  }
  if (world.rank() == 0) {
    std::sort(runs.begin(), runs.end(), [](const UnevenRun& a, const UnevenRun& b) {
      return a.makespan / a.bound < b.makespan / b.bound;
    });
  }
  const UnevenRun& median = runs[runs.size() / 2];
  out.push_back({"uneven_makespan", "s", median.makespan, median.bound});
  out.push_back({"uneven_makespan_vs_own_tasks", "s", median.makespan, median.own_bound});
  out.push_back({"uneven_oracle_split_makespan", "s", median.oracle, median.bound});
  out.push_back({"uneven_makespan_vs_oracle_split", "s", median.makespan, median.oracle});
  return out;
}

Runner setup(CLI::App& app) {
  auto o = std::make_shared<PoolBenchOptions>();
  app.add_option("--tiny", o->tiny, "inputs of the chunksize-1 map of tiny tasks")->check(CLI::PositiveNumber);
  app.add_option("--tiny-auto", o->tiny_auto, "inputs of the auto-chunked map of tiny tasks")->check(CLI::PositiveNumber);
  app.add_option("--cpu-ms", o->cpu_ms, "milliseconds of one equal CPU-bound task")->check(CLI::PositiveNumber);
  app.add_option("--cpu-per-rank", o->cpu_per_rank, "equal CPU-bound tasks per rank")->check(CLI::PositiveNumber);
  app.add_option("--uneven-scale", o->uneven_scale, "scale of the eight uneven tasks' sizes (1 = the notes')")
      ->check(CLI::PositiveNumber);
  app.add_option("--reps", o->reps, "repetitions of every measurement; the best is reported")->check(CLI::PositiveNumber);
  return Runner{nullptr, [o](const Communicator& world) { return run(world, *o); }};
}

const Register registered{{"pool", "Pool throughput (tiny tasks), speedup (equal tasks) and balance (uneven tasks)", setup}};

}  // namespace
}  // namespace multirank::cli::bench
