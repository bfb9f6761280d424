// Rank 1 throws while the others wait for a message that never comes: the job must end.
#include <stdexcept>

#include "multirank/core/communicator.hpp"
#include "multirank/core/environment.hpp"

int main(int argc, char** argv) {
  return multirank::run_main(argc, argv, [] {
    const auto comm = multirank::Communicator::world();
    if (comm.rank() == 1) throw std::runtime_error("deliberate failure on rank one");
    (void)comm.recv<int>(1, 1);  // never arrives
    return 0;
  });
}
