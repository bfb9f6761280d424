// A pool whose body throws on rank 0 while the other ranks are busy: with "abort" the exception
// escapes run_main and the job must end quickly with its message; with "catch" rank 0 catches it
// and every rank must leave run_pool and exit 0.
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include "multirank/core/communicator.hpp"
#include "multirank/core/environment.hpp"
#include "multirank/pool/pool.hpp"

namespace {
int nap(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "abort";
  return multirank::run_main(argc, argv, [&] {
    const auto comm = multirank::Communicator::world();
    auto body = [](multirank::Pool& pool) {
      for (int i = 0; i < 50; ++i) (void)pool.submit(multirank::task<nap>, 100);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      throw std::runtime_error("the body failed on purpose");
    };
    if (mode == "catch") {
      try {
        multirank::run_pool(comm, body);
      } catch (const std::exception& e) {
        std::printf("rank %d caught: %s\n", comm.rank(), e.what());
      }
      std::printf("rank %d left the pool\n", comm.rank());
      return 0;
    }
    multirank::run_pool(comm, body);
    return 0;
  });
}
