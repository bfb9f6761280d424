// A small MPI program for the tests of `multirank study ... exec`: it does work proportional to
// --work (a CPU-bound loop of about a millisecond per unit, split over the ranks, or per rank with
// --per-rank), then rank 0 prints its own timing as a JSON line and as a text line:
//   {"seconds": T, "cpu_seconds": C, "ranks": P, "work": N, "checksum": X}
// (T: wall time from a barrier to the reduction of the results; C: the largest CPU time a rank
// spent in its share of the work, which another process on the same core does not inflate)
//   elapsed: T s
//   work done on P ranks
// Other switches make it fail in the ways a study must catch:
//   --fail-at P        at P ranks, exit 3 after printing 7 lines on stderr
//   --sleep S          sleep S seconds first (a timeout)
//   --no-json          leave out the JSON line (a metric that matches nothing)
//   --env FILE         rank 0 writes its environment to FILE, one NAME=value a line
#include <mpi.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern char** environ;

#ifndef EXEC_WORK_FACTOR
#define EXEC_WORK_FACTOR 1  // exec_work_twice, the "slower build", is compiled with 2
#endif

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::uint64_t work(std::uint64_t units, std::uint64_t seed) {
  std::uint64_t x = seed | 1;
  std::uint64_t acc = 0;
  for (std::uint64_t i = 0; i < units * 1000000 * EXEC_WORK_FACTOR; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    acc ^= x >> 33;
  }
  return acc;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  long units = 10;
  bool per_rank = false;
  bool json = true;
  int fail_at = -1;
  double sleep_seconds = 0.0;
  const char* env_file = nullptr;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--work" && i + 1 < argc)
      units = std::atol(argv[++i]);
    else if (a == "--per-rank")
      per_rank = true;
    else if (a == "--no-json")
      json = false;
    else if (a == "--fail-at" && i + 1 < argc)
      fail_at = std::atoi(argv[++i]);
    else if (a == "--sleep" && i + 1 < argc)
      sleep_seconds = std::atof(argv[++i]);
    else if (a == "--env" && i + 1 < argc)
      env_file = argv[++i];
    else {
      if (rank == 0) std::fprintf(stderr, "exec_work: unknown argument %s\n", argv[i]);
      MPI_Finalize();
      return 2;
    }
  }
  if (env_file && rank == 0) {
    FILE* f = std::fopen(env_file, "w");
    for (char** e = environ; f && *e; ++e) std::fprintf(f, "%s\n", *e);
    if (f) std::fclose(f);
  }
  if (sleep_seconds > 0) usleep(static_cast<useconds_t>(sleep_seconds * 1e6));
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = MPI_Wtime();
  // Strong scaling by default: the units are shared out; --per-rank gives every rank all of them.
  long mine = per_rank ? units : units / size + (rank < units % size ? 1 : 0);
  const double c0 = cpu_seconds();
  std::uint64_t local = work(static_cast<std::uint64_t>(mine), static_cast<std::uint64_t>(rank) + 1);
  const double my_cpu = cpu_seconds() - c0;
  std::uint64_t total = 0;
  double cpu = 0.0;
  MPI_Reduce(&local, &total, 1, MPI_UINT64_T, MPI_BXOR, 0, MPI_COMM_WORLD);
  MPI_Reduce(&my_cpu, &cpu, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  const double seconds = MPI_Wtime() - t0;
  int code = 0;
  if (size == fail_at) {
    if (rank == 0) {
      for (int i = 1; i <= 7; ++i)
        std::fprintf(stderr, "exec_work: failing on purpose at %d ranks (line %d)\n", size, i);
    }
    code = 3;
  }
  if (rank == 0 && code == 0) {
    if (json)
      std::printf("{\"seconds\": %.9f, \"cpu_seconds\": %.9f, \"ranks\": %d, \"work\": %ld, \"checksum\": %llu}\n",
                  seconds, cpu, size, units, static_cast<unsigned long long>(total));
    std::printf("elapsed: %.9f s\nwork done on %d ranks\n", seconds, size);
    std::fflush(stdout);
  }
  MPI_Finalize();
  return rank == 0 ? code : 0;
}
