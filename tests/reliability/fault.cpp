// Faults on purpose, for the reliability scripts: a rank fails while rank 0 runs a pool map, or the
// job is stopped while a slow flush runs.
//   reliability_fault thread-throws R   a thread on rank R throws (std::terminate) mid-map
//   reliability_fault main-throws R     rank R throws out of main's body while the others map
//   reliability_fault segv R            a thread on rank R raises SIGSEGV mid-map (stop handlers on)
//   reliability_fault slow-flush FILE MS  rank 0 registers a flush that takes MS milliseconds
//                                       and then writes FILE; every rank waits for a stop signal
// The map's tasks sleep (no CPU) and take about 8 s at 4 ranks, far longer than the checks allow.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "multirank/core/communicator.hpp"
#include "multirank/core/environment.hpp"
#include "multirank/core/signals.hpp"
#include "multirank/pool/pool.hpp"

namespace {

using namespace std::chrono_literals;

int nap(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}

/// Rank 0 maps 800 naps of 40 ms over the pool; prints "map finished" if it ever completes.
void long_map(const multirank::Communicator& comm) {
  multirank::run_pool(comm, [](multirank::Pool& pool) {
    const auto done = pool.map(multirank::task<nap>, std::vector<int>(800, 40), multirank::Chunksize(1));
    std::printf("map finished with %zu results\n", done.size());
  });
}

int run(const std::string& mode, const std::string& arg, const std::string& extra) {
  const auto comm = multirank::Communicator::world();
  std::printf("ready rank %d\n", comm.rank());
  std::fflush(stdout);
  if (mode == "slow-flush") {
    multirank::install_stop_handlers();
    const int ms = std::stoi(extra);
    if (comm.rank() == 0)
      multirank::register_flush([arg, ms] {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));  // a slow disk
        std::ofstream(arg) << "flushed\n";
      });
    for (int i = 0; i < 300 && !multirank::stop_requested(); ++i) std::this_thread::sleep_for(100ms);
    std::this_thread::sleep_for(5s);  // the stop handler ends the job meanwhile
    return 0;
  }
  const int victim = std::stoi(arg);
  // As the CLI does: when a rank fails or crashes, mpirun stops the other ranks, and multirank's
  // handler says so on each, naming the rank that failed first when its notice came (a crash
  // itself leaves no message of multirank's).
  multirank::install_stop_handlers();
  if (comm.rank() == victim) {
    if (mode == "thread-throws") {
      std::thread([victim] {
        std::this_thread::sleep_for(400ms);
        throw std::runtime_error("worker thread failed on rank " + std::to_string(victim));
      }).detach();
    } else if (mode == "segv") {
      std::thread([] {
        std::this_thread::sleep_for(400ms);
        // The default action, past Open MPI's and the sanitizers' handlers: a plain crash.
        std::signal(SIGSEGV, SIG_DFL);
        std::raise(SIGSEGV);
      }).detach();
    } else if (mode == "main-throws") {
      std::this_thread::sleep_for(400ms);
      throw std::runtime_error("main failed on rank " + std::to_string(victim));
    } else {
      throw std::invalid_argument("unknown mode " + mode);
    }
  }
  long_map(comm);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  const std::string arg = argc > 2 ? argv[2] : "1";
  const std::string extra = argc > 3 ? argv[3] : "300";
  return multirank::run_main(argc, argv, [&] { return run(mode, arg, extra); });
}
