// A user's program on multirank's core: a Pipe ring, a Queue, a Pool map and a SharedValue, with
// results that show every rank took part.
#include <cstdio>
#include <numeric>
#include <vector>

#include "multirank/multirank.hpp"

namespace downstream {
long cube(long x) { return x * x * x; }
}  // namespace downstream

int main(int argc, char** argv) {
  return multirank::run_main(argc, argv, [] {
    const auto comm = multirank::Communicator::world();
    const int p = comm.size();

    // A token around a ring of Pipes; the link from rank r to the next is channel r.
    int token = 0;
    if (p > 1) {
      const int prev = (comm.rank() + p - 1) % p;
      multirank::Pipe<int> to_next(comm, (comm.rank() + 1) % p, comm.rank());
      multirank::Pipe<int> from_prev(comm, prev, prev);
      if (comm.rank() == 0) {
        to_next.send(1);
        token = *from_prev.recv();
      } else {
        token = *from_prev.recv();
        to_next.send(token + 1);
      }
    } else {
      token = 1;
    }

    // Rank 0 puts 1..100 into a Queue, then every rank (rank 0 too) consumes; 5050 in all.
    std::vector<int> everyone(static_cast<std::size_t>(p));
    std::iota(everyone.begin(), everyone.end(), 0);
    long got = 0;
    {
      multirank::Queue<int> queue(comm, {0}, everyone, 1024);  // rank 0 also consumes: all 100 fit
      if (comm.rank() == 0) {
        for (int i = 1; i <= 100; ++i) queue.put(i);
        queue.close();
      }
      while (auto item = queue.get()) got += *item;
    }
    const long queue_sum = multirank::reduce(comm, got, std::plus<>{});

    // A Pool map and a shared counter.
    multirank::SharedValue<long> visits(comm, 0);
    multirank::DistributedLock lock(comm);
    {
      multirank::DistributedLockGuard guard(lock);
      visits.store(visits.load() + 1);
    }
    comm.barrier();
    long cubes = 0;
    multirank::run_pool(comm, [&](multirank::Pool& pool) {
      std::vector<long> xs(50);
      std::iota(xs.begin(), xs.end(), 1);
      const auto out = pool.map(multirank::task<downstream::cube>, xs);
      cubes = std::accumulate(out.begin(), out.end(), 0L);
    });
    if (comm.rank() == 0)
      std::printf("token after ring: %d\nqueue sum: %ld\nvisits: %ld\nsum of cubes: %ld\n", token, queue_sum,
                  visits.load(), cubes);
    return 0;
  });
}
