// `multirank bench pipe`: Pipe<T> against plain MPI_Send/MPI_Recv doing the same transfers,
// measured in the same run on ranks 0 and 1 (other ranks wait, asleep).
//
//   pipe_latency_8B      one-way latency of an 8-byte ping-pong (half a round trip), us: lower is better
//   pipe_bandwidth_4MiB  a stream of 4 MiB messages then a 1-byte acknowledgement, MB/s: higher is better
//
// Each figure is the best of --reps repetitions, ours and the baseline alternating so that both
// see the same machine load.
#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "bench.hpp"
#include "multirank/channel/pipe.hpp"
#include "multirank/core/environment.hpp"
#include "multirank/core/error.hpp"

namespace multirank::cli::bench {
namespace {

struct PipeBenchOptions {
  int iterations = 20000;  // round trips per latency repetition
  int messages = 40;       // 4 MiB messages per bandwidth repetition
  int reps = 5;
};

constexpr int kPlainTag = 1;
constexpr std::size_t kBandwidthBytes = std::size_t{4} << 20;

// Half the round-trip time of `iterations` ping-pongs, in microseconds (on ranks 0 and 1).
double latency_ours(const Communicator& comm, Pipe<std::uint64_t>& pipe, int iterations) {
  std::uint64_t value = 0;
  const double t0 = MPI_Wtime();
  for (int i = 0; i < iterations; ++i) {
    if (comm.rank() == 0) {
      pipe.send(value);
      pipe.recv_into(value);
    } else {
      pipe.recv_into(value);
      pipe.send(value + 1);
    }
  }
  return (MPI_Wtime() - t0) / iterations / 2 * 1e6;
}

double latency_plain(MPI_Comm comm, int rank, int iterations) {
  const BlockingMpiScope blocking;  // Open MPI's default waiting, which multirank turns off
  std::uint64_t value = 0;
  const int peer = 1 - rank;
  const double t0 = MPI_Wtime();
  for (int i = 0; i < iterations; ++i) {
    if (rank == 0) {
      MPI_Send(&value, 8, MPI_BYTE, peer, kPlainTag, comm);
      MPI_Recv(&value, 8, MPI_BYTE, peer, kPlainTag, comm, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(&value, 8, MPI_BYTE, peer, kPlainTag, comm, MPI_STATUS_IGNORE);
      ++value;
      MPI_Send(&value, 8, MPI_BYTE, peer, kPlainTag, comm);
    }
  }
  return (MPI_Wtime() - t0) / iterations / 2 * 1e6;
}

// MB/s of `messages` 4 MiB messages from rank 0 to rank 1, closed by an acknowledgement.
double bandwidth_ours(const Communicator& comm, Pipe<std::vector<char>>& pipe, std::vector<char>& buffer,
                      int messages) {
  const double t0 = MPI_Wtime();
  if (comm.rank() == 0) {
    for (int i = 0; i < messages; ++i) pipe.send(buffer);
    std::vector<char> ack;
    pipe.recv_into(ack);
  } else {
    for (int i = 0; i < messages; ++i) pipe.recv_into(buffer);
    pipe.send(std::vector<char>(1, 'k'));
  }
  return static_cast<double>(kBandwidthBytes) * messages / (MPI_Wtime() - t0) / 1e6;
}

double bandwidth_plain(MPI_Comm comm, int rank, std::vector<char>& buffer, int messages) {
  const BlockingMpiScope blocking;
  const int peer = 1 - rank;
  const int bytes = static_cast<int>(buffer.size());
  char ack = 'k';
  const double t0 = MPI_Wtime();
  if (rank == 0) {
    for (int i = 0; i < messages; ++i) MPI_Send(buffer.data(), bytes, MPI_BYTE, peer, kPlainTag, comm);
    MPI_Recv(&ack, 1, MPI_BYTE, peer, kPlainTag, comm, MPI_STATUS_IGNORE);
  } else {
    for (int i = 0; i < messages; ++i)
      MPI_Recv(buffer.data(), bytes, MPI_BYTE, peer, kPlainTag, comm, MPI_STATUS_IGNORE);
    MPI_Send(&ack, 1, MPI_BYTE, peer, kPlainTag, comm);
  }
  return static_cast<double>(kBandwidthBytes) * messages / (MPI_Wtime() - t0) / 1e6;
}

std::vector<Measurement> run(const Communicator& world, const PipeBenchOptions& o) {
  const Communicator plain = world.dup();  // the baseline's own context: no tag can meet the pipe's
  const bool active = world.rank() < 2;
  double best_ours = std::numeric_limits<double>::infinity();
  double best_plain = best_ours;
  double bw_ours = 0.0;
  double bw_plain = 0.0;
  if (active) {
    Pipe<std::uint64_t> pipe(world, 1 - world.rank(), 0);
    latency_ours(world, pipe, o.iterations / 10 + 1);  // warm-up: connections, caches
    latency_plain(plain.native(), world.rank(), o.iterations / 10 + 1);
    for (int r = 0; r < o.reps; ++r) {
      best_plain = std::min(best_plain, latency_plain(plain.native(), world.rank(), o.iterations));
      best_ours = std::min(best_ours, latency_ours(world, pipe, o.iterations));
    }
    Pipe<std::vector<char>> big(world, 1 - world.rank(), 1);
    std::vector<char> buffer(kBandwidthBytes, 'x');
    bandwidth_ours(world, big, buffer, 2);
    bandwidth_plain(plain.native(), world.rank(), buffer, 2);
    for (int r = 0; r < o.reps; ++r) {
      bw_plain = std::max(bw_plain, bandwidth_plain(plain.native(), world.rank(), buffer, o.messages));
      bw_ours = std::max(bw_ours, bandwidth_ours(world, big, buffer, o.messages));
    }
    pipe.close();  // each end closes and reads the other's end: nothing left unmatched
    big.close();
    pipe.recv();
    big.recv();
  }
  world.barrier();
  return {Measurement{"pipe_latency_8B", "us", best_ours, best_plain},
          Measurement{"pipe_bandwidth_4MiB", "MB/s", bw_ours, bw_plain}};
}

Runner setup(CLI::App& app) {
  auto o = std::make_shared<PipeBenchOptions>();
  app.add_option("--iterations", o->iterations, "round trips per latency repetition")->check(CLI::PositiveNumber);
  app.add_option("--messages", o->messages, "4 MiB messages per bandwidth repetition")->check(CLI::PositiveNumber);
  app.add_option("--reps", o->reps, "repetitions; the best of each side is reported")->check(CLI::PositiveNumber);
  return Runner{[](const Communicator& world) {
                  if (world.size() < 2)
                    throw UsageError("bench pipe needs at least 2 ranks (ranks 0 and 1 run it): "
                                     "mpirun -n 2 multirank bench pipe");
                },
                [o](const Communicator& world) { return run(world, *o); }};
}

const Register registered{{"pipe", "Pipe<T> latency (8 B) and bandwidth (4 MiB) against plain MPI_Send/MPI_Recv; 2 ranks",
                           setup}};

}  // namespace
}  // namespace multirank::cli::bench
