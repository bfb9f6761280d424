// `multirank bench queue`: Queue<T> against a plain MPI_Send/MPI_Recv stream doing the same
// transfers, measured in the same run. Ranks not taking part in a case wait, asleep.
//
//   queue_1to1_64B, queue_3to1_64B, queue_1to3_64B   items/s of 64-byte items (higher is better).
//     The baseline sends one MPI message per item (a 1->3 producer deals them round-robin);
//     1->1 needs 2 ranks, the others 4: the cases that fit the communicator run. It waits as
//     Open MPI does by default, yielding on an oversubscribed node (a BlockingMpiScope):
//     multirank turns that off for its own waits, which sleep.
//   queue_peak_rss_rank<R>   a producer runs 10x faster than its consumer (64 KiB items): growth
//     of rank R's peak RSS (getrusage ru_maxrss) over the run, MiB, against the queue's capacity
//     in MiB as the baseline; a ratio at most 1 means the queue stayed within its capacity.
//   queue_backlog_items      the most items held at once (sum of every rank's peak), against the
//     capacity in items.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench.hpp"
#include "multirank/channel/queue.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/core/environment.hpp"
#include "multirank/core/error.hpp"

namespace multirank::cli::bench {
namespace {

struct QueueBenchOptions {
  long items = 200000;     // 64-byte items per throughput repetition (over all producers)
  int reps = 3;
  long rss_items = 1000;   // 64 KiB items in the slow-consumer run
  std::size_t capacity = 1024;
  std::size_t max_batch = QueueOptions{}.max_batch;
};

struct Item64 {
  std::uint64_t seq;
  char payload[56];
};
static_assert(sizeof(Item64) == 64);

constexpr int kPlainTag = 1;
constexpr std::size_t kRssItemBytes = 64 * 1024;
constexpr std::size_t kRssCapacity = 64;

// How many of `total` items participant `index` of `count` handles.
long share_of(long total, int count, int index) { return total / count + (index < total % count ? 1 : 0); }

struct Case {
  std::string name;
  int producers;
  int consumers;
};

// Items/s with the queue: producers are ranks [0, p), consumers [p, p + c).
double stream_ours(const Communicator& world, const Case& c, long items, const QueueBenchOptions& o) {
  std::vector<int> producers(static_cast<std::size_t>(c.producers));
  std::vector<int> consumers(static_cast<std::size_t>(c.consumers));
  std::iota(producers.begin(), producers.end(), 0);
  std::iota(consumers.begin(), consumers.end(), c.producers);
  QueueOptions options;
  options.capacity = o.capacity;
  options.max_batch = o.max_batch;
  Queue<Item64> queue(world, producers, consumers, options);
  const int rank = world.rank();
  world.barrier();
  const double t0 = MPI_Wtime();
  double elapsed = 0.0;
  long got = 0;
  if (queue.is_producer()) {
    Item64 item{};
    const long mine = share_of(items, c.producers, rank);
    for (long i = 0; i < mine; ++i) {
      item.seq = static_cast<std::uint64_t>(i);
      queue.put(item);
    }
    queue.close();
    elapsed = MPI_Wtime() - t0;
  } else if (queue.is_consumer()) {
    while (queue.get()) ++got;
    elapsed = MPI_Wtime() - t0;
  }
  const long total = allreduce(world, got, std::plus<>{});
  if (total != items)
    throw std::runtime_error("bench queue: " + std::to_string(total) + " of " + std::to_string(items) +
                             " items arrived");
  return static_cast<double>(items) / allreduce(world, elapsed, maximum<>{});
}

// Items/s of the plain stream: one MPI_Send per item, blocking MPI_Recv on the consumers.
double stream_plain(const Communicator& world, MPI_Comm plain, const Case& c, long items) {
  const int rank = world.rank();
  world.barrier();
  const BlockingMpiScope blocking;  // Open MPI's default waiting, which multirank turns off
  const double t0 = MPI_Wtime();
  double elapsed = 0.0;
  Item64 item{};
  if (rank < c.producers) {
    const long mine = share_of(items, c.producers, rank);
    for (long i = 0; i < mine; ++i) {
      item.seq = static_cast<std::uint64_t>(i);
      const int dest = c.producers + static_cast<int>(i % c.consumers);
      MPI_Send(&item, sizeof item, MPI_BYTE, dest, kPlainTag, plain);
    }
    elapsed = MPI_Wtime() - t0;
  } else if (rank < c.producers + c.consumers) {
    // Producer p deals its items round-robin, so consumer k gets the items i = k (mod c) of each.
    long mine = 0;
    const int k = rank - c.producers;
    for (int p = 0; p < c.producers; ++p) mine += share_of(share_of(items, c.producers, p), c.consumers, k);
    for (long i = 0; i < mine; ++i) MPI_Recv(&item, sizeof item, MPI_BYTE, MPI_ANY_SOURCE, kPlainTag, plain, MPI_STATUS_IGNORE);
    elapsed = MPI_Wtime() - t0;
  }
  return static_cast<double>(items) / allreduce(world, elapsed, maximum<>{});
}

// A producer (rank 0) about 10x faster than its consumer (rank 1); returns every rank's growth
// of peak RSS (on rank 0) and the backlog, the most items held at once over all ranks.
std::vector<Measurement> rss_run(const Communicator& world, long items) {
  using namespace std::chrono;
  Queue<std::vector<char>> queue(world, {0}, {1}, kRssCapacity);
  std::vector<char> item(kRssItemBytes);
  std::iota(item.begin(), item.end(), 0);  // touched: resident
  world.barrier();
  const double before = peak_rss_mib();
  if (queue.is_producer()) {
    for (long i = 0; i < items; ++i) {
      std::this_thread::sleep_for(100us);  // the producer's work per item
      queue.put(item);
    }
    queue.close();
  } else if (queue.is_consumer()) {
    while (queue.get()) std::this_thread::sleep_for(1000us);  // 10x the producer's
  }
  const double growth = peak_rss_mib() - before;
  const double bound = static_cast<double>(kRssCapacity * kRssItemBytes) / (1024.0 * 1024.0);
  const auto peak_items = static_cast<long>(queue.counters().peak_buffered);
  const long backlog = allreduce(world, peak_items, std::plus<>{});
  const std::vector<double> growths = gather(world, growth, 0);  // empty except on rank 0
  std::vector<Measurement> out;
  for (std::size_t r = 0; r < growths.size(); ++r)
    out.push_back({"queue_peak_rss_rank" + std::to_string(r), "MiB", growths[r], bound});
  out.push_back({"queue_backlog_items", "items", static_cast<double>(backlog), static_cast<double>(kRssCapacity)});
  return out;
}

std::vector<Measurement> run(const Communicator& world, const QueueBenchOptions& o) {
  // The memory run first, before the throughput runs raise the peak RSS for their own reasons.
  const std::vector<Measurement> memory = rss_run(world, o.rss_items);
  std::vector<Measurement> out;
  const Communicator plain = world.dup();
  const std::vector<Case> cases{{"queue_1to1_64B", 1, 1}, {"queue_3to1_64B", 3, 1}, {"queue_1to3_64B", 1, 3}};
  for (const Case& c : cases) {
    if (c.producers + c.consumers > world.size()) {
      if (world.rank() == 0)
        std::fprintf(stderr, "bench queue: %s skipped: it needs %d ranks\n", c.name.c_str(), c.producers + c.consumers);
      continue;
    }
    stream_ours(world, c, o.items / 10 + 1, o);  // warm-up
    stream_plain(world, plain.native(), c, o.items / 10 + 1);
    double ours = 0.0;
    double base = 0.0;
    for (int r = 0; r < o.reps; ++r) {
      base = std::max(base, stream_plain(world, plain.native(), c, o.items));
      ours = std::max(ours, stream_ours(world, c, o.items, o));
    }
    out.push_back(Measurement{c.name, "items/s", ours, base});
  }
  out.insert(out.end(), memory.begin(), memory.end());
  return out;
}

Runner setup(CLI::App& app) {
  auto o = std::make_shared<QueueBenchOptions>();
  app.add_option("--items", o->items, "64-byte items per throughput repetition")->check(CLI::PositiveNumber);
  app.add_option("--reps", o->reps, "repetitions; the best of each side is reported")->check(CLI::PositiveNumber);
  app.add_option("--rss-items", o->rss_items, "64 KiB items in the slow-consumer memory run")->check(CLI::PositiveNumber);
  app.add_option("--capacity", o->capacity, "queue capacity (items) in the throughput runs")->check(CLI::PositiveNumber);
  app.add_option("--max-batch", o->max_batch, "most items per message in the throughput runs")->check(CLI::PositiveNumber);
  return Runner{[o](const Communicator& world) {
                  if (world.size() < 2)
                    throw UsageError("bench queue needs at least 2 ranks (1->1); 4 ranks run every case "
                                     "(1->1, 3->1, 1->3): mpirun -n 4 multirank bench queue");
                  if (o->capacity < 6)
                    throw UsageError("bench queue: --capacity must be at least 6 (3 producers + 1 consumer * 3)");
                },
                [o](const Communicator& world) { return run(world, *o); }};
}

const Register registered{{"queue", "Queue<T> items/s (1->1, 3->1, 1->3; 64 B) against a plain MPI stream, "
                                    "and peak RSS with a slow consumer; 2-4 ranks",
                           setup}};

}  // namespace
}  // namespace multirank::cli::bench
