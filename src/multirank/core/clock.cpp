#include "multirank/core/clock.hpp"

#include <limits>

namespace multirank {
namespace {
constexpr Tag kClockTag = LibraryTag::clock;
}

SyncClock::SyncClock(const Communicator& comm, int rounds) {
  if (rounds < 1) throw UsageError("SyncClock needs at least one round");
  comm.barrier();
  if (comm.rank() == 0) {
    for (int peer = 1; peer < comm.size(); ++peer) {
      for (int i = 0; i < rounds; ++i) {
        (void)comm.recv<char>(peer, kClockTag);
        comm.send(peer, kClockTag, MPI_Wtime());
      }
    }
  } else {
    best_rtt_ = std::numeric_limits<double>::infinity();
    for (int i = 0; i < rounds; ++i) {
      const double t0 = MPI_Wtime();
      comm.send(0, kClockTag, char{1});
      const double remote = comm.recv<double>(0, kClockTag);
      const double t1 = MPI_Wtime();
      if (t1 - t0 < best_rtt_) {
        best_rtt_ = t1 - t0;
        offset_ = remote - (t0 + t1) / 2.0;
      }
    }
  }
  comm.barrier();
}

double SyncClock::now() const { return MPI_Wtime() + offset_; }

}  // namespace multirank
