#include <cstdio>

#include "multirank/multirank.hpp"

int main(int argc, char** argv) {
  return multirank::run_main(argc, argv, [] {
    const auto comm = multirank::Communicator::world();
    int token = 0;
    if (comm.rank() == 0) {
      comm.send(1 % comm.size(), 0, token + 1);
      token = comm.recv<int>(comm.size() - 1, 0);
      std::printf("token after ring: %d\n", token);
    } else {
      token = comm.recv<int>(comm.rank() - 1, 0);
      comm.send((comm.rank() + 1) % comm.size(), 0, token + 1);
    }
    return 0;
  });
}
