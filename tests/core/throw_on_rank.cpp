// Rank 1 throws while the others wait for a message that never comes: the job must end.
// With "late", rank 1 throws after the others have left their work and are finishing (the
// moment an abort meets ranks on their way out of MPI).
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "multirank/core/communicator.hpp"
#include "multirank/core/environment.hpp"

int main(int argc, char** argv) {
  const bool late = argc > 1 && std::string(argv[1]) == "late";
  return multirank::run_main(argc, argv, [&] {
    const auto comm = multirank::Communicator::world();
    if (comm.rank() == 1) {
      if (late) std::this_thread::sleep_for(std::chrono::milliseconds(30));
      throw std::runtime_error("deliberate failure on rank one");
    }
    if (!late) (void)comm.recv<int>(1, multirank::Tag{1});  // never arrives
    return 0;
  });
}
